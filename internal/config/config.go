// Package config holds the service's typed configuration: defaults, flags,
// ECOREPORT_* environment variables (and *_FILE for secrets), and Validate.
// A Config is passed to constructors; there is no global.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is everything the binary can be told at start.
type Config struct {
	DB      string // sqlite:PATH or mysql:DSN
	Addr    string // listen address of serve
	DataDir string // uploads, generated keys, the SQLite file by default
	KeyFile string // the data key (AES-256-GCM and HMAC); generated when absent
	// AuditCheckpoints is the file of signed audit checkpoints, outside the
	// database; beside the key file when empty.
	AuditCheckpoints string
	Captcha          string // on | off
	// RateLimits turns the portal's per-client request limits on or off.
	RateLimits string
	TimeZone   string // IANA name; times are shown in it, stored in UTC
	Migrate    bool   // serve: apply pending migrations on MySQL before starting
	// TrustedProxies are the reverse proxies (comma-separated IPs or CIDRs)
	// whose X-Forwarded-For is believed for rate limiting.
	TrustedProxies string
	LogJSON        bool // structured logs as JSON instead of text
	// PublicURL is the address residents reach the portal at, e.g.
	// https://jubao.example.gov.cn (behind the TLS proxy): printed on
	// receipts and in their QR code (empty: the address each request came
	// to). When it is https, cookies are Secure and responses carry HSTS
	// even though the proxy talks plain HTTP to us.
	PublicURL string
	// MetricsAddr is the listen address of /metrics, apart from the public
	// listener; "off" serves no metrics listener.
	MetricsAddr string
	// MetricsToken also serves /metrics on the public listener to requests
	// with "Authorization: Bearer <token>" (for a scraper that cannot reach
	// the loopback). Empty: not there.
	MetricsToken string
	// ShutdownGrace is how long a stopping serve keeps answering (with
	// /healthz failing and connections closing after each response) before
	// it stops accepting.
	ShutdownGrace time.Duration
	// FilingWindow is how long a batch of concurrent filings waits for
	// more after its first before it commits (group commit); 0 writes
	// every filing in a transaction of its own. FilingBatch is the most
	// filings one transaction holds.
	FilingWindow time.Duration
	FilingBatch  int

	// HotlineAliases adds header names for hotline exports without a code
	// change: "caller_phone=主叫号码|来电号;town=镇办".
	HotlineAliases string
	// HotlineSignV1 "on" accepts pushes signed the first way (timestamp and
	// body only) during the transition to version 2; "off" ends it.
	HotlineSignV1 string

	// County is the county this instance serves (本县信息): one instance
	// and database per county.
	County County

	// Time limits, in calendar days (workflows.md).
	AcceptDays    int // decide accept/refuse after receipt
	ConcludeDays  int // conclude with a reply after acceptance
	ExtensionDays int // the one extension of the conclusion deadline
	RevisitDays   int // revisit (回头看) after close-out

	Location *time.Location // set by Validate from TimeZone

	// Notify is how messages leave the outbox (docs/notifications.md).
	Notify Notify

	// Uploads is where uploaded photos are kept (uploads.go).
	Uploads Uploads
}

// Notify configures the outbox's channels and rules. The defaults need
// nothing: every message goes to the log channel (outbox and admin page).
type Notify struct {
	SMS          string // log | aliyun | tencent
	SMSEndpoint  string // default: the provider's
	SMSKeyID     string
	SMSKeySecret string
	SMSSignName  string
	SMSTemplate  string
	SMSAppID     string // Tencent SmsSdkAppId
	SMSRegion    string
	SMSDailyCap  int
	QuietHours   string // 22:00-08:00 | off

	Mail         string // log | smtp
	SMTPAddr     string
	SMTPTLS      string // starttls | tls | none
	SMTPUser     string
	SMTPPassword string
	SMTPFrom     string

	WebhookURL    string
	WebhookSecret string

	Off         string // rules switched off, comma-separated
	MaxAttempts int
	Retry       time.Duration
	Timeout     time.Duration
	OverdueDays int
}

// Default returns the configuration a fresh machine runs with.
func Default() Config {
	return Config{
		DB:            "sqlite:./data/ecoreport.db",
		Addr:          "127.0.0.1:8080",
		DataDir:       "./data",
		Captcha:       "on",
		RateLimits:    "on",
		HotlineSignV1: "on",
		TimeZone:      "Asia/Shanghai",
		MetricsAddr:   "127.0.0.1:9464",
		ShutdownGrace: 5 * time.Second,
		FilingWindow:  2 * time.Millisecond,
		FilingBatch:   64,
		AcceptDays:    15,
		ConcludeDays:  60,
		ExtensionDays: 30,
		RevisitDays:   90,
		County:        DefaultCounty(),
		Uploads:       Uploads{Store: "dir"},
		Notify: Notify{SMS: "log", Mail: "log", SMTPTLS: "starttls", SMSDailyCap: 3, QuietHours: "22:00-08:00",
			MaxAttempts: 10, Retry: 30 * time.Second, Timeout: 10 * time.Second, OverdueDays: 7},
	}
}

// County is what names the county an instance serves: on the notices, the
// bulletin, the portal and the back office. Everything else a county has of
// its own (towns, departments, staff, reward levels and budgets) is in its
// database.
type County struct {
	Name         string // 石泉县
	TaskForce    string // 石泉县生态建设和环境保护督查巡查工作专班
	NoticePrefix string // 石环督整: notice numbers read 石环督整〔2026〕12号
	Hotline      string // the environmental hotline residents call: 12369
}

// DefaultCounty is Shiquan County (石泉县), for which ecoreport was built.
func DefaultCounty() County {
	return County{Name: "石泉县", TaskForce: "石泉县生态建设和环境保护督查巡查工作专班", NoticePrefix: "石环督整", Hotline: "12369"}
}

// BulletinTitle is the title of the county's monthly bulletin (月度通报).
func (c County) BulletinTitle() string { return c.Name + "生态环境问题整改情况通报" }

// Flag groups: each subcommand binds only what it uses.
const (
	WithDB = 1 << iota
	WithServe
	WithKeys
	WithHotline
	WithCounty
	WithNotify
	WithUploads
)

// Bind registers the flags of the given groups on fs, writing into c.
func (c *Config) Bind(fs *flag.FlagSet, groups int) {
	if groups&WithDB != 0 {
		fs.StringVar(&c.DB, "db", c.DB, "数据库：sqlite:路径 或 mysql:用户:密码@tcp(主机:3306)/库名 (database: sqlite:PATH or mysql:DSN)")
		fs.StringVar(&c.TimeZone, "tz", c.TimeZone, "显示时区 (time zone used for display and deadlines)")
		fs.BoolVar(&c.LogJSON, "log-json", c.LogJSON, "以 JSON 输出日志 (log as JSON)")
	}
	if groups&WithKeys != 0 {
		fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "数据目录：上传文件、生成的密钥 (uploads and generated keys)")
		fs.StringVar(&c.KeyFile, "key-file", c.KeyFile, "数据密钥文件；缺省为 数据目录/ecoreport.key，首次启动自动生成 (data key file; generated on first start)")
		fs.StringVar(&c.AuditCheckpoints, "audit-checkpoints", c.AuditCheckpoints, "审计日志签名检查点文件；缺省为密钥文件旁的 audit-checkpoints.jsonl，应与密钥一同备份 (signed audit checkpoints, beside the key by default)")
	}
	if groups&WithHotline != 0 {
		fs.StringVar(&c.HotlineAliases, "hotline-aliases", c.HotlineAliases, "热线导出文件的额外表头别名，如 caller_phone=主叫号码|来电号;town=镇办 (extra header names)")
	}
	if groups&WithCounty != 0 {
		fs.StringVar(&c.County.Name, "county", c.County.Name, "本县名称，用于通报标题等 (the county's name)")
		fs.StringVar(&c.County.TaskForce, "task-force", c.County.TaskForce, "督查工作专班全称，用于通知书和通报落款 (the task force's full name)")
		fs.StringVar(&c.County.NoticePrefix, "notice-prefix", c.County.NoticePrefix, "整改通知书编号前缀，如 石环督整〔2026〕12号 (notice number prefix)")
		fs.StringVar(&c.County.Hotline, "hotline-number", c.County.Hotline, "群众举报电话，显示在门户和回执上 (the hotline number residents call)")
	}
	if groups&WithNotify != 0 {
		c.bindNotify(fs)
	}
	if groups&WithUploads != 0 {
		c.bindUploads(fs)
	}
	if groups&WithServe != 0 && groups&WithHotline != 0 {
		fs.StringVar(&c.HotlineSignV1, "hotline-sign-v1", c.HotlineSignV1, "过渡期内接受第 1 版推送签名 on|off；off 只接受第 2 版（含方法、路径、随机数）(accept v1 push signatures)")
	}
	if groups&WithServe != 0 {
		fs.StringVar(&c.Addr, "addr", c.Addr, "监听地址 (listen address)")
		fs.StringVar(&c.Captcha, "captcha", c.Captcha, "验证码 on|off；off 仅用于压测和内网终端 (captcha on|off)")
		fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "可信反向代理地址（逗号分隔 IP/CIDR），用于按真实来源限流 (reverse proxies whose X-Forwarded-For is trusted)")
		fs.StringVar(&c.RateLimits, "rate-limits", c.RateLimits, "门户按来源限流 on|off；off 仅用于压测 (per-client rate limits on|off)")
		fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "门户的公开网址，印在回执和二维码上；为 https 时 Cookie 带 Secure 并发送 HSTS，如 https://jubao.example.gov.cn (public URL behind the TLS proxy)")
		fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "监控指标 /metrics 的监听地址，off 为不监听 (listen address of /metrics, off for none)")
		fs.StringVar(&c.MetricsToken, "metrics-token", c.MetricsToken, "在公开端口上也提供 /metrics，需 Authorization: Bearer 令牌 (also serve /metrics publicly behind this bearer token)")
		fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "停止时先让 /healthz 失败并继续服务这么久，再停止接收 (time to keep serving while draining on stop)")
		fs.DurationVar(&c.FilingWindow, "filing-window", c.FilingWindow, "同时提交的举报合并为一个事务时，等待更多举报的最长时间，0 为逐件提交 (group commit window of filings, 0 for off)")
		fs.IntVar(&c.FilingBatch, "filing-batch", c.FilingBatch, "一个事务最多合并的举报件数 (most filings per group-commit transaction)")
		fs.BoolVar(&c.Migrate, "migrate", c.Migrate, "MySQL 上启动前执行未完成的数据库迁移 (apply pending migrations on MySQL)")
		fs.IntVar(&c.AcceptDays, "accept-days", c.AcceptDays, "受理期限（天）(days to accept or refuse)")
		fs.IntVar(&c.ConcludeDays, "conclude-days", c.ConcludeDays, "办结期限（天）(days to conclude after acceptance)")
		fs.IntVar(&c.ExtensionDays, "extension-days", c.ExtensionDays, "延期天数（限一次）(days of the one extension)")
		fs.IntVar(&c.RevisitDays, "revisit-days", c.RevisitDays, "销号后回头看天数 (days from close-out to revisit)")
	}
}

// bindNotify registers the outbox's flags.
func (c *Config) bindNotify(fs *flag.FlagSet) {
	n := &c.Notify
	fs.StringVar(&n.SMS, "sms", n.SMS, "给保密举报人的短信：log（只记录）| aliyun | tencent (SMS provider)")
	fs.StringVar(&n.SMSEndpoint, "sms-endpoint", n.SMSEndpoint, "短信接口地址；缺省为服务商的公网地址 (provider endpoint override)")
	fs.StringVar(&n.SMSKeyID, "sms-key-id", n.SMSKeyID, "AccessKeyId / SecretId")
	fs.StringVar(&n.SMSKeySecret, "sms-key-secret", n.SMSKeySecret, "AccessKeySecret / SecretKey（宜用 ECOREPORT_SMS_KEY_SECRET_FILE）")
	fs.StringVar(&n.SMSSignName, "sms-sign-name", n.SMSSignName, "短信签名 (sign name)")
	fs.StringVar(&n.SMSTemplate, "sms-template", n.SMSTemplate, "短信模板编号：TemplateCode / TemplateId (template id)")
	fs.StringVar(&n.SMSAppID, "sms-app-id", n.SMSAppID, "腾讯云短信应用 SmsSdkAppId")
	fs.StringVar(&n.SMSRegion, "sms-region", n.SMSRegion, "地域；缺省 cn-hangzhou（阿里云）/ ap-guangzhou（腾讯云）")
	fs.IntVar(&n.SMSDailyCap, "sms-daily-cap", n.SMSDailyCap, "每个手机号每天最多收到的短信条数，0 为不限 (per-phone daily cap)")
	fs.StringVar(&n.QuietHours, "quiet-hours", n.QuietHours, "免打扰时段（当地时间），其间不给居民发短信，如 22:00-08:00；off 为不设 (quiet hours)")
	fs.StringVar(&n.Mail, "mail", n.Mail, "给工作人员和责任单位的邮件：log（只记录）| smtp")
	fs.StringVar(&n.SMTPAddr, "smtp-addr", n.SMTPAddr, "SMTP 服务器 主机:端口，如 smtp.example.cn:587")
	fs.StringVar(&n.SMTPTLS, "smtp-tls", n.SMTPTLS, "starttls | tls（465 端口）| none（仅限本机或内网中继）")
	fs.StringVar(&n.SMTPUser, "smtp-user", n.SMTPUser, "SMTP 用户名；不给则不认证")
	fs.StringVar(&n.SMTPPassword, "smtp-password", n.SMTPPassword, "SMTP 密码（宜用 ECOREPORT_SMTP_PASSWORD_FILE）")
	fs.StringVar(&n.SMTPFrom, "smtp-from", n.SMTPFrom, "发件人，如 督查专班 <noreply@example.cn>")
	fs.StringVar(&n.WebhookURL, "webhook-url", n.WebhookURL, "另抄送每条工作人员消息到此地址（签名 JSON）(webhook for other systems)")
	fs.StringVar(&n.WebhookSecret, "webhook-secret", n.WebhookSecret, "Webhook 签名密钥（宜用 ECOREPORT_WEBHOOK_SECRET_FILE）")
	fs.StringVar(&n.Off, "notify-off", n.Off, "关闭的通知规则，逗号分隔，如 unit.due_3d,reporter.question（见 docs/notifications.md）")
	fs.IntVar(&n.MaxAttempts, "outbox-max-attempts", n.MaxAttempts, "每条消息最多尝试次数，之后停止重试 (attempts before a message is dead)")
	fs.DurationVar(&n.Retry, "outbox-retry", n.Retry, "首次失败后的等待，之后每次加倍，最长 1 小时 (first retry wait)")
	fs.DurationVar(&n.Timeout, "notify-timeout", n.Timeout, "每次发送的超时 (timeout of one delivery)")
	fs.IntVar(&n.OverdueDays, "overdue-digest-days", n.OverdueDays, "县领导每日汇总列出逾期超过几天的问题")
}

// validateNotify checks what can be checked without the channels; the
// channels themselves check the rest when serve builds them.
func (c *Config) validateNotify() error {
	n := &c.Notify
	switch n.SMS {
	case "log", "aliyun", "tencent":
	default:
		return fmt.Errorf("配置错误 --sms：只能是 log、aliyun 或 tencent，而不是 %q", n.SMS)
	}
	switch n.Mail {
	case "log", "smtp":
	default:
		return fmt.Errorf("配置错误 --mail：只能是 log 或 smtp，而不是 %q", n.Mail)
	}
	if n.SMSDailyCap < 0 || n.SMSDailyCap > 100 {
		return fmt.Errorf("配置错误 --sms-daily-cap：应为 0 到 100，而不是 %d", n.SMSDailyCap)
	}
	if n.MaxAttempts < 1 || n.MaxAttempts > 100 {
		return fmt.Errorf("配置错误 --outbox-max-attempts：应为 1 到 100，而不是 %d", n.MaxAttempts)
	}
	if n.Retry < time.Second || n.Retry > time.Hour {
		return fmt.Errorf("配置错误 --outbox-retry：应为 1s 到 1h，而不是 %s", n.Retry)
	}
	if n.Timeout < time.Second || n.Timeout > 5*time.Minute {
		return fmt.Errorf("配置错误 --notify-timeout：应为 1s 到 5m，而不是 %s", n.Timeout)
	}
	if n.OverdueDays < 0 || n.OverdueDays > 3650 {
		return fmt.Errorf("配置错误 --overdue-digest-days：应为 0 到 3650，而不是 %d", n.OverdueDays)
	}
	if n.WebhookURL != "" && n.WebhookSecret == "" {
		return errors.New("配置错误 --webhook-secret：给了 --webhook-url 就要给签名密钥")
	}
	return nil
}

// EnvName is the environment variable that sets a flag: ECOREPORT_ and the
// flag's name in upper case with - as _.
func EnvName(flagName string) string {
	return "ECOREPORT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ApplyEnv sets every flag of fs that was not given on the command line from
// ECOREPORT_<NAME>, or from the file named by ECOREPORT_<NAME>_FILE (for
// secrets such as a DSN with a password). It names the variable on error.
func ApplyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := EnvName(f.Name)
		v, ok := lookup(name)
		if !ok {
			path, fok := lookup(name + "_FILE")
			if !fok {
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE：无法读取 %s：%w", name, path, err))
				return
			}
			v, ok = strings.TrimRight(string(b), "\r\n"), true
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q 无效：%v", name, v, err))
		}
	})
	return errors.Join(errs...)
}

// Validate checks the configuration and fills derived values. The error names
// the setting in one line.
func (c *Config) Validate() error {
	if c.DB == "" {
		return errors.New("配置错误 --db：不能为空 (sqlite:路径 或 mysql:DSN)")
	}
	if _, _, err := SplitDB(c.DB); err != nil {
		return err
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return fmt.Errorf("配置错误 --tz：未知时区 %q", c.TimeZone)
	}
	c.Location = loc
	switch c.Captcha {
	case "on", "off":
	default:
		return fmt.Errorf("配置错误 --captcha：只能是 on 或 off，而不是 %q", c.Captcha)
	}
	switch c.RateLimits {
	case "on", "off":
	default:
		return fmt.Errorf("配置错误 --rate-limits：只能是 on 或 off，而不是 %q", c.RateLimits)
	}
	switch c.HotlineSignV1 {
	case "on", "off":
	default:
		return fmt.Errorf("配置错误 --hotline-sign-v1：只能是 on 或 off，而不是 %q", c.HotlineSignV1)
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"--accept-days", c.AcceptDays}, {"--conclude-days", c.ConcludeDays}, {"--extension-days", c.ExtensionDays}, {"--revisit-days", c.RevisitDays}} {
		if d.v < 1 || d.v > 3650 {
			return fmt.Errorf("配置错误 %s：应为 1 到 3650 天，而不是 %d", d.name, d.v)
		}
	}
	for _, p := range c.Proxies() {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return fmt.Errorf("配置错误 --trusted-proxies：%q 不是 IP 地址或网段", p)
			}
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("配置错误 --public-url：%q 应为 https://主机名[/路径]，不带查询参数", c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(u.String(), "/")
	}
	if _, err := c.Aliases(); err != nil {
		return err
	}
	if err := c.County.Validate(); err != nil {
		return err
	}
	if c.MetricsAddr != "off" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("配置错误 --metrics-addr：%q 应为 主机:端口（如 127.0.0.1:9464）或 off", c.MetricsAddr)
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return errors.New("配置错误 --metrics-token：令牌至少16个字符")
	}
	if c.ShutdownGrace < 0 || c.ShutdownGrace > time.Minute {
		return fmt.Errorf("配置错误 --shutdown-grace：应在 0 到 1m 之间，而不是 %v", c.ShutdownGrace)
	}
	if c.FilingWindow < 0 || c.FilingWindow > time.Second {
		return fmt.Errorf("配置错误 --filing-window：应在 0 到 1s 之间，而不是 %v", c.FilingWindow)
	}
	if c.FilingBatch < 1 || c.FilingBatch > 500 {
		return fmt.Errorf("配置错误 --filing-batch：应在 1 到 500 之间，而不是 %d", c.FilingBatch)
	}
	if err := c.validateNotify(); err != nil {
		return err
	}
	if c.DataDir == "" {
		return errors.New("配置错误 --data-dir：不能为空")
	}
	if c.KeyFile == "" {
		c.KeyFile = filepath.Join(c.DataDir, "ecoreport.key")
	}
	if c.AuditCheckpoints == "" {
		c.AuditCheckpoints = filepath.Join(filepath.Dir(c.KeyFile), "audit-checkpoints.jsonl")
	}
	return c.validateUploads()
}

// SplitDB splits a --db value into its engine ("sqlite" or "mysql") and the
// rest (a path or a go-sql-driver DSN).
func SplitDB(v string) (engine, dsn string, err error) {
	engine, dsn, ok := strings.Cut(v, ":")
	if !ok || dsn == "" || (engine != "sqlite" && engine != "mysql") {
		return "", "", fmt.Errorf("配置错误 --db：%q 应为 sqlite:路径 或 mysql:用户:密码@tcp(主机:3306)/库名", redactDSN(v))
	}
	return engine, dsn, nil
}

// redactDSN hides a password in a DSN for messages.
func redactDSN(v string) string {
	at := strings.LastIndex(v, "@")
	if at < 0 {
		return v
	}
	head := v[:at]
	if i := strings.LastIndex(head, ":"); i > strings.Index(head, ":") {
		return head[:i+1] + "***" + v[at:]
	}
	return v
}

// hotlineFields are the field keys HotlineAliases may name.
var hotlineFields = map[string]bool{"ticket_no": true, "received_at": true, "content": true, "caller_name": true,
	"caller_phone": true, "anonymous": true, "town": true, "address": true, "category": true, "subject": true,
	"due_at": true, "wants_reward": true, "updated_at": true}

// Aliases parses HotlineAliases into field → extra header names.
func (c *Config) Aliases() (map[string][]string, error) {
	out := map[string][]string{}
	for _, part := range strings.Split(c.HotlineAliases, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		field, names, ok := strings.Cut(part, "=")
		field = strings.TrimSpace(field)
		if !ok || !hotlineFields[field] || strings.TrimSpace(names) == "" {
			return nil, fmt.Errorf("配置错误 --hotline-aliases：%q 应为 字段=表头1|表头2，字段为 ticket_no、received_at、content、caller_phone 等", part)
		}
		for _, n := range strings.Split(names, "|") {
			if n = strings.TrimSpace(n); n != "" {
				out[field] = append(out[field], n)
			}
		}
	}
	return out, nil
}

// Proxies splits TrustedProxies.
func (c *Config) Proxies() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate names the first bad county setting in one line.
func (c County) Validate() error {
	for _, f := range []struct{ flag, v string }{{"--county", c.Name}, {"--task-force", c.TaskForce},
		{"--notice-prefix", c.NoticePrefix}, {"--hotline-number", c.Hotline}} {
		v := strings.TrimSpace(f.v)
		switch {
		case v == "":
			return fmt.Errorf("配置错误 %s：不能为空", f.flag)
		case len([]rune(v)) > 64 || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return fmt.Errorf("配置错误 %s：%q 过长或含有控制字符", f.flag, v)
		}
	}
	return nil
}
