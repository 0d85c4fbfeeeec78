package auth

// TOTP recovery codes (两步验证恢复码) and the administrator's reset of a
// second factor. A person with TOTP gets RecoveryCodes codes, shown once;
// each opens one login in place of the app's code, when the phone is lost.
// The table keeps only each code's HMAC under the application key, so a
// copy of the database does not give them away; a code is used by one
// conditional update, so two logins racing with it cannot both pass.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
)

// RecoveryCodes is how many codes a person gets at a time.
const RecoveryCodes = 10

// recoveryAlphabet has no look-alike characters (0/O, 1/I/L).
const recoveryAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// recoveryLen is the length of a code: 10 characters of 31, about 50 bits.
const recoveryLen = 10

// FormatRecoveryCode shows a code as people copy it: ABCDE-FGHJK.
func FormatRecoveryCode(c string) string {
	if len(c) != recoveryLen {
		return c
	}
	return c[:5] + "-" + c[5:]
}

// normalRecoveryCode reads a code as typed: case, spaces and hyphens do
// not matter. "" when it cannot be a code.
func normalRecoveryCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(s)))
	if len(s) != recoveryLen {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return ""
		}
	}
	return s
}

func newRecoveryCode() string {
	b := make([]byte, recoveryLen)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(recoveryAlphabet))))
		b[i] = recoveryAlphabet[n.Int64()]
	}
	return string(b)
}

func (t *TOTP) recoveryMAC(userID int64, code string) string {
	return t.Keys.MAC("totp-recovery", strconv.FormatInt(userID, 10), code)
}

const (
	deleteRecoverySQL = `DELETE FROM totp_recovery_codes WHERE user_id = ?`
	insertRecoverySQL = `INSERT INTO totp_recovery_codes (user_id, code_mac, created_at) VALUES (?, ?, ?)`
	useRecoverySQL    = `UPDATE totp_recovery_codes SET used_at = ? WHERE user_id = ? AND code_mac = ? AND used_at IS NULL`
	unusedRecoverySQL = `SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = ? AND used_at IS NULL`
)

// NewRecoveryCodes replaces u's recovery codes with RecoveryCodes new ones
// and returns them, formatted, to be shown once. ECONFLICT when u has no
// second factor.
func (t *TOTP) NewRecoveryCodes(ctx context.Context, u *User) ([]string, error) {
	now := t.now()
	codes := make([]string, RecoveryCodes)
	err := t.Users.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var on int
		if err := tx.GetContext(ctx, &on, `SELECT COUNT(*) FROM users WHERE id = ? AND totp_secret IS NOT NULL`, u.ID); err != nil {
			return err
		}
		if on == 0 {
			return apperr.Errorf(apperr.ECONFLICT, "请先启用两步验证")
		}
		if _, err := tx.ExecContext(ctx, deleteRecoverySQL, u.ID); err != nil {
			return err
		}
		for i := range codes {
			c := newRecoveryCode()
			if _, err := tx.ExecContext(ctx, insertRecoverySQL, u.ID, t.recoveryMAC(u.ID, c), now); err != nil {
				return err
			}
			codes[i] = FormatRecoveryCode(c)
		}
		return audit.Append(ctx, tx, now, u.Username, "user.recovery_codes", "user", u.ID, map[string]any{"count": len(codes)})
	})
	if err != nil {
		return nil, db.Classify(fmt.Errorf("auth: recovery codes of %d: %w", u.ID, err))
	}
	return codes, nil
}

// UnusedRecoveryCodes is how many of u's recovery codes are left.
func (t *TOTP) UnusedRecoveryCodes(ctx context.Context, u *User) (int, error) {
	var n int
	if err := t.Users.DB.GetContext(ctx, &n, unusedRecoverySQL, u.ID); err != nil {
		return 0, db.Classify(fmt.Errorf("auth: recovery codes of %d: %w", u.ID, err))
	}
	return n, nil
}

// errNoSuchCode rolls back a recovery attempt whose code is not one of the
// user's unused codes.
var errNoSuchCode = errors.New("no such recovery code")

// CompleteLoginWithRecovery is CompleteLogin with a recovery code in place
// of the app's code: the challenge and the code are used up together, and
// a wrong code counts as a wrong TOTP code (five lock the account). Returns
// the errors of CompleteLogin.
func (t *TOTP) CompleteLoginWithRecovery(ctx context.Context, token, typed string) (*User, error) {
	ch, err := t.Challenge(ctx, token)
	if err != nil {
		return nil, err
	}
	u, err := t.Users.ByID(ctx, ch.UserID)
	if err != nil && !apperr.Is(err, apperr.ENOTFOUND) {
		return nil, err
	}
	if err != nil || !u.Active || !u.TOTPSecret.Valid {
		t.Users.DB.ExecContext(ctx, deleteChallengeSQL, ch.ID)
		return nil, ErrLoginAgain
	}
	now := t.now()
	if u.LockedUntil.Valid && now.Before(u.LockedUntil.Time) {
		return nil, ErrLockedDuringCode
	}
	if code := normalRecoveryCode(typed); code != "" {
		err := t.Users.DB.InTx(ctx, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, deleteChallengeSQL, ch.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return ErrNoChallenge
			}
			if res, err = tx.ExecContext(ctx, useRecoverySQL, now, u.ID, t.recoveryMAC(u.ID, code)); err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errNoSuchCode
			}
			return audit.Append(ctx, tx, now, u.Username, "user.recovery_code_used", "user", u.ID, nil)
		})
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, errNoSuchCode) {
			return nil, db.Classify(fmt.Errorf("auth: recovery login of %d: %w", u.ID, err))
		}
	}
	return nil, t.wrongCode(ctx, ch, u, now)
}

// resetTOTPSQL turns the second factor off and lifts the lock its wrong
// codes set: the lock guarded a factor that is gone.
const resetTOTPSQL = `UPDATE users SET totp_secret = NULL, totp_last_step = NULL, locked_until = NULL, updated_at = ? WHERE id = ?`

// Reset turns an account's second factor off for an administrator (重置两步
// 验证, when the phone and the codes are lost): the secret, the recovery
// codes, any login half done and a lock after wrong codes go. The person enrols again after logging
// in with the password. ENOTFOUND for an unknown account, ECONFLICT when it
// has no second factor.
func (t *TOTP) Reset(ctx context.Context, id int64, by string) error {
	now := t.now()
	return db.Classify(t.Users.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		u, err := userTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if !u.TOTPSecret.Valid {
			return apperr.Errorf(apperr.ECONFLICT, "账号 %s 未启用两步验证", u.Username)
		}
		if _, err := tx.ExecContext(ctx, resetTOTPSQL, now, id); err != nil {
			return fmt.Errorf("auth: reset totp of %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, deleteRecoverySQL, id); err != nil {
			return fmt.Errorf("auth: reset totp of %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, deleteUserChallengeSQL, id); err != nil {
			return fmt.Errorf("auth: reset totp of %d: %w", id, err)
		}
		return audit.Append(ctx, tx, now, by, "user.totp_reset", "user", id, map[string]any{"username": u.Username})
	}))
}
