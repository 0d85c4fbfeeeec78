package auth

// What an administrator does to accounts (账号管理): list them, change a
// name, role or unit, disable and enable, unlock after failed logins, reset
// a password. Every change is audited in its own transaction, and none may
// leave the service without an active administrator.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/session"
)

// ErrLastAdmin refuses a change that would leave no active administrator.
var ErrLastAdmin = &apperr.Error{Code: apperr.ECONFLICT, Message: "这是最后一个在用的系统管理员账号，不能停用或改为其他角色；请先为另一人开设管理员账号"}

// MaxDisplayName is the longest display name, in characters.
const MaxDisplayName = 64

const listUsersSQL = `SELECT ` + userColumns + ` FROM users ORDER BY active DESC, role, username`

// List returns every account, active ones first.
func (s *Store) List(ctx context.Context) ([]User, error) {
	var us []User
	if err := s.DB.SelectContext(ctx, &us, listUsersSQL); err != nil {
		return nil, db.Classify(fmt.Errorf("auth: list users: %w", err))
	}
	return us, nil
}

// checkDisplayName returns a Chinese message for a bad display name, or "".
func checkDisplayName(n string) string {
	switch {
	case utf8.RuneCountInString(n) > MaxDisplayName:
		return fmt.Sprintf("姓名不能超过%d个字", MaxDisplayName)
	case !utf8.ValidString(n):
		return "姓名含有无法识别的字符"
	case strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "姓名含有不允许的控制字符"
	}
	return ""
}

// UserChange is what an administrator may change of an account.
type UserChange struct {
	DisplayName string
	Role        Role
	UnitID      int64 // required for role unit, else 0
}

// validate names the bad fields (display_name, role, unit) in Chinese.
func (s *Store) validate(ctx context.Context, ch *UserChange) error {
	f := map[string]string{}
	ch.DisplayName = strings.TrimSpace(ch.DisplayName)
	if m := checkDisplayName(ch.DisplayName); m != "" {
		f["display_name"] = m
	}
	if !ch.Role.Valid() {
		f["role"] = "请选择角色"
	}
	switch {
	case ch.Role == UnitUser && ch.UnitID == 0:
		f["unit"] = "责任单位账号必须指定所属单位"
	case ch.Role != UnitUser && ch.UnitID != 0:
		f["unit"] = "只有责任单位账号才属于某个单位"
	case ch.UnitID != 0:
		var n int
		if err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM units WHERE id = ? AND active = ?`, ch.UnitID, true); err != nil {
			return db.Classify(fmt.Errorf("auth: check unit: %w", err))
		}
		if n == 0 {
			f["unit"] = "所属单位不存在或已停用"
		}
	}
	if len(f) > 0 {
		return apperr.Invalid(f)
	}
	return nil
}

const activeAdminsSQL = `SELECT id FROM users WHERE role = ? AND active = ?`

// keepAnAdmin refuses, inside tx, a change that takes account id away from
// the active administrators when it is the last of them. It reads every
// active administrator's row with the engine's lock (FOR UPDATE on MySQL;
// SQLite's transactions take the write lock at once), so that of two
// administrators disabling each other at the same moment the second waits,
// then sees the first's change and is refused: one always stays.
func (s *Store) keepAnAdmin(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, s.DB.ForUpdate(activeAdminsSQL), Admin, true); err != nil {
		return fmt.Errorf("auth: active admins: %w", err)
	}
	if slices.Contains(ids, id) && len(ids) == 1 {
		return ErrLastAdmin
	}
	return nil
}

// userTx loads one account in tx. ENOTFOUND when there is none.
func userTx(ctx context.Context, tx *sqlx.Tx, id int64) (*User, error) {
	var u User
	if err := tx.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = ?`, id); err != nil {
		return nil, db.NotFound(err, "用户不存在")
	}
	return &u, nil
}

const updateUserSQL = `UPDATE users SET display_name = ?, role = ?, unit_id = ?, updated_at = ? WHERE id = ?`

// Update changes an account's display name, role and unit. EINVALID names
// bad fields, ENOTFOUND an unknown account, ErrLastAdmin (ECONFLICT) a role
// change of the last active administrator.
func (s *Store) Update(ctx context.Context, id int64, ch UserChange, by string) error {
	if err := s.validate(ctx, &ch); err != nil {
		return err
	}
	now := db.UTC(s.Now())
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		u, err := userTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if u.Role == Admin && ch.Role != Admin {
			if err := s.keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, updateUserSQL, ch.DisplayName, ch.Role, nullID(ch.UnitID), now, id); err != nil {
			return fmt.Errorf("auth: update user %d: %w", id, err)
		}
		detail := map[string]any{}
		if u.DisplayName != ch.DisplayName {
			detail["display_name"] = ch.DisplayName
		}
		if u.Role != ch.Role {
			detail["role"] = map[string]any{"from": u.Role, "to": ch.Role}
		}
		if u.UnitID.Int64 != ch.UnitID {
			detail["unit"] = map[string]any{"from": u.UnitID.Int64, "to": ch.UnitID}
		}
		if len(detail) == 0 {
			return nil // nothing changed, nothing to record
		}
		return audit.Append(ctx, tx, now, by, "user.updated", "user", id, detail)
	}))
}

const setActiveSQL = `UPDATE users SET active = ?, updated_at = ? WHERE id = ? AND active = ?`

// SetActive disables an account (停用: it cannot log in, its sessions end)
// or enables it again. ENOTFOUND for an unknown account, ECONFLICT when it
// is already so, ErrLastAdmin when it is the last active administrator.
func (s *Store) SetActive(ctx context.Context, id int64, active bool, by string) error {
	now := db.UTC(s.Now())
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		u, err := userTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if !active && u.Role == Admin {
			if err := s.keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, setActiveSQL, active, now, id, !active)
		if err != nil {
			return fmt.Errorf("auth: set active %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			if active {
				return apperr.Errorf(apperr.ECONFLICT, "账号 %s 已在用", u.Username)
			}
			return apperr.Errorf(apperr.ECONFLICT, "账号 %s 已停用", u.Username)
		}
		action := "user.enabled"
		if !active {
			action = "user.disabled"
			if err := session.DeleteUserTx(ctx, tx, id); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, now, by, action, "user", id, map[string]any{"username": u.Username})
	}))
}

const unlockSQL = `UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?`

// Unlock lifts the lockout after repeated failed logins (解锁) and clears the
// count of failures. ENOTFOUND for an unknown account.
func (s *Store) Unlock(ctx context.Context, id int64, by string) error {
	now := db.UTC(s.Now())
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		u, err := userTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, unlockSQL, now, id); err != nil {
			return fmt.Errorf("auth: unlock %d: %w", id, err)
		}
		return audit.Append(ctx, tx, now, by, "user.unlocked", "user", id, map[string]any{"username": u.Username})
	}))
}

// Locked reports whether u is locked out now.
func (s *Store) Locked(u *User) bool {
	return u.LockedUntil.Valid && db.UTC(s.Now()).Before(u.LockedUntil.Time)
}

const resetPasswordSQL = `UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?`

// ResetPassword gives an account a new generated password, returned to be
// shown once, and ends its sessions. ENOTFOUND for an unknown account.
func (s *Store) ResetPassword(ctx context.Context, id int64, by string) (string, error) {
	pw := GeneratePassword()
	hash := HashPassword(pw)
	now := db.UTC(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		u, err := userTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, resetPasswordSQL, hash, now, id); err != nil {
			return fmt.Errorf("auth: reset password of %d: %w", id, err)
		}
		if err := session.DeleteUserTx(ctx, tx, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, by, "user.password_reset", "user", id, map[string]any{"username": u.Username})
	})
	if err != nil {
		return "", db.Classify(err)
	}
	return pw, nil
}
