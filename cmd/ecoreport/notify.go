package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ecoreport/hotline"
	"ecoreport/internal/config"
	"ecoreport/internal/db"
	"ecoreport/internal/notify"
	"ecoreport/internal/notify/mail"
	"ecoreport/internal/notify/sms"
	"ecoreport/internal/secret"
	"ecoreport/internal/web"
)

// newOutbox builds the outbox from the configuration: its settings, the
// rules switched off. Errors are one line naming the flag.
func newOutbox(cfg *config.Config, d *db.DB, keys *secret.Keys) (*notify.Outbox, error) {
	n := cfg.Notify
	s := notify.DefaultSettings
	s.PublicURL, s.DailyCap, s.MaxAttempts, s.RetryBase, s.Timeout, s.OverdueDays =
		cfg.PublicURL, n.SMSDailyCap, n.MaxAttempts, n.Retry, n.Timeout, n.OverdueDays
	s.Mail, s.Webhook = n.Mail == "smtp", n.WebhookURL != ""
	var err error
	if s.QuietFrom, s.QuietTo, err = notify.ParseQuietHours(n.QuietHours); err != nil {
		return nil, err
	}
	s.Off = map[string]bool{}
	for _, r := range strings.Split(n.Off, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !notify.KnownRule(r) {
			return nil, fmt.Errorf("配置错误 --notify-off：没有名为 %q 的通知规则（规则见 docs/notifications.md）", r)
		}
		s.Off[r] = true
	}
	return &notify.Outbox{DB: d, Keys: keys, Settings: s, Location: cfg.Location, Now: time.Now}, nil
}

// senders builds the channels; a provider's missing template id or a bad
// SMTP address stops serve here, before it listens.
func senders(cfg *config.Config, cb *hotline.Callbacks, logf func(string, ...any)) (map[string]notify.Sender, error) {
	n := cfg.Notify
	client := &http.Client{Timeout: n.Timeout}
	logged := notify.LogSender{Log: logf}
	out := map[string]notify.Sender{notify.ChannelLog: logged, notify.ChannelSMS: logged, notify.ChannelEmail: logged, notify.ChannelHotline: cb}
	if n.SMS != "log" {
		s, err := sms.New(sms.Config{Provider: n.SMS, Endpoint: n.SMSEndpoint, KeyID: n.SMSKeyID, KeySecret: n.SMSKeySecret,
			SignName: n.SMSSignName, Template: n.SMSTemplate, AppID: n.SMSAppID, Region: n.SMSRegion}, client)
		if err != nil {
			return nil, err
		}
		out[notify.ChannelSMS] = s
	}
	if n.Mail == "smtp" {
		m, err := mail.New(mail.Config{Addr: n.SMTPAddr, TLS: n.SMTPTLS, User: n.SMTPUser, Password: n.SMTPPassword, From: n.SMTPFrom, Timeout: n.Timeout})
		if err != nil {
			return nil, err
		}
		out[notify.ChannelEmail] = m
	}
	if n.WebhookURL != "" {
		if m := hotline.CheckCallbackURL(n.WebhookURL); m != "" {
			return nil, fmt.Errorf("配置错误 --webhook-url：%s", m)
		}
		out[notify.ChannelWebhook] = &notify.Webhook{URL: n.WebhookURL, Secret: []byte(n.WebhookSecret), Client: client}
	}
	cb.Client = client
	return out, nil
}

// wireNotify hangs the outbox on the ledger (every event's messages commit
// with it), on the login throttle (admins' alerts) and on the metrics, and
// prepares the worker and the scheduler that background runs.
func (m *Main) wireNotify() error {
	o, err := newOutbox(&m.Config, m.DB, m.Keys)
	if err != nil {
		return err
	}
	cb := &hotline.Callbacks{DB: m.DB, Keys: m.Keys, Feedback: (&tool{DB: m.DB, Ledger: m.Ledger}).feedback(), Off: !o.Settings.On(notify.RuleHotlineCallback)}
	ss, err := senders(&m.Config, cb, func(msg string, args ...any) { m.Log.Info(msg, args...) })
	if err != nil {
		return err
	}
	m.Ledger.OnEvent = append(m.Ledger.OnEvent, o.Hook, cb.Hook)
	m.Users.Alert = o
	m.Registry = web.NewRegistry()
	m.Outbox = o
	m.worker = &notify.Worker{Outbox: o, Senders: ss, Log: m.Log, Metrics: notify.NewMetrics(m.Registry, o)}
	m.scheduler = &notify.Scheduler{Outbox: o, Log: m.Log}
	if m.Config.Notify.SMS == "log" && m.Config.Notify.Mail == "log" {
		m.Log.Info("通知走 log 通道：消息只记入发件箱和管理页面，不外发 (notifications: log channel only)")
	}
	return nil
}

// runNotifyJobs runs the outbox's worker (every second) and scheduler
// (every minute) until ctx ends.
func (m *Main) runNotifyJobs(ctx context.Context) {
	go m.scheduler.Run(ctx, time.Minute)
	m.worker.Run(ctx, time.Second)
}

func runOutbox(ctx context.Context, args []string, out, errOut io.Writer) int {
	usage := `用法：
  ecoreport outbox list [--view queue|failed|sent|all] [--limit 50]   列出发件箱中的消息
  ecoreport outbox show 编号                                          一条消息及其每次发送记录
  ecoreport outbox retry 编号… | --failed                              立即重发（--failed：全部已停止重试的）
  ecoreport outbox purge [--days 90] [--dead]                         删除早于若干天的已发送、无需发送、已合并（及 --dead 已失败）的消息
  ecoreport outbox address --user 用户名 --email 邮箱                  设置工作人员的通知邮箱（--email "" 删除）`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(errOut, usage)
		if len(args) > 0 {
			return 0
		}
		return 2
	}
	sub := args[0]
	switch sub {
	case "list", "show", "retry", "purge", "address":
	default:
		fmt.Fprintln(errOut, usage)
		return 2
	}
	help := func(w io.Writer) { outboxCommand(ctx, nil, sub, []string{"-h"}, io.Discard, w) }
	return withTool(ctx, "outbox "+sub, args[1:], errOut, help, func(t *tool, cfg *config.Config, rest []string) int {
		o := &notify.Outbox{DB: t.DB, Keys: t.Keys, Settings: notify.DefaultSettings, Location: cfg.Location, Now: time.Now}
		return outboxCommand(ctx, o, sub, rest, out, errOut)
	})
}

func outboxCommand(ctx context.Context, o *notify.Outbox, sub string, args []string, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("outbox "+sub, flag.ContinueOnError)
	fs.SetOutput(errOut)
	view := fs.String("view", notify.ViewFailed, "queue（待发送）| failed（失败）| sent（已发送）| all")
	limit := fs.Int("limit", 50, "最多列出几条")
	failed := fs.Bool("failed", false, "retry：重发全部已停止重试的消息")
	days := fs.Int("days", 90, "purge：删除早于这么多天的消息")
	dead := fs.Bool("dead", false, "purge：已失败（停止重试）的也删除")
	user := fs.String("user", "", "address：用户名")
	email := fs.String("email", "", "address：通知邮箱；空为删除")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	by := "cli:" + currentUser()
	fail := func(err error) int {
		if f := apperrFields(err); len(f) > 0 {
			for k, v := range f {
				fmt.Fprintf(errOut, "参数错误 --%s：%s\n", k, v)
			}
			return 2
		}
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	loc := o.Location
	switch sub {
	case "list":
		items, err := o.List(ctx, *view, *limit)
		if err != nil {
			return fail(err)
		}
		st, err := o.Stats(ctx)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(out, "待发送 %d，失败待重试 %d，已停止重试 %d，已发送 %d，无需发送 %d，已合并 %d\n\n", st.Queued, st.Failed, st.Dead, st.Sent, st.Skipped, st.Merged)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "编号\t建立时间\t规则\t通道\t收件人\t状态\t尝试\t下次\t最近错误")
		for _, it := range items {
			next := ""
			if it.Status == notify.Pending {
				next = it.NextAt.In(loc).Format("01-02 15:04")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", it.ID, it.CreatedAt.In(loc).Format("01-02 15:04"), it.RuleLabel,
				it.ChannelLabel, it.RecipientLabel, it.StatusLabel, it.Attempts, next, it.LastError)
		}
		tw.Flush()
		return 0
	case "show":
		if fs.NArg() != 1 {
			fmt.Fprintln(errOut, "用法：ecoreport outbox show 编号")
			return 2
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			fmt.Fprintln(errOut, "参数错误：编号应为数字")
			return 2
		}
		it, err := o.Get(ctx, id)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(out, "消息 %d：%s，%s → %s，%s\n主题：%s\n\n%s\n\n发送记录：\n", it.ID, it.RuleLabel, it.ChannelLabel, it.RecipientLabel,
			it.StatusLabel, it.Subject, it.Body)
		for _, a := range it.History {
			fmt.Fprintf(out, "  第 %d 次 %s %s %s %s\n", a.Attempt, a.StartedAt.In(loc).Format("2006-01-02 15:04:05"), a.OutcomeLabel(), a.ProviderRef, a.Detail)
		}
		return 0
	case "retry":
		if *failed {
			n, err := o.RetryFailed(ctx, by)
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(out, "已将 %d 条已停止重试的消息重新排入发送。\n", n)
			return 0
		}
		if fs.NArg() == 0 {
			fmt.Fprintln(errOut, "用法：ecoreport outbox retry 编号… | --failed")
			return 2
		}
		code := 0
		for _, a := range fs.Args() {
			id, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				fmt.Fprintf(errOut, "参数错误：%q 不是编号\n", a)
				return 2
			}
			if err := o.Retry(ctx, id, by); err != nil {
				fmt.Fprintln(errOut, oneLine(err))
				code = 1
				continue
			}
			fmt.Fprintf(out, "消息 %d 已重新排入发送（serve 会在一秒内发出）。\n", id)
		}
		return code
	case "purge":
		if *days < 1 {
			fmt.Fprintln(errOut, "参数错误 --days：至少 1 天")
			return 2
		}
		n, err := o.Purge(ctx, time.Now().AddDate(0, 0, -*days), *dead, by)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(out, "已删除 %d 条早于 %d 天的消息。\n", n, *days)
		return 0
	case "address":
		if *user == "" {
			fmt.Fprintln(errOut, "参数错误 --user：请给出用户名")
			return 2
		}
		if err := o.SetAddress(ctx, *user, *email, by); err != nil {
			return fail(err)
		}
		if *email == "" {
			fmt.Fprintf(out, "已删除 %s 的通知邮箱。\n", *user)
		} else {
			fmt.Fprintf(out, "%s 的通知邮箱：%s\n", *user, *email)
		}
		return 0
	}
	return 2
}
