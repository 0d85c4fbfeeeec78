package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
)

// oldHash is a hash as earlier versions stored it: 64 MiB, three passes,
// two lanes.
func oldHash(pw string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, 3, 64*1024, 2, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", 64*1024, 3, 2,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// TestHashesRunUnderTheBudget: forty checks at once never run more than
// maxHashes hashes together (the forty parallel logins
// took the server to 2.6 GiB), and one with the old 64 MiB cost takes the
// room of several.
func TestHashesRunUnderTheBudget(t *testing.T) {
	h := HashPassword("correct horse battery")
	old := oldHash("correct horse battery")
	for _, tt := range []struct {
		name    string
		encoded string
		n, most int64
	}{
		{"CurrentParams", h, 40, int64(maxHashes)},
		{"OldParams", old, 3, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			PeakHashes(true)
			var wg sync.WaitGroup
			for i := int64(0); i < tt.n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if ok, err := verify(context.Background(), tt.encoded, "correct horse battery", false); !ok || err != nil {
						t.Errorf("verify: %v %v", ok, err)
					}
				}()
			}
			wg.Wait()
			if p := PeakHashes(false); p > tt.most || p < 1 {
				t.Fatalf("%d hashes ran at once, at most %d may", p, tt.most)
			}
		})
	}
}

// TestBusyWhenTheBudgetStaysFull: a login that cannot start its hash
// within the wait is refused with 503 and a Retry-After, and costs nothing.
func TestBusyWhenTheBudgetStaysFull(t *testing.T) {
	hashWait = 100 * time.Millisecond
	defer func() { hashWait = HashWait }()
	all := int64(maxHashes) * int64(Params.Memory)
	if err := hashBudget.Acquire(context.Background(), all); err != nil {
		t.Fatal(err)
	}
	_, err := verify(context.Background(), dummyHash2, "x", true)
	hashBudget.Release(all)
	if err != ErrBusy || apperr.Code(err) != apperr.EUNAVAILABLE || apperr.RetryAfter(err) <= 0 {
		t.Fatalf("%v", err)
	}
}

var dummyHash2 = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// TestOldHashesVerifyAndAreRenewed: a password stored with the old
// parameters still logs in, and the login stores it again with Params.
func TestOldHashesVerifyAndAreRenewed(t *testing.T) {
	s := NewStore(dbtest.MustOpenDB(t))
	if _, err := s.Create(context.Background(), NewUser{Username: "op1", Role: Operator, Password: "correct horse battery"}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(`UPDATE users SET password_hash = ? WHERE username = 'op1'`, oldHash("correct horse battery")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(context.Background(), Attempt{Username: "op1", Password: "wrong password"}); err != ErrBadLogin {
		t.Fatalf("wrong password: %v", err)
	}
	u, err := s.Login(context.Background(), Attempt{Username: "op1", Password: "correct horse battery"})
	if err != nil {
		t.Fatalf("old hash: %v", err)
	}
	var stored string
	s.DB.Get(&stored, `SELECT password_hash FROM users WHERE id = ?`, u.ID)
	if NeedsRehash(stored) || !VerifyPassword(stored, "correct horse battery") {
		t.Fatalf("not renewed: %s", stored)
	}
}

// TestAbsurdCostsVerifyNothing: a hash whose cost no version stored (put
// there to make a login allocate gigabytes) is refused without running.
func TestAbsurdCostsVerifyNothing(t *testing.T) {
	for _, enc := range []string{
		"$argon2id$v=19$m=4194304,t=3,p=2$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=19456,t=1000,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2i$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"not a hash",
	} {
		start := time.Now()
		if VerifyPassword(enc, "x") || time.Since(start) > 2*time.Second {
			t.Fatalf("%s verified or ran its cost", enc)
		}
	}
}
