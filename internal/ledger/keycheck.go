package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"ecoreport/internal/db"
)

// ErrWrongKey is returned by CheckKey when the data key does not open the
// contacts in the database: the key file belongs to another instance, or
// the database to another key.
var ErrWrongKey = errors.New("数据密钥与数据库不匹配：用它无法解密库中的联系方式（--key-file 是否指向本实例的密钥？）")

// newestContact is the newest sealed contact, the one most likely sealed
// with the key in use now.
const newestContact = `SELECT id, contact_enc FROM complaints WHERE contact_enc IS NOT NULL ORDER BY id DESC LIMIT 1`

// CheckKey reports whether the service's data key opens the contact details
// stored in the database (密钥核对): nil when it does or when there is no
// contact to try, ErrWrongKey when it does not. Backups call it, so that an
// archive never pairs a database with a key that cannot read it.
func (s *Service) CheckKey(ctx context.Context) error {
	var row struct {
		ID  int64  `db:"id"`
		Enc string `db:"contact_enc"`
	}
	err := s.DB.GetContext(ctx, &row, newestContact)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return db.Classify(fmt.Errorf("ledger: check key: %w", err))
	}
	if _, err := s.Keys.Open(row.Enc); err != nil {
		return fmt.Errorf("%w（举报 %d）", ErrWrongKey, row.ID)
	}
	return nil
}
