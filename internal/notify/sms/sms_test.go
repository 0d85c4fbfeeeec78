package sms_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/notify"
	"ecoreport/internal/notify/sms"
	"ecoreport/internal/notify/sms/smstest"
)

var ctx = context.Background()

func envelope() *notify.Envelope {
	return &notify.Envelope{ID: 7, Key: "ev:12:reporter.accepted:complaint:3", Rule: notify.RuleReporterAccepted, Channel: notify.ChannelSMS,
		Recipient: "complaint:3", To: "13812345678", Ref: "R0000003", Body: notify.SMSText("R0000003", "https://jubao.example.cn"), Attempt: 1}
}

func newSender(t *testing.T, provider, endpoint, secret string) notify.Sender {
	t.Helper()
	s, err := sms.New(sms.Config{Provider: provider, Endpoint: endpoint, KeyID: "LTAI5tTestKeyId", KeySecret: secret,
		SignName: "石泉县生态环境", Template: "SMS_154950909", AppID: "1400006666"}, &http.Client{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEachProviderGetsARequestSignedAsDocumented(t *testing.T) {
	for _, provider := range []string{sms.ProviderAliyun, sms.ProviderTencent} {
		t.Run(provider, func(t *testing.T) {
			srv := start(provider)
			defer srv.Close()
			ref, err := newSender(t, provider, srv.URL+"/", "s3cr3t/+=*~ key").Send(ctx, envelope())
			if err != nil {
				t.Fatal(err)
			}
			rs := srv.Requests()
			if len(rs) != 1 || !rs[0].Valid || !rs[0].Delivered || ref == "" {
				t.Fatalf("ref %q, requests %+v", ref, rs)
			}
			r := rs[0]
			wantPhone := map[string]string{sms.ProviderAliyun: "13812345678", sms.ProviderTencent: "+8613812345678"}[provider]
			if r.Phone != wantPhone || len(r.Templ) != 1 || r.Templ[0] != "R0000003" || r.Key != envelope().Key {
				t.Fatalf("phone %q, template %q, key %q", r.Phone, r.Templ, r.Key)
			}
			// The whole request carries the reference and nothing of the
			// body's text beyond what the template says.
			if strings.Contains(r.Raw, "有新的办理进展") {
				t.Fatal("the text itself was sent: only the template variable may be")
			}
		})
	}
}

func start(provider string) *smstest.Server {
	if provider == sms.ProviderAliyun {
		return smstest.NewAliyun("LTAI5tTestKeyId", "s3cr3t/+=*~ key")
	}
	return smstest.NewTencent("LTAI5tTestKeyId", "s3cr3t/+=*~ key")
}

func TestProviderErrorsAreRetriedOrDeadAsTheirCodeSays(t *testing.T) {
	tests := []struct {
		name, provider, answer string
		secret                 string
		permanent              bool
	}{
		{"AliyunFlowControlIsRetried", sms.ProviderAliyun, "isv.BUSINESS_LIMIT_CONTROL", "s3cr3t/+=*~ key", false},
		{"AliyunIllegalNumberIsDead", sms.ProviderAliyun, "isv.MOBILE_NUMBER_ILLEGAL", "s3cr3t/+=*~ key", true},
		{"AliyunWrongSecretIsDead", sms.ProviderAliyun, "", "wrong", true},
		{"TencentDailyLimitIsRetried", sms.ProviderTencent, "LimitExceeded.PhoneNumberDailyLimit", "s3cr3t/+=*~ key", false},
		{"TencentUnapprovedTemplateIsDead", sms.ProviderTencent, "FailedOperation.TemplateIncorrectOrUnapproved", "s3cr3t/+=*~ key", true},
		{"TencentWrongSecretIsDead", sms.ProviderTencent, "", "wrong", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(tt.provider)
			defer srv.Close()
			srv.Answer = func(int, *smstest.Request) string { return tt.answer }
			_, err := newSender(t, tt.provider, srv.URL, tt.secret).Send(ctx, envelope())
			if err == nil || notify.IsPermanent(err) != tt.permanent {
				t.Fatalf("err %v, permanent %v", err, notify.IsPermanent(err))
			}
			if tt.secret == "wrong" && (len(srv.Requests()) != 1 || srv.Requests()[0].Valid) {
				t.Fatalf("the stand-in accepted a wrong signature: %+v", srv.Requests())
			}
		})
	}
}

func TestAnUnreachableOrSilentProviderIsRetried(t *testing.T) {
	srv := start(sms.ProviderAliyun)
	srv.Answer = func(int, *smstest.Request) string { return "hang" }
	s := newSender(t, sms.ProviderAliyun, srv.URL, "s3cr3t/+=*~ key")
	c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := s.Send(c, envelope()); err == nil || notify.IsPermanent(err) {
		t.Fatalf("a provider that does not answer: %v", err)
	}
	srv.Close()
	if _, err := s.Send(ctx, envelope()); err == nil || notify.IsPermanent(err) {
		t.Fatalf("an unreachable provider: %v", err)
	}
}

func TestMissingConfigurationIsOneClearLine(t *testing.T) {
	tests := []struct {
		name string
		c    sms.Config
		want string
	}{
		{"NoTemplate", sms.Config{Provider: "aliyun", KeyID: "a", KeySecret: "b", SignName: "c"}, "--sms-template"},
		{"NoAppID", sms.Config{Provider: "tencent", KeyID: "a", KeySecret: "b", SignName: "c", Template: "1"}, "--sms-app-id"},
		{"BadEndpoint", sms.Config{Provider: "aliyun", KeyID: "a", KeySecret: "b", SignName: "c", Template: "1", Endpoint: "ftp://x"}, "--sms-endpoint"},
		{"UnknownProvider", sms.Config{Provider: "twilio", KeyID: "a", KeySecret: "b", SignName: "c", Template: "1"}, "--sms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sms.New(tt.c, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "配置错误") {
				t.Fatalf("%v", err)
			}
		})
	}
}

// The signature of the Aliyun documentation's own example request.
func TestAliyunSignatureOfTheDocumentedExample(t *testing.T) {
	p := map[string]string{"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
	if got := sms.AliyunSignature("GET", p, "testsecret"); got != "OLeaidS1JvxuMvnyHOwuJ+uX5qY=" {
		t.Fatalf("signature %s", got)
	}
}
