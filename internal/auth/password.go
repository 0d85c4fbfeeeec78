package auth

// Passwords (密码) are hashed with argon2id. Each hash holds its memory
// cost for as long as it runs, so a login form that hashes whatever it is
// sent is a way to exhaust the server's memory: forty logins at once with
// 64 MiB each took it from 161 MiB to 2.6 GiB. Every hash therefore runs
// under one process-wide budget (hashBudget: maxHashes hashes of Params),
// a hash that cannot get its share within HashWait is refused with
// ErrBusy, and Params are small enough that the budget stays a few tens of
// MiB. A hash stored with other parameters still verifies (its own are in
// the encoded string) and is replaced at the next login that proves the
// password (Store.rehash).

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"

	"ecoreport/internal/apperr"
)

// HashParams are the argon2id parameters of a password hash.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32
}

// Params are the parameters new hashes get: OWASP's first argon2id
// configuration (19 MiB, two passes, one lane). One lane keeps a hash on
// one core, so two cores run two at full speed; at about 30 ms a hash on
// this hardware that is some 60 logins a second, far above what staff
// need, while guessing stays throttled by Store.Login.
var Params = HashParams{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32}

// maxHashes hashes of Params run at once; the next waits. A hash keeps
// one core busy, so more than there are cores would only hold more memory
// without answering sooner: one per core, at least two, at most eight (on
// two cores: 38 MiB).
var maxHashes = min(max(runtime.GOMAXPROCS(0), 2), 8)

// HashWait is how long a hash may wait for its share of the budget before
// the attempt is refused with ErrBusy.
const HashWait = 3 * time.Second

var hashWait = HashWait // shortened by tests

// hashBudget is the memory (KiB) that all running hashes may hold
// together: maxHashes of Params. A stored hash with a larger cost (the
// 64 MiB of earlier versions) takes more of it, and so runs with fewer
// beside it; one above the whole budget takes all of it.
var hashBudget = semaphore.NewWeighted(int64(maxHashes) * int64(Params.Memory))

// ErrBusy is the answer when the hashing budget stays full for HashWait:
// too many logins at once. EUNAVAILABLE (503) with a Retry-After.
var ErrBusy = &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "登录人数较多，请稍后再试", RetryAfter: 5 * time.Second}

// argon2id runs one hash under the budget. Bounded, it waits at most
// HashWait for its share and returns ErrBusy after that; otherwise it waits
// as long as ctx allows. It returns ctx's error when ctx ends first.
func argon2id(ctx context.Context, p HashParams, pw, salt []byte, bounded bool) ([]byte, error) {
	w := min(int64(p.Memory), int64(maxHashes)*int64(Params.Memory))
	wctx := ctx
	if bounded {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, hashWait)
		defer cancel()
	}
	if err := hashBudget.Acquire(wctx, w); err != nil {
		if ctx.Err() != nil || !bounded {
			return nil, fmt.Errorf("auth: wait for hashing: %w", err)
		}
		return nil, ErrBusy
	}
	defer hashBudget.Release(w)
	n := running.Add(1)
	defer running.Add(-1)
	for {
		if m := peak.Load(); n <= m || peak.CompareAndSwap(m, n) {
			break
		}
	}
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}

// running counts the hashes running now, peak the most at once since
// start (or the last PeakHashes(true)).
var running, peak atomic.Int64

// PeakHashes returns the most argon2id hashes that ran at once; reset
// starts counting again (for tests and the attack runs).
func PeakHashes(reset bool) int64 {
	if reset {
		peak.Store(running.Load())
	}
	return peak.Load()
}

// HashPassword returns an encoded argon2id hash of pw with a random salt
// and Params. It waits for its share of the hashing budget as long as it
// takes (accounts are created by an administrator, not by a crowd).
func HashPassword(pw string) string {
	h, _ := hashPassword(context.Background(), pw, false)
	return h
}

// hashPassword hashes pw with Params (bounded: see argon2id).
func hashPassword(ctx context.Context, pw string, bounded bool) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := argon2id(ctx, Params, []byte(pw), salt, bounded)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", Params.Memory, Params.Time, Params.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// decoded is an encoded hash taken apart.
type decoded struct {
	p         HashParams
	salt, key []byte
}

func decode(encoded string) (decoded, bool) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" {
		return decoded{}, false
	}
	var d decoded
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &d.p.Memory, &d.p.Time, &d.p.Threads); err != nil {
		return decoded{}, false
	}
	var err1, err2 error
	d.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	d.key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(d.key) == 0 || d.p.Memory == 0 || d.p.Time == 0 || d.p.Threads == 0 {
		return decoded{}, false
	}
	// A cost no version ever stored is a hash someone put there to make
	// a login allocate gigabytes: it verifies nothing.
	if d.p.Memory > 256*1024 || d.p.Time > 16 || d.p.Threads > 16 || len(d.key) > 64 {
		return decoded{}, false
	}
	d.p.KeyLen = uint32(len(d.key))
	return d, true
}

// VerifyPassword checks pw against an encoded argon2id hash, whatever its
// parameters. It waits for the hashing budget as long as it takes.
func VerifyPassword(encoded, pw string) bool {
	ok, _ := verify(context.Background(), encoded, pw, false)
	return ok
}

// verify checks pw against encoded under the hashing budget; with bounded,
// a hash that cannot start within HashWait is ErrBusy. A malformed hash
// still costs a hash of Params, so that it takes as long as a real one.
func verify(ctx context.Context, encoded, pw string, bounded bool) (bool, error) {
	d, ok := decode(encoded)
	if !ok {
		d = decoded{p: Params, salt: make([]byte, 16), key: make([]byte, Params.KeyLen)}
	}
	got, err := argon2id(ctx, d.p, []byte(pw), d.salt, bounded)
	if err != nil {
		return false, err
	}
	return ok && subtle.ConstantTimeCompare(got, d.key) == 1, nil
}

// NeedsRehash reports whether an encoded hash was made with other
// parameters than Params (or cannot be read).
func NeedsRehash(encoded string) bool {
	d, ok := decode(encoded)
	return !ok || d.p != Params
}

// dummyHash is verified for a name without an account, so that the answer
// takes as long as for a real one. It is made on first use, not at package
// load, so that commands that never log anyone in do not pay for it.
var dummyHash = sync.OnceValue(func() string { return HashPassword("dummy password for timing") })
