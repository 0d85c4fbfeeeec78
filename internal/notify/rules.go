package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
)

// Rules: who is told what (docs/notifications.md has the table). Each can be
// switched off by name (--notify-off).
const (
	RuleReporterAccepted = "reporter.accepted" // 受理
	RuleReporterRefused  = "reporter.refused"  // 不予受理
	RuleReporterVerified = "reporter.verified" // 核查结论
	RuleReporterClosed   = "reporter.closed"   // 销号
	RuleReporterQuestion = "reporter.question" // 工作人员留言待回复
	RuleReporterReward   = "reporter.reward"   // 奖励批准或不予奖励

	RuleUnitNotice   = "unit.notice"    // 下达整改通知书
	RuleUnitDue3     = "unit.due_3d"    // 整改期限前3天
	RuleUnitDue1     = "unit.due_1d"    // 整改期限前1天
	RuleUnitOverdue  = "unit.overdue"   // 整改逾期
	RuleUnitSentBack = "unit.sent_back" // 退回重新整改

	RuleInspectorReply    = "inspector.reply"    // 举报人回复
	RuleInspectorAddition = "inspector.addition" // 举报人补充材料
	RuleInspectorFollowup = "inspector.followup" // 举报人反映问题未解决
	RuleInspectorReport   = "inspector.report"   // 责任单位报告整改完成
	RuleInspectorDue      = "inspector.due_soon" // 所办问题临近办结期限

	RuleLeaderInterviewDue     = "leader.interview_due"     // 约谈整改报告明天到期
	RuleLeaderInterviewOverdue = "leader.interview_overdue" // 约谈整改报告逾期
	RuleLeaderDigest           = "leader.digest"            // 每日逾期问题汇总

	RuleAdminLogin      = "admin.login"      // 登录受限或账号锁定
	RuleHotlineCallback = "hotline.callback" // 热线回调
)

// Rule describes one rule for the docs, the admin page and --notify-off.
type Rule struct {
	Name     string
	Label    string // Chinese
	Audience string // Chinese: who is told
	Channel  string
}

// Rules lists every rule in the order of the docs.
var Rules = []Rule{
	{RuleReporterAccepted, "举报已受理", "保密举报人（留有手机号）", ChannelSMS},
	{RuleReporterRefused, "举报不予受理", "保密举报人（留有手机号）", ChannelSMS},
	{RuleReporterVerified, "核查结论已出", "保密举报人（留有手机号）", ChannelSMS},
	{RuleReporterClosed, "问题已销号", "保密举报人（留有手机号）", ChannelSMS},
	{RuleReporterQuestion, "工作人员留言待回复", "保密举报人（留有手机号）", ChannelSMS},
	{RuleReporterReward, "奖励已批准或不予奖励", "保密举报人（留有手机号）", ChannelSMS},
	{RuleUnitNotice, "收到整改通知书", "责任单位", ChannelEmail},
	{RuleUnitDue3, "整改期限还有3天", "责任单位", ChannelEmail},
	{RuleUnitDue1, "整改期限还有1天", "责任单位", ChannelEmail},
	{RuleUnitOverdue, "整改已逾期", "责任单位", ChannelEmail},
	{RuleUnitSentBack, "整改被退回", "责任单位", ChannelEmail},
	{RuleInspectorReply, "举报人回复了留言", "办理该问题的督查人员", ChannelEmail},
	{RuleInspectorAddition, "举报人补充了材料", "办理该问题的督查人员", ChannelEmail},
	{RuleInspectorFollowup, "举报人反映问题未解决", "办理该问题的督查人员", ChannelEmail},
	{RuleInspectorReport, "责任单位报告整改完成", "办理该问题的督查人员", ChannelEmail},
	{RuleInspectorDue, "所办问题3天内到办结期限", "办理该问题的督查人员", ChannelEmail},
	{RuleLeaderInterviewDue, "约谈整改报告明天到期", "县领导", ChannelEmail},
	{RuleLeaderInterviewOverdue, "约谈整改报告逾期", "县领导", ChannelEmail},
	{RuleLeaderDigest, "逾期问题每日汇总", "县领导", ChannelEmail},
	{RuleAdminLogin, "登录受限或账号锁定", "系统管理员", ChannelEmail},
	{RuleHotlineCallback, "热线工单办理状态变化", "热线系统（配置了回调地址的客户端）", ChannelHotline},
}

// RuleLabel is a rule's Chinese name, or the name itself.
func RuleLabel(name string) string {
	for _, r := range Rules {
		if r.Name == name {
			return r.Label
		}
	}
	return name
}

// KnownRule reports whether name is a rule.
func KnownRule(name string) bool {
	for _, r := range Rules {
		if r.Name == name {
			return true
		}
	}
	return false
}

// reporterRules maps a timeline event kind to the reporter's rule, and
// whether it concerns every complaint of the case (true) or only the
// event's own complaint.
var reporterRules = map[string]struct {
	rule      string
	wholeCase bool
}{
	"complaint.accepted": {RuleReporterAccepted, false},
	"complaint.refused":  {RuleReporterRefused, false},
	"case.verified":      {RuleReporterVerified, true},
	"case.dismissed":     {RuleReporterVerified, true},
	"case.closed":        {RuleReporterClosed, true},
	"staff.message":      {RuleReporterQuestion, false},
	"reward.approved":    {RuleReporterReward, false},
	"reward.rejected":    {RuleReporterReward, false},
}

var inspectorRules = map[string]string{
	"resident.reply":    RuleInspectorReply,
	"resident.addition": RuleInspectorAddition,
	"resident.followup": RuleInspectorFollowup,
	"case.submitted":    RuleInspectorReport,
}

// SMSText is the one text every reporter's SMS carries: it tells that
// something happened and where to look, never what (no content, no unit, no
// tracking code), so a phone seen by somebody else gives nothing away.
func SMSText(ref, site string) string {
	t := "您的举报 " + ref + " 有新的办理进展，请凭查询码查询"
	if site != "" {
		t += "：" + site
	}
	return t + "。"
}

// Hook turns a timeline event into outbox rows, inside the event's
// transaction (hang it on ledger.Service.OnEvent). Anonymous reporters get
// nothing, ever; a confidential reporter only with a phone.
func (o *Outbox) Hook(ctx context.Context, tx *sqlx.Tx, ev *ledger.Event) error {
	var msgs []Message
	var err error
	if r, ok := reporterRules[ev.Kind]; ok && o.Settings.On(r.rule) {
		msgs, err = o.reporterMessages(ctx, tx, ev, r.rule, r.wholeCase)
	}
	if err == nil {
		var staff []Message
		staff, err = o.staffMessages(ctx, tx, ev)
		msgs = append(msgs, staff...)
	}
	if err != nil {
		return fmt.Errorf("notify: event %d (%s): %w", ev.ID, ev.Kind, err)
	}
	if len(msgs) == 0 {
		return nil
	}
	_, err = EnqueueTx(ctx, tx, ev.CreatedAt, msgs...)
	return err
}

type reporterRow struct {
	ID         int64           `db:"id"`
	Identity   ledger.Identity `db:"identity"`
	ContactEnc sql.NullString  `db:"contact_enc"`
}

const (
	complaintReporterSQL = `SELECT id, identity, contact_enc FROM complaints WHERE id = ?`
	caseReportersSQL     = `SELECT id, identity, contact_enc FROM complaints WHERE case_id = ? AND status <> ? ORDER BY id`
)

func (o *Outbox) reporterMessages(ctx context.Context, tx *sqlx.Tx, ev *ledger.Event, rule string, wholeCase bool) ([]Message, error) {
	var rows []reporterRow
	var err error
	switch {
	case wholeCase && ev.CaseID.Valid:
		err = tx.SelectContext(ctx, &rows, caseReportersSQL, ev.CaseID.Int64, ledger.Refused)
	case ev.ComplaintID.Valid:
		err = tx.SelectContext(ctx, &rows, complaintReporterSQL, ev.ComplaintID.Int64)
	}
	if err != nil {
		return nil, err
	}
	var out []Message
	for _, r := range rows {
		p, err := o.reporterPhone(r)
		if err != nil {
			return nil, err
		}
		if p == "" {
			continue
		}
		ref := ledger.ComplaintRef(r.ID)
		out = append(out, Message{
			Key:  fmt.Sprintf("ev:%d:%s:complaint:%d", ev.ID, rule, r.ID),
			Rule: rule, Channel: ChannelSMS, Recipient: fmt.Sprintf("complaint:%d", r.ID),
			RecipientLabel: ref + " 举报人 " + phone.Mask(p),
			Body:           SMSText(ref, o.Settings.PublicURL),
			ComplaintID:    r.ID, CaseID: ev.CaseID.Int64,
		})
	}
	return out, nil
}

// reporterPhone is the phone of a confidential reporter, "" for anybody
// else (anonymous, no phone given, contact erased).
func (o *Outbox) reporterPhone(r reporterRow) (string, error) {
	if r.Identity != ledger.Confidential || !r.ContactEnc.Valid || o.Keys == nil {
		return "", nil
	}
	b, err := o.Keys.Open(r.ContactEnc.String)
	if err != nil {
		return "", fmt.Errorf("contact of complaint %d: %w", r.ID, err)
	}
	var c ledger.Contact
	if err := json.Unmarshal(b, &c); err != nil {
		return "", fmt.Errorf("contact of complaint %d: %w", r.ID, err)
	}
	return Mobile(c.Phone), nil
}

// Mobile is the stored form of a mainland mobile number (13812345678), or ""
// for anything an SMS cannot reach (landlines, extensions, text).
func Mobile(s string) string {
	p, ok := phone.Normalize(s)
	if !ok || len(p) != 11 || p[0] != '1' || p[1] < '3' {
		return ""
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return p
}

// staffMessages are the units' and the inspectors' messages of an event.
func (o *Outbox) staffMessages(ctx context.Context, tx *sqlx.Tx, ev *ledger.Event) ([]Message, error) {
	rule := ""
	switch {
	case ev.Kind == "notice.issued":
		rule = RuleUnitNotice
	case ev.Kind == "case.reopened":
		rule = RuleUnitSentBack
	case inspectorRules[ev.Kind] != "":
		rule = inspectorRules[ev.Kind]
	}
	if rule == "" || !o.Settings.On(rule) {
		return nil, nil // most events (imports among them) owe staff nothing: no query
	}
	caseID := ev.CaseID.Int64
	if caseID == 0 && ev.ComplaintID.Valid {
		if err := tx.GetContext(ctx, &caseID, `SELECT COALESCE(case_id, 0) FROM complaints WHERE id = ?`, ev.ComplaintID.Int64); err != nil {
			return nil, err
		}
	}
	var to []staffUser
	var err error
	switch rule {
	case RuleUnitNotice:
		to, err = o.unitUsers(ctx, tx, `SELECT unit_id FROM notices WHERE case_id = ? ORDER BY id DESC LIMIT 1`, caseID)
	case RuleUnitSentBack:
		to, err = o.unitUsers(ctx, tx, `SELECT COALESCE(unit_id, 0) FROM cases WHERE id = ?`, caseID)
	default:
		to, err = holders(ctx, tx, caseID)
	}
	if err != nil {
		return nil, err
	}
	subject, body, err := o.staffText(ctx, tx, rule, caseID, ev)
	if err != nil {
		return nil, err
	}
	return o.toStaff(fmt.Sprintf("ev:%d:%s", ev.ID, rule), rule, to, subject, body, ev.ComplaintID.Int64, caseID), nil
}

// staffText writes what staff read: the case's reference and title, what
// happened, and where to look. Never anything of the reporter.
func (o *Outbox) staffText(ctx context.Context, q sqlx.QueryerContext, rule string, caseID int64, ev *ledger.Event) (string, string, error) {
	var c struct {
		Title string    `db:"title"`
		DueAt time.Time `db:"due_at"`
	}
	if caseID != 0 {
		if err := sqlx.GetContext(ctx, q, &c, `SELECT title, due_at FROM cases WHERE id = ?`, caseID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", "", err
		}
	}
	what := RuleLabel(rule)
	ref := ""
	if caseID != 0 {
		ref = ledger.CaseRef(caseID)
	} else if ev != nil && ev.ComplaintID.Valid {
		ref = ledger.ComplaintRef(ev.ComplaintID.Int64)
	}
	subject := "【生态环境问题台账】" + what + "：" + ref
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n问题：%s %s\n", what, ref, c.Title)
	if rule == RuleUnitNotice {
		var n struct {
			Year     int       `db:"year"`
			Number   int       `db:"number"`
			Prefix   string    `db:"prefix"`
			Deadline time.Time `db:"deadline"`
		}
		if err := sqlx.GetContext(ctx, q, &n, `SELECT year, number, prefix, deadline FROM notices WHERE case_id = ? ORDER BY id DESC LIMIT 1`, caseID); err == nil {
			fmt.Fprintf(&b, "整改通知书：%s，整改期限至 %s\n", ledger.NoticeRef(n.Prefix, n.Year, n.Number), n.Deadline.In(o.loc()).Format("2006年1月2日"))
		}
	} else if !c.DueAt.IsZero() {
		fmt.Fprintf(&b, "办结期限：%s\n", c.DueAt.In(o.loc()).Format("2006年1月2日"))
	}
	if o.Settings.PublicURL != "" {
		if caseID != 0 {
			fmt.Fprintf(&b, "\n查看：%s/office/cases/%d\n", o.Settings.PublicURL, caseID)
		} else {
			fmt.Fprintf(&b, "\n查看：%s/office/inbox\n", o.Settings.PublicURL)
		}
	}
	b.WriteString("\n（本邮件由系统自动发送，请登录工作台办理，勿直接回复。）")
	return subject, b.String(), nil
}

// staffUser is one staff account a message goes to, with its e-mail
// address when it has one.
type staffUser struct {
	ID       int64          `db:"id"`
	Username string         `db:"username"`
	Name     string         `db:"display_name"`
	Email    sql.NullString `db:"email"`
}

const staffColumns = `u.id, u.username, u.display_name, a.email FROM users u LEFT JOIN staff_addresses a ON a.user_id = u.id`

// unitUsers are the active users of the unit the query finds.
func (o *Outbox) unitUsers(ctx context.Context, tx *sqlx.Tx, unitQuery string, caseID int64) ([]staffUser, error) {
	var unitID int64
	if err := tx.GetContext(ctx, &unitID, unitQuery, caseID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	if unitID == 0 {
		return nil, nil
	}
	return usersOfUnit(ctx, tx, unitID)
}

func usersOfUnit(ctx context.Context, q sqlx.QueryerContext, unitID int64) ([]staffUser, error) {
	var us []staffUser
	err := sqlx.SelectContext(ctx, q, &us, `SELECT `+staffColumns+` WHERE u.role = 'unit' AND u.unit_id = ? AND u.active = ? ORDER BY u.id`, unitID, true)
	if len(us) == 0 && err == nil {
		// A unit without an account still gets its row, on the log
		// channel, so the admin page shows who could not be told.
		us = []staffUser{{ID: -unitID}}
	}
	return us, err
}

// UsersWithRole are the active users of a role.
func usersWithRole(ctx context.Context, q sqlx.QueryerContext, role string) ([]staffUser, error) {
	var us []staffUser
	err := sqlx.SelectContext(ctx, q, &us, `SELECT `+staffColumns+` WHERE u.role = ? AND u.active = ? ORDER BY u.id`, role, true)
	return us, err
}

// holders are the inspectors who hold a case: the one who last acted on it
// or its complaints, or every active inspector when none has yet (a
// complaint still in the inbox).
func holders(ctx context.Context, q sqlx.QueryerContext, caseID int64) ([]staffUser, error) {
	if caseID != 0 {
		var us []staffUser
		err := sqlx.SelectContext(ctx, q, &us, `SELECT `+staffColumns+` WHERE u.id = (
 SELECT e.actor_id FROM events e JOIN users x ON x.id = e.actor_id
 WHERE (e.case_id = ? OR e.complaint_id IN (SELECT id FROM complaints WHERE case_id = ?)) AND x.role = 'inspector' AND x.active = ?
 ORDER BY e.id DESC LIMIT 1)`, caseID, caseID, true)
		if err != nil || len(us) > 0 {
			return us, err
		}
	}
	return usersWithRole(ctx, q, "inspector")
}

// toStaff makes one row per user: e-mail when the user has an address and
// SMTP is configured, else the log channel. A webhook, when configured, gets
// one more copy of the message.
func (o *Outbox) toStaff(key, rule string, to []staffUser, subject, body string, complaintID, caseID int64) []Message {
	var out []Message
	for _, u := range to {
		m := Message{Rule: rule, Subject: subject, Body: body, ComplaintID: complaintID, CaseID: caseID, Channel: ChannelLog}
		if u.ID < 0 { // a unit without users
			m.Recipient = fmt.Sprintf("unit:%d", -u.ID)
			m.RecipientLabel = "责任单位（无账号）"
		} else {
			m.Recipient = fmt.Sprintf("user:%d", u.ID)
			m.RecipientLabel = u.Username
			if u.Name != "" {
				m.RecipientLabel = u.Name + "（" + u.Username + "）"
			}
			if u.Email.Valid && u.Email.String != "" && o.Settings.Mail {
				m.Channel = ChannelEmail
			}
		}
		m.Key = key + ":" + m.Recipient
		out = append(out, m)
	}
	if o.Settings.Webhook {
		out = append(out, Message{Key: key + ":webhook", Rule: rule, Channel: ChannelWebhook, Recipient: "webhook",
			RecipientLabel: "Webhook", Subject: subject, Body: body, ComplaintID: complaintID, CaseID: caseID})
	}
	return out
}
