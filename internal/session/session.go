// Package session keeps staff sessions of the back office (工作人员会话) in the
// shared database, so several instances can serve one office: the cookie
// holds a random token, the table only its SHA-256. It also guards every form
// against cross-site posting (CSRF) and every route by role.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/db"
)

// Defaults.
const (
	DefaultCookie   = "ecoreport_office"
	PreLoginCookie  = "ecoreport_office_pre"
	CSRFField       = "csrf"
	DefaultIdle     = 30 * time.Minute
	DefaultAbsolute = 12 * time.Hour
	DefaultTouch    = time.Minute
)

// Session is one logged-in staff member's session.
type Session struct {
	ID         string    `db:"id"` // SHA-256 (hex) of the cookie token
	UserID     int64     `db:"user_id"`
	CSRF       string    `db:"csrf"`
	CreatedAt  time.Time `db:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at"`
}

// Store keeps sessions. Change the fields before use.
type Store struct {
	DB         *db.DB
	Users      *auth.Store
	Now        func() time.Time
	Idle       time.Duration // a session unused this long ends
	Absolute   time.Duration // a session ends this long after login, used or not
	Touch      time.Duration // last_seen_at is written at most this often
	CookieName string
	Path       string // cookie path
	LoginPath  string // where RequireRoles sends people who are not logged in
}

// New returns a Store with the defaults: 30 minutes idle, 12 hours absolute.
func New(d *db.DB, users *auth.Store) *Store {
	return &Store{DB: d, Users: users, Now: time.Now, Idle: DefaultIdle, Absolute: DefaultAbsolute, Touch: DefaultTouch,
		CookieName: DefaultCookie, Path: "/office", LoginPath: "/office/login"}
}

func (s *Store) now() time.Time { return db.UTC(s.Now()) }

// RandomToken returns 32 random bytes in hex.
func RandomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// HashToken is the stored id of a cookie token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

const (
	insertSQL     = `INSERT INTO sessions (id, user_id, csrf, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`
	selectSQL     = `SELECT id, user_id, csrf, created_at, last_seen_at FROM sessions WHERE id = ?`
	touchSQL      = `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`
	deleteSQL     = `DELETE FROM sessions WHERE id = ?`
	deleteUserSQL = `DELETE FROM sessions WHERE user_id = ?`
	purgeSQL      = `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`
)

// Create starts a session for a user and returns the cookie token.
func (s *Store) Create(ctx context.Context, userID int64) (string, *Session, error) {
	token := RandomToken()
	now := s.now()
	ss := &Session{ID: HashToken(token), UserID: userID, CSRF: RandomToken(), CreatedAt: now, LastSeenAt: now}
	if _, err := s.DB.ExecContext(ctx, insertSQL, ss.ID, ss.UserID, ss.CSRF, ss.CreatedAt, ss.LastSeenAt); err != nil {
		return "", nil, db.Classify(fmt.Errorf("session: create: %w", err))
	}
	return token, ss, nil
}

// ErrNoSession is returned for a missing, unknown or expired session.
var ErrNoSession = &apperr.Error{Code: apperr.EUNAUTHORIZED, Message: "请先登录"}

// Lookup returns the live session of a cookie token. An expired session
// (idle or absolute) is deleted and reported as ErrNoSession. last_seen_at
// is written only when it is older than Touch, not on every request.
func (s *Store) Lookup(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	var ss Session
	if err := s.DB.GetContext(ctx, &ss, selectSQL, HashToken(token)); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNoSession
		}
		return nil, db.Classify(fmt.Errorf("session: lookup: %w", err))
	}
	now := s.now()
	if now.Sub(ss.LastSeenAt) > s.Idle || now.Sub(ss.CreatedAt) > s.Absolute {
		s.DB.ExecContext(ctx, deleteSQL, ss.ID)
		return nil, ErrNoSession
	}
	if now.Sub(ss.LastSeenAt) >= s.Touch {
		if _, err := s.DB.ExecContext(ctx, touchSQL, now, ss.ID, now.Add(-s.Touch)); err != nil {
			return nil, db.Classify(fmt.Errorf("session: touch: %w", err))
		}
		ss.LastSeenAt = now
	}
	return &ss, nil
}

// Delete ends one session by its cookie token.
func (s *Store) Delete(ctx context.Context, token string) error {
	_, err := s.DB.ExecContext(ctx, deleteSQL, HashToken(token))
	return db.Classify(err)
}

// DeleteUser ends every session of a user (password changed, account disabled).
func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	_, err := s.DB.ExecContext(ctx, deleteUserSQL, userID)
	return db.Classify(err)
}

// Purge deletes expired sessions and returns how many.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.DB.ExecContext(ctx, purgeSQL, now.Add(-s.Idle), now.Add(-s.Absolute))
	if err != nil {
		return 0, db.Classify(fmt.Errorf("session: purge: %w", err))
	}
	return res.RowsAffected()
}

// setCookie writes an HttpOnly, SameSite=Lax cookie, Secure over TLS.
func (s *Store) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: s.Path, MaxAge: maxAge, HttpOnly: true,
		Secure: c.Request.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// Login starts a session for u and sets its cookie. Every earlier session
// cookie of this browser is replaced (no fixation).
func (s *Store) Login(c *gin.Context, u *auth.User) (*Session, error) {
	if old, err := c.Cookie(s.CookieName); err == nil && old != "" {
		s.Delete(c.Request.Context(), old)
	}
	token, ss, err := s.Create(c.Request.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	s.setCookie(c, s.CookieName, token, int(s.Absolute/time.Second))
	s.setCookie(c, PreLoginCookie, "", -1)
	c.Set(ctxSession, ss)
	c.Set(ctxUser, u)
	return ss, nil
}

// Logout ends the request's session and clears its cookie.
func (s *Store) Logout(c *gin.Context) error {
	if token, err := c.Cookie(s.CookieName); err == nil && token != "" {
		if err := s.Delete(c.Request.Context(), token); err != nil {
			return err
		}
	}
	s.setCookie(c, s.CookieName, "", -1)
	return nil
}

const (
	ctxSession = "session.session"
	ctxUser    = "session.user"
	ctxPre     = "session.pre"
)

// User returns the logged-in user of the request, or nil.
func User(c *gin.Context) *auth.User {
	if v, ok := c.Get(ctxUser); ok {
		return v.(*auth.User)
	}
	return nil
}

// Current returns the request's session, or nil.
func Current(c *gin.Context) *Session {
	if v, ok := c.Get(ctxSession); ok {
		return v.(*Session)
	}
	return nil
}

// CSRFToken is the token the request's forms must carry: the session's, or
// before login the pre-login cookie's.
func CSRFToken(c *gin.Context) string {
	if ss := Current(c); ss != nil {
		return ss.CSRF
	}
	if v, ok := c.Get(ctxPre); ok {
		return v.(string)
	}
	return ""
}

// Middleware loads the session and its user (who must still be active) into
// the request, and checks the CSRF token of every POST: the hidden field csrf
// must equal the session's token, or, before login, the pre-login cookie's
// (double submit). A failed check is 403 and the handler never runs.
func (s *Store) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		if token, err := c.Cookie(s.CookieName); err == nil && token != "" {
			ss, err := s.Lookup(ctx, token)
			switch {
			case err == nil:
				u, uerr := s.Users.ByID(ctx, ss.UserID)
				if uerr == nil && u.Active {
					c.Set(ctxSession, ss)
					c.Set(ctxUser, u)
				} else if uerr == nil || apperr.Is(uerr, apperr.ENOTFOUND) {
					s.Delete(ctx, token)
				} else {
					Fail(c, http.StatusServiceUnavailable, "系统暂时无法处理，请稍后再试")
					return
				}
			case apperr.Is(err, apperr.EUNAUTHORIZED):
				s.setCookie(c, s.CookieName, "", -1)
			default:
				Fail(c, http.StatusServiceUnavailable, "系统暂时无法处理，请稍后再试")
				return
			}
		}
		if Current(c) == nil {
			pre, err := c.Cookie(PreLoginCookie)
			if err != nil || len(pre) != 64 {
				pre = RandomToken()
				s.setCookie(c, PreLoginCookie, pre, 3600)
			}
			c.Set(ctxPre, pre)
		}
		if c.Request.Method == http.MethodPost {
			want := CSRFToken(c)
			got := c.PostForm(CSRFField)
			if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				Fail(c, http.StatusForbidden, "表单已过期或来源不明（CSRF 校验失败），请返回刷新页面后重试。")
				return
			}
		}
		c.Next()
	}
}

// RequireRoles lets only users of the given roles through: a request without
// a session is sent to the login page, a user of another role gets 403.
func (s *Store) RequireRoles(roles ...auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := User(c)
		if u == nil {
			c.Redirect(http.StatusSeeOther, s.LoginPath)
			c.Abort()
			return
		}
		for _, r := range roles {
			if u.Role == r {
				c.Next()
				return
			}
		}
		Fail(c, http.StatusForbidden, "您的账号（"+u.Role.Label()+"）无权访问此页面或执行此操作。")
	}
}

// RequireLogin lets any logged-in user through.
func (s *Store) RequireLogin() gin.HandlerFunc { return s.RequireRoles(auth.Roles...) }

var failTitles = map[int]string{403: "无权访问", 401: "请先登录", 503: "系统暂时不可用"}

// Fail ends a request with a small Chinese page.
func Fail(c *gin.Context, status int, msg string) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.String(status, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>%d</title></head>`+
		`<body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>%s</h1><p>%s</p><p><a href="/office/">返回工作台</a></p></body></html>`,
		status, failTitles[status], html.EscapeString(msg))
	c.Abort()
}
