package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
	"ecoreport/internal/trackcode"
)

var ctx = context.Background()

// clock is a settable clock for deadlines.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T) (*ledger.Service, *clock) {
	t.Helper()
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := ledger.NewService(d, keys)
	clk := &clock{t: newClockTime}
	s.Now = clk.now
	return s, clk
}

var inspector = ledger.Actor{Name: "inspector1"}

// newClockTime is where a test's clock starts: 14:22:05 in Shiquan.
var newClockTime = time.Date(2026, 11, 3, 6, 22, 5, 0, time.UTC)

func webComplaint() ledger.NewComplaint {
	return ledger.NewComplaint{
		Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air, ledger.Noise}, TownID: 1,
		Address: "城关镇汉江大道107号", Subject: "某砂石厂", Description: "每天夜里机器轰鸣，粉尘很大，严重影响休息。",
		Identity: ledger.Confidential, Contact: &ledger.Contact{Name: "张三", Phone: "13812345678"}, WantsReward: true,
	}
}

func fileOne(t *testing.T, s *ledger.Service, in ledger.NewComplaint) ledger.Filed {
	t.Helper()
	f, err := s.File(ctx, in, ledger.Resident)
	if err != nil {
		t.Fatal(err)
	}
	codes.Store(filedKey{s, f.Complaint.ID}, f.TrackingCode)
	return f
}

// codes are the tracking codes fileOne filed, so that story can look a
// complaint up the way its reporter does (TrackTimeline) too.
var codes sync.Map

type filedKey struct {
	s  *ledger.Service
	id int64
}

func count(t *testing.T, s *ledger.Service, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFileTrackAndKeepSecrets(t *testing.T) {
	s, _ := newService(t)
	f := fileOne(t, s, webComplaint())
	if f.Complaint.Status != ledger.Received {
		t.Fatalf("status %s", f.Complaint.Status)
	}
	// Decide-by date: 15 calendar days after 3 Nov in Shiquan, end of day.
	if got := f.Complaint.DecideDueAt.In(s.Location).Format("2006-01-02 15:04"); got != "2026-11-18 23:59" {
		t.Fatalf("decide due %s", got)
	}
	for _, typed := range []string{f.TrackingCode, trackcode.Format(f.TrackingCode), strings.ToLower(trackcode.Format(f.TrackingCode))} {
		c, err := s.Track(ctx, typed)
		if err != nil || c.ID != f.Complaint.ID {
			t.Fatalf("Track(%q) = %v, %v", typed, c, err)
		}
	}
	// The database holds neither the code nor the phone in clear.
	var row struct {
		Mac     string `db:"tracking_mac"`
		Contact string `db:"contact_enc"`
	}
	if err := s.DB.Get(&row, `SELECT tracking_mac, contact_enc FROM complaints WHERE id = ?`, f.Complaint.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row.Mac, f.TrackingCode) || strings.Contains(row.Contact, "13812345678") || strings.Contains(row.Contact, "张三") {
		t.Fatalf("secret stored in clear: %+v", row)
	}
	c, _ := s.Complaint(ctx, f.Complaint.ID)
	ct, err := s.Contact(c)
	if err != nil || ct.Phone != "13812345678" {
		t.Fatalf("contact %v %v", ct, err)
	}
	tl, err := s.PublicTimeline(ctx, c)
	if err != nil || len(tl) != 1 || tl[0].Kind != "complaint.filed" {
		t.Fatalf("timeline %+v %v", tl, err)
	}
}

func TestTrackMisses(t *testing.T) {
	s, _ := newService(t)
	fileOne(t, s, webComplaint())
	for _, typed := range []string{"", "0000-0000-0000-0000", "' OR 1=1 --", strings.Repeat("A", 5000), "7K3M-9QZX-2D4R-8T6\xff"} {
		_, err := s.Track(ctx, typed)
		if err != ledger.ErrNoSuchCode {
			t.Fatalf("Track(%q) err = %v", typed, err)
		}
		if c, evs, err := s.TrackTimeline(ctx, typed); err != ledger.ErrNoSuchCode || c != nil || evs != nil {
			t.Fatalf("TrackTimeline(%q) = %v, %v, %v", typed, c, evs, err)
		}
	}
}

func TestTrackTicketByLastFourDigits(t *testing.T) {
	s, _ := newService(t)
	in := webComplaint()
	in.Channel, in.SourceRef = ledger.ChannelHotline, "12369SQ202611030001"
	f := fileOne(t, s, in)
	tests := []struct {
		name, ticket, last4 string
		want                error // nil: found
	}{
		{"OK", "12369SQ202611030001", "5678", nil},
		{"OKSpaces", " 12369SQ202611030001 ", "5678", nil},
		{"OKLowerCase", "12369sq202611030001", "5678", nil},
		{"OKFullWidth", "１２３６９ＳＱ２０２６１１０３０００１", "５６７８", nil},
		{"OKFullWidthLowerCase", "１２３６９ｓｑ２０２６１１０３ ０００１", " 5678 ", nil},
		{"ErrWrongDigits", "12369SQ202611030001", "5679", ledger.ErrNoSuchTicket},
		{"ErrWrongTicket", "12369SQ202611030002", "5678", ledger.ErrNoSuchTicket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.TrackTicket(ctx, tt.ticket, tt.last4)
			if err != tt.want || (tt.want == nil && c.ID != f.Complaint.ID) {
				t.Fatalf("got %v, %v; want %v", c, err, tt.want)
			}
		})
	}
	for _, tt := range []struct{ name, ticket, last4, field string }{
		{"ErrNotFourDigits", "12369SQ202611030001", "45678", "phone_last4"},
		{"ErrNoDigits", "12369SQ202611030001", "", "phone_last4"},
		{"ErrNoTicket", "  ", "5678", "ticket_no"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.TrackTicket(ctx, tt.ticket, tt.last4)
			if apperr.Code(err) != apperr.EINVALID || apperr.Fields(err)[tt.field] == "" {
				t.Fatalf("got %v, want EINVALID naming %s", err, tt.field)
			}
		})
	}
	// The same ticket number twice on one channel is a conflict.
	if _, err := s.File(ctx, in, ledger.Resident); apperr.Code(err) != apperr.ECONFLICT {
		t.Fatalf("duplicate ticket: %v", err)
	}
}

func TestFileValidation(t *testing.T) {
	s, _ := newService(t)
	tests := []struct {
		name  string
		edit  func(*ledger.NewComplaint)
		field string
	}{
		{"ErrShortDescription", func(n *ledger.NewComplaint) { n.Description = "太吵了" }, "description"},
		{"ErrLongDescription", func(n *ledger.NewComplaint) { n.Description = strings.Repeat("噪", 2001) }, "description"},
		{"ErrControlChars", func(n *ledger.NewComplaint) { n.Description = "夜里很吵很吵很吵\x00很吵很吵" }, "description"},
		{"ErrInvalidUTF8", func(n *ledger.NewComplaint) { n.Address = "汉江\xff大道" }, "address"},
		{"ErrCategory", func(n *ledger.NewComplaint) { n.Categories = ledger.Categories{"smell"} }, "categories"},
		{"ErrIdentity", func(n *ledger.NewComplaint) { n.Identity = "public" }, "identity"},
		{"ErrHotlineWithoutTicket", func(n *ledger.NewComplaint) { n.Channel = ledger.ChannelHotline }, "source_ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := webComplaint()
			tt.edit(&in)
			_, err := s.File(ctx, in, ledger.Resident)
			if apperr.Code(err) != apperr.EINVALID || apperr.Fields(err)[tt.field] == "" {
				t.Fatalf("err = %v fields %v", err, apperr.Fields(err))
			}
		})
	}
	if n := count(t, s, `SELECT COUNT(*) FROM complaints`); n != 0 {
		t.Fatalf("%d complaints stored by invalid filings", n)
	}
	// Anonymous filings drop any contact given.
	in := webComplaint()
	in.Identity = ledger.Anonymous
	f := fileOne(t, s, in)
	if f.Complaint.ContactEnc.Valid {
		t.Fatal("anonymous complaint kept a contact")
	}
}

func TestFileManyInOneTransaction(t *testing.T) {
	s, _ := newService(t)
	var ins []ledger.NewComplaint
	for i := 0; i < 3; i++ {
		in := webComplaint()
		in.Channel, in.SourceRef = ledger.ChannelHotline, fmt.Sprintf("12369SQ2026110300%02d", i)
		if i == 1 {
			in.Identity, in.LookupPhone = ledger.Anonymous, "13900001111"
		}
		ins = append(ins, in)
	}
	var filed []ledger.Filed
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		filed, err = s.FileManyTx(ctx, tx, ins, ledger.Actor{Name: "hotline-import"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range filed {
		c, err := s.Track(ctx, f.TrackingCode)
		if err != nil || c.ID != f.Complaint.ID || c.SourceRef.String != ins[i].SourceRef {
			t.Fatalf("row %d: %v %v", i, c, err)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM events WHERE complaint_id = ?`, c.ID); n != 1 {
			t.Fatalf("row %d events %d", i, n)
		}
	}
	// An anonymous caller keeps no contact but can follow the ticket.
	if c, err := s.TrackTicket(ctx, ins[1].SourceRef, "1111"); err != nil || c.ContactEnc.Valid {
		t.Fatalf("anonymous ticket lookup: %v %v", c, err)
	}
	var detail string
	if err := s.DB.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'complaint.filed_batch'`); err != nil {
		t.Fatalf("no batch audit entry: %v", err)
	}
	for _, f := range filed {
		if !strings.Contains(detail, fmt.Sprint(f.Complaint.ID)) {
			t.Fatalf("batch audit %s misses complaint %d", detail, f.Complaint.ID)
		}
	}
	bad := []ledger.NewComplaint{webComplaint(), webComplaint()}
	bad[1].Description = "短"
	err = s.DB.InTx(ctx, func(tx *sqlx.Tx) error { _, err := s.FileManyTx(ctx, tx, bad, ledger.Resident); return err })
	if apperr.Fields(err)["index"] != "1" {
		t.Fatalf("invalid row not named: %v %v", err, apperr.Fields(err))
	}
}
