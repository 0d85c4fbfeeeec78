package ledger_test

import (
	"testing"

	"ecoreport/internal/ledger"
)

func BenchmarkValidate(b *testing.B) {
	in := webComplaint()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := in
		if err := c.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckText(b *testing.B) {
	s := webComplaint().Description
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		if ledger.CheckText(s) != "" {
			b.Fatal("rejected")
		}
	}
}
