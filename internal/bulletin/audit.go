package bulletin

import (
	"time"

	"ecoreport/internal/audit"
)

// AuditCheckpoint is the signed audit checkpoint (审计日志签名检查点) the
// bulletin publishes: once printed and sent out, the length and head of
// the audit log at the month's end can no longer be changed by whoever
// has the database, and anyone with the public key can check the
// signature.
type AuditCheckpoint struct {
	audit.Checkpoint
	PublicKey   string // base64 Ed25519 public key
	Fingerprint string // its short name
}

// AttachCheckpoint sets b.Audit to the newest checkpoint of f signed before
// the month ended (before b.Now for a month not yet over); nil when there
// is none. A file that does not verify is an error: the bulletin must not
// publish what cannot be trusted.
func (b *Bulletin) AttachCheckpoint(f *audit.CheckpointFile) error {
	if f == nil {
		return nil
	}
	before := b.End
	if b.Now.Before(before) {
		before = b.Now
	}
	c, err := f.Latest(before.Add(time.Nanosecond))
	if err != nil || c == nil {
		return err
	}
	b.Audit = &AuditCheckpoint{Checkpoint: *c, PublicKey: f.Signer.PublicKey(), Fingerprint: f.Signer.Fingerprint()}
	return nil
}
