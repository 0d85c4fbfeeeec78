// Package ledger is the shared issue ledger (问题台账): complaints (举报件) from
// every channel, the cases (问题) they feed, responsible units (责任单位), the
// timeline events every transition writes, and the state machines of
// workflows.md. It knows nothing of HTTP; each method owns its SQL.
package ledger

import (
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Channel is how a complaint arrived (来源渠道).
type Channel string

// Channels.
const (
	ChannelWeb       Channel = "web"
	ChannelHotline   Channel = "hotline"
	ChannelAPI       Channel = "api"
	ChannelVisit     Channel = "visit"
	ChannelLetter    Channel = "letter"
	ChannelSecretary Channel = "secretary"
)

// Channels lists every channel in display order.
var Channels = []Channel{ChannelWeb, ChannelHotline, ChannelAPI, ChannelVisit, ChannelLetter, ChannelSecretary}

var channelLabels = map[Channel]string{
	ChannelWeb: "网上举报", ChannelHotline: "12369热线", ChannelAPI: "合作应用", ChannelVisit: "来访",
	ChannelLetter: "来信", ChannelSecretary: "书记民情账",
}

// Label is the channel's Chinese name.
func (c Channel) Label() string { return channelLabels[c] }

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { _, ok := channelLabels[c]; return ok }

// Category is a pollution type (污染类型) code.
type Category string

// Categories.
const (
	Air       Category = "air"
	Water     Category = "water"
	Noise     Category = "noise"
	Waste     Category = "waste"
	Radiation Category = "radiation"
	Soil      Category = "soil"
	Ecology   Category = "ecology"
	Other     Category = "other"
)

// AllCategories lists every type in display order.
var AllCategories = []Category{Air, Water, Noise, Waste, Radiation, Soil, Ecology, Other}

var categoryLabels = map[Category]string{
	Air: "大气", Water: "水", Noise: "噪声", Waste: "固体废物", Radiation: "辐射", Soil: "土壤", Ecology: "生态破坏", Other: "其他",
}

// Label is the type's Chinese name.
func (c Category) Label() string { return categoryLabels[c] }

// Valid reports whether c is a known type.
func (c Category) Valid() bool { _, ok := categoryLabels[c]; return ok }

// Group is the Open311 group: 生态破坏 for ecology, 环境污染 otherwise.
func (c Category) Group() string {
	if c == Ecology {
		return "生态破坏"
	}
	return "环境污染"
}

// Categories is a set of pollution types, stored as "air,noise".
type Categories []Category

// Value implements driver.Valuer.
func (cs Categories) Value() (driver.Value, error) {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ","), nil
}

// Scan implements sql.Scanner.
func (cs *Categories) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
	default:
		return fmt.Errorf("ledger: categories from %T", src)
	}
	*cs = nil
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			*cs = append(*cs, Category(p))
		}
	}
	return nil
}

// Labels joins the Chinese names with 、.
func (cs Categories) Labels() string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.Label()
	}
	return strings.Join(s, "、")
}

// Has reports whether the set holds c.
func (cs Categories) Has(c Category) bool {
	return slices.Contains(cs, c)
}

// Identity is the reporter's choice: 匿名 (no contact at all) or 保密 (contact
// given, seen only by authorised staff).
type Identity string

// Identities.
const (
	Anonymous    Identity = "anonymous"
	Confidential Identity = "confidential"
)

// Label is the Chinese name.
func (i Identity) Label() string {
	switch i {
	case Anonymous:
		return "匿名"
	case Confidential:
		return "保密"
	}
	return string(i)
}

// ComplaintStatus is where a complaint stands (workflows.md).
type ComplaintStatus string

// Complaint statuses.
const (
	Received      ComplaintStatus = "received"
	Accepted      ComplaintStatus = "accepted"
	Refused       ComplaintStatus = "refused"
	Investigating ComplaintStatus = "investigating"
	Rectifying    ComplaintStatus = "rectifying"
	Concluded     ComplaintStatus = "concluded"
	ComplaintDone ComplaintStatus = "closed"
)

var complaintLabels = map[ComplaintStatus]string{
	Received: "已接收", Accepted: "已受理", Refused: "不予受理", Investigating: "核查中",
	Rectifying: "整改中", Concluded: "已办结", ComplaintDone: "已销号",
}

// Label is the status's Chinese name.
func (s ComplaintStatus) Label() string { return complaintLabels[s] }

// CaseStatus is where a case (问题) stands.
type CaseStatus string

// Case statuses. Merged is ours: a case merged into another stops here.
const (
	Open      CaseStatus = "open"
	Verifying CaseStatus = "verifying"
	Dismissed CaseStatus = "dismissed"
	Assigned  CaseStatus = "assigned"
	Submitted CaseStatus = "submitted"
	Closed    CaseStatus = "closed"
	Reopened  CaseStatus = "reopened"
	Merged    CaseStatus = "merged"
)

// AllCaseStatuses lists every case status.
var AllCaseStatuses = []CaseStatus{Open, Verifying, Dismissed, Assigned, Submitted, Closed, Reopened, Merged}

var caseLabels = map[CaseStatus]string{
	Open: "待核查", Verifying: "核查中", Dismissed: "不属实办结", Assigned: "已交办",
	Submitted: "待验收", Closed: "已销号", Reopened: "重新整改", Merged: "已合并",
}

// Label is the status's Chinese name.
func (s CaseStatus) Label() string { return caseLabels[s] }

// Finished reports whether the case needs no more work (no deadline runs).
func (s CaseStatus) Finished() bool { return s == Dismissed || s == Closed || s == Merged }

// Verification is the on-site verification result (核查结论).
type Verification string

// Verification results.
const (
	Pending         Verification = "pending"
	Substantiated   Verification = "substantiated"
	Partly          Verification = "partly"
	Unsubstantiated Verification = "unsubstantiated"
)

var verificationLabels = map[Verification]string{
	Pending: "待核实", Substantiated: "属实", Partly: "部分属实", Unsubstantiated: "不属实",
}

// Label is the result's Chinese name.
func (v Verification) Label() string { return verificationLabels[v] }

// Valid reports whether v is a known result.
func (v Verification) Valid() bool { _, ok := verificationLabels[v]; return ok }

// RefuseReason is why a complaint is not accepted (不予受理).
type RefuseReason string

// Refusal reasons, each with a default public note.
const (
	RefuseVague     RefuseReason = "vague"
	RefuseNotOurs   RefuseReason = "not_environmental"
	RefuseLegal     RefuseReason = "legal"
	RefuseDuplicate RefuseReason = "duplicate"
	RefuseAnswered  RefuseReason = "answered"
)

// RefuseReasons lists the reasons in display order.
var RefuseReasons = []RefuseReason{RefuseVague, RefuseNotOurs, RefuseLegal, RefuseDuplicate, RefuseAnswered}

var refuseLabels = map[RefuseReason][2]string{
	RefuseVague:     {"线索不详", "您反映的线索不够具体，无法开展核查。欢迎补充具体地点、时间和对象后重新举报。"},
	RefuseNotOurs:   {"不属于生态环境部门职责", "您反映的事项不属于生态环境部门职责，请拨打12345政务服务热线反映。"},
	RefuseLegal:     {"应通过诉讼、仲裁或行政复议解决", "您反映的事项应通过诉讼、仲裁或行政复议等法定途径解决。"},
	RefuseDuplicate: {"已受理（重复举报）", "您反映的问题已在办理中，我们已将本件并入原问题一并处理，可继续用本查询码查看进展。"},
	RefuseAnswered:  {"已答复", "您反映的问题此前已经答复。如对答复不满意，可依法申请复查。"},
}

// Label is the reason's Chinese name.
func (r RefuseReason) Label() string { return refuseLabels[r][0] }

// DefaultNote is the public note that explains the reason.
func (r RefuseReason) DefaultNote() string { return refuseLabels[r][1] }

// Valid reports whether r is a known reason.
func (r RefuseReason) Valid() bool { _, ok := refuseLabels[r]; return ok }

// CaseSource is where a case came from.
type CaseSource string

// Case sources.
const (
	SourceComplaint  CaseSource = "complaint"
	SourceInspection CaseSource = "inspection"
	SourceSuperior   CaseSource = "superior"
	SourceLeader     CaseSource = "leader"
)

// Unit is a responsible unit (责任单位): a town or a department.
type Unit struct {
	ID        int64  `db:"id"`
	Kind      string `db:"kind"` // town | department
	Name      string `db:"name"`
	ShortName string `db:"short_name"`
	SortOrder int    `db:"sort_order"`
	Active    bool   `db:"active"`
}

// Contact is what a confidential reporter gives; it is stored encrypted.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Actor is who does something: a staff user, or a named non-person actor
// ("resident", "hotline:NAME", "system").
type Actor struct {
	UserID int64
	Name   string
}

// The names of the two actors that are not people with accounts.
const (
	systemName   = "system"
	residentName = "resident"
)

// System is the actor for jobs.
var System = Actor{Name: systemName}

// Resident is the actor for what a reporter does with the tracking code.
var Resident = Actor{Name: residentName}

func (a Actor) userID() any {
	if a.UserID == 0 {
		return nil
	}
	return a.UserID
}

// Limits are the time limits of workflows.md, in calendar days.
type Limits struct {
	AcceptDays    int
	ConcludeDays  int
	ExtensionDays int
	RevisitDays   int
}

// DefaultLimits are the limits of workflows.md.
var DefaultLimits = Limits{AcceptDays: 15, ConcludeDays: 60, ExtensionDays: 30, RevisitDays: 90}

// DueDate returns the end (23:59:59.999999, local) of the calendar day that is
// days after t's day in loc, in UTC: a deadline shown as a date.
func DueDate(t time.Time, days int, loc *time.Location) time.Time {
	l := t.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day()+days+1, 0, 0, 0, 0, loc)
	return d.Add(-time.Microsecond).UTC()
}
