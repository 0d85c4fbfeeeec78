package audit

// Checkpoints (审计检查点). The chain alone cannot tell that its last
// entries were deleted, or that entries were taken out, changed and sealed
// again: what is left is still a whole chain. A checkpoint states the
// chain's length and the hash of its last entry at a moment, signed with
// an Ed25519 key derived from the data key, and is kept where the
// database is not: a file beside the key (one JSON object a line, only
// ever appended) and the monthly bulletin, printed and published. Verify
// then holds the chain to every checkpoint (VerifyAgainst). The public
// key, printed with the bulletin, lets anyone check a checkpoint's
// signature without the data key.

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"ecoreport/internal/db"
)

// Checkpoint is a signed statement of the chain: Length entries, the last
// of them with hash Head, at At.
type Checkpoint struct {
	At     time.Time `json:"at"`
	Length int64     `json:"length"`
	Head   string    `json:"head"`
	Sig    string    `json:"sig"` // Ed25519 over message(), base64
}

// message is what a checkpoint's signature covers.
func (c Checkpoint) message() []byte {
	return []byte("ecoreport audit checkpoint v1\n" + c.At.UTC().Format(time.RFC3339Nano) + "\n" +
		strconv.FormatInt(c.Length, 10) + "\n" + c.Head + "\n")
}

// Signer signs checkpoints and checks their signatures.
type Signer struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

// NewSigner makes the signer of a 32-byte seed (secret.Keys.AuditSeed).
func NewSigner(seed []byte) *Signer {
	priv := ed25519.NewKeyFromSeed(seed)
	return &Signer{priv: priv, pub: priv.Public().(ed25519.PublicKey)}
}

// Sign fills c.Sig.
func (s *Signer) Sign(c Checkpoint) Checkpoint {
	c.At = c.At.UTC()
	c.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(s.priv, c.message()))
	return c
}

// Valid reports whether c's signature is this signer's.
func (s *Signer) Valid(c Checkpoint) bool {
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	return err == nil && ed25519.Verify(s.pub, c.message(), sig)
}

// PublicKey is the signer's public key in base64, as the bulletin prints it.
func (s *Signer) PublicKey() string { return base64.StdEncoding.EncodeToString(s.pub) }

// Fingerprint is a short name for the public key: the first 16 hex digits
// of its SHA-256.
func (s *Signer) Fingerprint() string {
	h := sha256.Sum256(s.pub)
	return hex.EncodeToString(h[:8])
}

// CheckpointFile is the file of checkpoints beside the data key.
type CheckpointFile struct {
	Path   string
	Signer *Signer
}

// Append writes c (signed) as one line and syncs it to disk. The file is
// made 0600 when it does not exist.
func (f *CheckpointFile) Append(c Checkpoint) error {
	b, err := json.Marshal(f.Signer.Sign(c))
	if err != nil {
		return err
	}
	fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: checkpoint file: %w", err)
	}
	if _, err := fh.Write(append(b, '\n')); err != nil {
		fh.Close()
		return fmt.Errorf("audit: write checkpoint: %w", err)
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return fmt.Errorf("audit: sync checkpoint: %w", err)
	}
	return fh.Close()
}

// ErrBadCheckpoint wraps a line of the file that is not a checkpoint this
// key signed: the file was changed, or belongs to another key.
var ErrBadCheckpoint = errors.New("audit: checkpoint not signed by this key")

// Read returns every checkpoint of the file in order (none when it does
// not exist). A line that does not parse or whose signature fails is an
// error naming the line (wrapping ErrBadCheckpoint): a checkpoint that
// cannot be trusted must not be skipped quietly.
func (f *CheckpointFile) Read() ([]Checkpoint, error) {
	var out []Checkpoint
	err := f.each(func(n int, c Checkpoint) bool { out = append(out, c); return true })
	return out, err
}

// Latest returns the newest checkpoint signed before t, nil when there is
// none.
func (f *CheckpointFile) Latest(before time.Time) (*Checkpoint, error) {
	var last *Checkpoint
	err := f.each(func(_ int, c Checkpoint) bool {
		if c.At.Before(before) {
			last = &c
		}
		return true
	})
	return last, err
}

func (f *CheckpointFile) each(fn func(line int, c Checkpoint) bool) error {
	fh, err := os.Open(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: checkpoint file: %w", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var c Checkpoint
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil || !f.Signer.Valid(c) {
			return fmt.Errorf("%w: %s line %d", ErrBadCheckpoint, f.Path, n)
		}
		if !fn(n, c) {
			return nil
		}
	}
	return sc.Err()
}

// Checkpointer writes checkpoints of one database's chain, never of a
// chain it has not checked: the first time it verifies the whole chain
// against the file's checkpoints, later only what was sealed since its
// last checkpoint, from that checkpoint's head.
type Checkpointer struct {
	DB   *db.DB
	File *CheckpointFile
	Now  func() time.Time

	mu   sync.Mutex  // one Write at a time (the schedule and the stop)
	last *Checkpoint // the newest checkpoint the chain was found to hold
}

// ErrChainBroken is returned by Write when the chain does not verify; the
// Report says where. No checkpoint is written then.
type ErrChainBroken struct{ Report Report }

func (e *ErrChainBroken) Error() string { return e.Report.String() }

// Write verifies what is new in the chain and appends a checkpoint of its
// head, unless the head is the one last written. It returns the newest
// checkpoint (nil for an empty chain), *ErrChainBroken when the chain does
// not verify, or an error of the file or the database.
func (c *Checkpointer) Write(ctx context.Context) (*Checkpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	var r Report
	if c.last == nil {
		cps, err := c.File.Read()
		if err != nil {
			return nil, err
		}
		if r, err = VerifyAgainst(ctx, c.DB, cps); err != nil {
			return nil, err
		}
		if r.BrokenAt != 0 {
			return nil, &ErrChainBroken{r}
		}
		if len(cps) > 0 {
			newest := cps[len(cps)-1]
			c.last = &newest
		}
	} else {
		// The entry the last checkpoint named must still be there as it
		// was; then the new entries must follow from it.
		var h sql.NullString
		err := c.DB.GetContext(ctx, &h, hashAtSQL, c.last.Length)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("audit: checkpoint head: %w", err)
		}
		if err != nil || h.String != c.last.Head {
			r.BrokenAt = c.last.Length
			r.Reason = fmt.Sprintf("与 %s 的签名检查点不符（该条被删除或改动）", c.last.At.UTC().Format(time.RFC3339))
			return nil, &ErrChainBroken{r}
		}
		w := walker{want: c.last.Length + 1, prev: c.last.Head}
		r.Sealed, r.Head = c.last.Length, c.last.Head
		if err := w.walk(ctx, c.DB, &r); err != nil {
			return nil, err
		}
		if r.BrokenAt != 0 {
			return nil, &ErrChainBroken{r}
		}
	}
	if r.Sealed == 0 || (c.last != nil && c.last.Length == r.Sealed && c.last.Head == r.Head) {
		return c.last, nil
	}
	cp := c.File.Signer.Sign(Checkpoint{At: now(), Length: r.Sealed, Head: r.Head})
	if err := c.File.Append(cp); err != nil {
		return nil, err
	}
	c.last = &cp
	return &cp, nil
}
