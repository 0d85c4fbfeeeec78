package ledger_test

import (
	"testing"

	"ecoreport/internal/ledger"
)

func TestEraseExpiredContacts(t *testing.T) {
	s, clk := newService(t)
	start := clk.t
	// Concluded three years and a day before the run: erased.
	closedID, closedCm := closedCase(t, s)
	dismissed := fileOne(t, s, webComplaint())
	dID, err := s.Accept(ctx, dismissed.Complaint.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartVerification(ctx, dID, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordVerification(ctx, dID, ledger.Unsubstantiated, "经核查不属实。", inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	refused := fileOne(t, s, webComplaint())
	if err := s.Refuse(ctx, refused.Complaint.ID, ledger.RefuseVague, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	hotline := webComplaint()
	hotline.Channel, hotline.SourceRef = ledger.ChannelHotline, "12369SQ202611030001"
	hot := fileOne(t, s, hotline)
	if err := s.Refuse(ctx, hot.Complaint.ID, ledger.RefuseAnswered, inspector, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	// Still being worked, however old: kept.
	openCase := verifiedCase(t, s)
	// Closed two years before the run: kept.
	clk.t = start.AddDate(1, 0, 0)
	_, recentCm := closedCase(t, s)

	clk.t = start.AddDate(3, 0, 1)
	n, err := s.EraseExpiredContacts(ctx, ledger.DefaultRetention)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("erased %d, want 4", n)
	}
	erased := map[int64]bool{closedCm: true, dismissed.Complaint.ID: true, refused.Complaint.ID: true, hot.Complaint.ID: true}
	openCms, _ := s.Complaints(ctx, openCase)
	for _, id := range []int64{closedCm, dismissed.Complaint.ID, refused.Complaint.ID, hot.Complaint.ID, openCms[0].ID, recentCm} {
		c, err := s.Complaint(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ct, err := s.Contact(c)
		if err != nil {
			t.Fatal(err)
		}
		if erased[id] {
			if ct != nil || c.ContactEnc.Valid || !c.ContactErasedAt.Valid {
				t.Errorf("%s not erased: %+v", c.Ref(), c)
			}
			if c.Description == "" {
				t.Errorf("%s lost its text", c.Ref())
			}
		} else if ct == nil || ct.Phone != "13812345678" || c.ContactErasedAt.Valid {
			t.Errorf("%s erased too early", c.Ref())
		}
	}
	// The hotline lookup (ticket + last four digits) is gone with the phone.
	if _, err := s.TrackTicket(ctx, "12369SQ202611030001", "5678"); err != ledger.ErrNoSuchTicket {
		t.Fatalf("ticket lookup after erasure: %v", err)
	}
	if k := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action = 'retention.contacts_erased'`); k != 1 {
		t.Fatalf("audit entries %d", k)
	}
	// Nothing left: a second run erases nothing and audits nothing.
	if n, err := s.EraseExpiredContacts(ctx, ledger.DefaultRetention); err != nil || n != 0 {
		t.Fatalf("second run: %d %v", n, err)
	}
	if k := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action = 'retention.contacts_erased'`); k != 1 {
		t.Fatalf("audit entries after a second run %d", k)
	}
	_ = closedID
}

func TestEraseExpiredContactsInBatches(t *testing.T) {
	s, clk := newService(t)
	start := clk.t
	const n = 3
	for i := 0; i < n; i++ {
		f := fileOne(t, s, webComplaint())
		if err := s.Refuse(ctx, f.Complaint.ID, ledger.RefuseVague, inspector, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
	}
	clk.t = start.AddDate(3, 0, 1)
	got, err := s.EraseExpiredContacts(ctx, 0) // 0 means the default
	if err != nil || got != n {
		t.Fatalf("erased %d %v", got, err)
	}
}
