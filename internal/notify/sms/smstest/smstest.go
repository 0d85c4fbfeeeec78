// Package smstest runs local stand-ins of the two SMS providers for tests:
// each checks every request as the provider's documentation specifies
// (method, content type, every required parameter, the timestamp window and
// the signature, which it recomputes from the documented steps with its own
// code, not the sender's) and answers as the provider does, errors included.
package smstest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one request the server received and what it made of it.
type Request struct {
	Phone     string            // as the provider received it
	Params    map[string]string // Aliyun: the form; Tencent: the JSON body's strings
	Templ     []string          // the template's variables
	Raw       string            // the whole body as sent
	Key       string            // OutId / SessionContext
	Valid     bool              // signature and parameters as documented
	Problem   string            // why not, when not
	Answered  int               // the HTTP status answered (0: hung up)
	Delivered bool              // answered as sent
}

// Server is a stand-in provider. Mode decides each answer.
type Server struct {
	*httptest.Server
	KeyID, Secret string

	mu       sync.Mutex
	requests []Request
	// Answer, when set, chooses the answer of request n (0-based) that was
	// valid: "" is success, "hang" never answers (until the client gives
	// up), any other value is the provider's error code.
	Answer func(n int, r *Request) string
}

// Requests returns a copy of what was received.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Delivered returns the requests answered as sent.
func (s *Server) Delivered() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Delivered {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	return len(s.requests) - 1
}

func (s *Server) set(i int, f func(r *Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.requests[i])
}

func (s *Server) answer(n int, r *Request) string {
	if s.Answer == nil {
		return ""
	}
	return s.Answer(n, r)
}

func (s *Server) validCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Valid {
			n++
		}
	}
	return n
}

// NewAliyun starts a stand-in for dysmsapi.aliyuncs.com (SendSms,
// 2017-05-25, RPC signature V1).
func NewAliyun(keyID, secret string) *Server {
	s := &Server{KeyID: keyID, Secret: secret}
	s.Server = httptest.NewServer(http.HandlerFunc(s.aliyun))
	return s
}

func (s *Server) aliyun(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Raw: string(body), Params: map[string]string{}}
	reply := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(status)
		out := map[string]string{"RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990", "Code": code, "Message": msg}
		if code == "OK" {
			out["BizId"] = fmt.Sprintf("9006197469364984%03d", len(s.Requests()))
		}
		json.NewEncoder(w).Encode(out)
	}
	fail := func(status int, code, why string) {
		req.Problem = why
		i := s.record(req)
		s.set(i, func(r *Request) { r.Answered = status })
		reply(status, code, why)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		fail(http.StatusBadRequest, "MissingParameter", fmt.Sprintf("want POST / form, got %s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type")))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		fail(http.StatusBadRequest, "InvalidParameter", "form: "+err.Error())
		return
	}
	for k, v := range form {
		if len(v) != 1 {
			fail(http.StatusBadRequest, "InvalidParameter", "repeated "+k)
			return
		}
		req.Params[k] = v[0]
	}
	p := req.Params
	req.Phone, req.Key = p["PhoneNumbers"], p["OutId"]
	var tp map[string]string
	json.Unmarshal([]byte(p["TemplateParam"]), &tp)
	for _, v := range tp {
		req.Templ = append(req.Templ, v)
	}
	for _, k := range []string{"AccessKeyId", "Action", "Format", "RegionId", "SignatureMethod", "SignatureNonce", "SignatureVersion",
		"Timestamp", "Version", "Signature", "PhoneNumbers", "SignName", "TemplateCode", "TemplateParam"} {
		if p[k] == "" {
			fail(http.StatusBadRequest, "MissingParameter", "missing "+k)
			return
		}
	}
	if p["Action"] != "SendSms" || p["Version"] != "2017-05-25" || p["SignatureMethod"] != "HMAC-SHA1" || p["SignatureVersion"] != "1.0" || p["Format"] != "JSON" {
		fail(http.StatusBadRequest, "InvalidParameter", "Action/Version/SignatureMethod/SignatureVersion/Format")
		return
	}
	if p["AccessKeyId"] != s.KeyID {
		fail(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
		return
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", p["Timestamp"])
	if err != nil || time.Since(ts) > 15*time.Minute || time.Until(ts) > 15*time.Minute {
		fail(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
		return
	}
	if tp == nil {
		fail(http.StatusOK, "isv.INVALID_JSON_PARAM", "TemplateParam is not JSON")
		return
	}
	if want := aliyunSign(p, s.Secret); p["Signature"] != want {
		fail(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
		return
	}
	req.Valid = true
	i := s.record(req)
	switch code := s.answer(s.validCount()-1, &req); code {
	case "":
		s.set(i, func(r *Request) { r.Answered, r.Delivered = http.StatusOK, true })
		reply(http.StatusOK, "OK", "OK")
	case "hang":
		<-r.Context().Done()
	default:
		s.set(i, func(r *Request) { r.Answered = http.StatusOK })
		reply(http.StatusOK, code, "test error "+code)
	}
}

// aliyunSign follows the documentation's steps with nothing shared with
// the sender: sort by name, RFC 3986-encode, join, StringToSign =
// POST&%2F&enc(query), base64(HMAC-SHA1(secret&, StringToSign)).
func aliyunSign(p map[string]string, secret string) string {
	enc := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		return b.String()
	}
	var keys []string
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var q []string
	for _, k := range keys {
		q = append(q, enc(k)+"="+enc(p[k]))
	}
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte("POST&" + enc("/") + "&" + enc(strings.Join(q, "&"))))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// NewTencent starts a stand-in for sms.tencentcloudapi.com (SendSms,
// 2021-01-11, TC3-HMAC-SHA256). appID is the SmsSdkAppId it accepts.
func NewTencent(secretID, secretKey string) *Server {
	s := &Server{KeyID: secretID, Secret: secretKey}
	s.Server = httptest.NewServer(http.HandlerFunc(s.tencent))
	return s
}

func (s *Server) tencent(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Raw: string(body), Params: map[string]string{}}
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"Response": v})
	}
	fail := func(code, why string) {
		req.Problem = code + ": " + why
		i := s.record(req)
		s.set(i, func(r *Request) { r.Answered = http.StatusOK })
		// TencentCloud API answers errors with HTTP 200 and Response.Error.
		reply(map[string]any{"Error": map[string]string{"Code": code, "Message": why}, "RequestId": "6b6e2a9c-0000-4b3c-9a4f-1c1c1c1c1c1c"})
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		fail("InvalidParameter", "want POST /")
		return
	}
	if r.Header.Get("X-TC-Action") != "SendSms" || r.Header.Get("X-TC-Version") != "2021-01-11" || r.Header.Get("X-TC-Region") == "" {
		fail("InvalidParameter", "X-TC-Action/X-TC-Version/X-TC-Region")
		return
	}
	var b struct {
		PhoneNumberSet   []string `json:"PhoneNumberSet"`
		SmsSdkAppID      string   `json:"SmsSdkAppId"`
		SignName         string   `json:"SignName"`
		TemplateID       string   `json:"TemplateId"`
		TemplateParamSet []string `json:"TemplateParamSet"`
		SessionContext   string   `json:"SessionContext"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		fail("InvalidParameter", "body is not JSON")
		return
	}
	req.Params["SmsSdkAppId"], req.Params["SignName"], req.Params["TemplateId"] = b.SmsSdkAppID, b.SignName, b.TemplateID
	req.Templ, req.Key = b.TemplateParamSet, b.SessionContext
	if len(b.PhoneNumberSet) != 1 || b.SmsSdkAppID == "" || b.SignName == "" || b.TemplateID == "" {
		fail("MissingParameter", "PhoneNumberSet, SmsSdkAppId, SignName, TemplateId")
		return
	}
	req.Phone = b.PhoneNumberSet[0]
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)) > 5*time.Minute || time.Until(time.Unix(ts, 0)) > 5*time.Minute {
		fail("AuthFailure.SignatureExpire", "签名过期")
		return
	}
	if problem := tc3Check(r, body, ts, s.KeyID, s.Secret); problem != "" {
		fail("AuthFailure.SignatureFailure", problem)
		return
	}
	req.Valid = true
	i := s.record(req)
	switch code := s.answer(s.validCount()-1, &req); code {
	case "":
		s.set(i, func(r *Request) { r.Answered, r.Delivered = http.StatusOK, true })
		reply(map[string]any{"SendStatusSet": []map[string]any{{"SerialNo": fmt.Sprintf("5000:1045710669157053657849499%03d", i),
			"PhoneNumber": req.Phone, "Fee": 1, "SessionContext": b.SessionContext, "Code": "Ok", "Message": "send success", "IsoCode": "CN"}},
			"RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"})
	case "hang":
		<-r.Context().Done()
	default:
		s.set(i, func(r *Request) { r.Answered = http.StatusOK })
		reply(map[string]any{"SendStatusSet": []map[string]any{{"SerialNo": "", "PhoneNumber": req.Phone, "Fee": 0,
			"SessionContext": b.SessionContext, "Code": code, "Message": "test error " + code, "IsoCode": "CN"}},
			"RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"})
	}
}

// tc3Check recomputes TC3-HMAC-SHA256 from the request as the
// documentation's steps say, with the headers the Authorization names.
func tc3Check(r *http.Request, body []byte, ts int64, id, secret string) string {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "TC3-HMAC-SHA256 ")
	if !ok {
		return "Authorization is not TC3-HMAC-SHA256"
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(part, "=")
		fields[k] = v
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	scope := date + "/sms/tc3_request"
	if fields["Credential"] != id+"/"+scope {
		return "Credential " + fields["Credential"] + ", want " + id + "/" + scope
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !contains(signed, "content-type") || !contains(signed, "host") {
		return "SignedHeaders must include content-type and host"
	}
	var canonHeaders strings.Builder
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canonHeaders.WriteString(h + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
	}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	canonical := strings.Join([]string{r.Method, "/", r.URL.RawQuery, canonHeaders.String(), fields["SignedHeaders"], sum(body)}, "\n")
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + sum([]byte(canonical))
	mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
	k := mac(mac(mac([]byte("TC3"+secret), date), "sms"), "tc3_request")
	if want := hex.EncodeToString(mac(k, toSign)); fields["Signature"] != want {
		return "Signature does not match"
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
