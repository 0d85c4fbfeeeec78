package auth

// TOTP second factor (两步验证, RFC 6238 via pquerna/otp). A user enrols by
// scanning a QR code and confirming one code; from then on the password
// alone opens no session: it starts a login challenge (login_challenges:
// the cookie holds a random token, the table its SHA-256, five minutes) that
// only the six-digit code completes. Five wrong codes lock the account for
// LockoutFor: only someone who knew the password gets that far, so this
// lock, unlike one on passwords, is not a way for anyone to keep an
// account out. A code is accepted once (users.totp_last_step). The
// secret is stored sealed with the application key (AES-256-GCM), bound to
// its user so that a sealed value cannot be moved to another account.

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/secret"
	"ecoreport/internal/session"
)

// TOTP parameters: the defaults every authenticator app knows.
const (
	TOTPIssuer      = "生态环境督查工作台"
	ChallengeTTL    = 5 * time.Minute // a login challenge lives this long
	MaxCodeAttempts = 5               // wrong codes before the account locks
	totpPeriod      = 30
	totpSkew        = 1 // one step either side, for clocks that drift
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTP works the second factor of the accounts in Users. Keys seal the
// secrets.
type TOTP struct {
	Users *Store
	Keys  *secret.Keys
}

func (t *TOTP) now() time.Time { return db.UTC(t.Users.Now()) }

// Errors of a login challenge. ChallengeEnded tells the ones after which
// the person must start again with the password.
var (
	// ErrNoChallenge: no challenge for the token, or it is over five minutes old.
	ErrNoChallenge = &apperr.Error{Code: apperr.EUNAUTHORIZED, Message: "验证已超时，请重新输入用户名和密码"}
	// ErrLoginAgain: the account was disabled or its second factor turned off meanwhile.
	ErrLoginAgain = &apperr.Error{Code: apperr.EUNAUTHORIZED, Message: "请重新登录"}
	// ErrCodeLocked: this wrong code was the fifth; the account is locked.
	ErrCodeLocked = &apperr.Error{Code: apperr.EFORBIDDEN, Message: fmt.Sprintf("验证码连续输错%d次，账号已锁定%d分钟", MaxCodeAttempts, int(LockoutFor/time.Minute))}
	// ErrBadCode: a wrong code, or one already used; the challenge stays.
	ErrBadCode = &apperr.Error{Code: apperr.EUNAUTHORIZED, Message: "验证码不正确或已使用过，请输入App中最新的6位数字"}
	// ErrLockedDuringCode: the account is locked (by a password or codes).
	ErrLockedDuringCode = &apperr.Error{Code: apperr.EFORBIDDEN, Message: "验证失败次数过多，账号已锁定，请稍后重新登录"}
)

// ChallengeEnded reports whether err ends the login challenge: the person
// goes back to the password form.
func ChallengeEnded(err error) bool {
	return errors.Is(err, ErrNoChallenge) || errors.Is(err, ErrLoginAgain) || errors.Is(err, ErrCodeLocked)
}

// step checks code against secret at now and returns the time step it
// belongs to, or -1. Every candidate is compared in constant time.
func step(secret, code string, now time.Time) int64 {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return -1
	}
	found := int64(-1)
	base := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		s := base + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found = s
		}
	}
	return found
}

func (t *TOTP) seal(userID int64, secret string) string {
	return t.Keys.Seal([]byte(strconv.FormatInt(userID, 10) + ":" + secret))
}

// open returns the secret sealed for userID; an error for anything else
// (tampered, expired key, another user's).
func (t *TOTP) open(userID int64, sealed string) (string, error) {
	b, err := t.Keys.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("auth: totp secret of user %d: %w", userID, err)
	}
	id, secret, ok := strings.Cut(string(b), ":")
	if !ok || id != strconv.FormatInt(userID, 10) {
		return "", fmt.Errorf("auth: totp secret of user %d: not this user's", userID)
	}
	return secret, nil
}

// Enrolment is a fresh secret offered to a user who has none yet.
type Enrolment struct {
	URL    string // otpauth:// URL, for the QR code
	Secret string // base32, for typing into an app by hand
	Sealed string // the secret sealed to the user; the form carries it to Enable
}

// NewEnrolment makes a secret for u. Nothing is stored until Enable.
func (t *TOTP) NewEnrolment(u *User) (*Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Username, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("auth: totp secret: %w", err)
	}
	return &Enrolment{URL: key.URL(), Secret: key.Secret(), Sealed: t.seal(u.ID, key.Secret())}, nil
}

const (
	enableTOTPSQL  = `UPDATE users SET totp_secret = ?, totp_last_step = ?, updated_at = ? WHERE id = ? AND totp_secret IS NULL`
	disableTOTPSQL = `UPDATE users SET totp_secret = NULL, totp_last_step = NULL, updated_at = ? WHERE id = ?`
)

// Enable turns the second factor on for u once code, from the app, matches
// the sealed secret of an Enrolment (its step counts as used). EINVALID
// (field code) for a wrong code or a sealed secret that is not u's,
// ECONFLICT when the second factor is already on.
func (t *TOTP) Enable(ctx context.Context, u *User, sealed, code string) error {
	secret, err := t.open(u.ID, sealed)
	if err != nil {
		return apperr.Invalid(map[string]string{"code": "页面已过期，请重新扫码"})
	}
	now := t.now()
	st := step(secret, code, now)
	if st < 0 {
		return apperr.Invalid(map[string]string{"code": "验证码不正确，请重新扫码后输入App显示的6位数字"})
	}
	return db.Classify(t.Users.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, enableTOTPSQL, t.seal(u.ID, secret), st, now, u.ID)
		if err != nil {
			return fmt.Errorf("auth: enable totp of %d: %w", u.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "两步验证已经启用")
		}
		return audit.Append(ctx, tx, now, u.Username, "user.totp_enabled", "user", u.ID, nil)
	}))
}

// Disable turns the second factor off after checking u's password (wrong
// ones make the next try wait, see Store.Authenticate). EINVALID (field
// password) for an empty or wrong password, ERATELIMIT (field password too)
// while the next try must wait.
func (t *TOTP) Disable(ctx context.Context, u *User, password string) error {
	if password == "" {
		return apperr.Invalid(map[string]string{"password": "请输入当前密码"})
	}
	if _, err := t.Users.Authenticate(ctx, u.Username, password); err != nil {
		switch apperr.Code(err) {
		case apperr.EUNAUTHORIZED: // a wrong password is a wrong field here: the user is logged in
			return apperr.Invalid(map[string]string{"password": "密码错误"})
		case apperr.EFORBIDDEN, apperr.ERATELIMIT:
			var ae *apperr.Error
			errors.As(err, &ae)
			return &apperr.Error{Code: ae.Code, Message: ae.Message, RetryAfter: ae.RetryAfter, Fields: map[string]string{"password": ae.Message}}
		}
		return err
	}
	now := t.now()
	return db.Classify(t.Users.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, disableTOTPSQL, now, u.ID); err != nil {
			return fmt.Errorf("auth: disable totp of %d: %w", u.ID, err)
		}
		if _, err := tx.ExecContext(ctx, deleteRecoverySQL, u.ID); err != nil { // the codes go with the factor
			return fmt.Errorf("auth: disable totp of %d: %w", u.ID, err)
		}
		return audit.Append(ctx, tx, now, u.Username, "user.totp_disabled", "user", u.ID, nil)
	}))
}

// Challenge is a half-done login: the password was right, the code is due.
type Challenge struct {
	ID        string    `db:"id"` // SHA-256 (hex) of the cookie token
	UserID    int64     `db:"user_id"`
	Attempts  int       `db:"attempts"`
	CreatedAt time.Time `db:"created_at"`
}

const (
	purgeChallengesSQL     = `DELETE FROM login_challenges WHERE created_at < ?`
	insertChallengeSQL     = `INSERT INTO login_challenges (id, user_id, attempts, created_at) VALUES (?, ?, 0, ?)`
	selectChallengeSQL     = `SELECT id, user_id, attempts, created_at FROM login_challenges WHERE id = ?`
	deleteChallengeSQL     = `DELETE FROM login_challenges WHERE id = ?`
	deleteUserChallengeSQL = `DELETE FROM login_challenges WHERE user_id = ?`
	countAttemptSQL        = `UPDATE login_challenges SET attempts = attempts + 1 WHERE id = ? AND attempts < ?`
	attemptsSQL            = `SELECT attempts FROM login_challenges WHERE id = ?`
	useStepSQL             = `UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)`
	lockUserSQL            = `UPDATE users SET locked_until = ?, failed_logins = 0 WHERE id = ?`
)

// BeginLogin starts the challenge of u, whose password was right, and
// returns its token for the cookie (ChallengeTTL). It is one insert: the
// expired challenges go in PurgeChallenges, not here, because a purge in
// the same transaction locked the table's range on MariaDB and parallel
// logins deadlocked on each other's inserts.
func (t *TOTP) BeginLogin(ctx context.Context, u *User) (string, error) {
	token := session.RandomToken()
	if _, err := t.Users.DB.ExecContext(ctx, insertChallengeSQL, session.HashToken(token), u.ID, t.now()); err != nil {
		return "", db.Classify(fmt.Errorf("auth: login challenge of %d: %w", u.ID, err))
	}
	return token, nil
}

// PurgeChallenges deletes the challenges older than ChallengeTTL (which
// Challenge refuses already) and returns how many went; serve runs it with
// its other purges.
func (t *TOTP) PurgeChallenges(ctx context.Context) (int64, error) {
	res, err := t.Users.DB.ExecContext(ctx, purgeChallengesSQL, t.now().Add(-ChallengeTTL))
	if err != nil {
		return 0, db.Classify(fmt.Errorf("auth: purge login challenges: %w", err))
	}
	return res.RowsAffected()
}

// Challenge returns the live challenge of a cookie token. ErrNoChallenge for
// none or an expired one (which is deleted).
func (t *TOTP) Challenge(ctx context.Context, token string) (*Challenge, error) {
	if len(token) != 64 {
		return nil, ErrNoChallenge
	}
	var ch Challenge
	err := t.Users.DB.GetContext(ctx, &ch, selectChallengeSQL, session.HashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoChallenge
	}
	if err != nil {
		return nil, db.Classify(fmt.Errorf("auth: login challenge: %w", err))
	}
	if t.now().Sub(ch.CreatedAt) > ChallengeTTL {
		t.Users.DB.ExecContext(ctx, deleteChallengeSQL, ch.ID)
		return nil, ErrNoChallenge
	}
	return &ch, nil
}

// errReplay rolls back a right code whose step was already used.
var errReplay = errors.New("totp step already used")

// CompleteLogin checks the code of the challenge of token and returns its
// user, whose session may now start; the challenge is used up. A code of an
// already used step counts as wrong. Returns ErrNoChallenge, ErrLoginAgain
// (account disabled or TOTP turned off meanwhile), ErrLockedDuringCode
// (locked), ErrBadCode (wrong; the challenge stays), or ErrCodeLocked when
// this was the MaxCodeAttempts-th wrong code: the account is then locked for
// LockoutFor and every challenge of the user ends. Parallel attempts on one
// challenge count one by one and open at most one session.
func (t *TOTP) CompleteLogin(ctx context.Context, token, code string) (*User, error) {
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
	secret, err := t.open(u.ID, u.TOTPSecret.String)
	if err != nil {
		return nil, err
	}
	if st := step(secret, code, now); st >= 0 {
		// Using the challenge up and consuming the step are one
		// transaction of two conditional statements: a parallel attempt
		// finds the challenge gone, a replayed step changes nothing.
		err := t.Users.DB.InTx(ctx, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, deleteChallengeSQL, ch.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return ErrNoChallenge
			}
			if res, err = tx.ExecContext(ctx, useStepSQL, st, u.ID, st); err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errReplay
			}
			return nil
		})
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, errReplay) {
			return nil, db.Classify(fmt.Errorf("auth: totp login of %d: %w", u.ID, err))
		}
	}
	return nil, t.wrongCode(ctx, ch, u, now)
}

// wrongCode counts a wrong code against the challenge and locks the account
// at the MaxCodeAttempts-th. The count is one conditional statement, so
// parallel wrong codes cannot slip past the limit.
func (t *TOTP) wrongCode(ctx context.Context, ch *Challenge, u *User, now time.Time) error {
	locked := false
	err := t.Users.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		locked = false // InTx may run this again
		res, err := tx.ExecContext(ctx, countAttemptSQL, ch.ID, MaxCodeAttempts)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNoChallenge // ended by a parallel attempt
		}
		var attempts int
		if err := tx.GetContext(ctx, &attempts, attemptsSQL, ch.ID); err != nil {
			return err
		}
		if attempts < MaxCodeAttempts {
			return nil
		}
		locked = true
		if _, err := tx.ExecContext(ctx, lockUserSQL, now.Add(LockoutFor), u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, deleteUserChallengeSQL, u.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, u.Username, EventTOTPLocked, "user", u.ID, nil)
	})
	switch {
	case err != nil:
		return db.Classify(fmt.Errorf("auth: totp attempt of %d: %w", u.ID, err))
	case locked:
		t.Users.alert(ctx, Event{Kind: EventTOTPLocked, At: now, Username: u.Username, UserID: u.ID, Failures: MaxCodeAttempts})
		return ErrCodeLocked
	}
	return ErrBadCode
}
