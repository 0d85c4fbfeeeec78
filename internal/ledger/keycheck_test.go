package ledger_test

import (
	"errors"
	"testing"

	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

func TestCheckKey(t *testing.T) {
	other, _ := secret.New([]byte("another instance's 32-byte key!!"))
	tests := []struct {
		name    string
		contact bool
		keys    *secret.Keys // nil: the key the contacts were sealed with
		want    error
	}{
		{"OK", true, nil, nil},
		{"OKNoContactToTry", false, other, nil},
		{"ErrWrongKey", true, other, ledger.ErrWrongKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newService(t)
			in := ledger.NewComplaint{Channel: ledger.ChannelWeb, Description: "河边的工厂夜里排放黑水，气味刺鼻。", Identity: ledger.Anonymous}
			if tt.contact {
				in.Identity, in.Contact = ledger.Confidential, &ledger.Contact{Name: "王小明", Phone: "13800001234"}
			}
			if _, err := s.File(ctx, in, ledger.Resident); err != nil {
				t.Fatal(err)
			}
			if tt.keys != nil {
				s = ledger.NewService(s.DB, tt.keys)
			}
			if err := s.CheckKey(ctx); !errors.Is(err, tt.want) {
				t.Fatalf("CheckKey = %v, want %v", err, tt.want)
			}
		})
	}
}
