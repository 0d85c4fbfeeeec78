package auth

// Login throttling (登录限制). A hard lock after five wrong passwords let
// anyone lock any account, admin included, and its message told which
// usernames exist. Instead, failures are counted per key in login_failures
// (shared by every instance) and nothing locks an account:
//
//   - the typed username, whether or not such an account exists: after
//     CaptchaAfter failures in a row a login for that name needs a solved
//     captcha, which its owner can always give and a guessing program
//     cannot;
//   - the client: after ClientFree failures each further attempt must wait
//     twice as long as the one before (1 s, 2 s, 4 s … at most MaxDelay);
//   - a logged-in user re-entering the password (changing it, turning the
//     second factor off): the same growing delays, on a key only that
//     session can move.
//
// Each attempt is counted before its password is hashed, in one
// transaction that holds the rows' locks: of 20 wrong passwords sent at
// once, CaptchaAfter are checked and the rest are told to solve a captcha
// without costing a hash. A success clears the account's and the client's
// counts. Counts are forgotten after FailureWindow without a failure.
// Every failed login is audited, and so is each key that starts to be
// throttled; Alert, when set, hears of the latter at once.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
)

// Throttle policy.
const (
	CaptchaAfter  = 3                // failures of one username before a captcha is needed
	ClientFree    = 10               // failures of one client before it must wait
	ReauthFree    = 5                // wrong re-entered passwords before the session must wait
	MaxDelay      = 15 * time.Minute // the longest wait
	FailureWindow = 24 * time.Hour   // counts are forgotten after this without a failure
)

// LockoutFor is how long five wrong second-factor codes lock an account
// (totp.go). Only someone who knew the password can cause it.
const LockoutFor = 15 * time.Minute

// Errors of Login and Authenticate. ErrBadLogin is the one answer for an
// unknown name, a wrong password and a disabled account alike.
var (
	ErrBadLogin = &apperr.Error{Code: apperr.EUNAUTHORIZED, Message: "用户名或密码错误"}
	// ErrCaptchaRequired: this username failed CaptchaAfter times; the
	// password was not checked. Said for any name, so it tells nothing.
	ErrCaptchaRequired = &apperr.Error{Code: apperr.EUNAUTHORIZED, Message: "该用户名近期登录失败较多，请输入验证码后再登录",
		Fields: map[string]string{"captcha_solution": "请输入图中的验证码"}}
	// ErrLocked: the password was right but the account is locked after
	// wrong second-factor codes.
	ErrLocked = &apperr.Error{Code: apperr.EFORBIDDEN, Message: "验证码连续输错，账号已临时锁定，请稍后再试"}
)

// throttled is the answer for a key that must wait; its RetryAfter is the
// wait left (ERATELIMIT, 429).
func throttled(wait time.Duration) error {
	wait = max(wait.Round(time.Second), time.Second)
	return &apperr.Error{Code: apperr.ERATELIMIT, RetryAfter: wait,
		Message: fmt.Sprintf("登录失败次数过多，请%s后再试", waitText(wait))}
}

func waitText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d秒", int(d/time.Second))
	}
	return fmt.Sprintf("%d分钟", int((d+time.Minute-1)/time.Minute))
}

// delay is the wait after the n-th failure of a key that gets free
// failures for free: 1 s, then doubling, at most MaxDelay.
func delay(n, free int) time.Duration {
	k := n - free - 1
	if k < 0 {
		return 0
	}
	if k > 20 {
		return MaxDelay
	}
	return min(time.Second<<k, MaxDelay)
}

// Event kinds Alert hears and the audit actions they are written as.
const (
	EventCaptchaRequired = "user.login_captcha_required" // an account's name reached CaptchaAfter failures
	EventClientThrottled = "login.client_throttled"      // a client reached ClientFree failures
	EventReauthThrottled = "user.reauth_throttled"       // a session's password re-entry reached ReauthFree
	EventTOTPLocked      = "user.totp_locked"            // five wrong codes after a right password
	actionLoginFailed    = "user.login_failed"
)

// Event is a security event the administrators should hear about at once.
type Event struct {
	Kind     string // one of the Event* kinds
	At       time.Time
	Username string // the account concerned ("" for a client)
	UserID   int64  // 0 when the name has no account
	Failures int    // the count that started the throttle
	Client   string // a tag of the client (a keyed hash, never the address)
}

// Alert hears of security events as they happen, after their audit entry
// is committed: the notifications outbox implements it to tell the
// administrators. It must not block; an error is its own to log.
type Alert interface {
	SecurityEvent(ctx context.Context, e Event)
}

// Attempt is one try at the login form.
type Attempt struct {
	Username string
	Password string
	// Client is the client's address as the surface sees it (behind
	// trusted proxies); "" when there is none (a command).
	Client string
	// CaptchaOK says the form carried a solved captcha.
	CaptchaOK bool
}

// failureKey is one row of login_failures in a transaction.
type failureKey struct {
	id       string
	failures int
	waitTill time.Time
}

const (
	insertFailureKeySQL = `INSERT INTO login_failures (id, failures, last_at) VALUES (?, 0, ?)`
	selectFailureKeySQL = `SELECT failures, last_at, wait_until FROM login_failures WHERE id = ?`
	countFailureSQL     = `UPDATE login_failures SET failures = ?, last_at = ?, wait_until = ? WHERE id = ?`
	clearFailuresSQL    = `DELETE FROM login_failures WHERE id = ?`
	purgeFailuresSQL    = `DELETE FROM login_failures WHERE last_at < ?`
)

// keyID is the row id of a key: HMAC under the data key when the store
// has one, so the table holds no name or address.
func (s *Store) keyID(scope, value string) string {
	if s.Keys != nil {
		return s.Keys.MAC("login-failures", scope, value)
	}
	h := sha256.Sum256([]byte("ecoreport/login-failures\x00" + scope + "\x00" + value))
	return hex.EncodeToString(h[:])
}

func accountKey(username string) (string, string) {
	return "account", strings.ToLower(strings.TrimSpace(username))
}

// ensureKeys makes the rows of the given keys ("" skipped) that do not
// exist yet, each in a statement of its own before the transaction that
// locks them: on MariaDB an insert that finds the row already there takes
// a shared lock, and two transactions holding one each and both wanting
// the row for update would deadlock.
func (s *Store) ensureKeys(ctx context.Context, now time.Time, ids ...string) error {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, err := s.DB.ExecContext(ctx, insertFailureKeySQL, id, now); err != nil && !db.IsDuplicate(err) {
			return db.Classify(fmt.Errorf("auth: login failures row: %w", err))
		}
	}
	return nil
}

// lockKey reads a key's row under its lock in tx (ensureKeys made it; a
// purge in between makes it again); a count older than FailureWindow reads
// as zero.
func (s *Store) lockKey(ctx context.Context, tx *sqlx.Tx, id string, now time.Time) (*failureKey, error) {
	var row struct {
		Failures int        `db:"failures"`
		LastAt   time.Time  `db:"last_at"`
		Wait     *time.Time `db:"wait_until"`
	}
	err := tx.GetContext(ctx, &row, s.DB.ForUpdate(selectFailureKeySQL), id)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, insertFailureKeySQL, id, now); err != nil {
			return nil, err
		}
		err = tx.GetContext(ctx, &row, s.DB.ForUpdate(selectFailureKeySQL), id)
	}
	if err != nil {
		return nil, err
	}
	k := &failureKey{id: id, failures: row.Failures}
	if now.Sub(row.LastAt) > FailureWindow {
		k.failures = 0
	} else if row.Wait != nil {
		k.waitTill = *row.Wait
	}
	return k, nil
}

// count adds one failure to k in tx and starts its wait after free.
func (s *Store) count(ctx context.Context, tx *sqlx.Tx, k *failureKey, free int, now time.Time) error {
	k.failures++
	var wait any
	if d := delay(k.failures, free); d > 0 {
		k.waitTill = now.Add(d)
		wait = k.waitTill
	}
	_, err := tx.ExecContext(ctx, countFailureSQL, k.failures, now, wait, k.id)
	return err
}

// Login checks an attempt at the login form. Before the password is
// hashed, the attempt is counted against its client and its username
// (see the top of this file) and refused when the client must wait
// (ERATELIMIT, with RetryAfter) or the name needs a captcha the form did
// not carry (ErrCaptchaRequired). Then: ErrBadLogin for an unknown name, a
// wrong password or a disabled account; ErrLocked for a right password of
// an account locked by wrong second-factor codes; ErrBusy when too many
// passwords are being hashed at once. The returned user's password hash is
// renewed when it was made with older parameters.
func (s *Store) Login(ctx context.Context, a Attempt) (*User, error) {
	now := db.UTC(s.Now())
	u, err := s.ByUsername(ctx, a.Username)
	if err != nil && !apperr.Is(err, apperr.ENOTFOUND) {
		return nil, err
	}
	var clientID string
	if a.Client != "" {
		clientID = s.keyID("client", a.Client)
	}
	accountID := s.keyID(accountKey(a.Username))

	if err := s.ensureKeys(ctx, now, clientID, accountID); err != nil {
		return nil, err
	}
	var client, account *failureKey
	var refuse error
	err = s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		client, account, refuse = nil, nil, nil // InTx may run this again
		// Always the client's row first, then the account's: two attempts
		// lock in the same order and never deadlock.
		if clientID != "" {
			if client, err = s.lockKey(ctx, tx, clientID, now); err != nil {
				return err
			}
			if client.failures >= ClientFree && now.Before(client.waitTill) {
				refuse = throttled(client.waitTill.Sub(now))
				return nil
			}
		}
		if account, err = s.lockKey(ctx, tx, accountID, now); err != nil {
			return err
		}
		if account.failures >= CaptchaAfter && !a.CaptchaOK {
			refuse = ErrCaptchaRequired
			return nil
		}
		if client != nil {
			if err := s.count(ctx, tx, client, ClientFree, now); err != nil {
				return err
			}
		}
		return s.count(ctx, tx, account, 1<<30, now)
	})
	if err != nil {
		return nil, db.Classify(fmt.Errorf("auth: count login attempt: %w", err))
	}
	if refuse != nil {
		return nil, refuse
	}

	hash := dummyHash()
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := verify(ctx, hash, a.Password, true)
	if err != nil {
		return nil, err // ErrBusy or the request ended; the attempt stays counted
	}
	if !ok || u == nil || !u.Active {
		s.failed(ctx, a, u, client, account, now)
		return nil, ErrBadLogin
	}
	if u.LockedUntil.Valid && now.Before(u.LockedUntil.Time) {
		return nil, ErrLocked
	}
	if err := s.clear(ctx, clientID, accountID); err != nil {
		return nil, err
	}
	s.rehash(ctx, u, a.Password)
	return u, nil
}

// failed audits a failed login and, when this failure started a throttle,
// audits that and tells Alert. The name typed is kept only when it is an
// account's: a password typed into the name field stays out of the log.
func (s *Store) failed(ctx context.Context, a Attempt, u *User, client, account *failureKey, now time.Time) {
	actor, object := "anonymous", any("")
	detail := map[string]any{"failures": account.failures}
	ev := Event{At: now}
	if u != nil {
		actor, object, ev.Username, ev.UserID = u.Username, u.ID, u.Username, u.ID
		if !u.Active {
			detail["disabled"] = true
		}
	} else {
		detail["unknown_user"] = true
	}
	if client != nil {
		ev.Client = client.id[:12]
		detail["client"] = ev.Client
		detail["client_failures"] = client.failures
	}
	var events []Event
	if account.failures == CaptchaAfter {
		e := ev
		e.Kind, e.Failures = EventCaptchaRequired, account.failures
		events = append(events, e)
	}
	if client != nil && client.failures == ClientFree+1 {
		e := ev
		e.Kind, e.Failures, e.Username, e.UserID = EventClientThrottled, client.failures, "", 0
		events = append(events, e)
	}
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := audit.Append(ctx, tx, now, actor, actionLoginFailed, "user", object, detail); err != nil {
			return err
		}
		for _, e := range events {
			if err := audit.Append(ctx, tx, now, actor, e.Kind, "user", object, map[string]any{"failures": e.Failures, "client": e.Client}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return // the failure is counted; a lost audit line must not turn it into a 500
	}
	for _, e := range events {
		if e.Kind == EventCaptchaRequired && u == nil {
			continue // a name without an account: audited, nobody to warn
		}
		s.alert(ctx, e)
	}
}

func (s *Store) alert(ctx context.Context, e Event) {
	if s.Alert != nil {
		s.Alert.SecurityEvent(ctx, e)
	}
}

// clear forgets the failures of the given keys ("" skipped).
func (s *Store) clear(ctx context.Context, ids ...string) error {
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, id := range ids {
			if id == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, clearFailuresSQL, id); err != nil {
				return fmt.Errorf("auth: clear login failures: %w", err)
			}
		}
		return nil
	}))
}

const rehashSQL = `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`

// rehash replaces u's password hash by one with Params when it was made
// with others; the password was just proven. Conditional on the old hash,
// so a password changed meanwhile is not overwritten. Best effort: the
// login goes on whatever happens here.
func (s *Store) rehash(ctx context.Context, u *User, password string) {
	if !NeedsRehash(u.PasswordHash) {
		return
	}
	h, err := hashPassword(ctx, password, true)
	if err != nil {
		return
	}
	if _, err := s.DB.ExecContext(ctx, rehashSQL, h, u.ID, u.PasswordHash); err == nil {
		u.PasswordHash = h
	}
}

// Authenticate checks the password of a logged-in user who re-enters it
// (to change it, or to turn the second factor off). Wrong ones count on a
// key of that user alone, so nobody else can slow them down: after
// ReauthFree each further try waits longer (ERATELIMIT). ErrBadLogin for a
// wrong password or a disabled account, ErrBusy when too many hashes run.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*User, error) {
	now := db.UTC(s.Now())
	u, err := s.ByUsername(ctx, username)
	if apperr.Is(err, apperr.ENOTFOUND) {
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	_, id := s.throttleIDs(u)
	if err := s.ensureKeys(ctx, now, id); err != nil {
		return nil, err
	}
	var k *failureKey
	var refuse error
	err = s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		refuse = nil // InTx may run this again
		if k, err = s.lockKey(ctx, tx, id, now); err != nil {
			return err
		}
		if k.failures >= ReauthFree && now.Before(k.waitTill) {
			refuse = throttled(k.waitTill.Sub(now))
			return nil
		}
		return s.count(ctx, tx, k, ReauthFree, now)
	})
	if err != nil {
		return nil, db.Classify(fmt.Errorf("auth: count password check of %d: %w", u.ID, err))
	}
	if refuse != nil {
		return nil, refuse
	}
	ok, err := verify(ctx, u.PasswordHash, password, true)
	if err != nil {
		return nil, err
	}
	if !ok || !u.Active {
		if k.failures == ReauthFree+1 {
			if audit.Append(ctx, s.DB, now, u.Username, EventReauthThrottled, "user", u.ID, map[string]any{"failures": k.failures}) == nil {
				s.alert(ctx, Event{Kind: EventReauthThrottled, At: now, Username: u.Username, UserID: u.ID, Failures: k.failures})
			}
		}
		return nil, ErrBadLogin
	}
	if err := s.clear(ctx, id); err != nil {
		return nil, err
	}
	s.rehash(ctx, u, password)
	return u, nil
}

// PurgeLoginFailures deletes the counts nobody has added to for
// FailureWindow (they read as zero already) and returns how many went.
func (s *Store) PurgeLoginFailures(ctx context.Context) (int64, error) {
	res, err := s.DB.ExecContext(ctx, purgeFailuresSQL, db.UTC(s.Now()).Add(-FailureWindow))
	if err != nil {
		return 0, db.Classify(fmt.Errorf("auth: purge login failures: %w", err))
	}
	return res.RowsAffected()
}
