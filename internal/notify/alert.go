package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/auth"
)

var loginActions = map[string]string{
	auth.EventCaptchaRequired: "登录需要验证码（密码多次输错）",
	auth.EventClientThrottled: "登录受限（同一来源多次输错）",
	auth.EventReauthThrottled: "重新输入密码受限",
	auth.EventTOTPLocked:      "账号锁定（两步验证码多次输错）",
}

// SecurityEvent tells every active admin of a staff login that needs a
// person (auth.Alert): an account's name that keeps failing, a client
// that is throttled, a second factor locked. auth calls it after the
// event's audit entry committed; the alert is written in a transaction of
// its own and a failure is logged by the worker's caller, never the
// login's. One alert per account and kind per hour: somebody guessing all
// night fills no mailbox. Switched off with the rule admin.login.
func (o *Outbox) SecurityEvent(ctx context.Context, e auth.Event) {
	_ = o.DB.InTx(ctx, func(tx *sqlx.Tx) error { return o.securityEventTx(ctx, tx, e) })
}

func (o *Outbox) securityEventTx(ctx context.Context, x sqlx.ExtContext, a auth.Event) error {
	if !o.Settings.On(RuleAdminLogin) {
		return nil
	}
	at := a.At
	if at.IsZero() {
		at = o.now()
	}
	name := a.Username
	what := loginActions[a.Kind]
	if what == "" {
		what = a.Kind
	}
	admins, err := usersWithRole(ctx, x, "admin")
	if err != nil {
		return fmt.Errorf("notify: login alert: %w", err)
	}
	local := at.In(o.loc())
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", what)
	if name != "" {
		fmt.Fprintf(&b, "账号：%s\n", name)
	}
	fmt.Fprintf(&b, "时间：%s\n", local.Format("2006年1月2日 15:04:05"))
	if a.Failures > 0 {
		fmt.Fprintf(&b, "连续失败：%d 次\n", a.Failures)
	}
	if a.Client != "" {
		fmt.Fprintf(&b, "来源标记：%s（不含地址）\n", a.Client)
	}
	b.WriteString("\n如非本人操作，请查看审计日志并考虑修改该账号密码。" + footer)
	who := name
	if who == "" {
		who = "client-" + a.Client
	}
	key := fmt.Sprintf("%s:%s:%s:%s", RuleAdminLogin, a.Kind, clip(who, 64), local.Format("2006010215"))
	msgs := o.toStaff(key, RuleAdminLogin, admins, "【生态环境问题台账】"+what+clipSuffix(name), b.String(), 0, 0)
	_, err = EnqueueTx(ctx, x, at, msgs...)
	return err
}

func clipSuffix(name string) string {
	if name == "" {
		return ""
	}
	return "：" + clip(name, 64)
}
