// Package auth holds staff accounts (工作人员账号), their roles and passwords
// (argon2id under a process-wide memory budget, password.go), the login
// and its throttles (login.go: a captcha per username, growing delays per
// client, never a lock anyone can cause) and the TOTP second factor with
// its login challenges (totp.go). Sessions are internal/session; the login
// pages are the back office's.
package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/secret"
)

// Role is what a staff user may do (security.md).
type Role string

// Roles.
const (
	Admin          Role = "admin"
	Operator       Role = "operator"
	Inspector      Role = "inspector"
	UnitUser       Role = "unit"
	RewardOfficer  Role = "reward_officer"
	RewardApprover Role = "reward_approver"
	Finance        Role = "finance"
	Leader         Role = "leader"
)

// Roles lists every role.
var Roles = []Role{Admin, Operator, Inspector, UnitUser, RewardOfficer, RewardApprover, Finance, Leader}

var roleLabels = map[Role]string{
	Admin: "系统管理员", Operator: "热线话务员", Inspector: "督查人员", UnitUser: "责任单位",
	RewardOfficer: "奖励经办人", RewardApprover: "奖励审批人", Finance: "财务", Leader: "县领导（只读）",
}

// Label is the role's Chinese name.
func (r Role) Label() string { return roleLabels[r] }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// User is a staff account.
type User struct {
	ID           int64          `db:"id"`
	Username     string         `db:"username"`
	DisplayName  string         `db:"display_name"`
	Role         Role           `db:"role"`
	UnitID       sql.NullInt64  `db:"unit_id"`
	PasswordHash string         `db:"password_hash"`
	Active       bool           `db:"active"`
	TOTPSecret   sql.NullString `db:"totp_secret"`
	FailedLogins int            `db:"failed_logins"`
	LockedUntil  sql.NullTime   `db:"locked_until"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
}

// Store keeps staff accounts.
type Store struct {
	DB  *db.DB
	Now func() time.Time
	// Keys key the login_failures rows (login.go), so that the table holds
	// no username or address. Without them the rows are plain SHA-256,
	// which is fine for tests and commands that log nobody in.
	Keys *secret.Keys
	// Alert hears of security events (login.go); nil: nobody is told.
	Alert Alert
}

// NewStore returns a Store on the real clock.
func NewStore(d *db.DB) *Store { return &Store{DB: d, Now: time.Now} }

// NewUser is what it takes to create an account.
type NewUser struct {
	Username    string
	DisplayName string
	Role        Role
	UnitID      int64  // required for role unit
	Password    string // generated when empty
}

var usernameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{2,64}$`)

// MinPassword is the shortest password accepted.
const MinPassword = 10

// Create adds an account and returns the password (the generated one when
// none was given; shown once). EINVALID names bad fields, ECONFLICT a taken
// username.
func (s *Store) Create(ctx context.Context, in NewUser, by string) (string, error) {
	f := map[string]string{}
	if !usernameRE.MatchString(in.Username) {
		f["name"] = "用户名应为2-64位字母、数字或 _ . -"
	}
	if !in.Role.Valid() {
		names := make([]string, len(Roles))
		for i, r := range Roles {
			names[i] = string(r)
		}
		f["role"] = "角色无效，可选：" + strings.Join(names, ", ")
	}
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if m := checkDisplayName(in.DisplayName); m != "" {
		f["display_name"] = m
	}
	if in.Role == UnitUser && in.UnitID == 0 {
		f["unit"] = "责任单位账号必须指定所属单位"
	}
	if in.Role != UnitUser && in.UnitID != 0 {
		f["unit"] = "只有责任单位账号才属于某个单位"
	}
	if in.Password == "" {
		in.Password = GeneratePassword()
	} else if len([]rune(in.Password)) < MinPassword {
		f["password"] = fmt.Sprintf("密码至少%d位", MinPassword)
	}
	if in.UnitID != 0 {
		var n int
		if err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM units WHERE id = ?`, in.UnitID); err != nil {
			return "", db.Classify(fmt.Errorf("auth: check unit: %w", err))
		}
		if n == 0 {
			f["unit"] = "所属单位不存在"
		}
	}
	if len(f) > 0 {
		return "", apperr.Invalid(f)
	}
	now := db.UTC(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (username, display_name, role, unit_id, password_hash, active, failed_logins, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`, in.Username, in.DisplayName, in.Role, nullID(in.UnitID), HashPassword(in.Password), true, now, now)
		if err != nil {
			if db.IsDuplicate(err) {
				return apperr.Errorf(apperr.ECONFLICT, "用户名 %s 已存在", in.Username)
			}
			return fmt.Errorf("auth: create user: %w", err)
		}
		id, _ := res.LastInsertId()
		return audit.Append(ctx, tx, now, by, "user.created", "user", id, map[string]any{"username": in.Username, "role": in.Role})
	})
	if err != nil {
		return "", db.Classify(err)
	}
	return in.Password, nil
}

// SetPassword replaces a user's password (generated when empty) and unlocks
// the account; returns the new password.
func (s *Store) SetPassword(ctx context.Context, username, password, by string) (string, error) {
	if password == "" {
		password = GeneratePassword()
	} else if len([]rune(password)) < MinPassword {
		return "", apperr.Invalid(map[string]string{"password": fmt.Sprintf("密码至少%d位", MinPassword)})
	}
	return password, s.update(ctx, username, by, "user.password_changed",
		`UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE username = ?`, HashPassword(password))
}

// Disable stops a user from logging in and ends their sessions (SetActive):
// ENOTFOUND for no such user, ErrLastAdmin for the last active
// administrator, ECONFLICT when already disabled.
func (s *Store) Disable(ctx context.Context, username, by string) error {
	u, err := s.ByUsername(ctx, username)
	if err != nil {
		return err
	}
	return s.SetActive(ctx, u.ID, false, by)
}

func (s *Store) update(ctx context.Context, username, by, action, q string, arg any) error {
	now := db.UTC(s.Now())
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, q, arg, now, username)
		if err != nil {
			return fmt.Errorf("auth: %s: %w", action, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ENOTFOUND, "用户 %s 不存在", username)
		}
		return audit.Append(ctx, tx, now, by, action, "user", username, nil)
	}))
}

const userColumns = `id, username, display_name, role, unit_id, password_hash, active, totp_secret, failed_logins, locked_until, created_at, updated_at`

// ByUsername returns one user. ENOTFOUND when there is none.
func (s *Store) ByUsername(ctx context.Context, username string) (*User, error) {
	var u User
	if err := s.DB.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE username = ?`, username); err != nil {
		return nil, db.Classify(db.NotFound(err, "用户 "+username+" 不存在"))
	}
	return &u, nil
}

// ByID returns one user. ENOTFOUND when there is none.
func (s *Store) ByID(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.DB.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = ?`, id); err != nil {
		return nil, db.Classify(db.NotFound(err, "用户不存在"))
	}
	return &u, nil
}

// Name returns how a user is named on pages: the display name, or the
// username when there is none. ENOTFOUND for no such user.
func (s *Store) Name(ctx context.Context, id int64) (string, error) {
	var r struct {
		Display  string `db:"display_name"`
		Username string `db:"username"`
	}
	if err := s.DB.GetContext(ctx, &r, `SELECT display_name, username FROM users WHERE id = ?`, id); err != nil {
		return "", db.Classify(db.NotFound(err, "用户不存在"))
	}
	if r.Display != "" {
		return r.Display, nil
	}
	return r.Username, nil
}

// Count returns how many accounts exist.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
		return 0, db.Classify(fmt.Errorf("auth: count users: %w", err))
	}
	return n, nil
}

// RecordLogin writes the audit entry of a login that started a session;
// secondFactor says the TOTP code was given too.
func (s *Store) RecordLogin(ctx context.Context, u *User, secondFactor bool) error {
	var detail any
	if secondFactor {
		detail = map[string]any{"totp": true}
	}
	if err := audit.Append(ctx, s.DB, db.UTC(s.Now()), u.Username, "user.login", "user", u.ID, detail); err != nil {
		return db.Classify(fmt.Errorf("auth: audit login of %d: %w", u.ID, err))
	}
	return nil
}

// GeneratePassword returns a random 16-character password without look-alike
// characters.
func GeneratePassword() string {
	const chars = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		b[i] = chars[n.Int64()]
	}
	return string(b)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

const activeOfRolesSQL = `SELECT ` + userColumns + ` FROM users WHERE active = ? AND role IN (?) ORDER BY display_name, username`

// ActiveWith lists the active accounts of the given roles, by name: the
// people a case can be given to.
func (s *Store) ActiveWith(ctx context.Context, roles ...Role) ([]User, error) {
	q, args, err := sqlx.In(activeOfRolesSQL, true, roles)
	if err != nil {
		return nil, err
	}
	var us []User
	if err := s.DB.SelectContext(ctx, &us, q, args...); err != nil {
		return nil, db.Classify(fmt.Errorf("auth: active users: %w", err))
	}
	return us, nil
}

// Label is how a user is named on pages: the display name, or the
// username when there is none.
func (u *User) Label() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}
