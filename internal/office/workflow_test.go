package office_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/auth"
	"ecoreport/internal/captcha"
	"ecoreport/internal/ledger"
	"ecoreport/internal/office"
)

// TestInboxToCloseOut is the daily workflow: an inspector accepts a complaint
// from the inbox, verifies it, issues a notice; the unit reports the
// rectification; the inspector strikes the case off. Each step is checked on
// the timeline and in the audit log.
func TestInboxToCloseOut(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint())
	insp := e.login("inspector")

	// Inbox: oldest first, decide-by date, one line linking to the
	// complaint's page, which shows the contact masked.
	w := insp.get("/office/inbox")
	mustContain(t, w, cm.Ref(), "受理期限 2026-11-18", `href="/office/complaints/`+strconv.FormatInt(cm.ID, 10)+`"`)
	mustNotContain(t, w, "13812345678", "138****5678", "已超期")
	w = insp.get("/office/complaints/" + strconv.FormatInt(cm.ID, 10))
	mustContain(t, w, "张* 138****5678", "承办人")
	mustNotContain(t, w, "13812345678")

	// Accept into a new case.
	w = insp.post("/office/complaints/"+strconv.FormatInt(cm.ID, 10)+"/accept", "internal_note", "夜间噪声，优先核查")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("accept %d %s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	caseID, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(loc, "?")[0], "/office/cases/"), 10, 64)
	if caseID == 0 || e.audited("inspector", "complaint.accepted") != 1 {
		t.Fatalf("accept: %s, audit %d", loc, e.audited("inspector", "complaint.accepted"))
	}
	casePath := "/office/cases/" + strconv.FormatInt(caseID, 10)
	mustContain(t, insp.get(casePath), "已受理举报件 "+cm.Ref(), "待核查", "夜间噪声，优先核查", "138****5678")
	mustNotContain(t, insp.get(casePath), "已受理举报件") // the message shows once

	// Show the contact: audited, shown in this response only.
	w = insp.post("/office/complaints/" + strconv.FormatInt(cm.ID, 10) + "/contact")
	mustContain(t, w, "张三 13812345678")
	if e.audited("inspector", "contact.viewed") != 1 {
		t.Fatal("contact view not audited")
	}
	mustNotContain(t, insp.get(casePath), "13812345678")

	// Verify on site.
	if w := insp.post(casePath + "/verify/start"); w.Code != http.StatusSeeOther {
		t.Fatalf("start verification %d %s", w.Code, w.Body)
	}
	w = insp.post(casePath+"/verify", "verification", "substantiated", "public_reply", "经现场核查，该厂夜间生产，噪声扰民属实。")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("verify %d %s", w.Code, w.Body)
	}
	if e.audited("inspector", "case.verified") != 1 {
		t.Fatal("verification not audited")
	}

	// Issue the notice.
	w = insp.post(casePath+"/notice", "unit_id", "1", "requirements", "立即停止夜间生产。\n加装除尘和隔音设施。",
		"deadline", "2026-11-20", "copied_to", "县委、县政府分管领导\n县纪委监委\n县考核办")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("notice %d %s", w.Code, w.Body)
	}
	ns, _ := e.ledger.NoticesOfCase(ctx, caseID)
	if len(ns) != 1 || ns[0].Ref() != "石环督整〔2026〕1号" {
		t.Fatalf("notices %+v", ns)
	}
	noticePath := "/office/notices/" + strconv.FormatInt(ns[0].ID, 10)
	w = insp.get(noticePath)
	mustContain(t, w, "石环督整〔2026〕1号", "整改通知书", "城关镇", "2026年11月20日", "县纪委监委", "县考核办", "加装除尘和隔音设施。")
	mustStyle(t, w, "print.css", "@media print")
	if e.audited("inspector", "case.assigned") != 1 || e.audited("inspector", "notice.issued") != 1 {
		t.Fatal("notice not audited")
	}

	// The unit of another town sees nothing of it.
	other := e.login("unit2")
	mustNotContain(t, other.get("/office/unit"), "石环督整")
	if w := other.get(noticePath); w.Code != http.StatusNotFound {
		t.Fatalf("other unit reads the notice: %d", w.Code)
	}
	if w := other.post(noticePath+"/report", "note", "已整改"); w.Code != http.StatusNotFound {
		t.Fatalf("other unit reports: %d", w.Code)
	}

	// The responsible unit reports the rectification.
	unit := e.login("unit")
	w = unit.get("/office/unit")
	mustContain(t, w, "石环督整〔2026〕1号", "报告整改完成")
	mustNotContain(t, w, "13812345678", "138****5678")
	if w := unit.get(noticePath); w.Code != http.StatusOK {
		t.Fatalf("unit reads its notice: %d", w.Code)
	}
	if w := unit.post(noticePath+"/report", "note", "已停止夜间生产，隔音设施已安装。"); w.Code != http.StatusSeeOther {
		t.Fatalf("report %d %s", w.Code, w.Body)
	}
	if e.audited("unit", "case.submitted") != 1 {
		t.Fatal("report not audited")
	}

	// The inspector strikes it off.
	mustContain(t, insp.get(casePath), "待验收", "隔音设施已安装")
	if w := insp.post(casePath+"/close", "public_reply", "经验收，整改到位。"); w.Code != http.StatusSeeOther {
		t.Fatalf("close %d %s", w.Code, w.Body)
	}
	cs, _ := e.ledger.Case(ctx, caseID)
	if cs.Status != ledger.Closed {
		t.Fatalf("case %s", cs.Status)
	}
	want := []string{"complaint.filed", "case.opened", "complaint.accepted", "case.verifying", "case.verified", "case.assigned", "notice.issued", "case.submitted", "case.closed"}
	if got := e.kinds(caseID); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("timeline\n got %v\nwant %v", got, want)
	}
	// The reporter's public timeline ends with the close-out.
	c2, _ := e.ledger.Complaint(ctx, cm.ID)
	pub, _ := e.ledger.PublicTimeline(ctx, c2)
	if last := pub[len(pub)-1]; !strings.Contains(last.PublicNote, "经验收，整改到位。") || c2.Status != ledger.ComplaintDone {
		t.Fatalf("public timeline ends %+v, complaint %s", last, c2.Status)
	}
	if e.audited("inspector", "case.closed") != 1 {
		t.Fatal("close not audited")
	}
	// A unit can report only once per round.
	if w := unit.post(noticePath+"/report", "note", "再次报告"); w.Code != http.StatusConflict {
		t.Fatalf("second report %d", w.Code)
	}
}

func TestRefuseDuplicatesAndList(t *testing.T) {
	e := newEnv(t)
	insp := e.login("inspector")
	first := e.file(webComplaint())
	w := insp.post("/office/complaints/" + strconv.FormatInt(first.ID, 10) + "/accept")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("accept %d", w.Code)
	}
	caseID := e.count(`SELECT case_id FROM complaints WHERE id = ?`, first.ID)
	ref := ledger.CaseRef(int64(caseID))

	// A second report on the same party is suggested as a duplicate and
	// attached to the case by its reference.
	again := webComplaint()
	again.Description = "那个砂石厂晚上还在开工，吵得睡不着。"
	second := e.file(again)
	other := webComplaint()
	other.TownID, other.Subject, other.Description = 2, "某养殖场", "养殖场污水直排河道，气味很大。"
	third := e.file(other)
	w = insp.get("/office/inbox")
	if strings.Count(w.Body.String(), "可能重复 1 件") != 1 {
		t.Fatalf("duplicate flagged on the wrong rows:\n%s", w.Body)
	}
	if row := w.Body.String()[strings.Index(w.Body.String(), `id="c`+strconv.FormatInt(second.ID, 10)+`"`):]; !strings.Contains(row[:strings.Index(row, "</div>")], "可能重复 1 件") {
		t.Fatalf("the repeat's row does not flag it:\n%s", w.Body)
	}
	mustContain(t, insp.get("/office/complaints/"+strconv.FormatInt(second.ID, 10)), "可能重复的在办问题", ref)
	mustNotContain(t, insp.get("/office/complaints/"+strconv.FormatInt(third.ID, 10)), "可能重复的在办问题")
	if w := insp.post("/office/complaints/"+strconv.FormatInt(second.ID, 10)+"/accept", "into", ref); w.Code != http.StatusSeeOther {
		t.Fatalf("attach %d %s", w.Code, w.Body)
	}
	if n := e.count(`SELECT COUNT(*) FROM complaints WHERE case_id = ?`, caseID); n != 2 {
		t.Fatalf("case has %d complaints", n)
	}

	// Refuse with a reason; the public note defaults to the reason's.
	if w := insp.post("/office/complaints/"+strconv.FormatInt(third.ID, 10)+"/refuse", "reason", "bogus"); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad reason %d", w.Code)
	}
	if w := insp.post("/office/complaints/"+strconv.FormatInt(third.ID, 10)+"/refuse", "reason", "not_environmental"); w.Code != http.StatusSeeOther {
		t.Fatalf("refuse %d %s", w.Code, w.Body)
	}
	c3, _ := e.ledger.Complaint(ctx, third.ID)
	pub, _ := e.ledger.PublicTimeline(ctx, c3)
	if c3.Status != ledger.Refused || !strings.Contains(pub[len(pub)-1].PublicNote, "12345") || e.audited("inspector", "complaint.refused") != 1 {
		t.Fatalf("refused: %s %+v", c3.Status, pub)
	}
	mustContain(t, insp.get("/office/inbox"), "没有待处理的举报")

	// Lists and export, with filters; overdue after 61 days.
	mustContain(t, insp.get("/office/cases?town=1&category=noise&channel=web"), ref)
	mustNotContain(t, insp.get("/office/cases?town=2"), ref)
	mustNotContain(t, insp.get("/office/cases?overdue=true"), ref)
	e.clk.add(61 * 24 * 60 * 60 * 1e9)
	leader := e.login("leader")
	w = leader.get("/office/cases?overdue=true")
	mustContain(t, w, ref, "超期")
	mustNotContain(t, w, "开始现场核查")
	w = leader.get("/office/cases.csv?overdue=true")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "\ufeff问题编号") || !strings.Contains(w.Body.String(), ref) {
		t.Fatalf("csv %d %s", w.Code, w.Body)
	}
}

// captchaRE finds the challenge of a login form.
var captchaRE = regexp.MustCompile(`name="captcha_id" value="([A-Za-z0-9_-]{20})"`)

// captchaAnswer reads the answer of the form's challenge from the database,
// as only a test can.
func (e *env) captchaAnswer(w *httptest.ResponseRecorder) (id, answer string) {
	e.t.Helper()
	m := captchaRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		e.t.Fatalf("no captcha on the page: %s", w.Body)
	}
	digits, err := (&captcha.Store{DB: e.db, Now: e.clk.now}).Peek(ctx, m[1])
	if err != nil || digits == nil {
		e.t.Fatalf("captcha %s: %v", m[1], err)
	}
	for _, d := range digits {
		answer += string(rune('0' + d))
	}
	return m[1], answer
}

// TestLoginThrottleLogoutAndPassword: wrong passwords never lock the
// account and all get the same message; after auth.CaptchaAfter of them
// the form wants the captcha, and with it the right password opens.
func TestLoginThrottleLogoutAndPassword(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/office/login")
	var w *httptest.ResponseRecorder
	for i := 0; i < auth.CaptchaAfter; i++ {
		if w = c.post("/office/login", "username", "inspector", "password", "wrong password"); w.Code != http.StatusUnauthorized {
			t.Fatalf("bad password %d", w.Code)
		}
		mustContain(t, w, "用户名或密码错误", `name="captcha_id"`)
	}
	mustNotContain(t, w, "锁定")
	w = c.post("/office/login", "username", "inspector", "password", password)
	if w.Code != http.StatusUnauthorized || e.count(`SELECT COUNT(*) FROM sessions`) != 0 {
		t.Fatalf("right password without the captcha: %d", w.Code)
	}
	mustContain(t, w, "请输入验证码后再登录", "请输入图中的验证码")
	id, _ := e.captchaAnswer(w)
	w = c.post("/office/login", "username", "inspector", "password", password, "captcha_id", id, "captcha_solution", "000000x")
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("wrong captcha: %d", w.Code)
	}
	mustContain(t, w, "验证码错误或已过期")
	id, answer := e.captchaAnswer(w)
	if w := c.post("/office/login", "username", "inspector", "password", password, "captcha_id", id, "captcha_solution", answer); w.Code != http.StatusSeeOther {
		t.Fatalf("right password with the captcha: %d %s", w.Code, w.Body)
	}
	if n := e.audited("anonymous", "user.login_failed") + e.audited("inspector", "user.login_failed"); n != auth.CaptchaAfter {
		t.Fatalf("%d failed logins audited", n)
	}

	a := e.login("inspector")
	b := e.login("inspector")
	if w := a.post("/office/password", "current", password, "new", "short", "confirm", "short"); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("short password %d", w.Code)
	}
	if w := a.post("/office/password", "current", password, "new", "a much longer secret", "confirm", "a much longer secret"); w.Code != http.StatusSeeOther {
		t.Fatalf("change password %d %s", w.Code, w.Body)
	}
	if w := a.get("/office/inbox"); w.Code != http.StatusOK {
		t.Fatalf("changer keeps a session: %d", w.Code)
	}
	if w := b.get("/office/inbox"); w.Code != http.StatusSeeOther {
		t.Fatalf("other session survives a password change: %d", w.Code)
	}
	if w := a.post("/office/logout"); w.Code != http.StatusSeeOther {
		t.Fatalf("logout %d", w.Code)
	}
	if w := a.get("/office/inbox"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/login" {
		t.Fatalf("after logout %d", w.Code)
	}
}

// TestLoginAttemptsPerClient: one client gets DefaultLoginPerMinute login
// attempts a minute on this instance, whatever their outcome; the next is
// 429 with Retry-After before any password is hashed, and another client
// is not held up.
func TestLoginAttemptsPerClient(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/office/login")
	for i := 0; i < office.DefaultLoginPerMinute; i++ {
		// A captcha answer that is wrong ends each attempt before its hash.
		if w := c.post("/office/login", "username", "inspector", "password", password, "captcha_id", "x", "captcha_solution", "1"); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: %d", i, w.Code)
		}
	}
	w := c.post("/office/login", "username", "inspector", "password", password)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %v", w.Code, w.Header())
	}
	mustContain(t, w, "登录请求过于频繁")
	e.clk.add(61 * time.Second)
	if w := c.post("/office/login", "username", "inspector", "password", password); w.Code != http.StatusSeeOther {
		t.Fatalf("a minute later: %d", w.Code)
	}
}
