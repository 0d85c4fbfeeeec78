package auth

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// Alert is told of staff logins that need a person (登录告警): an account
// throttled or locked after repeated failures. The outbox implements it
// (notify.Outbox), telling every active admin by e-mail or on the admin
// page, at most once an hour per account and action. It writes in x, the
// transaction (or handle) that records the failure, so the alert commits
// with it.
type Alert interface {
	LoginAlertTx(ctx context.Context, x sqlx.ExtContext, a LoginAlert) error
}

// LoginAlert is one alert. Action is the audit action of the event
// (user.login_throttled, user.locked); UserID is 0 for a name that is no
// account (a guess), and then Username is what was typed.
type LoginAlert struct {
	Action   string
	UserID   int64
	Username string
	Failures int       // failures counted so far, when known
	Until    time.Time // the throttle or lock ends then; zero when unknown
	Client   string    // the client's address as the login edge sees it, or ""
	At       time.Time
}

// alert tells s.Alert, when there is one. The login throttle calls it in
// the transaction that throttles or locks:
//
//	if err := s.alert(ctx, tx, LoginAlert{Action: "user.login_throttled", UserID: id, Failures: n, Until: until, At: now}); err != nil {
//		return err
//	}
func (s *Store) alert(ctx context.Context, x sqlx.ExtContext, a LoginAlert) error {
	if s.Alert == nil {
		return nil
	}
	return s.Alert.LoginAlertTx(ctx, x, a)
}
