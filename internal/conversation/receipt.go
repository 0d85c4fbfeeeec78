package conversation

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// ReceiptTTL is how long the receipt page of a filing can be shown again (a
// refresh, the phone's back button): the resident has time to write the
// code down; after it the code is shown nowhere.
const ReceiptTTL = 30 * time.Minute

// Receipt is what the receipt page (回执) shows once a filing went through:
// the complaint, its tracking code and how many photos came with it. It is
// kept for ReceiptTTL under a token that is never the code.
type Receipt struct {
	ComplaintID int64  `json:"-"`
	Code        string `json:"code"`
	Photos      int    `json:"photos"`
	ExpiresAt   time.Time
}

// ErrReceiptGone is what an unknown, expired or malformed receipt token gets.
var ErrReceiptGone = &apperr.Error{Code: apperr.ENOTFOUND, Message: "回执已过期"}

// receiptKeys derives, from a receipt token and the server's key, the row's
// id and the key that seals the code: the database alone opens nothing, and
// the token is stored nowhere.
func (s *Service) receiptKeys(token string) (id string, aead cipher.AEAD, err error) {
	id = s.Ledger.Keys.MAC("receipt-id", token)
	key, err := hex.DecodeString(s.Ledger.Keys.MAC("receipt-key", token))
	if err != nil {
		return "", nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", nil, err
	}
	aead, err = cipher.NewGCM(block)
	return id, aead, err
}

const (
	insertReceiptSQL  = `INSERT INTO receipts (id, complaint_id, sealed, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`
	receiptSQL        = `SELECT complaint_id, sealed, expires_at FROM receipts WHERE id = ? AND expires_at > ?`
	cleanReceiptsSQL  = `DELETE FROM receipts WHERE expires_at <= ?`
	receiptTokenBytes = 32
)

// issueReceiptTx writes the receipt of a filing in its transaction and
// returns its token: the complaint and the way back to its code commit
// together or not at all.
func (s *Service) issueReceiptTx(ctx context.Context, tx *sqlx.Tx, f ledger.Filed, photos int) (string, error) {
	var b [receiptTokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	id, aead, err := s.receiptKeys(token)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(Receipt{Code: f.TrackingCode, Photos: photos})
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(id)))
	now := s.now()
	if _, err := tx.ExecContext(ctx, cleanReceiptsSQL, now); err != nil {
		return "", fmt.Errorf("conversation: clean receipts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, insertReceiptSQL, id, f.Complaint.ID, sealed, now, now.Add(ReceiptTTL)); err != nil {
		return "", fmt.Errorf("conversation: receipt: %w", err)
	}
	return token, nil
}

// Receipt returns the receipt of token while it lives. ErrReceiptGone for an
// unknown, expired or malformed token.
func (s *Service) Receipt(ctx context.Context, token string) (*Receipt, error) {
	if len(token) != base64.RawURLEncoding.EncodedLen(receiptTokenBytes) {
		return nil, ErrReceiptGone
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, ErrReceiptGone
	}
	id, aead, err := s.receiptKeys(token)
	if err != nil {
		return nil, err
	}
	var row struct {
		ComplaintID int64     `db:"complaint_id"`
		Sealed      string    `db:"sealed"`
		ExpiresAt   time.Time `db:"expires_at"`
	}
	if err := s.DB.GetContext(ctx, &row, receiptSQL, id, s.now()); err != nil {
		if apperr.Is(db.NotFound(err, ""), apperr.ENOTFOUND) {
			return nil, ErrReceiptGone
		}
		return nil, db.Classify(fmt.Errorf("conversation: receipt: %w", err))
	}
	raw, err := base64.RawStdEncoding.DecodeString(row.Sealed)
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, ErrReceiptGone
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, ErrReceiptGone
	}
	var r Receipt
	if err := json.Unmarshal(plain, &r); err != nil {
		return nil, ErrReceiptGone
	}
	r.ComplaintID, r.ExpiresAt = row.ComplaintID, row.ExpiresAt
	return &r, nil
}
