package audit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
)

func signer() *audit.Signer { return audit.NewSigner(make([]byte, 32)) }

// chainWithCheckpoint has ten sealed entries and a checkpoint of them.
func chainWithCheckpoint(t *testing.T) (*db.DB, *audit.Checkpointer) {
	t.Helper()
	d := dbtest.MustOpenDB(t)
	appendN(t, d, 10)
	if err := audit.SealAll(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	cp := &audit.Checkpointer{DB: d, File: &audit.CheckpointFile{Path: filepath.Join(t.TempDir(), "audit-checkpoints.jsonl"), Signer: signer()}}
	c, err := cp.Write(context.Background())
	if err != nil || c == nil || c.Length != 10 {
		t.Fatalf("checkpoint %+v %v", c, err)
	}
	return d, cp
}

func verifyWithFile(t *testing.T, d *db.DB, f *audit.CheckpointFile) audit.Report {
	t.Helper()
	cps, err := f.Read()
	if err != nil {
		t.Fatal(err)
	}
	r, err := audit.VerifyAgainst(context.Background(), d, cps)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCheckpointsCatchWhatTheChainAloneCannot: the attacks of issue 20
// item 16. Cutting the last three sealed entries, or taking the last two
// out of the chain, changing one and letting the sealer chain them again,
// leaves a chain that verifies on its own; held to the signed checkpoint
// it is broken.
func TestCheckpointsCatchWhatTheChainAloneCannot(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		tamper []string
		reseal bool
		reason string
	}{
		{"ErrTailCut", []string{`DELETE FROM audit_log WHERE seq > 7`}, false, "审计链被截断"},
		{"ErrChangedAndSealedAgain", []string{
			`UPDATE audit_log SET detail = '{"i":"changed"}', seq = NULL, prev_hash = NULL, hash = NULL WHERE seq = 9`,
			`UPDATE audit_log SET seq = NULL, prev_hash = NULL, hash = NULL WHERE seq = 10`,
		}, true, "签名检查点不符"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, cp := chainWithCheckpoint(t)
			for _, q := range tt.tamper {
				if _, err := d.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if tt.reseal {
				if err := audit.SealAll(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			if r, err := audit.Verify(ctx, d); err != nil || r.BrokenAt != 0 {
				t.Fatalf("the chain alone: %+v %v", r, err) // what the checkpoints are for
			}
			r := verifyWithFile(t, d, cp.File)
			if r.BrokenAt == 0 || !strings.Contains(r.String(), tt.reason) {
				t.Fatalf("held to the checkpoint: %s", r)
			}
			// A fresh checkpointer (serve started again) refuses to sign.
			again := &audit.Checkpointer{DB: d, File: cp.File}
			var broken *audit.ErrChainBroken
			if _, err := again.Write(ctx); !errors.As(err, &broken) {
				t.Fatalf("signed a broken chain: %v", err)
			}
			// So does the running one, which checks only what is new.
			if _, err := cp.Write(ctx); !errors.As(err, &broken) {
				t.Fatalf("running checkpointer signed a broken chain: %v", err)
			}
		})
	}
}

// TestNulledHashIsABreak: an entry whose hash was cleared is a break, not
// work for the sealer, whether its seq went with it or not.
func TestNulledHashIsABreak(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, tamper, reason string }{
		{"ErrHashCleared", `UPDATE audit_log SET hash = NULL WHERE seq = 4`, "哈希被清除"},
		{"ErrTakenOutOfTheChain", `UPDATE audit_log SET seq = NULL, hash = NULL WHERE seq = 10`, "移出哈希链"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dbtest.MustOpenDB(t)
			appendN(t, d, 10)
			if err := audit.SealAll(ctx, d); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Exec(tt.tamper); err != nil {
				t.Fatal(err)
			}
			if err := audit.SealAll(ctx, d); err != nil { // the sealer leaves it alone
				t.Fatal(err)
			}
			r, err := audit.Verify(ctx, d)
			if err != nil || r.BrokenAt == 0 || !strings.Contains(r.String(), tt.reason) {
				t.Fatalf("%s %v", r, err)
			}
		})
	}
}

// TestCheckpointFile: checkpoints are appended, one a line, 0600; a line
// changed by hand or signed by another key is an error naming the line.
func TestCheckpointFile(t *testing.T) {
	d, cp := chainWithCheckpoint(t)
	ctx := context.Background()
	if c, err := cp.Write(ctx); err != nil || c.Length != 10 {
		t.Fatalf("unchanged head: %+v %v", c, err)
	}
	appendN(t, d, 5)
	if err := audit.SealAll(ctx, d); err != nil {
		t.Fatal(err)
	}
	if c, err := cp.Write(ctx); err != nil || c.Length != 15 {
		t.Fatalf("after five more: %+v %v", c, err)
	}
	cps, err := cp.File.Read()
	if err != nil || len(cps) != 2 || cps[0].Length != 10 || cps[1].Length != 15 {
		t.Fatalf("file: %+v %v", cps, err)
	}
	if fi, _ := os.Stat(cp.File.Path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	if r := verifyWithFile(t, d, cp.File); r.BrokenAt != 0 || r.Checkpoints != 2 {
		t.Fatalf("%s", r)
	}
	if c, err := cp.File.Latest(cps[1].At); err != nil || c == nil || c.Length != 10 {
		t.Fatalf("latest before the second: %+v %v", c, err)
	}

	b, _ := os.ReadFile(cp.File.Path)
	forged := strings.Replace(string(b), `"length":15`, `"length":14`, 1)
	os.WriteFile(cp.File.Path, []byte(forged), 0o600)
	if _, err := cp.File.Read(); !errors.Is(err, audit.ErrBadCheckpoint) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("forged line: %v", err)
	}
	os.WriteFile(cp.File.Path, b, 0o600)
	other := &audit.CheckpointFile{Path: cp.File.Path, Signer: audit.NewSigner([]byte(strings.Repeat("k", 32)))}
	if _, err := other.Read(); !errors.Is(err, audit.ErrBadCheckpoint) {
		t.Fatalf("another key: %v", err)
	}
}

// TestSignatureIsPublicKey: what the bulletin prints is enough to check a
// checkpoint: its fields, its signature and the public key.
func TestSignatureIsPublicKey(t *testing.T) {
	s := signer()
	c := s.Sign(audit.Checkpoint{At: time.Date(2026, 11, 30, 15, 50, 0, 0, time.UTC), Length: 12345, Head: strings.Repeat("ab", 32)})
	if !s.Valid(c) || len(s.PublicKey()) != 44 || len(s.Fingerprint()) != 16 {
		t.Fatalf("%+v %s", c, s.PublicKey())
	}
	c.Length++
	if s.Valid(c) {
		t.Fatal("a changed length still verifies")
	}
}
