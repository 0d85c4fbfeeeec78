package hotline

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"ecoreport/internal/db/dbtest"
)

// TestImportPhonesAndTicketLookup: a file with the phone forms the contract
// lists is imported; each number is stored in its one form, an unrecognised
// one as written with a warning, and each caller finds their ticket with the
// ticket number and the last four digits. The lookup HMACs are pinned
// (computed outside Go from the key derivation): tickets imported before
// the phone package was shared must keep matching what callers type.
func TestImportPhonesAndTicketLookup(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	ctx := context.Background()
	csv := "工单编号,来电时间,举报内容,来电人,来电号码\n" +
		"PH01,2026-11-03 14:22:05,夜间噪声,张伟,13812345678\n" +
		"PH02,2026-11-03 14:22:05,夜间噪声,张伟,138-1234-5678\n" +
		"PH03,2026-11-03 14:22:05,夜间噪声,张伟,+86 138 1234 5678\n" +
		"PH04,2026-11-03 14:22:05,夜间噪声,张伟,１３８１２３４５６７８\n" +
		"PH05,2026-11-03 14:22:05,夜间噪声,李娜,0915-6321234\n" +
		"PH06,2026-11-03 14:22:05,夜间噪声,李娜,0086 915 6321234\n" +
		"PH07,2026-11-03 14:22:05,夜间噪声,李娜,0915-6321234转801\n" +
		"PH08,2026-11-03 14:22:05,夜间噪声,王芳,12345\n" +
		"PH09,2026-11-03 14:22:05,夜间噪声,王芳,无\n"
	rc, err := im.Import(ctx, strings.NewReader(csv), "phones.csv", "测试员", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := countsOf(rc); c.Imported != 9 || c.Rejected != 0 {
		t.Fatalf("counts %+v", c)
	}
	tests := []struct {
		ticket, stored, last4, mac string
		warned                     bool
	}{
		{"PH01", "13812345678", "5678", "a7ad909c4bb8f4c3f5aeacbf76d2397479238e54c11608b0164ddece25eab7a0", false},
		{"PH02", "13812345678", "5678", "", false},
		{"PH03", "13812345678", "5678", "", false},
		{"PH04", "13812345678", "5678", "", false},
		{"PH05", "0915-6321234", "1234", "7a3eb8c304755cc3170c10c746a79e0449ba8a32e4251eac2572ddd8c33016ac", false},
		{"PH06", "0915-6321234", "1234", "", false},
		{"PH07", "0915-6321234-801", "4801", "ddd300ad52c6619fa0aaa65e6e91b0e2e213ee23e3a43e78c85c7c77bd991855", false},
		{"PH08", "12345", "2345", "", true},
		{"PH09", "无", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.ticket, func(t *testing.T) {
			var row struct {
				Lookup   sql.NullString `db:"lookup_mac"`
				Warnings string         `db:"warnings"`
			}
			if err := d.GetContext(ctx, &row, `SELECT lookup_mac, warnings FROM complaints WHERE source_ref = ?`, tt.ticket); err != nil {
				t.Fatal(err)
			}
			if warned := strings.Contains(row.Warnings, "电话号码格式无法识别"); warned != tt.warned {
				t.Errorf("warnings %q, want a phone warning: %v", row.Warnings, tt.warned)
			}
			if tt.mac != "" && row.Lookup.String != tt.mac {
				t.Errorf("lookup_mac = %q, want the pinned %q", row.Lookup.String, tt.mac)
			}
			if tt.last4 == "" {
				if row.Lookup.Valid {
					t.Errorf("lookup_mac set for a phone without four digits")
				}
				return
			}
			c, err := im.Ledger.TrackTicket(ctx, tt.ticket, tt.last4)
			if err != nil {
				t.Fatalf("track %s with %s: %v", tt.ticket, tt.last4, err)
			}
			if ct, err := im.Ledger.Contact(c); err != nil || ct == nil || ct.Phone != tt.stored {
				t.Errorf("contact %+v, %v; want phone %q", ct, err, tt.stored)
			}
		})
	}
	// The same file again changes nothing: the stored forms are stable.
	rc, err = im.Import(ctx, strings.NewReader(csv), "phones.csv", "测试员", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := countsOf(rc); c.Unchanged != 9 {
		t.Fatalf("second import %+v", c)
	}
}
