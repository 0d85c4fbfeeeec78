package portal

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/idempotency"
	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
	"ecoreport/internal/trackcode"
)

// o311Form is a POST Service Request as the spec names its fields.
// Attributes are attribute[code]; unknown attribute codes are refused.
type o311Form struct {
	APIKey        string
	ServiceCode   string
	Lat, Long     string
	AddressString string
	Description   string
	FirstName     string
	LastName      string
	Phone         string
	Email         string
	Attributes    map[string]string
	Unknown       []string // attribute codes we do not know
	Repeated      []string // fields given more than once
}

// o311Bind reads the spec's fields from form values. It never fails: every
// check is in o311Validate, so the fuzz target covers both.
func o311Bind(v url.Values) o311Form {
	f := o311Form{Attributes: map[string]string{}}
	one := func(name string) string {
		vs := v[name]
		if len(vs) > 1 {
			f.Repeated = append(f.Repeated, name)
		}
		if len(vs) == 0 {
			return ""
		}
		return vs[0]
	}
	f.APIKey = one("api_key")
	f.ServiceCode = one("service_code")
	f.Lat, f.Long = one("lat"), one("long")
	f.AddressString = one("address_string")
	f.Description = one("description")
	f.FirstName, f.LastName = one("first_name"), one("last_name")
	f.Phone, f.Email = one("phone"), one("email")
	for name := range v {
		code, ok := strings.CutPrefix(name, "attribute[")
		if !ok {
			continue
		}
		code, ok = strings.CutSuffix(code, "]")
		switch code {
		case o311AttrTown, o311AttrSubject, o311AttrIdentity, o311AttrReward:
			if ok {
				f.Attributes[code] = one(name)
				continue
			}
		}
		if len(f.Unknown) < 5 {
			f.Unknown = append(f.Unknown, o311Clip(name, 40))
		}
	}
	return f
}

// o311Clip makes a client-given name safe to echo in an error: valid UTF-8,
// no control characters, at most n runes.
func o311Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n])
	}
	return s
}

// o311Validate checks a bound form and turns it into a complaint. Every
// problem is one field message (EINVALID, shown as 422). The api_key is
// checked before this, by the handler.
func o311Validate(f o311Form, towns []ledger.Unit) (ledger.NewComplaint, error) {
	bad := map[string]string{}
	for _, name := range f.Repeated {
		bad[name] = "只能填写一次"
	}
	for _, name := range f.Unknown {
		bad[name] = "未知的属性，请按 services/{service_code} 的定义填写"
	}
	texts := map[string]string{"service_code": f.ServiceCode, "lat": f.Lat, "long": f.Long,
		"address_string": f.AddressString, "description": f.Description, "first_name": f.FirstName,
		"last_name": f.LastName, "phone": f.Phone, "email": f.Email}
	for code, v := range f.Attributes {
		texts["attribute["+code+"]"] = v
	}
	for name, v := range texts {
		if m := ledger.CheckText(v); m != "" {
			bad[name] = m
		} else if name != "description" && utf8.RuneCountInString(v) > 500 {
			bad[name] = "内容过长"
		}
	}
	if len(bad) > 0 {
		return ledger.NewComplaint{}, apperr.Invalid(bad)
	}
	trim := strings.TrimSpace
	cat := ledger.Category(trim(f.ServiceCode))
	switch {
	case cat == "":
		bad["service_code"] = "请填写服务类型 service_code"
	case !cat.Valid():
		bad["service_code"] = "服务类型不存在，请先查询 services"
	}

	var extra []ledger.Field
	lat, long, addr := trim(f.Lat), trim(f.Long), trim(f.AddressString)
	switch {
	case lat != "" || long != "":
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(long, 64)
		if err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 || la != la || lo != lo {
			bad["lat"] = "lat/long 须是 WGS84 十进制经纬度（纬度 -90~90，经度 -180~180）"
		} else {
			extra = append(extra, ledger.Field{Name: "lat", Value: strconv.FormatFloat(la, 'f', 6, 64)},
				ledger.Field{Name: "long", Value: strconv.FormatFloat(lo, 'f', 6, 64)})
		}
	case addr == "":
		bad["address_string"] = "请提供问题位置：lat 和 long，或 address_string"
	}
	if utf8.RuneCountInString(addr) > ledger.MaxShortText {
		bad["address_string"] = fmt.Sprintf("地址不能超过%d个字", ledger.MaxShortText)
	}

	desc := trim(f.Description)
	switch n := utf8.RuneCountInString(desc); {
	case n == 0:
		bad["description"] = "请描述发生了什么"
	case n < ledger.MinDescription:
		bad["description"] = fmt.Sprintf("问题描述至少%d个字，请写清楚时间、地点和现象", ledger.MinDescription)
	case n > ledger.MaxDescription:
		bad["description"] = fmt.Sprintf("问题描述不能超过%d个字", ledger.MaxDescription)
	}

	var town ledger.Unit
	tv := trim(f.Attributes[o311AttrTown])
	for _, t := range towns {
		if tv != "" && (strconv.FormatInt(t.ID, 10) == tv || t.Name == tv || (t.ShortName != "" && t.ShortName == tv)) {
			town = t
		}
	}
	if tv == "" {
		bad["attribute[town]"] = "请选择问题所在的镇（attribute[town]）"
	} else if town.ID == 0 {
		bad["attribute[town]"] = "镇不在列表中，请按 services/{service_code} 的 values 填写"
	}
	subject := trim(f.Attributes[o311AttrSubject])
	if utf8.RuneCountInString(subject) > ledger.MaxShortText {
		bad["attribute[subject]"] = fmt.Sprintf("被举报对象不能超过%d个字", ledger.MaxShortText)
	}
	reward := false
	switch trim(f.Attributes[o311AttrReward]) {
	case "", "false":
	case "true":
		reward = true
	default:
		bad["attribute[wants_reward]"] = "只能是 true 或 false"
	}

	name := trim(trim(f.LastName) + trim(f.FirstName)) // 姓在前
	if utf8.RuneCountInString(name) > 50 {
		bad["last_name"] = "姓名不能超过50个字"
	}
	tel, ok := phone.Normalize(f.Phone)
	if !ok && tel != "" {
		bad["phone"] = phone.Invalid
	}
	identity := ledger.Anonymous
	if tel != "" || name != "" {
		identity = ledger.Confidential
	}
	switch v := trim(f.Attributes[o311AttrIdentity]); v {
	case "":
	case string(ledger.Anonymous), string(ledger.Confidential):
		identity = ledger.Identity(v)
	default:
		bad["attribute[identity]"] = "只能是 anonymous（匿名）或 confidential（保密）"
	}
	if identity == ledger.Confidential && tel == "" {
		if _, done := bad["attribute[identity]"]; !done {
			bad["phone"] = "选择保密时请留下联系电话 phone"
		}
	}
	if len(bad) > 0 {
		return ledger.NewComplaint{}, apperr.Invalid(bad)
	}
	n := ledger.NewComplaint{
		Channel: ledger.ChannelAPI, Categories: ledger.Categories{cat}, TownID: town.ID, TownText: town.Name,
		Address: addr, Subject: subject, Description: desc, Identity: identity, WantsReward: reward, Extra: extra,
	}
	if identity == ledger.Confidential {
		n.Contact = &ledger.Contact{Name: name, Phone: tel}
	}
	if err := n.Validate(); err != nil {
		return ledger.NewComplaint{}, err
	}
	return n, nil
}

// o311Filed is the answer to a filing. tracking_code is our extension: the
// resident's tracking code (查询码), given only here, to the partner that
// filed, which must hand it to the resident; it is never listed.
type o311Filed struct {
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	ServiceNotice    string `xml:"service_notice" json:"service_notice"`
	AccountID        string `xml:"account_id,omitempty" json:"account_id,omitempty"`
	TrackingCode     string `xml:"tracking_code" json:"tracking_code"`
}

type o311FiledList struct {
	XMLName  xml.Name    `xml:"service_requests"`
	Requests []o311Filed `xml:"request"`
}

func (o *Open311) post(call *o311Call) (any, error) {
	c := call.c
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, o311MaxBody)
	if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, apperr.Errorf(apperr.EMALFORMED, "请求须为 application/x-www-form-urlencoded 表单")
	}
	if err := c.Request.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apperr.Errorf(apperr.ETOOLARGE, "请求内容过大")
		}
		return nil, apperr.Errorf(apperr.EMALFORMED, "表单无法解析")
	}
	f := o311Bind(c.Request.Form)
	key, err := o.Partners.Check(o.ctx(call), f.APIKey)
	if err != nil {
		return nil, err
	}
	// The partner's Idempotency-Key, scoped to the partner: a key seen
	// before answers what its filing answered, and counts for no limit.
	var claim *idempotency.Claim
	ik, err := idempotencyKey(c)
	if err != nil {
		return nil, err
	}
	if ik != "" {
		claim = o.keys.Claim("open311:"+strconv.FormatInt(key.ID, 10), ik, []byte(c.Request.Form.Encode()))
		if a, err := claim.Replay(o.ctx(call)); err != nil || a != nil {
			return o311Replayed(c, a, err)
		}
	}
	if ok, wait := o.limiter.allow(key.ID); !ok {
		return nil, apperr.RateLimited(wait, fmt.Sprintf("提交过于频繁（每个密钥每分钟最多%d件），请稍后再试", o.limiter.max))
	}
	towns, err := o.Ledger.Towns(o.ctx(call))
	if err != nil {
		return nil, err
	}
	nc, err := o311Validate(f, towns)
	if err != nil {
		return nil, err
	}
	answer := func(filed *ledger.Filed) []o311Filed {
		cmp := filed.Complaint
		notice := fmt.Sprintf("举报已收到，编号 %s。我们将在%s前决定是否受理。请把 tracking_code（查询码，只返回这一次）告知举报人：凭查询码可在门户查看进展、补充材料。",
			cmp.Ref(), cmp.DecideDueAt.In(o.Location).Format("2006年1月2日"))
		return []o311Filed{{ServiceRequestID: cmp.Ref(), ServiceNotice: notice, TrackingCode: trackcode.Format(filed.TrackingCode)}}
	}
	fl := ledger.Filing{Complaint: nc, By: ledger.Actor{Name: "open311:" + key.Name}}
	if claim != nil {
		fl.Before = claim.Take
		fl.After = func(ctx context.Context, tx *sqlx.Tx, filed *ledger.Filed) error {
			b, err := json.Marshal(answer(filed))
			if err != nil {
				return err
			}
			return claim.Keep(ctx, tx, idempotency.Answer{Status: http.StatusOK, Body: b})
		}
	}
	filed, err := o.Ledger.FileWith(o.ctx(call), fl)
	if err != nil {
		if claim != nil {
			a, err := claim.Settle(o.ctx(call), err)
			return o311Replayed(c, a, err)
		}
		return nil, err
	}
	return answer(&filed), nil
}

// o311Replayed is a filing's answer again, for a key seen before (in the
// call's format, whichever the first call used), or the error (409 for
// another body or a first call not finished).
func o311Replayed(c *gin.Context, a *idempotency.Answer, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	var out []o311Filed
	if err := json.Unmarshal(a.Body, &out); err != nil {
		return nil, fmt.Errorf("open311: stored answer: %w", err)
	}
	c.Header("Idempotent-Replayed", "true")
	return out, nil
}
