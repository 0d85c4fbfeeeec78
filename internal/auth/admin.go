package auth

// What an administrator does to accounts (账号管理): list them, change a
// name, role or unit, disable and enable, unlock (forget the failed logins), reset
// a password. Every change is audited in its own transaction, and none may
// leave the service without an active administrator.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
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

// LoginState is what holds an account back at login now (登录限制), as the
// administrators' pages show it. Nothing locks an account on wrong
// passwords (login.go): its username needs a captcha after CaptchaAfter
// failures, a wrong password re-entered in a session makes the next try
// wait, and only wrong second-factor codes lock it, for LockoutFor. A
// client's own waits are the client's, not the account's, and are not here.
type LoginState struct {
	Failures   int       // wrong passwords typed for its username in a row, within FailureWindow
	Captcha    bool      // Failures reached CaptchaAfter: its next login asks for a captcha
	ReauthWait time.Time // a re-entered password must wait until then (zero: it need not)
	TOTPLocked time.Time // wrong second-factor codes locked the account until then (zero: not locked)
}

// Held reports whether anything holds the account back, so that 解锁 has
// something to lift.
func (l LoginState) Held() bool {
	return l.Failures > 0 || !l.ReauthWait.IsZero() || !l.TOTPLocked.IsZero()
}

// throttleIDs are the rows of login_failures that belong to account u: its
// username's and its password re-entry's.
func (s *Store) throttleIDs(u *User) (account, reauth string) {
	return s.keyID(accountKey(u.Username)), s.keyID("reauth", strconv.FormatInt(u.ID, 10))
}

const throttleRowsSQL = `SELECT id, failures, last_at, wait_until FROM login_failures WHERE id IN (?)`

// LoginStates returns the LoginState of each of us by id (accounts that
// nothing holds back are left out), in one query.
func (s *Store) LoginStates(ctx context.Context, us []User) (map[int64]LoginState, error) {
	now := db.UTC(s.Now())
	out := map[int64]LoginState{}
	type rowOf struct {
		id     int64
		reauth bool // the password re-entry's row, else the username's
	}
	owner := map[string]rowOf{}
	var ids []string
	for i := range us {
		u := &us[i]
		if u.LockedUntil.Valid && now.Before(u.LockedUntil.Time) {
			out[u.ID] = LoginState{TOTPLocked: u.LockedUntil.Time}
		}
		a, r := s.throttleIDs(u)
		owner[a], owner[r] = rowOf{u.ID, false}, rowOf{u.ID, true}
		ids = append(ids, a, r)
	}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(throttleRowsSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("auth: login states: %w", err)
	}
	var rows []struct {
		ID       string     `db:"id"`
		Failures int        `db:"failures"`
		LastAt   time.Time  `db:"last_at"`
		Wait     *time.Time `db:"wait_until"`
	}
	if err := s.DB.SelectContext(ctx, &rows, s.DB.Rebind(q), args...); err != nil {
		return nil, db.Classify(fmt.Errorf("auth: login states: %w", err))
	}
	for _, r := range rows {
		if r.Failures == 0 || now.Sub(r.LastAt) > FailureWindow {
			continue // forgotten, as lockKey reads it
		}
		o := owner[r.ID]
		st := out[o.id]
		if o.reauth {
			if r.Wait != nil && now.Before(*r.Wait) {
				st.ReauthWait = *r.Wait
			}
		} else {
			st.Failures, st.Captcha = r.Failures, r.Failures >= CaptchaAfter
		}
		if st.Held() {
			out[o.id] = st
		}
	}
	return out, nil
}

// LoginStateOf is LoginStates for one account.
func (s *Store) LoginStateOf(ctx context.Context, u *User) (LoginState, error) {
	m, err := s.LoginStates(ctx, []User{*u})
	return m[u.ID], err
}

// Unlock (解锁) lets an account log in as if it had never failed: it
// forgets the failures of its username (no captcha asked any more) and of
// its password re-entry, and lifts a lock after wrong second-factor codes,
// in one transaction with its audit entry. A client that must wait keeps
// waiting: that is the client's, whichever account it tried. ENOTFOUND for
// an unknown account.
func (s *Store) Unlock(ctx context.Context, id int64, by string) error {
	now := db.UTC(s.Now())
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		u, err := userTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.clearThrottleTx(ctx, tx, u); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, unlockSQL, now, id); err != nil {
			return fmt.Errorf("auth: unlock %d: %w", id, err)
		}
		return audit.Append(ctx, tx, now, by, "user.unlocked", "user", id, map[string]any{"username": u.Username})
	}))
}

// clearThrottleTx deletes u's rows of login_failures in tx.
func (s *Store) clearThrottleTx(ctx context.Context, tx *sqlx.Tx, u *User) error {
	a, r := s.throttleIDs(u)
	for _, k := range []string{a, r} {
		if _, err := tx.ExecContext(ctx, clearFailuresSQL, k); err != nil {
			return fmt.Errorf("auth: clear login failures of %d: %w", u.ID, err)
		}
	}
	return nil
}

const resetPasswordSQL = `UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?`

// ResetPassword gives an account a new generated password, returned to be
// shown once, ends its sessions and forgets its failed logins, as Unlock. ENOTFOUND for an unknown account.
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
		if err := s.clearThrottleTx(ctx, tx, u); err != nil {
			return err
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
