// Package sms sends residents' SMS through the two providers a Chinese county
// contracts: Alibaba Cloud SMS (阿里云短信服务, SendSms, RPC signature V1) and
// Tencent Cloud SMS (腾讯云短信, SendSms 2021-01-11, TC3-HMAC-SHA256). Neither
// provider's Go SDK for SMS is served by the module proxy this project uses,
// so each request is built and signed here exactly as the provider documents
// it; the tests check every request against a local server that recomputes
// the signature independently.
//
// Every SMS is one registered template whose only variable is the
// complaint's public reference (R0000012): the text cannot carry the
// report's content, unit or tracking code, because nothing else is sent.
package sms

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"ecoreport/internal/notify"
)

// Providers.
const (
	ProviderAliyun  = "aliyun"
	ProviderTencent = "tencent"
)

// Config is what either provider needs; the flags of serve fill it.
type Config struct {
	Provider  string // aliyun | tencent
	Endpoint  string // default: the provider's public endpoint
	KeyID     string // AccessKeyId / SecretId
	KeySecret string // AccessKeySecret / SecretKey
	SignName  string // 短信签名
	Template  string // TemplateCode / TemplateId
	AppID     string // Tencent: SmsSdkAppId
	Region    string // default cn-hangzhou / ap-guangzhou
}

// New returns the provider's sender, or a one-line configuration error
// naming the missing flag.
func New(c Config, client *http.Client) (notify.Sender, error) {
	need := func(v, flag, what string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("配置错误 %s：使用%s短信时必须填写%s", flag, providerLabel(c.Provider), what)
		}
		return nil
	}
	checks := []error{need(c.KeyID, "--sms-key-id", "密钥 ID"), need(c.KeySecret, "--sms-key-secret", "密钥"),
		need(c.SignName, "--sms-sign-name", "短信签名"), need(c.Template, "--sms-template", "模板编号")}
	if c.Provider == ProviderTencent {
		checks = append(checks, need(c.AppID, "--sms-app-id", "短信应用 SdkAppId"))
	}
	if err := errors.Join(checks...); err != nil {
		return nil, firstLine(err)
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("配置错误 --sms-endpoint：%q 不是 http(s) 地址", c.Endpoint)
		}
	}
	if client == nil {
		client = &http.Client{}
	}
	switch c.Provider {
	case ProviderAliyun:
		return &Aliyun{Config: c, Client: client}, nil
	case ProviderTencent:
		return &Tencent{Config: c, Client: client}, nil
	}
	return nil, fmt.Errorf("配置错误 --sms：只能是 log、aliyun 或 tencent，而不是 %q", c.Provider)
}

func providerLabel(p string) string {
	if p == ProviderTencent {
		return "腾讯云"
	}
	return "阿里云"
}

func firstLine(err error) error {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(s)
}

// Aliyun sends through Alibaba Cloud SMS: POST form to the endpoint,
// Action=SendSms, Version 2017-05-25, signed with the RPC signature V1
// (HMAC-SHA1 over the sorted, percent-encoded parameters).
type Aliyun struct {
	Config
	Client *http.Client
	Now    func() time.Time // default time.Now
	Nonce  func() string    // default random
}

const aliyunEndpoint = "https://dysmsapi.aliyuncs.com/"

// Send sends one SMS; the provider's BizId is the reference. OutId carries
// the outbox key, so a message tried twice can be traced in the provider's
// records (the provider does not deduplicate on it).
func (a *Aliyun) Send(ctx context.Context, e *notify.Envelope) (string, error) {
	if e.To == "" || e.Ref == "" {
		return "", notify.Permanent(errors.New("短信缺少手机号或举报编号"))
	}
	tp, _ := json.Marshal(map[string]string{"ref": e.Ref})
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	nonce := randomNonce
	if a.Nonce != nil {
		nonce = a.Nonce
	}
	region := a.Region
	if region == "" {
		region = "cn-hangzhou"
	}
	p := map[string]string{
		"AccessKeyId": a.KeyID, "Action": "SendSms", "Format": "JSON", "RegionId": region,
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce(), "SignatureVersion": "1.0",
		"Timestamp": now().UTC().Format("2006-01-02T15:04:05Z"), "Version": "2017-05-25",
		"PhoneNumbers": e.To, "SignName": a.SignName, "TemplateCode": a.Template, "TemplateParam": string(tp),
		"OutId": clip(e.Key, 64),
	}
	p["Signature"] = AliyunSignature(http.MethodPost, p, a.KeySecret)
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	endpoint := a.Endpoint
	if endpoint == "" {
		endpoint = aliyunEndpoint
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", notify.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, body, err := do(a.Client, req)
	if err != nil {
		return "", fmt.Errorf("阿里云短信：%w", err)
	}
	var r struct {
		Code      string `json:"Code"`
		Message   string `json:"Message"`
		BizID     string `json:"BizId"`
		RequestID string `json:"RequestId"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Code == "" {
		return "", fmt.Errorf("阿里云短信：HTTP %d，无法识别的应答", status)
	}
	if status == http.StatusOK && r.Code == "OK" {
		return r.BizID, nil
	}
	err = fmt.Errorf("阿里云短信：%s（%s，RequestId %s）", r.Code, r.Message, r.RequestID)
	if status >= 500 || aliyunRetryable(r.Code) {
		return "", err
	}
	return "", notify.Permanent(err)
}

// aliyunRetryable: flow control, the provider's own faults, the balance and
// clock skew pass; anything else (an illegal number, an unapproved template
// or signature, a wrong key) needs a person.
func aliyunRetryable(code string) bool {
	switch code {
	case "isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE",
		"SignatureNonceUsed", "InvalidTimeStamp.Expired", "ServiceUnavailable", "InternalError":
		return true
	}
	return strings.HasPrefix(code, "isp.") || strings.HasPrefix(code, "Throttling")
}

// AliyunSignature is the RPC signature V1 of parameters p: sort the
// parameters by name, percent-encode names and values (RFC 3986: space as
// %20, * as %2A, ~ kept), join as a=b&c=d, sign METHOD&%2F&encode(that) with
// HMAC-SHA1 keyed by secret + "&", base64.
func AliyunSignature(method string, p map[string]string, secret string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = percentEncode(k) + "=" + percentEncode(p[k])
	}
	toSign := method + "&" + percentEncode("/") + "&" + percentEncode(strings.Join(pairs, "&"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func percentEncode(s string) string {
	e := url.QueryEscape(s)
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(e)
}

// Tencent sends through Tencent Cloud SMS: POST JSON, X-TC-Action SendSms,
// X-TC-Version 2021-01-11, signed with TC3-HMAC-SHA256.
type Tencent struct {
	Config
	Client *http.Client
	Now    func() time.Time
}

const (
	tencentEndpoint = "https://sms.tencentcloudapi.com/"
	tencentService  = "sms"
	tencentHost     = "sms.tencentcloudapi.com"
)

// Send sends one SMS; the number's SerialNo is the reference.
// SessionContext carries the outbox key, echoed in the provider's receipts.
func (t *Tencent) Send(ctx context.Context, e *notify.Envelope) (string, error) {
	if e.To == "" || e.Ref == "" {
		return "", notify.Permanent(errors.New("短信缺少手机号或举报编号"))
	}
	body, _ := json.Marshal(map[string]any{
		"PhoneNumberSet": []string{"+86" + e.To}, "SmsSdkAppId": t.AppID, "SignName": t.SignName,
		"TemplateId": t.Template, "TemplateParamSet": []string{e.Ref}, "SessionContext": clip(e.Key, 128),
	})
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	region := t.Region
	if region == "" {
		region = "ap-guangzhou"
	}
	endpoint := t.Endpoint
	if endpoint == "" {
		endpoint = tencentEndpoint
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(string(body)))
	if err != nil {
		return "", notify.Permanent(err)
	}
	host := req.URL.Host
	if t.Endpoint == "" {
		host = tencentHost
	}
	ts := now().Unix()
	req.Host = host
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-TC-Action", "SendSms")
	req.Header.Set("X-TC-Version", "2021-01-11")
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-TC-Region", region)
	req.Header.Set("Authorization", TencentAuthorization(t.KeyID, t.KeySecret, tencentService, host,
		"application/json; charset=utf-8", "SendSms", body, ts))
	status, answer, err := do(t.Client, req)
	if err != nil {
		return "", fmt.Errorf("腾讯云短信：%w", err)
	}
	var r struct {
		Response struct {
			Error *struct {
				Code    string `json:"Code"`
				Message string `json:"Message"`
			} `json:"Error"`
			SendStatusSet []struct {
				SerialNo string `json:"SerialNo"`
				Code     string `json:"Code"`
				Message  string `json:"Message"`
			} `json:"SendStatusSet"`
			RequestID string `json:"RequestId"`
		} `json:"Response"`
	}
	if err := json.Unmarshal(answer, &r); err != nil {
		return "", fmt.Errorf("腾讯云短信：HTTP %d，无法识别的应答", status)
	}
	code, msg := "", ""
	switch {
	case r.Response.Error != nil:
		code, msg = r.Response.Error.Code, r.Response.Error.Message
	case len(r.Response.SendStatusSet) == 1 && r.Response.SendStatusSet[0].Code == "Ok" && status == http.StatusOK:
		return r.Response.SendStatusSet[0].SerialNo, nil
	case len(r.Response.SendStatusSet) == 1:
		code, msg = r.Response.SendStatusSet[0].Code, r.Response.SendStatusSet[0].Message
	default:
		return "", fmt.Errorf("腾讯云短信：HTTP %d，应答中没有发送结果", status)
	}
	err = fmt.Errorf("腾讯云短信：%s（%s，RequestId %s）", code, msg, r.Response.RequestID)
	if status >= 500 || tencentRetryable(code) {
		return "", err
	}
	return "", notify.Permanent(err)
}

func tencentRetryable(code string) bool {
	switch code {
	case "AuthFailure.SignatureExpire", "FailedOperation.InsufficientBalanceInSmsPackage":
		return true
	}
	return strings.HasPrefix(code, "InternalError") || strings.HasPrefix(code, "RequestLimitExceeded") ||
		strings.HasPrefix(code, "LimitExceeded.PhoneNumber") || strings.HasPrefix(code, "ResourceUnavailable")
}

// TencentAuthorization is the TC3-HMAC-SHA256 Authorization header of a
// POST of body to host at unix time ts: the canonical request (method, URI
// "/", empty query, the content-type, host and x-tc-action headers, their
// names, the hex SHA-256 of the body), the string to sign (algorithm, time,
// date/service/tc3_request, the hex SHA-256 of the canonical request), and
// the key derived from "TC3"+secret through the date, the service and
// "tc3_request".
func TencentAuthorization(id, secret, service, host, contentType, action string, body []byte, ts int64) string {
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	headers := "content-type:" + contentType + "\nhost:" + host + "\nx-tc-action:" + strings.ToLower(action) + "\n"
	signed := "content-type;host;x-tc-action"
	canonical := "POST\n/\n\n" + headers + "\n" + signed + "\n" + sha256hex(body)
	scope := date + "/" + service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + sha256hex([]byte(canonical))
	k := hmacSHA256([]byte("TC3"+secret), date)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "tc3_request")
	sig := hex.EncodeToString(hmacSHA256(k, toSign))
	return "TC3-HMAC-SHA256 Credential=" + id + "/" + scope + ", SignedHeaders=" + signed + ", Signature=" + sig
}

func sha256hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// do sends req and reads at most 64 KiB of the answer.
func do(c *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("无法连接：%w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("读取应答：%w", err)
	}
	return resp.StatusCode, b, nil
}

func randomNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
