package conversation_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
)

func report() ledger.NewComplaint {
	return ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air}, TownID: 1,
		Description: "每天夜里机器轰鸣，粉尘很大，严重影响休息。", Identity: ledger.Anonymous}
}

func heldPhotos(n int, tag string) []conversation.HeldPhoto {
	out := make([]conversation.HeldPhoto, n)
	for i := range out {
		out[i] = conversation.HeldPhoto{Name: fmt.Sprintf("%s%030d.jpg", tag, i), MIME: "image/jpeg", Size: 1000, Width: 40, Height: 30}
	}
	return out
}

// advance moves the ledger's clock (which the conversation uses) forward.
func (e *env) advance(d time.Duration) {
	now := e.l.Now().Add(d)
	e.l.Now = func() time.Time { return now }
}

func TestHeldPhotosAreFiledWithTheReport(t *testing.T) {
	e := newEnv(t)
	tok := conversation.NewHeldToken()
	live, err := e.cv.Hold(ctx, tok, heldPhotos(3, "aa"))
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 3 || live[0].Seq != 1 || live[2].Seq != 3 {
		t.Fatalf("held %+v", live)
	}
	// The resident unticks photo 2 and files.
	r, err := e.cv.FileReport(ctx, conversation.Filing{Complaint: report(), Held: conversation.HeldClaim{Token: tok, Seqs: []int{1, 3}}, Receipt: true})
	if err != nil {
		t.Fatal(err)
	}
	as, err := e.cv.Attachments(ctx, r.Complaint.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0].StoredName != live[0].Name || as[1].StoredName != live[2].Name || r.Photos != 2 {
		t.Fatalf("attachments %+v, report photos %d", as, r.Photos)
	}
	left, _ := e.cv.Held(ctx, tok)
	if len(left) != 1 || left[0].Seq != 2 {
		t.Fatalf("left held %+v, want photo 2 until it expires", left)
	}
	rc, err := e.cv.Receipt(ctx, r.ReceiptToken)
	if err != nil || rc.Code != r.TrackingCode || rc.ComplaintID != r.Complaint.ID || rc.Photos != 2 {
		t.Fatalf("receipt %+v, %v", rc, err)
	}
}

func TestParallelSubmitsOfOneFormFileOnce(t *testing.T) {
	e := newEnv(t)
	tok := conversation.NewHeldToken()
	if _, err := e.cv.Hold(ctx, tok, heldPhotos(2, "bb")); err != nil {
		t.Fatal(err)
	}
	before := e.count(`SELECT COUNT(*) FROM complaints`)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.cv.FileReport(ctx, conversation.Filing{Complaint: report(), Held: conversation.HeldClaim{Token: tok, Seqs: []int{1, 2}}})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case err == conversation.ErrHeldGone || apperr.Is(err, apperr.ECONFLICT):
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d submissions filed, want exactly 1", ok)
	}
	if got := e.count(`SELECT COUNT(*) FROM complaints`) - before; got != 1 {
		t.Fatalf("%d complaints filed, want 1", got)
	}
	if got := e.count(`SELECT COUNT(*) FROM attachments WHERE stored_name LIKE 'bb%'`); got != 2 {
		t.Fatalf("%d attachments of the held photos, want 2", got)
	}
}

func TestHeldPhotosExpireAndAreSwept(t *testing.T) {
	e := newEnv(t)
	tok := conversation.NewHeldToken()
	if _, err := e.cv.Hold(ctx, tok, heldPhotos(2, "cc")); err != nil {
		t.Fatal(err)
	}
	var removed []string
	remove := func(name string) error { removed = append(removed, name); return nil }
	if n, err := e.cv.SweepHeld(ctx, remove); err != nil || n != 0 {
		t.Fatalf("swept %d (%v) before expiry", n, err)
	}
	e.advance(conversation.HeldTTL + time.Second)
	if got, _ := e.cv.Held(ctx, tok); len(got) != 0 {
		t.Fatalf("expired token still holds %+v", got)
	}
	_, err := e.cv.FileReport(ctx, conversation.Filing{Complaint: report(), Held: conversation.HeldClaim{Token: tok, Seqs: []int{1}}})
	if err != conversation.ErrHeldGone {
		t.Fatalf("filing with an expired token: %v, want ErrHeldGone", err)
	}

	// The first sweep is killed half way: its removals fail. The rows stay
	// marked, no filing can take them, and the next sweep finishes.
	failing := func(string) error { return fmt.Errorf("disk gone") }
	if _, err := e.cv.SweepHeld(ctx, failing); err == nil {
		t.Fatal("a failing removal was not reported")
	}
	if n, err := e.cv.SweepHeld(ctx, remove); err != nil || n != 2 || len(removed) != 2 {
		t.Fatalf("swept %d (%v), removed %v", n, err, removed)
	}
	if got := e.count(`SELECT COUNT(*) FROM held_photos`); got != 0 {
		t.Fatalf("%d held rows left", got)
	}
}

func TestHoldIsExtendedAndBounded(t *testing.T) {
	e := newEnv(t)
	tok := conversation.NewHeldToken()
	if _, err := e.cv.Hold(ctx, tok, heldPhotos(2, "dd")); err != nil {
		t.Fatal(err)
	}
	e.advance(conversation.HeldTTL - time.Minute)
	live, err := e.cv.Hold(ctx, tok, heldPhotos(1, "de"))
	if err != nil || len(live) != 3 || live[2].Seq != 3 {
		t.Fatalf("second hold: %+v, %v", live, err)
	}
	e.advance(30 * time.Minute) // past the first hold's hour, within the second's
	if got, _ := e.cv.Held(ctx, tok); len(got) != 3 {
		t.Fatalf("after a second hold the token keeps %d photos, want 3", len(got))
	}
	if _, err := e.cv.Hold(ctx, tok, heldPhotos(conversation.MaxHeld, "df")); !apperr.Is(err, apperr.ECONFLICT) {
		t.Fatalf("holding past MaxHeld: %v", err)
	}
	if err := e.cv.Release(ctx, tok, []int{2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.cv.Held(ctx, tok); len(got) != 2 || got[1].Seq != 3 {
		t.Fatalf("after releasing photo 2: %+v", got)
	}
}

func TestForgedHeldTokensHoldNothing(t *testing.T) {
	e := newEnv(t)
	tok := conversation.NewHeldToken()
	if _, err := e.cv.Hold(ctx, tok, heldPhotos(1, "ee")); err != nil {
		t.Fatal(err)
	}
	for _, forged := range []string{"", "x", strings.Repeat("A", 43), tok[:42] + "!", tok + "A", "' OR 1=1 --"} {
		if got, err := e.cv.Held(ctx, forged); err != nil || len(got) != 0 {
			t.Fatalf("Held(%q) = %+v, %v", forged, got, err)
		}
		_, err := e.cv.FileReport(ctx, conversation.Filing{Complaint: report(), Held: conversation.HeldClaim{Token: forged, Seqs: []int{1}}})
		if err != conversation.ErrHeldGone {
			t.Fatalf("filing with %q: %v", forged, err)
		}
	}
	if _, err := e.cv.Hold(ctx, "junk", heldPhotos(1, "ef")); !apperr.Is(err, apperr.EINVALID) {
		t.Fatalf("Hold with a junk token: %v", err)
	}
}

func TestReceiptsLiveBrieflyAndHoldNoCode(t *testing.T) {
	e := newEnv(t)
	r, err := e.cv.FileReport(ctx, conversation.Filing{Complaint: report(), Receipt: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.ReceiptToken == "" || strings.Contains(r.ReceiptToken, r.TrackingCode) {
		t.Fatalf("receipt token %q", r.ReceiptToken)
	}
	var sealed string
	if err := e.l.DB.Get(&sealed, `SELECT sealed FROM receipts`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, r.TrackingCode) {
		t.Fatal("the receipts table holds the code in clear")
	}
	for i := 0; i < 2; i++ { // a refresh shows the same receipt
		if rc, err := e.cv.Receipt(ctx, r.ReceiptToken); err != nil || rc.Code != r.TrackingCode {
			t.Fatalf("receipt %d: %+v, %v", i, rc, err)
		}
	}
	// The last character changed to one it is not (it is "A" one time in 64).
	last := "A"
	if strings.HasSuffix(r.ReceiptToken, "A") {
		last = "B"
	}
	for _, bad := range []string{"", "short", r.ReceiptToken[:42] + last, strings.Repeat("A", 43)} {
		if _, err := e.cv.Receipt(ctx, bad); err != conversation.ErrReceiptGone {
			t.Fatalf("Receipt(%q): %v", bad, err)
		}
	}
	e.advance(conversation.ReceiptTTL + time.Second)
	if _, err := e.cv.Receipt(ctx, r.ReceiptToken); err != conversation.ErrReceiptGone {
		t.Fatalf("expired receipt: %v", err)
	}
	// The next filing deletes expired receipts.
	if _, err := e.cv.FileReport(ctx, conversation.Filing{Complaint: report(), Receipt: true}); err != nil {
		t.Fatal(err)
	}
	if got := e.count(`SELECT COUNT(*) FROM receipts`); got != 1 {
		t.Fatalf("%d receipts kept, want only the live one", got)
	}
}

func TestAdditionsTakeHeldPhotos(t *testing.T) {
	e := newEnv(t)
	c := e.file()
	tok := conversation.NewHeldToken()
	if _, err := e.cv.Hold(ctx, tok, heldPhotos(2, "ff")); err != nil {
		t.Fatal(err)
	}
	if err := e.cv.AddHeld(ctx, c, "补充两张照片", conversation.HeldClaim{Token: tok, Seqs: []int{1, 2}}); err != nil {
		t.Fatal(err)
	}
	if err := e.cv.AddHeld(ctx, c, "再补充一次", conversation.HeldClaim{Token: tok, Seqs: []int{1}}); err != conversation.ErrHeldGone {
		t.Fatalf("the same held photos twice: %v", err)
	}
	th := e.thread(c)
	if len(th.Additions) != 1 || len(th.Additions[0].Photos) != 2 {
		t.Fatalf("additions %+v", th.Additions)
	}
}
