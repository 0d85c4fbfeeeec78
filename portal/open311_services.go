package portal

import (
	"encoding/xml"
	"strconv"

	"ecoreport/internal/apperr"
	"ecoreport/internal/config"
	"ecoreport/internal/ledger"
)

// o311Discovery is the service discovery document (GeoReport v2 "Service
// Discovery").
type o311Discovery struct {
	XMLName    xml.Name       `xml:"discovery" json:"-"`
	Changeset  string         `xml:"changeset" json:"changeset"`
	Contact    string         `xml:"contact" json:"contact"`
	KeyService string         `xml:"key_service" json:"key_service"`
	Endpoints  []o311Endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

type o311Endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

// o311Changeset is when the service list or definitions last changed.
const o311Changeset = "2026-11-29T00:00:00+08:00"

func (o *Open311) discovery(call *o311Call) (any, error) {
	r := call.c.Request
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return o311Discovery{
		Changeset:  o311Changeset,
		Contact:    o.county().TaskForce + "；举报热线 " + o.county().Hotline,
		KeyService: "接口密钥由专班签发（ecoreport open311 add-key 合作方名称），请联系专班申请",
		Endpoints: []o311Endpoint{{
			Specification: "http://wiki.open311.org/GeoReport_v2",
			URL:           scheme + "://" + r.Host + "/open311/v2",
			Changeset:     o311Changeset,
			Type:          "production",
			Formats:       []string{"text/xml", "application/json"},
		}},
	}, nil
}

// o311Service is one service type: a pollution type (污染类型).
type o311Service struct {
	ServiceCode string `xml:"service_code" json:"service_code"`
	ServiceName string `xml:"service_name" json:"service_name"`
	Description string `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"`
	Keywords    string `xml:"keywords" json:"keywords"`
	Group       string `xml:"group" json:"group"`
}

type o311Services struct {
	XMLName  xml.Name      `xml:"services"`
	Services []o311Service `xml:"service"`
}

// o311Info describes each pollution type for partners.
var o311Info = map[ledger.Category][2]string{
	ledger.Air:       {"废气、烟尘、粉尘、异味、露天焚烧等大气污染", "废气,烟尘,粉尘,异味,臭味,焚烧,油烟"},
	ledger.Water:     {"污水直排、偷排、河道水体污染等", "污水,废水,排污,偷排,河道,水质"},
	ledger.Noise:     {"工业、施工、社会生活噪声扰民", "噪声,噪音,施工,夜间施工,扰民"},
	ledger.Waste:     {"固体废物、危险废物倾倒堆放", "垃圾,固废,危废,倾倒,堆放,废渣"},
	ledger.Radiation: {"电磁辐射、放射源", "辐射,电磁,放射源,基站"},
	ledger.Soil:      {"土壤污染", "土壤,重金属,污染地块"},
	ledger.Ecology:   {"乱砍滥伐、非法采砂采矿、破坏植被与自然保护地等生态破坏", "采砂,采矿,砍伐,植被,保护区,秦岭"},
	ledger.Other:     {"其他生态环境问题", "其他"},
}

func o311ServiceOf(c ledger.Category) o311Service {
	return o311Service{
		ServiceCode: string(c), ServiceName: c.Label(), Description: o311Info[c][0],
		Metadata: true, Type: "batch", Keywords: o311Info[c][1], Group: c.Group(),
	}
}

func (o *Open311) services(call *o311Call) (any, error) {
	out := make([]o311Service, 0, len(ledger.AllCategories))
	for _, c := range ledger.AllCategories {
		out = append(out, o311ServiceOf(c))
	}
	return out, nil
}

// o311Definition is a service definition: the extra attributes a filing
// takes as attribute[code].
type o311Definition struct {
	XMLName     xml.Name        `xml:"service_definition" json:"-"`
	ServiceCode string          `xml:"service_code" json:"service_code"`
	Attributes  []o311Attribute `xml:"attributes>attribute" json:"attributes"`
}

type o311Attribute struct {
	Variable            bool        `xml:"variable" json:"variable"`
	Code                string      `xml:"code" json:"code"`
	Datatype            string      `xml:"datatype" json:"datatype"`
	Required            bool        `xml:"required" json:"required"`
	DatatypeDescription string      `xml:"datatype_description" json:"datatype_description"`
	Order               int         `xml:"order" json:"order"`
	Description         string      `xml:"description" json:"description"`
	Values              []o311Value `xml:"values>value" json:"values,omitempty"`
}

type o311Value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// Attribute codes.
const (
	o311AttrTown     = "town"
	o311AttrSubject  = "subject"
	o311AttrIdentity = "identity"
	o311AttrReward   = "wants_reward"
)

func (o *Open311) definition(call *o311Call) (any, error) {
	cat := ledger.Category(call.stem)
	if !cat.Valid() {
		return nil, apperr.Errorf(apperr.ENOTFOUND, "服务类型 %s 不存在，请先查询 services", strconv.Quote(call.stem))
	}
	towns, err := o.Ledger.Towns(o.ctx(call))
	if err != nil {
		return nil, err
	}
	tv := make([]o311Value, len(towns))
	for i, t := range towns {
		tv[i] = o311Value{Key: strconv.FormatInt(t.ID, 10), Name: t.Name}
	}
	return o311Definition{ServiceCode: string(cat), Attributes: []o311Attribute{
		{Variable: true, Code: o311AttrTown, Datatype: "singlevaluelist", Required: true, Order: 1,
			DatatypeDescription: "问题所在的镇，填 key（也接受镇名）", Description: "问题所在的镇", Values: tv},
		{Variable: true, Code: o311AttrSubject, Datatype: "string", Required: false, Order: 2,
			DatatypeDescription: "不超过200个字", Description: "被举报对象（单位或个人名称）"},
		{Variable: true, Code: o311AttrIdentity, Datatype: "singlevaluelist", Required: false, Order: 3,
			DatatypeDescription: "留了 phone 时默认保密，否则默认匿名", Description: "身份选择", Values: []o311Value{
				{Key: string(ledger.Anonymous), Name: "匿名（不留联系方式，联系方式一概不保存）"},
				{Key: string(ledger.Confidential), Name: "保密（留联系方式，加密保存，仅授权工作人员可见）"},
			}},
		{Variable: true, Code: o311AttrReward, Datatype: "singlevaluelist", Required: false, Order: 4,
			DatatypeDescription: "默认 false", Description: "经查实后是否希望申领举报奖励", Values: []o311Value{
				{Key: "true", Name: "希望申领奖励"}, {Key: "false", Name: "不申领"},
			}},
	}}, nil
}

// county is the county the discovery document names.
func (o *Open311) county() config.County {
	if o.County.Name == "" {
		return config.DefaultCounty()
	}
	return o.County
}
