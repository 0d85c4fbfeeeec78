package portal

// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) for partner
// apps: discovery, services, service definitions, filing (api_key required),
// listing and following requests, plus the page/page_size and
// servicerequestupdates extensions. Both formats, chosen by the .json/.xml
// suffix. README-open311.md documents the mapping to the ledger.
//
// Privacy: a listing shows only what is safe to publish (type, town, status,
// dates, public notes, responsible unit). The description, the street
// address, contact details and the tracking code never leave through a GET;
// the tracking code is returned once, to the partner that filed.

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/config"
	"ecoreport/internal/db"
	"ecoreport/internal/idempotency"
	"ecoreport/internal/ledger"
	"ecoreport/internal/partner"
	"ecoreport/internal/secret"
	"ecoreport/internal/web"
)

// Open311 serves the Open311 GeoReport v2 API under /open311/v2/. Set the
// fields and mount it with Register; Location, Now and Logger have defaults.
type Open311 struct {
	Ledger   *ledger.Service
	DB       *db.DB
	Keys     *secret.Keys
	Partners *partner.Keys  // the partners' api_keys; partner.New(DB) when nil
	Location *time.Location // dates are shown in it; Asia/Shanghai when nil
	Now      func() time.Time
	Logger   *slog.Logger

	// County names the task force and hotline in the discovery document
	// (config.DefaultCounty() when its name is empty).
	County config.County

	// PostsPerMinute limits filings per api_key (per instance); 60 when 0.
	PostsPerMinute int

	once    sync.Once
	keys    *idempotency.Store
	limiter *o311Limiter
	errs    web.Errors
}

// Open311 limits.
const (
	o311MaxBody        = 256 << 10 // a filing's form body
	o311MaxResults     = 1000      // requests per response (the spec's default limit)
	o311DefaultWindow  = 90 * 24 * time.Hour
	o311DefaultPerMin  = 60
	o311MaxIDsPerQuery = 200
)

func (o *Open311) init() {
	o.once.Do(func() {
		if o.Now == nil {
			o.Now = time.Now
		}
		if o.Logger == nil {
			o.Logger = slog.Default()
		}
		if o.Location == nil {
			loc, err := time.LoadLocation("Asia/Shanghai")
			if err != nil {
				loc = time.FixedZone("CST", 8*3600)
			}
			o.Location = loc
		}
		if o.DB == nil && o.Ledger != nil {
			o.DB = o.Ledger.DB
		}
		if o.Keys == nil && o.Ledger != nil {
			o.Keys = o.Ledger.Keys
		}
		if o.Partners == nil {
			o.Partners = partner.New(o.DB)
		}
		n := o.PostsPerMinute
		if n <= 0 {
			n = o311DefaultPerMin
		}
		o.limiter = &o311Limiter{per: time.Minute, max: n, now: o.Now, seen: map[int64]*o311Window{}}
		o.errs = web.Errors{Log: o.Logger, Surface: "open311"}
		o.keys = idempotency.New(o.DB, o.Keys, o.Now)
	})
}

// Register mounts the API under /open311/v2/ on r:
//
//	GET  discovery.{fmt}  services.{fmt}  services/{service_code}.{fmt}
//	POST requests.{fmt}
//	GET  requests.{fmt}  requests/{service_request_id}.{fmt}  servicerequestupdates.{fmt}
func (o *Open311) Register(r gin.IRouter) {
	o.init()
	g := r.Group("/open311/v2")
	for _, f := range []string{"json", "xml"} {
		g.GET("/discovery."+f, o.handle(o.discovery))
		g.GET("/services."+f, o.handle(o.services))
		g.GET("/requests."+f, o.handle(o.requests))
		g.GET("/servicerequestupdates."+f, o.handle(o.updates))
		g.POST("/requests."+f, o.handle(o.post))
	}
	g.GET("/services/:file", o.handle(o.definition))
	g.GET("/requests/:file", o.handle(o.request))
}

// o311Format is the response format of a request.
type o311Format string

const (
	o311JSON o311Format = "json"
	o311XML  o311Format = "xml"
)

// o311Split splits "air.json" into "air" and the format; ok=false for any
// other suffix.
func o311Split(file string) (string, o311Format, bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return "", "", false
	}
	switch f := o311Format(file[i+1:]); f {
	case o311JSON, o311XML:
		return file[:i], f, true
	}
	return "", "", false
}

// o311Call is one request being served: its format and the :file stem.
type o311Call struct {
	c    *gin.Context
	fmt  o311Format
	stem string // the part before the suffix of :file ("" for fixed paths)
}

func (o *Open311) handle(fn func(call *o311Call) (any, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.Header("X-Content-Type-Options", "nosniff")
		call := &o311Call{c: c, fmt: o311XML}
		if file := c.Param("file"); file != "" {
			stem, f, ok := o311Split(file)
			if !ok {
				o.fail(call, apperr.Errorf(apperr.ENOTFOUND, "不支持的格式：请在路径末尾使用 .json 或 .xml"))
				return
			}
			call.fmt, call.stem = f, stem
		} else if strings.HasSuffix(c.Request.URL.Path, ".json") {
			call.fmt = o311JSON
		}
		v, err := fn(call)
		if err != nil {
			o.fail(call, err)
			return
		}
		o.write(call, http.StatusOK, v)
	}
}

// fail answers err with the spec's errors body: one entry whose code is the
// HTTP status, which comes from the application's one table (web.Status):
// EINVALID 422, EMALFORMED 400, EFORBIDDEN 403 (a missing or revoked
// api_key), ENOTFOUND 404, ETOOLARGE 413, ERATELIMIT 429 with Retry-After.
// Field errors name the field in the description. Anything unexpected is
// 500 with a generic message and logged (without the request's address or
// form values).
func (o *Open311) fail(call *o311Call, err error) {
	p := o.errs.Problem(call.c, err)
	desc := p.Message
	if len(p.Fields) > 0 {
		desc = o311FieldText(p.Fields)
	}
	o.write(call, p.Status, []o311ErrorItem{{Code: p.Status, Description: desc}})
}

// o311ErrorItem is one entry of the errors body.
type o311ErrorItem struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type o311Errors struct {
	XMLName xml.Name        `xml:"errors"`
	Errors  []o311ErrorItem `xml:"error"`
}

// o311Invalid is an EINVALID error about one query or form field.
func o311Invalid(field, msg string) error {
	return apperr.Invalid(map[string]string{field: msg})
}

// o311FieldText joins per-field messages as "field：message；…" in a stable
// order so a client can tell which field was wrong.
func o311FieldText(fs map[string]string) string {
	names := make([]string, 0, len(fs))
	for k := range fs {
		names = append(names, k)
	}
	// small n: insertion sort keeps this dependency-free
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "：" + fs[n]
	}
	return strings.Join(parts, "；")
}

// write renders v in the call's format. Slices of the list types get their
// XML root from o311XMLRoot.
func (o *Open311) write(call *o311Call, status int, v any) {
	if call.fmt == o311JSON {
		b, err := json.Marshal(v)
		if err != nil {
			o.Logger.Error("open311: encode json", "err", err)
			call.c.Status(http.StatusInternalServerError)
			return
		}
		call.c.Data(status, "application/json; charset=utf-8", b)
		return
	}
	b, err := xml.Marshal(o311XMLRoot(v))
	if err != nil {
		o.Logger.Error("open311: encode xml", "err", err)
		call.c.Status(http.StatusInternalServerError)
		return
	}
	call.c.Data(status, "text/xml; charset=utf-8", append([]byte(xml.Header), b...))
}

// o311XMLRoot wraps the JSON arrays in the spec's XML root elements.
func o311XMLRoot(v any) any {
	switch x := v.(type) {
	case []o311ErrorItem:
		return o311Errors{Errors: x}
	case []o311Service:
		return o311Services{Services: x}
	case []o311Request:
		return o311Requests{Requests: x}
	case []o311Filed:
		return o311FiledList{Requests: x}
	case []o311Update:
		return o311Updates{Updates: x}
	}
	return v
}

func (o *Open311) ctx(call *o311Call) context.Context { return call.c.Request.Context() }

// rfc3339 formats t in the portal's zone.
func (o *Open311) rfc3339(t time.Time) string { return t.In(o.Location).Format(time.RFC3339) }

// o311Limiter counts filings per key in fixed windows, in memory. With
// several instances each has its own counter: the limit is a guard against
// a runaway client, not a quota.
type o311Limiter struct {
	mu   sync.Mutex
	per  time.Duration
	max  int
	now  func() time.Time
	seen map[int64]*o311Window
}

type o311Window struct {
	start time.Time
	n     int
}

// allow counts one filing by key; when refused it says how long to wait.
func (l *o311Limiter) allow(key int64) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) > 10000 { // keys are few; this only bounds memory
		for k, w := range l.seen {
			if now.Sub(w.start) >= l.per {
				delete(l.seen, k)
			}
		}
	}
	w := l.seen[key]
	if w == nil || now.Sub(w.start) >= l.per || now.Before(w.start) {
		l.seen[key] = &o311Window{start: now, n: 1}
		return true, 0
	}
	if w.n >= l.max {
		return false, w.start.Add(l.per).Sub(now)
	}
	w.n++
	return true, 0
}
