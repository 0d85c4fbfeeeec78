package mail_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/notify"
	"ecoreport/internal/notify/mail"
	"ecoreport/internal/notify/mail/mailtest"
)

var ctx = context.Background()

func envelope() *notify.Envelope {
	return &notify.Envelope{ID: 41, Key: "ev:99:unit.notice:user:5", Rule: notify.RuleUnitNotice, Channel: notify.ChannelEmail, Recipient: "user:5",
		To: "chengguan@example.cn", Subject: "【生态环境问题台账】收到整改通知书：C000012",
		Body: "收到整改通知书\n\n问题：C000012 东街建材厂夜间生产\n整改通知书：石环督整〔2026〕3号，整改期限至 2026年11月18日\n"}
}

func TestAUnitGetsItsNoticeByMailOverSTARTTLSWithAuth(t *testing.T) {
	srv, err := mailtest.Start(true, "notify@example.cn", "app-password")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s, err := mail.New(mail.Config{Addr: srv.Addr, TLS: mail.TLSStart, User: "notify@example.cn", Password: "app-password",
		From: "石泉县生态环境督查专班 <notify@example.cn>", TLSConfig: srv.ClientTLS, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := s.Send(ctx, envelope())
	if err != nil {
		t.Fatal(err)
	}
	ms := srv.Messages()
	if len(ms) != 1 || ms[0].From != "notify@example.cn" || len(ms[0].To) != 1 || ms[0].To[0] != "chengguan@example.cn" {
		t.Fatalf("%+v", ms)
	}
	m, err := netmail.ReadMessage(bytes.NewReader(ms[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != envelope().Subject {
		t.Fatalf("subject %q, %v", subject, err)
	}
	if m.Header.Get("Message-Id") != ref || !strings.HasSuffix(ref, "@example.cn>") {
		t.Fatalf("Message-ID %q, ref %q", m.Header.Get("Message-Id"), ref)
	}
	body, _ := io.ReadAll(m.Body)
	if !strings.Contains(decodeBody(t, m.Header.Get("Content-Transfer-Encoding"), body), "石环督整〔2026〕3号") {
		t.Fatalf("body %q", body)
	}

	t.Run("TheSameMessageAgainHasTheSameMessageID", func(t *testing.T) {
		again, err := s.Send(ctx, envelope())
		if err != nil || again != ref {
			t.Fatalf("%q %v", again, err)
		}
	})
}

func decodeBody(t *testing.T, cte string, b []byte) string {
	t.Helper()
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r, err := io.ReadAll(quotedPrintable(b))
		if err != nil {
			t.Fatal(err)
		}
		return string(r)
	case "base64":
		return decodeBase64(t, b)
	}
	return string(b)
}

func TestMailFailures(t *testing.T) {
	plain, err := mailtest.Start(false, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.RejectRcpt = "gone@example.cn"
	tests := []struct {
		name      string
		cfg       mail.Config
		to        string
		permanent bool
	}{
		{"STARTTLSRequiredButNotOffered", mail.Config{Addr: plain.Addr, From: "a@example.cn"}, "x@example.cn", false},
		{"RecipientRefused", mail.Config{Addr: plain.Addr, TLS: mail.TLSNone, From: "a@example.cn"}, "gone@example.cn", true},
		{"Unreachable", mail.Config{Addr: "127.0.0.1:1", TLS: mail.TLSNone, From: "a@example.cn", Timeout: time.Second}, "x@example.cn", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mail.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			e := envelope()
			e.To = tt.to
			_, err = s.Send(ctx, e)
			if err == nil || notify.IsPermanent(err) != tt.permanent {
				t.Fatalf("err %v, permanent %v", err, notify.IsPermanent(err))
			}
		})
	}
	t.Run("PlainDelivers", func(t *testing.T) {
		s, _ := mail.New(mail.Config{Addr: plain.Addr, TLS: mail.TLSNone, From: "a@example.cn"})
		if _, err := s.Send(ctx, envelope()); err != nil || len(plain.Messages()) != 1 {
			t.Fatalf("%v, %d messages", err, len(plain.Messages()))
		}
	})
}

func TestBadMailConfigurationIsOneClearLine(t *testing.T) {
	tests := []struct {
		name string
		cfg  mail.Config
		flag string
	}{
		{"NoPort", mail.Config{Addr: "smtp.example.cn", From: "a@example.cn"}, "--smtp-addr"},
		{"BadTLS", mail.Config{Addr: "smtp.example.cn:587", TLS: "ssl3", From: "a@example.cn"}, "--smtp-tls"},
		{"BadFrom", mail.Config{Addr: "smtp.example.cn:587", From: "督查专班"}, "--smtp-from"},
		{"UserWithoutPassword", mail.Config{Addr: "smtp.example.cn:587", From: "a@example.cn", User: "a"}, "--smtp-password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.New(tt.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), "配置错误 "+tt.flag) {
				t.Fatalf("%v", err)
			}
		})
	}
}
