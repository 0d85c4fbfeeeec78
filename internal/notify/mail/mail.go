// Package mail sends staff and units their messages by e-mail over SMTP,
// with github.com/wneessen/go-mail (STARTTLS, implicit TLS, SMTP AUTH, and
// careful encoding of Chinese subjects and bodies are its job, not ours).
package mail

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"ecoreport/internal/notify"
)

// TLS modes.
const (
	TLSStart = "starttls" // STARTTLS required (the default)
	TLSWrap  = "tls"      // implicit TLS (SMTPS, port 465)
	TLSNone  = "none"     // plain: only for a relay on the same machine or network
)

// Config is the SMTP server and the sender.
type Config struct {
	Addr     string // host:port
	TLS      string
	User     string // empty: no authentication
	Password string
	From     string // 生态环境督查专班 <noreply@example.cn>
	Timeout  time.Duration
	// TLSConfig, when set, replaces the system's (a private CA, in tests).
	TLSConfig *tls.Config
}

// SMTP is the e-mail channel.
type SMTP struct {
	c        Config
	host     string
	port     int
	from     *netmail.Address
	domainID string
}

// New checks the configuration and returns the channel. The error is one
// line naming the flag.
func New(c Config) (*SMTP, error) {
	host, portText, err := net.SplitHostPort(c.Addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || host == "" || perr != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("配置错误 --smtp-addr：%q 应为 主机:端口，如 smtp.example.cn:587", c.Addr)
	}
	switch c.TLS {
	case "":
		c.TLS = TLSStart
	case TLSStart, TLSWrap, TLSNone:
	default:
		return nil, fmt.Errorf("配置错误 --smtp-tls：只能是 starttls、tls 或 none，而不是 %q", c.TLS)
	}
	from, err := netmail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("配置错误 --smtp-from：%q 不是邮箱地址（如 督查专班 <noreply@example.cn>）", c.From)
	}
	if c.User != "" && c.Password == "" {
		return nil, fmt.Errorf("配置错误 --smtp-password：给了 --smtp-user 就要给密码（可用 ECOREPORT_SMTP_PASSWORD_FILE）")
	}
	domain := "ecoreport"
	if _, d, ok := strings.Cut(from.Address, "@"); ok {
		domain = d
	}
	return &SMTP{c: c, host: host, port: port, from: from, domainID: domain}, nil
}

// Send sends one message. Its Message-ID is derived from the outbox key, so
// a message sent twice after a crash is the same message to the mail system.
func (s *SMTP) Send(ctx context.Context, e *notify.Envelope) (string, error) {
	if e.To == "" {
		return "", notify.Permanent(fmt.Errorf("没有收件地址"))
	}
	m := gomail.NewMsg()
	m.FromMailAddress(s.from)
	if err := m.To(e.To); err != nil {
		return "", notify.Permanent(fmt.Errorf("收件地址 %q 无效：%w", e.To, err))
	}
	m.Subject(e.Subject)
	sum := sha256.Sum256([]byte(e.Key))
	id := "outbox-" + strconv.FormatInt(e.ID, 10) + "-" + hex.EncodeToString(sum[:8]) + "@" + s.domainID
	m.SetMessageIDWithValue(id)
	m.SetDate()
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, e.Body)

	timeout := s.c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(timeout)}
	switch s.c.TLS {
	case TLSStart:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSWrap:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.c.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.c.TLSConfig))
	}
	if s.c.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.c.User), gomail.WithPassword(s.c.Password))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return "", notify.Permanent(fmt.Errorf("邮件客户端：%w", err))
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.Reason == gomail.ErrSMTPRcptTo {
			return "", notify.Permanent(fmt.Errorf("邮件服务器拒收收件人：%w", err))
		}
		return "", fmt.Errorf("邮件发送失败：%w", err)
	}
	return "<" + id + ">", nil
}
