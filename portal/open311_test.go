package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/partner"
	"ecoreport/internal/secret"
)

type o311Env struct {
	t   *testing.T
	o   *Open311
	e   *gin.Engine
	db  *db.DB
	svc *ledger.Service
	key string
	now time.Time
}

func newO311Env(t *testing.T) *o311Env {
	t.Helper()
	gin.SetMode(gin.TestMode)
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := ledger.NewService(d, keys)
	v := &o311Env{t: t, db: d, svc: svc, now: time.Now()}
	svc.Now = func() time.Time { return v.now }
	v.o = &Open311{Ledger: svc, DB: d, Keys: keys, Now: func() time.Time { return v.now },
		Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	v.e = gin.New()
	v.o.Register(v.e)
	if v.key, err = partner.New(d).Add(context.Background(), "wechat-app"); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v *o311Env) get(path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	v.e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

func (v *o311Env) post(path string, form url.Values) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	v.e.ServeHTTP(w, r)
	return w
}

// form is a valid filing.
func (v *o311Env) form() url.Values {
	return url.Values{
		"api_key": {v.key}, "service_code": {"air"}, "lat": {"33.0381"}, "long": {"108.2480"},
		"description": {"城关镇南门外的石料厂每天夜里排放刺鼻黑烟，持续两周了"},
		"first_name":  {"小明"}, "last_name": {"王"}, "phone": {"13800001234"},
		"attribute[town]": {"1"}, "attribute[subject]": {"某某石料厂"},
		"attribute[identity]": {"confidential"}, "attribute[wants_reward]": {"true"},
	}
}

func (v *o311Env) fileOne(f url.Values) o311Filed {
	v.t.Helper()
	w := v.post("/open311/v2/requests.json", f)
	if w.Code != http.StatusOK {
		v.t.Fatalf("POST requests.json = %d %s", w.Code, w.Body)
	}
	var out []o311Filed
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out) != 1 {
		v.t.Fatalf("POST answer %s: %v", w.Body, err)
	}
	return out[0]
}

// decode parses a body of either format into v (XML roots as the spec).
func o311Decode(t *testing.T, format string, body []byte, v any) {
	t.Helper()
	var err error
	if format == "json" {
		err = json.Unmarshal(body, v)
	} else {
		if !bytes.HasPrefix(body, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
			t.Errorf("XML without declaration: %.80s", body)
		}
		err = xml.Unmarshal(body, v)
	}
	if err != nil {
		t.Fatalf("decode %s: %v\n%s", format, err, body)
	}
}

// XML shapes as a client written from the spec would declare them.
type (
	o311XDiscovery struct {
		XMLName   xml.Name `xml:"discovery"`
		Changeset string   `xml:"changeset"`
		Endpoints []struct {
			Specification string   `xml:"specification"`
			URL           string   `xml:"url"`
			Formats       []string `xml:"formats>format"`
		} `xml:"endpoints>endpoint"`
	}
	o311XServices struct {
		XMLName  xml.Name      `xml:"services"`
		Services []o311Service `xml:"service"`
	}
	o311XDefinition struct {
		XMLName     xml.Name `xml:"service_definition"`
		ServiceCode string   `xml:"service_code"`
		Attributes  []struct {
			Variable bool   `xml:"variable"`
			Code     string `xml:"code"`
			Datatype string `xml:"datatype"`
			Required bool   `xml:"required"`
			Order    int    `xml:"order"`
			Values   []struct {
				Key  string `xml:"key"`
				Name string `xml:"name"`
			} `xml:"values>value"`
		} `xml:"attributes>attribute"`
	}
	o311XFiled struct {
		XMLName  xml.Name    `xml:"service_requests"`
		Requests []o311Filed `xml:"request"`
	}
	o311XRequests struct {
		XMLName  xml.Name      `xml:"service_requests"`
		Requests []o311Request `xml:"request"`
	}
	o311XUpdates struct {
		XMLName xml.Name     `xml:"service_requests_updates"`
		Updates []o311Update `xml:"request_update"`
	}
	o311XErrors struct {
		XMLName xml.Name `xml:"errors"`
		Errors  []struct {
			Code        int    `xml:"code"`
			Description string `xml:"description"`
		} `xml:"error"`
	}
)

func TestOpen311Discovery(t *testing.T) {
	v := newO311Env(t)
	for _, f := range []string{"json", "xml"} {
		t.Run(f, func(t *testing.T) {
			w := v.get("/open311/v2/discovery." + f)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			var d o311XDiscovery
			if f == "json" {
				var j o311Discovery
				o311Decode(t, f, w.Body.Bytes(), &j)
				d.Changeset = j.Changeset
				for _, e := range j.Endpoints {
					d.Endpoints = append(d.Endpoints, struct {
						Specification string   `xml:"specification"`
						URL           string   `xml:"url"`
						Formats       []string `xml:"formats>format"`
					}{e.Specification, e.URL, e.Formats})
				}
			} else {
				o311Decode(t, f, w.Body.Bytes(), &d)
			}
			if len(d.Endpoints) != 1 || d.Endpoints[0].Specification != "http://wiki.open311.org/GeoReport_v2" ||
				!strings.HasSuffix(d.Endpoints[0].URL, "/open311/v2") || len(d.Endpoints[0].Formats) != 2 || d.Changeset == "" {
				t.Errorf("discovery = %+v", d)
			}
		})
	}
}

func TestOpen311Services(t *testing.T) {
	v := newO311Env(t)
	for _, f := range []string{"json", "xml"} {
		t.Run(f, func(t *testing.T) {
			w := v.get("/open311/v2/services." + f)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			var ss []o311Service
			if f == "json" {
				o311Decode(t, f, w.Body.Bytes(), &ss)
			} else {
				var x o311XServices
				o311Decode(t, f, w.Body.Bytes(), &x)
				ss = x.Services
			}
			if len(ss) != len(ledger.AllCategories) {
				t.Fatalf("%d services", len(ss))
			}
			for i, s := range ss {
				c := ledger.AllCategories[i]
				if s.ServiceCode != string(c) || s.ServiceName != c.Label() || !s.Metadata || s.Group != c.Group() || s.Keywords == "" || s.Type == "" {
					t.Errorf("service %d = %+v", i, s)
				}
			}
			if ss[6].Group != "生态破坏" || ss[0].Group != "环境污染" {
				t.Errorf("groups: %q %q", ss[0].Group, ss[6].Group)
			}
		})
	}
}

func TestOpen311ServiceDefinition(t *testing.T) {
	v := newO311Env(t)
	for _, f := range []string{"json", "xml"} {
		t.Run(f, func(t *testing.T) {
			w := v.get("/open311/v2/services/water." + f)
			if w.Code != 200 {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			var d o311XDefinition
			if f == "json" {
				var j o311Definition
				o311Decode(t, f, w.Body.Bytes(), &j)
				b, _ := xml.Marshal(j) // same shape through the XML path
				o311Decode(t, "xml", append([]byte(xml.Header), b...), &d)
			} else {
				o311Decode(t, f, w.Body.Bytes(), &d)
			}
			if d.ServiceCode != "water" || len(d.Attributes) != 4 {
				t.Fatalf("definition = %+v", d)
			}
			town := d.Attributes[0]
			if town.Code != "town" || town.Datatype != "singlevaluelist" || !town.Required || !town.Variable || len(town.Values) != 11 ||
				town.Values[0].Key != "1" || town.Values[0].Name != "城关镇" {
				t.Errorf("town = %+v", town)
			}
			if a := d.Attributes[1]; a.Code != "subject" || a.Datatype != "string" || a.Required || len(a.Values) != 0 {
				t.Errorf("subject = %+v", a)
			}
			if a := d.Attributes[2]; a.Code != "identity" || len(a.Values) != 2 || a.Values[0].Key != "anonymous" {
				t.Errorf("identity = %+v", a)
			}
			if a := d.Attributes[3]; a.Code != "wants_reward" || len(a.Values) != 2 || a.Values[0].Key != "true" || a.Order != 4 {
				t.Errorf("wants_reward = %+v", a)
			}
		})
	}
}

func TestOpen311Errors(t *testing.T) {
	v := newO311Env(t)
	without := func(k string) url.Values { f := v.form(); f.Del(k); return f }
	with := func(k, val string) url.Values { f := v.form(); f.Set(k, val); return f }
	noLocation := without("lat")
	noLocation.Del("long")
	tests := []struct {
		name   string
		method string
		path   string
		form   url.Values
		code   int
		want   string // in the description
	}{
		{"ErrMissingKey", "POST", "requests", without("api_key"), 403, "api_key"},
		{"ErrBadKey", "POST", "requests", with("api_key", "eco311_nope"), 403, "api_key"},
		{"ErrNoLocation", "POST", "requests", noLocation, 422, "address_string"},
		{"ErrBadLatitude", "POST", "requests", with("lat", "north"), 422, "lat"},
		{"ErrShortDescription", "POST", "requests", with("description", "太吵了"), 422, "description"},
		{"ErrControlChars", "POST", "requests", with("description", "夜里排放黑烟\x00\x01持续两周了很久"), 422, "description"},
		{"ErrInvalidUTF8", "POST", "requests", with("description", "夜里排放黑烟\xff\xfe持续两周了很久"), 422, "description"},
		{"ErrUnknownTown", "POST", "requests", with("attribute[town]", "99"), 422, "attribute[town]"},
		{"ErrUnknownServiceCode", "POST", "requests", with("service_code", "graffiti"), 422, "service_code"},
		{"ErrUnknownAttribute", "POST", "requests", with("attribute[color]", "red"), 422, "attribute[color]"},
		{"ErrConfidentialWithoutPhone", "POST", "requests", without("phone"), 422, "phone"},
		{"ErrUnknownService", "GET", "services/graffiti", nil, 404, "graffiti"},
		{"ErrUnknownRequest", "GET", "requests/R9999999", nil, 404, "R9999999"},
		{"ErrMalformedRequestID", "GET", "requests/ABCD-EFGH", nil, 404, "不存在"},
		{"ErrBadDate", "GET", "requests", url.Values{"start_date": {"yesterday"}}, 422, "start_date"},
		{"ErrBadStatus", "GET", "requests", url.Values{"status": {"pending"}}, 422, "status"},
		{"ErrBadPageSize", "GET", "requests", url.Values{"page_size": {"5000"}}, 422, "page_size"},
		{"ErrBadUpdatesWindow", "GET", "servicerequestupdates", url.Values{"start_date": {"2020-01-01T00:00:00Z"}}, 422, "90"},
	}
	for _, tc := range tests {
		for _, f := range []string{"json", "xml"} {
			t.Run(tc.name+"/"+f, func(t *testing.T) {
				var w *httptest.ResponseRecorder
				if tc.method == "POST" {
					w = v.post("/open311/v2/"+tc.path+"."+f, tc.form)
				} else {
					w = v.get("/open311/v2/" + tc.path + "." + f + "?" + tc.form.Encode())
				}
				if w.Code != tc.code {
					t.Fatalf("status = %d, want %d: %s", w.Code, tc.code, w.Body)
				}
				var code int
				var desc string
				if f == "json" {
					var es []o311ErrorItem
					o311Decode(t, f, w.Body.Bytes(), &es)
					if len(es) != 1 {
						t.Fatalf("errors = %s", w.Body)
					}
					code, desc = es[0].Code, es[0].Description
				} else {
					var x o311XErrors
					o311Decode(t, f, w.Body.Bytes(), &x)
					if len(x.Errors) != 1 {
						t.Fatalf("errors = %s", w.Body)
					}
					code, desc = x.Errors[0].Code, x.Errors[0].Description
				}
				if code != tc.code || !strings.Contains(desc, tc.want) {
					t.Errorf("error = %d %q, want %d containing %q", code, desc, tc.code, tc.want)
				}
			})
		}
	}
	if n := o311Count(t, v.db, "complaints"); n != 0 {
		t.Errorf("%d complaints filed by bad requests", n)
	}
	t.Run("ErrUnknownFormat", func(t *testing.T) {
		if w := v.get("/open311/v2/requests/R0000001.html"); w.Code != 404 || !strings.Contains(w.Body.String(), "<errors>") {
			t.Errorf("= %d %s", w.Code, w.Body)
		}
	})
	t.Run("ErrRevokedKey", func(t *testing.T) {
		if _, err := partner.New(v.db).Revoke(context.Background(), "wechat-app"); err != nil {
			t.Fatal(err)
		}
		if w := v.post("/open311/v2/requests.json", v.form()); w.Code != 403 {
			t.Errorf("revoked key = %d %s", w.Code, w.Body)
		}
	})
}

func o311Count(t *testing.T, d *db.DB, table string) int {
	var n int
	if err := d.Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpen311FileAndFollow walks a client written from the spec through
// discovery, services, definition, filing and following, in both formats,
// until the case is dismissed with a reply.
func TestOpen311FileAndFollow(t *testing.T) {
	for _, f := range []string{"json", "xml"} {
		t.Run(f, func(t *testing.T) {
			v := newO311Env(t)
			ctx := context.Background()
			for _, p := range []string{"discovery", "services", "services/air"} {
				if w := v.get("/open311/v2/" + p + "." + f); w.Code != 200 {
					t.Fatalf("%s = %d", p, w.Code)
				}
			}
			form := v.form()
			w := v.post("/open311/v2/requests."+f, form)
			if w.Code != 200 {
				t.Fatalf("POST = %d %s", w.Code, w.Body)
			}
			var filed []o311Filed
			if f == "json" {
				o311Decode(t, f, w.Body.Bytes(), &filed)
			} else {
				var x o311XFiled
				o311Decode(t, f, w.Body.Bytes(), &x)
				filed = x.Requests
			}
			if len(filed) != 1 || !strings.HasPrefix(filed[0].ServiceRequestID, "R") || filed[0].ServiceNotice == "" ||
				len(filed[0].TrackingCode) != 19 {
				t.Fatalf("filed = %+v", filed)
			}
			fr := filed[0]
			if strings.Contains(fr.ServiceRequestID, strings.ReplaceAll(fr.TrackingCode, "-", "")[:8]) {
				t.Errorf("service_request_id carries the tracking code")
			}
			// The resident can track with the code; the complaint holds what was sent.
			cmp, err := v.svc.Track(ctx, fr.TrackingCode)
			if err != nil {
				t.Fatalf("track: %v", err)
			}
			if cmp.Ref() != fr.ServiceRequestID || cmp.Channel != ledger.ChannelAPI || cmp.Identity != ledger.Confidential ||
				!cmp.WantsReward || cmp.Subject != "某某石料厂" || !cmp.TownID.Valid || cmp.TownID.Int64 != 1 ||
				!strings.Contains(cmp.Extra, `"lat"`) || !cmp.Categories.Has(ledger.Air) {
				t.Errorf("complaint = %+v", cmp)
			}
			if ct, err := v.svc.Contact(cmp); err != nil || ct == nil || ct.Name != "王小明" || ct.Phone != "13800001234" {
				t.Errorf("contact = %+v %v", ct, err)
			}
			var actor string
			v.db.Get(&actor, `SELECT actor FROM events WHERE complaint_id = ? ORDER BY id LIMIT 1`, cmp.ID)
			if actor != "open311:wechat-app" {
				t.Errorf("actor = %q", actor)
			}

			one := func() o311Request {
				t.Helper()
				w := v.get("/open311/v2/requests/" + fr.ServiceRequestID + "." + f)
				if w.Code != 200 {
					t.Fatalf("GET request = %d %s", w.Code, w.Body)
				}
				var rs []o311Request
				if f == "json" {
					o311Decode(t, f, w.Body.Bytes(), &rs)
				} else {
					var x o311XRequests
					o311Decode(t, f, w.Body.Bytes(), &x)
					rs = x.Requests
				}
				if len(rs) != 1 {
					t.Fatalf("requests = %s", w.Body)
				}
				return rs[0]
			}
			r := one()
			if r.ServiceRequestID != fr.ServiceRequestID || r.Status != "open" || r.ServiceCode != "air" || r.ServiceName != "大气" ||
				r.Address != "城关镇" || r.AgencyResponsible != "" || r.StatusNotes == "" || r.ExpectedDatetime == "" {
				t.Errorf("request = %+v", r)
			}
			if rt, err := time.Parse(time.RFC3339, r.RequestedDatetime); err != nil || !strings.HasSuffix(r.RequestedDatetime, "+08:00") ||
				rt.Sub(v.now).Abs() > time.Second {
				t.Errorf("requested_datetime = %q (%v)", r.RequestedDatetime, err)
			}

			// Staff work the case: accept, verify, unsubstantiated with a reply.
			staff := ledger.Actor{Name: "inspector"}
			v.now = v.now.Add(time.Hour)
			caseID, err := v.svc.Accept(ctx, cmp.ID, 0, staff, ledger.EventInput{})
			if err != nil {
				t.Fatal(err)
			}
			if err := v.svc.StartVerification(ctx, caseID, staff, ledger.EventInput{InternalNote: "内部：联系王小明"}); err != nil {
				t.Fatal(err)
			}
			v.now = v.now.Add(time.Hour)
			reply := "经现场核查，该石料厂已停产，未发现排放黑烟。"
			if err := v.svc.RecordVerification(ctx, caseID, ledger.Unsubstantiated, reply, staff, ledger.EventInput{}); err != nil {
				t.Fatal(err)
			}
			r = one()
			if r.Status != "closed" || r.StatusNotes != reply {
				t.Errorf("after dismissal: %+v", r)
			}
			if ut, _ := time.Parse(time.RFC3339, r.UpdatedDatetime); ut.Sub(v.now).Abs() > time.Second {
				t.Errorf("updated_datetime = %s, want about %s", r.UpdatedDatetime, v.now)
			}

			// The list finds it by status and type, and not under the other status.
			list := func(q string) []o311Request {
				t.Helper()
				w := v.get("/open311/v2/requests." + f + "?" + q)
				if w.Code != 200 {
					t.Fatalf("GET requests?%s = %d %s", q, w.Code, w.Body)
				}
				var rs []o311Request
				if f == "json" {
					o311Decode(t, f, w.Body.Bytes(), &rs)
				} else {
					var x o311XRequests
					o311Decode(t, f, w.Body.Bytes(), &x)
					rs = x.Requests
				}
				return rs
			}
			if rs := list("status=closed&service_code=air"); len(rs) != 1 || rs[0].ServiceRequestID != fr.ServiceRequestID {
				t.Errorf("closed air = %+v", rs)
			}
			if rs := list("status=open"); len(rs) != 0 {
				t.Errorf("open = %+v", rs)
			}
			if rs := list("service_code=water"); len(rs) != 0 {
				t.Errorf("water = %+v", rs)
			}

			// The updates feed carries the reply with status closed.
			w = v.get("/open311/v2/servicerequestupdates." + f)
			if w.Code != 200 {
				t.Fatalf("updates = %d %s", w.Code, w.Body)
			}
			var ups []o311Update
			if f == "json" {
				o311Decode(t, f, w.Body.Bytes(), &ups)
			} else {
				var x o311XUpdates
				o311Decode(t, f, w.Body.Bytes(), &x)
				ups = x.Updates
			}
			last := ups[len(ups)-1]
			if len(ups) < 4 || last.ServiceRequestID != fr.ServiceRequestID || last.Status != "closed" ||
				!strings.Contains(last.Description, reply) || last.UpdateID == "" {
				t.Errorf("updates = %+v", ups)
			}
			if ups[0].Status != "open" {
				t.Errorf("first update = %+v", ups[0])
			}
		})
	}
}

func TestOpen311ListingFilters(t *testing.T) {
	v := newO311Env(t)
	base := v.now
	var ids []string
	for i, code := range []string{"air", "water", "noise"} {
		v.now = base.Add(time.Duration(i-2) * 24 * time.Hour)
		f := v.form()
		f.Set("service_code", code)
		ids = append(ids, v.fileOne(f).ServiceRequestID)
	}
	v.now = base.Add(-100 * 24 * time.Hour) // outside the default window
	old := v.fileOne(v.form()).ServiceRequestID
	v.now = base

	tests := []struct {
		name, query string
		want        []string
	}{
		{"DefaultWindowNewestFirst", "", []string{ids[2], ids[1], ids[0]}},
		{"ByIDsOverridesFilters", "service_request_id=" + ids[0] + "," + old + "&service_code=noise", []string{ids[0], old}},
		{"ByServiceCode", "service_code=water", []string{ids[1]}},
		{"ByDates", "start_date=" + url.QueryEscape(base.Add(-36*time.Hour).Format(time.RFC3339)) + "&end_date=" + url.QueryEscape(base.Add(-12*time.Hour).Format(time.RFC3339)), []string{ids[1]}},
		{"OldByStartDate", "start_date=" + url.QueryEscape(base.Add(-101*24*time.Hour).Format(time.RFC3339)) + "&end_date=" + url.QueryEscape(base.Add(-99*24*time.Hour).Format(time.RFC3339)), []string{old}},
		{"Page2", "page=2&page_size=2", []string{ids[0]}},
		{"StatusOpenAndClosed", "status=open,closed", []string{ids[2], ids[1], ids[0]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := v.get("/open311/v2/requests.json?" + tc.query)
			if w.Code != 200 {
				t.Fatalf("= %d %s", w.Code, w.Body)
			}
			var rs []o311Request
			o311Decode(t, "json", w.Body.Bytes(), &rs)
			var got []string
			for _, r := range rs {
				got = append(got, r.ServiceRequestID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOpen311ListingsHideWhatIsPrivate files with a description, a name and
// a phone, works the case, and checks that no GET answer carries any of them
// or the tracking code.
func TestOpen311ListingsHideWhatIsPrivate(t *testing.T) {
	v := newO311Env(t)
	ctx := context.Background()
	f := v.form()
	f.Set("address_string", "城关镇南门外二百米石料厂院内")
	desc := f.Get("description")
	fr := v.fileOne(f)
	anon := v.form()
	anon.Set("attribute[identity]", "anonymous")
	anon.Set("phone", "13912345678")
	anon.Set("first_name", "匿名者")
	frAnon := v.fileOne(anon)
	cmp, err := v.svc.Track(ctx, frAnon.TrackingCode)
	if err != nil || cmp.ContactEnc.Valid || cmp.Identity != ledger.Anonymous {
		t.Errorf("anonymous filing kept contact: %+v %v", cmp, err)
	}
	// Work one case so that replies and notes exist.
	c1, _ := v.svc.Track(ctx, fr.TrackingCode)
	staff := ledger.Actor{Name: "inspector"}
	caseID, err := v.svc.Accept(ctx, c1.ID, 0, staff, ledger.EventInput{InternalNote: "内部：" + desc})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.svc.StartVerification(ctx, caseID, staff, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := v.svc.RecordVerification(ctx, caseID, ledger.Unsubstantiated, "未发现问题。", staff, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	secrets := []string{desc, "王小明", "小明", "13800001234", "1380000", "13912345678", "匿名者", "南门外二百米", "33.0381", "108.248",
		fr.TrackingCode, strings.ReplaceAll(fr.TrackingCode, "-", ""), frAnon.TrackingCode, strings.ReplaceAll(frAnon.TrackingCode, "-", ""), "内部"}
	for _, p := range []string{"requests", "requests/" + fr.ServiceRequestID, "requests/" + frAnon.ServiceRequestID,
		"servicerequestupdates", "services", "services/air", "discovery"} {
		for _, format := range []string{"json", "xml"} {
			w := v.get("/open311/v2/" + p + "." + format)
			if w.Code != 200 {
				t.Fatalf("%s.%s = %d %s", p, format, w.Code, w.Body)
			}
			body := w.Body.String()
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("%s.%s contains %q", p, format, s)
				}
			}
			if format == "json" && strings.Contains(body, `"description"`) && p != "servicerequestupdates" && !strings.HasPrefix(p, "services") {
				t.Errorf("%s.%s has a description field", p, format)
			}
		}
	}
}

func TestOpen311RateLimitPerKey(t *testing.T) {
	v := newO311Env(t)
	v.o.limiter.max = 2
	other, err := partner.New(v.db).Add(context.Background(), "12345-platform")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		v.fileOne(v.form())
	}
	w := v.post("/open311/v2/requests.xml", v.form())
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "<code>429</code>") {
		t.Fatalf("third filing = %d %s", w.Code, w.Body)
	}
	f := v.form()
	f.Set("api_key", other)
	v.fileOne(f) // another partner is not limited by the first
	v.now = v.now.Add(time.Minute)
	v.fileOne(v.form())
}

// FuzzOpen311Form feeds arbitrary bodies through the form binder and the
// validation: nothing may panic, and whatever validates is a complaint the
// ledger accepts.
func FuzzOpen311Form(f *testing.F) {
	f.Add([]byte("api_key=k&service_code=air&lat=33.1&long=108.2&description=%E5%A4%9C%E9%87%8C%E6%8E%92%E6%94%BE%E9%BB%91%E7%83%9F%E6%8C%81%E7%BB%AD%E4%B8%A4%E5%91%A8&attribute[town]=1"))
	f.Add([]byte("attribute[town]=%E5%9F%8E%E5%85%B3%E9%95%87&attribute[identity]=anonymous&phone=13800001234&address_string=x"))
	f.Add([]byte("lat=NaN&long=Inf&attribute[=&attribute]=&attribute[town&description=%ff%fe"))
	f.Add([]byte("service_code=air&service_code=water&attribute[wants_reward]=maybe&page=-1"))
	towns := []ledger.Unit{{ID: 1, Kind: "town", Name: "城关镇", ShortName: "城关"}, {ID: 2, Kind: "town", Name: "饶峰镇"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		vals, err := url.ParseQuery(string(body))
		if err != nil && vals == nil {
			return
		}
		form := o311Bind(vals)
		nc, err := o311Validate(form, towns)
		if err != nil {
			if len(o311FieldText(map[string]string{"x": err.Error()})) == 0 {
				t.Fatal("empty error text")
			}
			return
		}
		if err := nc.Validate(); err != nil {
			t.Fatalf("validated form fails ledger validation: %v", err)
		}
		if nc.Identity == ledger.Anonymous && nc.Contact != nil {
			t.Fatal("anonymous filing keeps contact")
		}
	})
}

// TestOpen311RefusedAndRepeatComplaints: a refused complaint is closed with
// the refusal note; a case event reaches each complaint of the case in the
// updates feed.
func TestOpen311RefusedAndRepeatComplaints(t *testing.T) {
	v := newO311Env(t)
	ctx := context.Background()
	staff := ledger.Actor{Name: "inspector"}
	var cs []*ledger.Complaint
	for i := 0; i < 3; i++ {
		fr := v.fileOne(v.form())
		c, err := v.svc.Track(ctx, fr.TrackingCode)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	if err := v.svc.Refuse(ctx, cs[2].ID, ledger.RefuseNotOurs, staff, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	caseID, err := v.svc.Accept(ctx, cs[0].ID, 0, staff, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.svc.Accept(ctx, cs[1].ID, caseID, staff, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	v.now = v.now.Add(time.Minute)
	if err := v.svc.StartVerification(ctx, caseID, staff, ledger.EventInput{PublicNote: "已安排现场核查。"}); err != nil {
		t.Fatal(err)
	}

	w := v.get("/open311/v2/requests/" + cs[2].Ref() + ".json")
	var rs []o311Request
	o311Decode(t, "json", w.Body.Bytes(), &rs)
	if len(rs) != 1 || rs[0].Status != "closed" || rs[0].StatusNotes != ledger.RefuseNotOurs.DefaultNote() {
		t.Errorf("refused = %+v", rs)
	}
	w = v.get("/open311/v2/requests.json?service_request_id=" + cs[0].Ref() + "," + cs[1].Ref())
	rs = nil
	o311Decode(t, "json", w.Body.Bytes(), &rs)
	if len(rs) != 2 || rs[0].StatusNotes != "已安排现场核查。" || rs[1].StatusNotes != "已安排现场核查。" || rs[0].Status != "open" {
		t.Errorf("case members = %+v", rs)
	}

	w = v.get("/open311/v2/servicerequestupdates.json?start_date=" + url.QueryEscape(v.now.Add(-time.Second).Format(time.RFC3339)))
	var ups []o311Update
	o311Decode(t, "json", w.Body.Bytes(), &ups)
	if len(ups) != 2 || ups[0].UpdateID != ups[1].UpdateID || ups[0].ServiceRequestID == ups[1].ServiceRequestID ||
		ups[0].Description != "已安排现场核查。" || ups[0].Status != "open" {
		t.Errorf("updates = %+v", ups)
	}
}
