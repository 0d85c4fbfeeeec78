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

// Signing of the push and result APIs (the contract): X-Timestamp is unix
// seconds, X-Signature is hex HMAC-SHA256(secret, timestamp + "\n" + body),
// and X-Client names the hotline system whose secret signs.
const (
	HeaderClient    = "X-Client"
	HeaderTimestamp = "X-Timestamp"
	HeaderSignature = "X-Signature"
	// SignatureWindow is how far a timestamp may be from our clock; a
	// signature is remembered this long (twice, for clock skew both ways)
	// so that a replay is refused.
	SignatureWindow = 5 * time.Minute
)

// Clients are the hotline systems allowed to push (推送客户端). A secret is
// stored sealed with the data key: checking a signature needs the secret
// itself, so a one-way hash would not do.
type Clients struct {
	DB   *db.DB
	Keys *secret.Keys
	Now  func() time.Time // default time.Now
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

// Sign returns the X-Signature of a request: for the hotline side and tests.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("\n"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signed request and remembers its signature. Replays are
// refused across instances: seen signatures live in hotline_signatures.
// EUNAUTHORIZED with the reason for every failure.
func (c *Clients) Verify(ctx context.Context, client, timestamp, signature string, body []byte) error {
	unauth := func(why string) error { return apperr.Errorf(apperr.EUNAUTHORIZED, "签名无效：%s", why) }
	if client == "" || timestamp == "" || signature == "" {
		return unauth("缺少 X-Client、X-Timestamp 或 X-Signature")
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return unauth("X-Timestamp 不是 Unix 秒数")
	}
	now := c.now()
	if d := now.Sub(time.Unix(ts, 0)); d > SignatureWindow || d < -SignatureWindow {
		return unauth("时间戳已过期或与服务器时间相差超过 5 分钟")
	}
	sec, err := c.secret(ctx, client)
	if apperr.Is(err, apperr.ENOTFOUND) {
		return unauth("未知的推送客户端 " + client)
	}
	if err != nil {
		return err
	}
	got, err := hex.DecodeString(strings.ToLower(signature))
	want, _ := hex.DecodeString(Sign(sec, timestamp, body))
	if err != nil || !hmac.Equal(got, want) {
		return unauth("签名不匹配")
	}
	if _, err := c.DB.ExecContext(ctx, `DELETE FROM hotline_signatures WHERE seen_at < ?`, db.UTC(now.Add(-2*SignatureWindow))); err != nil {
		return db.Classify(fmt.Errorf("hotline: purge signatures: %w", err))
	}
	if _, err := c.DB.ExecContext(ctx, `INSERT INTO hotline_signatures (signature, client, seen_at) VALUES (?, ?, ?)`,
		hex.EncodeToString(got), client, db.UTC(now)); err != nil {
		if db.IsDuplicate(err) {
			return unauth("重复的请求（签名已使用过）")
		}
		return db.Classify(fmt.Errorf("hotline: remember signature: %w", err))
	}
	return nil
}
