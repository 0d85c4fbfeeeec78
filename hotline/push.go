package hotline

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
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

// API is the push API (POST /api/hotline/v1/tickets) and the result API
// (GET /api/hotline/v1/tickets/{ticket_no}) for hotline systems.
type API struct {
	Importer *Importer
	Feedback *Feedback
	Clients  *Clients
	Logf     func(format string, args ...any) // default log.Printf
	// MaxBody bounds a push request (default 8 MiB); MaxTickets the
	// tickets in one (default 2000).
	MaxBody    int64
	MaxTickets int
}

// Register mounts the routes.
func (a *API) Register(r gin.IRouter) {
	r.POST("/api/hotline/v1/tickets", a.push)
	r.GET("/api/hotline/v1/tickets/:ticket_no", a.result)
}

func (a *API) logf(format string, args ...any) {
	if a.Logf != nil {
		a.Logf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// PushResult is the answer for one pushed ticket.
type PushResult struct {
	Index        int      `json:"index"`
	TicketNo     string   `json:"ticket_no"`
	Outcome      string   `json:"outcome"`
	TrackingCode string   `json:"tracking_code,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
	Errors       []string `json:"errors,omitempty"`
}

// PushResponse is the answer to a push.
type PushResponse struct {
	BatchID int64        `json:"batch_id"`
	Results []PushResult `json:"results"`
}

func (a *API) fail(c *gin.Context, err error) {
	status := http.StatusInternalServerError
	switch apperr.Code(err) {
	case apperr.EINVALID:
		status = http.StatusUnprocessableEntity
	case apperr.EUNAUTHORIZED:
		status = http.StatusUnauthorized
	case apperr.ENOTFOUND:
		status = http.StatusNotFound
	case apperr.EUNAVAILABLE:
		status = http.StatusServiceUnavailable
	case apperr.ECONFLICT:
		status = http.StatusConflict
	}
	if status >= 500 {
		a.logf("hotline api: %s %s: %v", c.Request.Method, c.FullPath(), err)
	}
	c.AbortWithStatusJSON(status, gin.H{"error": apperr.Message(err), "code": apperr.Code(err)})
}

// verify reads the body (bounded) and checks the signature; on failure it
// answers 401 and logs the client, the reason and the remote address (a
// hotline system, not a resident).
func (a *API) verify(c *gin.Context) ([]byte, string, bool) {
	max := a.MaxBody
	if max <= 0 {
		max = 8 << 20
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, max+1))
	if err != nil {
		a.fail(c, apperr.Errorf(apperr.EINVALID, "请求体无法读取"))
		return nil, "", false
	}
	if int64(len(body)) > max {
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"error": fmt.Sprintf("请求体超过 %d MiB", max>>20), "code": apperr.EINVALID})
		return nil, "", false
	}
	client := c.GetHeader(HeaderClient)
	err = a.Clients.Verify(c.Request.Context(), client, c.GetHeader(HeaderTimestamp), c.GetHeader(HeaderSignature), body)
	if err != nil {
		if apperr.Is(err, apperr.EUNAUTHORIZED) {
			a.logf("hotline api: 401 %s %s client=%q from %s: %s", c.Request.Method, c.Request.URL.Path, client, c.ClientIP(), apperr.Message(err))
		}
		a.fail(c, err)
		return nil, "", false
	}
	return body, client, true
}

// pushColumns are the contract's field names, in the order of the CSV the
// pushed tickets become.
var pushColumns = []string{"ticket_no", "received_at", "content", "caller_name", "caller_phone", "anonymous", "town",
	"address", "category", "subject", "due_at", "wants_reward"}

var pushAliases = func() map[string][]string {
	m := map[string][]string{}
	for _, k := range pushColumns {
		m[k] = []string{k}
	}
	return m
}()

func (a *API) push(c *gin.Context) {
	body, client, ok := a.verify(c)
	if !ok {
		return
	}
	var tickets []map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&tickets); err != nil {
		a.fail(c, apperr.Invalid(map[string]string{"body": "请求体须为工单的 JSON 数组：" + err.Error()}))
		return
	}
	max := a.MaxTickets
	if max <= 0 {
		max = 2000
	}
	if len(tickets) == 0 || len(tickets) > max {
		a.fail(c, apperr.Invalid(map[string]string{"body": fmt.Sprintf("一次推送 1 至 %d 条工单", max)}))
		return
	}
	header, rows, err := pushTable(tickets)
	if err != nil {
		a.fail(c, err)
		return
	}
	data := csvOf(header, rows)
	opt := a.Importer.Options
	opt.Aliases = mergeAliases(opt.Aliases, pushAliases)
	results := make([]PushResult, len(tickets))
	for i := range results {
		results[i] = PushResult{Index: i, TicketNo: stringValue(tickets[i]["ticket_no"]), Outcome: OutcomeRejected, Errors: []string{"工单为空"}}
	}
	operator := "hotline:" + client
	rc, err := a.Importer.run(c.Request.Context(), SourcePush, "推送："+client, operator, ledger.Actor{Name: operator},
		func() (*Reader, error) { return NewReader(bytes.NewReader(data), "push.csv", opt) }, nil,
		func(r RowResult) {
			i := r.Row - 2 // row 1 is the header; one record a row
			if i < 0 || i >= len(results) {
				return
			}
			results[i] = PushResult{Index: i, TicketNo: results[i].TicketNo, Outcome: r.Outcome, TrackingCode: r.TrackingCode,
				Warnings: r.Warnings, Errors: r.Errors}
			if r.TicketNo != "" {
				results[i].TicketNo = r.TicketNo
			}
		}, func(rc *Receipt) {
			sum := sha256.Sum256(body)
			rc.SHA256 = hex.EncodeToString(sum[:])
		})
	if err != nil {
		if rc != nil && rc.Total() > 0 {
			// Some batches committed: pushing the same request again
			// (signed anew) is safe.
			a.logf("hotline api: push by %s stopped after %d tickets: %v", client, rc.Total(), err)
		}
		a.fail(c, db.Classify(err))
		return
	}
	c.JSON(http.StatusOK, PushResponse{BatchID: rc.BatchID, Results: results})
}

// pushTable turns pushed JSON tickets into a header and rows: the contract's
// fields first, then any other field in name order (kept as extra columns).
func pushTable(tickets []map[string]json.RawMessage) ([]string, [][]string, error) {
	known := map[string]bool{"categories": true}
	for _, k := range pushColumns {
		known[k] = true
	}
	extraSet := map[string]bool{}
	for _, t := range tickets {
		for k := range t {
			if !known[k] {
				extraSet[k] = true
			}
		}
	}
	extras := make([]string, 0, len(extraSet))
	for k := range extraSet {
		extras = append(extras, k)
	}
	sort.Strings(extras)
	header := append(append([]string(nil), pushColumns...), extras...)
	rows := make([][]string, len(tickets))
	for i, t := range tickets {
		row := make([]string, len(header))
		for j, k := range header {
			v := t[k]
			if k == "category" && len(v) == 0 {
				v = t["categories"]
			}
			row[j] = stringValue(v)
		}
		rows[i] = row
	}
	return header, rows, nil
}

// stringValue writes a JSON value as a cell: strings as they are, numbers as
// written, booleans as 是/否, arrays joined with 、.
func stringValue(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		if b {
			return "是"
		}
		return "否"
	}
	var arr []json.RawMessage
	if json.Unmarshal(v, &arr) == nil {
		parts := make([]string, len(arr))
		for i, x := range arr {
			parts[i] = stringValue(x)
		}
		return strings.Join(parts, "、")
	}
	if string(v) == "null" {
		return ""
	}
	return string(bytes.TrimSpace(v)) // numbers as written; objects as JSON text
}

func mergeAliases(a, b map[string][]string) map[string][]string {
	m := map[string][]string{}
	for k, v := range a {
		m[k] = append(m[k], v...)
	}
	for k, v := range b {
		m[k] = append(m[k], v...)
	}
	return m
}

func (a *API) result(c *gin.Context) {
	if _, _, ok := a.verify(c); !ok {
		return
	}
	row, err := a.Feedback.Ticket(c.Request.Context(), c.Param("ticket_no"))
	if err != nil {
		a.fail(c, err)
		return
	}
	loc := a.Feedback.Ledger.Location
	cells := row.Cells(loc)
	out := gin.H{"columns": FeedbackColumns, "values": cells}
	for i, col := range FeedbackColumns {
		out[col] = cells[i]
	}
	out["ticket_no"], out["query_code"], out["status"] = row.TicketNo, row.Ref, row.Status
	c.JSON(http.StatusOK, out)
}
