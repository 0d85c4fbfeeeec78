package partner

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
)

// TestCheck: only a live key passes; every other one gets the same answer.
func TestCheck(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	keys := New(d)
	live, err := keys.Add(ctx, "wechat")
	if err != nil {
		t.Fatal(err)
	}
	old, _ := keys.Add(ctx, "old-app")
	if _, err := keys.Revoke(ctx, "old-app"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key string
		ok        bool
	}{
		{"OK", live, true},
		{"OKSpacesAround", " " + live + " ", true},
		{"ErrMissing", "", false},
		{"ErrUnknown", KeyPrefix + strings.Repeat("0", 64), false},
		{"ErrRevoked", old, false},
		{"ErrHuge", strings.Repeat("k", 10000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := keys.Check(ctx, tt.key)
			if tt.ok != (err == nil) || (!tt.ok && (!errors.Is(err, ErrBadKey) || apperr.Code(err) != apperr.EFORBIDDEN)) {
				t.Fatalf("got %+v %v", k, err)
			}
		})
	}
	if _, err := keys.Revoke(ctx, "nobody"); apperr.Code(err) != apperr.ENOTFOUND {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func TestCommand(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		rc := Command(ctx, d, args, &out, &errOut)
		return rc, out.String(), errOut.String()
	}
	rc, out, _ := run("add-key", "wechat")
	key := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, KeyPrefix) {
			key = l
		}
	}
	if rc != 0 || len(key) != len(KeyPrefix)+64 {
		t.Fatalf("add-key = %d %q", rc, out)
	}
	var stored string
	d.Get(&stored, `SELECT key_hash FROM open311_keys WHERE name = ?`, "wechat")
	if stored != Hash(key) || strings.Contains(stored, key[len(KeyPrefix):]) {
		t.Errorf("stored %q", stored)
	}
	if k, err := New(d).Check(ctx, key); err != nil || k.Name != "wechat" {
		t.Errorf("partner = %+v %v", k, err)
	}
	if rc, out, _ := run("list-keys"); rc != 0 || !strings.Contains(out, "wechat") || strings.Contains(out, key) {
		t.Errorf("list-keys = %d %q", rc, out)
	}
	for _, bad := range [][]string{{}, {"add-key"}, {"add-key", "a b"}, {"add-key", strings.Repeat("长", 41)}, {"frobnicate"}, {"revoke-key", "nobody"}} {
		if rc, _, errOut := run(bad...); rc != 2 || errOut == "" {
			t.Errorf("%q = %d %q", bad, rc, errOut)
		}
	}
	if rc, out, _ := run("revoke-key", "wechat"); rc != 0 || !strings.Contains(out, "1") {
		t.Errorf("revoke = %d %q", rc, out)
	}
	if _, err := New(d).Check(ctx, key); !errors.Is(err, ErrBadKey) {
		t.Errorf("revoked key: %v", err)
	}
}
