package ledger_test

import (
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// TestTicketKey: the duplicate-ticket key refuses a ticket number filed
// twice in one channel and holds nothing for a ticketless complaint: its key
// (source_channel, source_ref) is all NULL, so web and API filings share no
// key value (on Galera a shared value made filings on two nodes conflict).
func TestTicketKey(t *testing.T) {
	s, _ := newService(t)
	for range 3 {
		fileOne(t, s, webComplaint())
		in := webComplaint()
		in.Channel = ledger.ChannelAPI
		fileOne(t, s, in)
	}
	hot := webComplaint()
	hot.Channel, hot.SourceRef = ledger.ChannelHotline, "12369SQ202611030077"
	fileOne(t, s, hot)
	if _, err := s.File(ctx, hot, ledger.Resident); apperr.Code(err) != apperr.ECONFLICT {
		t.Fatalf("second filing of ticket %s: %v, want ECONFLICT", hot.SourceRef, err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM complaints WHERE source_channel IS NULL AND source_ref IS NULL`); n != 6 {
		t.Fatalf("%d ticketless complaints with an all-NULL key, want 6", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM complaints WHERE source_channel = 'hotline' AND source_ref = ?`, hot.SourceRef); n != 1 {
		t.Fatalf("ticket %s: %d rows with its key, want 1", hot.SourceRef, n)
	}
}
