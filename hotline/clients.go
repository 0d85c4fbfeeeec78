package hotline

// Hotline systems that may push tickets (推送客户端) and the signature that
// proves a request comes from one. The HTTP side (internal/hotlineapi) reads
// the headers and the body and asks Verify; nothing here speaks HTTP.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/secret"
)

// Signing of the push and result APIs (the contract). X-Client names the
// hotline system whose secret signs, X-Timestamp is unix seconds.
//
// Version 2 (X-Nonce present) signs the request: X-Signature is hex
// HMAC-SHA256(secret, SigningString(method, path, timestamp, nonce, body)),
// so a signature is good for one method, one path, one body and once. Version
// 1 (no X-Nonce) signs only timestamp + "\n" + body: two GETs in one second
// had the same signature, and one signature fitted any path. Version 1 is
// accepted for pushes (POST) during the transition, unless RefuseV1; the
// result API (GET) needs version 2.
const (
	HeaderClient    = "X-Client"
	HeaderTimestamp = "X-Timestamp"
	HeaderNonce     = "X-Nonce"
	HeaderSignature = "X-Signature"
	// SignatureWindow is how far a timestamp may be from our clock; a
	// signature is remembered this long (twice, for clock skew both ways)
	// so that a replay is refused.
	SignatureWindow = 5 * time.Minute
	// SignatureV2 is the first line of the version 2 signing string.
	SignatureV2 = "ECOREPORT-HOTLINE-V2"
)

// nonceRe is what a nonce may be: 16 to 64 letters, digits, '-' or '_' (a
// UUID, or 16 random bytes in hex).
var nonceRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// SignedRequest is what a signature covers, as the HTTP side read it. Path
// is the request's path as it reached the service, escaped as sent, with
// "?" and the query when there is one.
type SignedRequest struct {
	Client, Timestamp, Nonce, Signature string
	Method, Path                        string
	Body                                []byte
}

// Clients are the hotline systems allowed to push (推送客户端). A secret is
// stored sealed with the data key: checking a signature needs the secret
// itself, so a one-way hash would not do.
type Clients struct {
	DB   *db.DB
	Keys *secret.Keys
	Now  func() time.Time // default time.Now
	// RefuseV1 ends the transition: version 1 signatures are refused for
	// pushes too (--hotline-sign-v1 off).
	RefuseV1 bool
}

var clientNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Add creates a client and returns its secret (64 hex characters), to be
// shown once. EINVALID for a bad name, ECONFLICT when it exists.
func (c *Clients) Add(ctx context.Context, name string) (string, error) {
	if !clientNameRe.MatchString(name) {
		return "", apperr.Invalid(map[string]string{"name": "名称只能由字母、数字、下划线、点和连字符组成，最长 64 个字符"})
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	sec := hex.EncodeToString(b[:])
	_, err := c.DB.ExecContext(ctx, `INSERT INTO hotline_clients (name, secret_enc, created_at) VALUES (?, ?, ?)`,
		name, c.Keys.Seal([]byte(sec)), db.UTC(c.now()))
	if err != nil {
		if db.IsDuplicate(err) {
			return "", apperr.Errorf(apperr.ECONFLICT, "推送客户端 %s 已存在", name)
		}
		return "", db.Classify(fmt.Errorf("hotline: add client: %w", err))
	}
	return sec, nil
}

func (c *Clients) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// secret returns the client's secret; ENOTFOUND for an unknown or disabled client.
func (c *Clients) secret(ctx context.Context, name string) ([]byte, error) {
	var enc string
	err := c.DB.GetContext(ctx, &enc, `SELECT secret_enc FROM hotline_clients WHERE name = ? AND disabled_at IS NULL`, name)
	if err != nil {
		return nil, db.Classify(db.NotFound(err, "未知的推送客户端"))
	}
	return c.Keys.Open(enc)
}

// Sign returns a version 1 X-Signature: hex HMAC-SHA256(secret, timestamp +
// "\n" + body). Kept for pushes during the transition; SignV2 is the one to
// use.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("\n"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SigningString is what a version 2 signature signs, one item a line:
//
//	ECOREPORT-HOTLINE-V2
//	POST
//	/api/hotline/v1/tickets
//	1764640000
//	3f2b8c1e9a7d4e6f8a0b1c2d3e4f5a6b
//	<hex SHA-256 of the body; of nothing for a GET>
//
// without a newline after the last.
func SigningString(method, path, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{SignatureV2, strings.ToUpper(method), path, timestamp, nonce, hex.EncodeToString(sum[:])}, "\n")
}

// SignV2 returns a version 2 X-Signature: hex HMAC-SHA256(secret,
// SigningString(…)). For the hotline side and tests.
func SignV2(secret []byte, method, path, timestamp, nonce string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(SigningString(method, path, timestamp, nonce, body)))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyRequest checks a signed request and remembers its signature, and
// returns the signature's version (1 or 2). Replays are refused across
// instances: seen signatures live in hotline_signatures. EUNAUTHORIZED with
// the reason for every failure, in Chinese.
func (c *Clients) VerifyRequest(ctx context.Context, r SignedRequest) (int, error) {
	unauth := func(why string) (int, error) { return 0, apperr.Errorf(apperr.EUNAUTHORIZED, "签名无效：%s", why) }
	if r.Client == "" || r.Timestamp == "" || r.Signature == "" {
		return unauth("缺少 X-Client、X-Timestamp 或 X-Signature")
	}
	version := 2
	if r.Nonce == "" {
		version = 1
		switch {
		case !strings.EqualFold(r.Method, "POST"):
			return unauth("查询须使用第 2 版签名（X-Nonce，签名含请求方法、路径和请求体）")
		case c.RefuseV1:
			return unauth("第 1 版签名已停用，请使用第 2 版签名（X-Nonce，签名含请求方法、路径和请求体）")
		}
	} else if !nonceRe.MatchString(r.Nonce) {
		return unauth("X-Nonce 须为 16 至 64 个字母、数字、“-”或“_”")
	}
	ts, err := strconv.ParseInt(r.Timestamp, 10, 64)
	if err != nil {
		return unauth("X-Timestamp 不是 Unix 秒数")
	}
	now := c.now()
	if d := now.Sub(time.Unix(ts, 0)); d > SignatureWindow || d < -SignatureWindow {
		return unauth("时间戳已过期或与服务器时间相差超过 5 分钟")
	}
	sec, err := c.secret(ctx, r.Client)
	if apperr.Is(err, apperr.ENOTFOUND) {
		return unauth("未知的推送客户端 " + r.Client)
	}
	if err != nil {
		return 0, err
	}
	want := Sign(sec, r.Timestamp, r.Body)
	if version == 2 {
		want = SignV2(sec, r.Method, r.Path, r.Timestamp, r.Nonce, r.Body)
	}
	got, err := hex.DecodeString(strings.ToLower(r.Signature))
	wantB, _ := hex.DecodeString(want)
	if err != nil || !hmac.Equal(got, wantB) {
		return unauth("签名不匹配")
	}
	if _, err := c.DB.ExecContext(ctx, `DELETE FROM hotline_signatures WHERE seen_at < ?`, db.UTC(now.Add(-2*SignatureWindow))); err != nil {
		return 0, db.Classify(fmt.Errorf("hotline: purge signatures: %w", err))
	}
	if _, err := c.DB.ExecContext(ctx, `INSERT INTO hotline_signatures (signature, client, seen_at) VALUES (?, ?, ?)`,
		hex.EncodeToString(got), r.Client, db.UTC(now)); err != nil {
		if db.IsDuplicate(err) {
			return unauth("重复的请求（签名已使用过）")
		}
		return 0, db.Classify(fmt.Errorf("hotline: remember signature: %w", err))
	}
	return version, nil
}
