package captcha_test

import (
	"bytes"
	"context"
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
		c.New(ctx) // cleans expired rows
		var n int
		d.Get(&n, `SELECT COUNT(*) FROM captchas WHERE expires_at < ?`, now)
		if n != 0 {
			t.Fatalf("%d expired rows left", n)
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
