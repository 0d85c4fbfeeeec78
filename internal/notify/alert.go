package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/auth"
)

var loginActions = map[string]string{
	"user.login_throttled": "登录受限",
	"user.locked":          "账号锁定",
}

// LoginAlertTx tells every active admin that a staff account was throttled
// or locked after failed logins (auth.Alert), in the caller's transaction.
// One alert per account and action per hour: somebody guessing all night
// fills no mailbox. Switched off with the rule admin.login.
func (o *Outbox) LoginAlertTx(ctx context.Context, x sqlx.ExtContext, a auth.LoginAlert) error {
	if !o.Settings.On(RuleAdminLogin) {
		return nil
	}
	at := a.At
	if at.IsZero() {
		at = o.now()
	}
	name := a.Username
	if a.UserID != 0 && name == "" {
		if err := sqlx.GetContext(ctx, x, &name, `SELECT username FROM users WHERE id = ?`, a.UserID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("notify: login alert: %w", err)
		}
	}
	what := loginActions[a.Action]
	if what == "" {
		what = a.Action
	}
	admins, err := usersWithRole(ctx, x, "admin")
	if err != nil {
		return fmt.Errorf("notify: login alert: %w", err)
	}
	local := at.In(o.loc())
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n账号：%s\n时间：%s\n", what, name, local.Format("2006年1月2日 15:04:05"))
	if a.UserID == 0 {
		b.WriteString("（该用户名不存在：有人在猜测账号）\n")
	}
	if a.Failures > 0 {
		fmt.Fprintf(&b, "连续失败：%d 次\n", a.Failures)
	}
	if !a.Until.IsZero() {
		fmt.Fprintf(&b, "限制至：%s\n", a.Until.In(o.loc()).Format("15:04"))
	}
	if a.Client != "" {
		fmt.Fprintf(&b, "来源地址：%s\n", a.Client)
	}
	b.WriteString("\n如非本人操作，请检查审计日志（ecoreport audit verify）并考虑修改该账号密码。" + footer)
	key := fmt.Sprintf("%s:%s:%s:%s", RuleAdminLogin, a.Action, clip(name, 64), local.Format("2006010215"))
	msgs := o.toStaff(key, RuleAdminLogin, admins, "【生态环境问题台账】"+what+"："+clip(name, 64), b.String(), 0, 0)
	_, err = EnqueueTx(ctx, x, at, msgs...)
	return err
}
