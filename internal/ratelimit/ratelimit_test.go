package ratelimit

import (
	"strings"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	l := New(3, time.Minute)
	l.Now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != time.Minute {
		t.Fatalf("4th: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("other key refused")
	}
	now = now.Add(45 * time.Second)
	if ok, wait := l.Allow("a"); ok || wait != 15*time.Second {
		t.Fatalf("later: ok=%v wait=%v", ok, wait)
	}
	now = now.Add(15 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("new window refused")
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	l := &Limiter{Limit: 1, Window: time.Minute, MaxKeys: 100, Now: func() time.Time { return now }}
	for i := 0; i < 10_000; i++ {
		l.Allow(strings.Repeat("x", i%50) + string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if n := l.Len(); n > 100 {
		t.Fatalf("remembers %d keys", n)
	}
}

func TestHasherRotatesDailyAndHidesValue(t *testing.T) {
	h := NewHasher(make([]byte, 32))
	d1 := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	a := h.Key("ip", "203.0.113.77", d1)
	if a != h.Key("ip", "203.0.113.77", d1.Add(time.Hour)) {
		t.Fatal("same day, different key")
	}
	if a == h.Key("ip", "203.0.113.77", d1.Add(24*time.Hour)) {
		t.Fatal("salt did not rotate")
	}
	if a == h.Key("code", "203.0.113.77", d1) {
		t.Fatal("scope ignored")
	}
	if strings.Contains(a, "203") {
		t.Fatal("key shows the address")
	}
}

func TestPeekAndRefundCountOnlyWhatTheLimitIsFor(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	l := New(2, time.Hour)
	l.Now = func() time.Time { return now }
	// Ten attempts of which eight are refunded (sent back for a field): the
	// two that count fill the limit, the refunded ones never did.
	for i := 0; i < 10; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		if i < 8 {
			l.Refund("a")
		}
	}
	if ok, wait := l.Peek("a"); ok || wait != time.Hour {
		t.Fatalf("peek after two counted: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("a third counted attempt was let through")
	}
	if ok, _ := l.Peek("b"); !ok {
		t.Fatal("peek refused an unknown key")
	}
	if l.Len() != 1 {
		t.Fatal("peek remembered a key")
	}
	now = now.Add(time.Hour)
	l.Refund("a") // a refund in a new window takes nothing from it
	if ok, _ := l.Peek("a"); !ok {
		t.Fatal("new window refused")
	}
}
