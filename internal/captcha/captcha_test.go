package captcha_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/captcha"
	"ecoreport/internal/db/dbtest"
)

func TestCaptcha(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	c := captcha.New(d, true, func() time.Time { return now })

	t.Run("OK", func(t *testing.T) {
		id, err := c.New(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ans := c.Answer(ctx, id)
		if len(ans) != captcha.Length {
			t.Fatalf("answer %q", ans)
		}
		if err := c.Verify(ctx, id, ans, ""); err != nil {
			t.Fatal(err)
		}
		if err := c.Verify(ctx, id, ans, ""); err != captcha.ErrWrong {
			t.Fatalf("second use: %v", err)
		}
	})
	t.Run("ErrWrongIsSingleUse", func(t *testing.T) {
		id, _ := c.New(ctx)
		ans := c.Answer(ctx, id)
		wrong := "000000"
		if ans == wrong {
			wrong = "111111"
		}
		if err := c.Verify(ctx, id, wrong, ""); !apperr.Is(err, apperr.EINVALID) {
			t.Fatalf("wrong: %v", err)
		}
		if err := c.Verify(ctx, id, ans, ""); err != captcha.ErrWrong {
			t.Fatalf("after a wrong answer: %v", err)
		}
	})
	t.Run("FullWidthDigits", func(t *testing.T) {
		id, _ := c.New(ctx)
		ans := []rune(c.Answer(ctx, id))
		for i := range ans {
			ans[i] += '０' - '0'
		}
		if err := c.Verify(ctx, id, string(ans), ""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrHoneypotFirst", func(t *testing.T) {
		id, _ := c.New(ctx)
		if err := c.Verify(ctx, id, c.Answer(ctx, id), "http://spam"); err != captcha.ErrHoneypot {
			t.Fatalf("honeypot: %v", err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		id, _ := c.New(ctx)
		ans := c.Answer(ctx, id)
		now = now.Add(captcha.TTL + time.Second)
		if err := c.Verify(ctx, id, ans, ""); err != captcha.ErrWrong {
			t.Fatalf("expired: %v", err)
		}
		var n int
		d.Get(&n, `SELECT COUNT(*) FROM captchas WHERE expires_at < ?`, now)
		if n == 0 {
			t.Fatal("no expired row to expire")
		}
		live, _ := c.New(ctx) // issuing is one INSERT: it leaves the expired rows alone
		var after int
		d.Get(&after, `SELECT COUNT(*) FROM captchas WHERE expires_at < ?`, now)
		if after != n {
			t.Fatalf("issuing deleted %d expired rows", n-after)
		}
		if got, err := c.Store.Expire(ctx); err != nil || got != int64(n) {
			t.Fatalf("expired %d, %v; want %d", got, err, n)
		}
		d.Get(&n, `SELECT COUNT(*) FROM captchas WHERE expires_at < ?`, now)
		if n != 0 {
			t.Fatalf("%d expired rows left", n)
		}
		if c.Answer(ctx, live) == "" {
			t.Fatal("Expire deleted a live challenge")
		}
	})
	t.Run("ConcurrentSolveOnce", func(t *testing.T) {
		id, _ := c.New(ctx)
		ans := c.Answer(ctx, id)
		const n = 8
		// Every answer has read the challenge before any deletes it: the
		// delete alone decides.
		var peeked sync.WaitGroup
		peeked.Add(n)
		captcha.SetAfterPeek(func() { peeked.Done(); peeked.Wait() })
		defer captcha.SetAfterPeek(nil)
		errs := make(chan error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- c.Verify(ctx, id, ans, "")
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch err {
			case nil:
				ok++
			case captcha.ErrWrong:
			default:
				t.Errorf("verify: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d concurrent answers accepted, want exactly 1", ok, n)
		}
	})
	t.Run("ErrJunkID", func(t *testing.T) {
		if err := c.Verify(ctx, "'; DROP TABLE captchas; --", "123456", ""); err != captcha.ErrWrong {
			t.Fatal(err)
		}
	})
	t.Run("ImageAndAudio", func(t *testing.T) {
		id, _ := c.New(ctx)
		var img, wav bytes.Buffer
		if err := c.WriteImage(ctx, &img, id); err != nil || !bytes.HasPrefix(img.Bytes(), []byte("\x89PNG")) {
			t.Fatalf("image: %v", err)
		}
		if err := c.WriteAudio(ctx, &wav, id); err != nil || !bytes.HasPrefix(wav.Bytes(), []byte("RIFF")) {
			t.Fatalf("audio: %v", err)
		}
		if err := c.WriteImage(ctx, &img, "AAAAAAAAAAAAAAAAAAAA"); err != captcha.ErrNotFound {
			t.Fatalf("unknown: %v", err)
		}
		if err := c.Verify(ctx, id, c.Answer(ctx, id), ""); err != nil {
			t.Fatalf("image used it up: %v", err)
		}
	})
	t.Run("NotRequired", func(t *testing.T) {
		off := captcha.New(d, false, nil)
		if err := off.Verify(ctx, "", "", ""); err != nil {
			t.Fatal(err)
		}
		if err := off.Verify(ctx, "", "", "bot"); err != captcha.ErrHoneypot {
			t.Fatal(err)
		}
	})
}
