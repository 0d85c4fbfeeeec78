package office_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"ecoreport/internal/auth"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
	"ecoreport/portal"
)

// rewardEnv is the back office with the reward pages wired as in serve (the
// reward hook on verification, Deps.Rewards), a second reward approver, and
// the real portal on the same database for the reporter's side.
type rewardEnv struct {
	*env
	rewards *reward.Service
	portal  *gin.Engine
	insp    ledger.Actor
}

func newRewardEnv(t *testing.T) *rewardEnv {
	t.Helper()
	e := newEnv(t)
	rs := reward.NewService(e.db, e.ledger.Keys, e.ledger)
	rs.Now = e.clk.now
	e.ledger.OnVerified = append(e.ledger.OnVerified, rs.Hook())
	e.h.Rewards = rs
	if _, err := e.db.Exec(`INSERT INTO users (username, display_name, role, unit_id, password_hash, active, failed_logins, created_at, updated_at)
		VALUES (?, ?, ?, NULL, ?, ?, 0, ?, ?)`, "approver2", "奖励审批人乙", auth.RewardApprover, hashed, true, e.clk.t, e.clk.t); err != nil {
		t.Fatal(err)
	}
	ph := portal.New(portal.Deps{Ledger: e.ledger, DB: e.db, Keys: e.ledger.Keys, DataDir: t.TempDir(), Now: e.clk.now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Rewards: rs})
	pr := gin.New()
	ph.Register(pr)
	insp, err := e.users.ByUsername(ctx, "inspector")
	if err != nil {
		t.Fatal(err)
	}
	return &rewardEnv{env: e, rewards: rs, portal: pr, insp: ledger.Actor{UserID: insp.ID, Name: insp.Username}}
}

// verified files an anonymous web complaint that asks for a reward, accepts
// it and records the verification as substantiated: the hook makes the
// reward eligible. It returns the tracking code and the case id.
func (e *rewardEnv) verified() (string, int64) {
	e.t.Helper()
	in := webComplaint()
	in.Identity, in.Contact = ledger.Anonymous, nil
	f, err := e.ledger.File(ctx, in, ledger.Resident)
	if err != nil {
		e.t.Fatal(err)
	}
	caseID, err := e.ledger.Accept(ctx, f.Complaint.ID, 0, e.insp, ledger.EventInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.ledger.StartVerification(ctx, caseID, e.insp, ledger.EventInput{}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.ledger.RecordVerification(ctx, caseID, ledger.Substantiated, "经现场核查，该厂夜间违法排放属实，已立案查处。", e.insp, ledger.EventInput{}); err != nil {
		e.t.Fatal(err)
	}
	return f.TrackingCode, caseID
}

func (e *rewardEnv) reward(caseID int64) *reward.Reward {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM rewards WHERE case_id = ?`, caseID); err != nil {
		e.t.Fatal(err)
	}
	r, err := e.rewards.Get(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// resident is a browser on the portal: cookies and the current CSRF token.
type rewardResident struct {
	e       *rewardEnv
	cookies map[string]*http.Cookie
	csrf    string
}

var portalCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *rewardEnv) resident() *rewardResident {
	r := &rewardResident{e: e, cookies: map[string]*http.Cookie{}}
	if w := r.do(http.MethodGet, "/track", nil); w.Code != http.StatusOK || r.csrf == "" {
		e.t.Fatalf("GET /track: %d", w.Code)
	}
	return r
}

func (r *rewardResident) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	r.e.t.Helper()
	var req *http.Request
	if form != nil {
		if form.Get("csrf") == "" {
			form.Set("csrf", r.csrf)
		}
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = "198.51.100.7:4000"
	for _, c := range r.cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	r.e.portal.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		r.cookies[c.Name] = c
	}
	if m := portalCSRF.FindStringSubmatch(w.Body.String()); m != nil {
		r.csrf = m[1]
	}
	return w
}

func (r *rewardResident) track(code string) *httptest.ResponseRecorder {
	r.e.t.Helper()
	return r.do(http.MethodPost, "/track", url.Values{"code": {code}})
}

func (r *rewardResident) claim(code string, kv ...string) *httptest.ResponseRecorder {
	r.e.t.Helper()
	f := url.Values{"code": {code}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return r.do(http.MethodPost, "/track/reward/claim", f)
}

func rewardWant(t *testing.T, w *httptest.ResponseRecorder, code int, what string) {
	t.Helper()
	if w.Code != code {
		t.Fatalf("%s: %d, want %d\n%s", what, w.Code, code, w.Body)
	}
}

// TestRewardWholePath: eligible on verification → the officer proposes →
// another approver approves (the proposer may not; finance cannot even reach
// the route) → the reporter claims on the tracking page with the code →
// finance views the identity (audited) and pays, once.
func TestRewardWholePath(t *testing.T) {
	e := newRewardEnv(t)
	code, caseID := e.verified()
	r := e.reward(caseID)
	if r.Status != reward.Eligible {
		t.Fatalf("status %s", r.Status)
	}
	page := "/office/cases/" + strconv.FormatInt(caseID, 10) + "/reward"

	// The admin sets the year's budget (audited).
	admin := e.session("admin")
	rewardWant(t, admin.post("/office/rewards/budget", "year", "2026", "total", "10,000"), http.StatusSeeOther, "budget")
	mustContain(t, admin.get("/office/rewards/rules"), "2026年度奖励预算已设置为10000.00元", "10000.00 元")
	if e.audited("admin", "reward.budget_set") != 1 {
		t.Fatal("budget not audited")
	}

	// The list, by status, with the budget.
	officer := e.session("reward_officer")
	w := officer.get("/office/rewards?status=eligible")
	rewardWant(t, w, http.StatusOK, "list")
	mustContain(t, w, r.Ref(), "待审核", "10000.00 元", "剩余可用")
	mustNotContain(t, w, "payments.xlsx")

	// The reporter sees it, and, having filed anonymously, is told what a claim needs.
	res := e.resident()
	w = res.track(code)
	mustContain(t, w, "举报奖励", "待审核", "须提供真实姓名和身份证号码")
	mustNotContain(t, w, "/track/reward/claim")

	// Propose: an amount outside the level is refused with the level's range.
	w = officer.post(page+"/propose", "level", "general", "amount", "1500", "basis", "线索具体，查实夜间违法排放")
	rewardWant(t, w, http.StatusUnprocessableEntity, "propose outside the level")
	mustContain(t, w, "“一般”等级的奖励金额应在200.00元至1000.00元之间", "线索具体，查实夜间违法排放")
	w = officer.post(page+"/propose", "level", "general", "amount", "12.345", "basis", "x")
	rewardWant(t, w, http.StatusUnprocessableEntity, "propose bad amount")
	mustContain(t, w, "请填写金额（元，最多两位小数）")
	rewardWant(t, officer.post(page+"/propose", "level", "general", "amount", "800.5", "basis", "线索具体，查实夜间违法排放"), http.StatusSeeOther, "propose")
	if r = e.reward(caseID); r.Status != reward.Proposed || r.AmountFen != 80050 {
		t.Fatalf("after propose %+v", r)
	}
	mustContain(t, officer.get(page), "已拟定", "800.50 元", "奖励已拟定")

	// Finance cannot reach approval: the route table says 403, nothing changes.
	fin := e.session("finance")
	before := e.count(`SELECT COUNT(*) FROM audit_log`)
	rewardWant(t, fin.post(page+"/approve"), http.StatusForbidden, "finance approves")
	if e.reward(caseID).Status != reward.Proposed || e.count(`SELECT COUNT(*) FROM audit_log`) != before {
		t.Fatal("finance changed the reward")
	}

	// The proposer, moved to the approvers since, still may not approve their own proposal.
	if _, err := e.db.Exec(`UPDATE users SET role = ? WHERE username = 'reward_officer'`, auth.RewardApprover); err != nil {
		t.Fatal(err)
	}
	w = officer.post(page + "/approve")
	rewardWant(t, w, http.StatusForbidden, "proposer approves")
	mustContain(t, w, "审批人不能是拟定人")
	if e.reward(caseID).Status != reward.Proposed {
		t.Fatal("the proposer approved")
	}
	if _, err := e.db.Exec(`UPDATE users SET role = ? WHERE username = 'reward_officer'`, auth.RewardOfficer); err != nil {
		t.Fatal(err)
	}

	// Another approver approves: the amount is committed against the budget.
	approver := e.session("approver2")
	mustContain(t, approver.get(page), "/reward/approve", "800.50 元")
	rewardWant(t, approver.post(page+"/approve"), http.StatusSeeOther, "approve")
	mustContain(t, approver.get(page), "已批准", "2027-02-01")
	mustContain(t, admin.get("/office/rewards"), "800.50 元", "9199.50 元")

	// The reporter claims on the tracking page, with the code in the hidden field.
	w = res.track(code)
	mustContain(t, w, "已批准", "800.50 元", "申领截止：2027年2月1日", `action="/track/reward/claim"`, `name="code" value="`+code+`"`)
	w = res.claim(code, "real_name", "张三", "id_number", "610902200002294561", "phone", "12345", "method", "bank", "bank_name", "农行", "bank_account", "12")
	rewardWant(t, w, http.StatusUnprocessableEntity, "bad claim")
	mustContain(t, w, "身份证号码校验位不正确，请核对", "请填写正确的手机号或固定电话", "银行账号应为10至30位数字", `value="张三"`)
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control %q", got)
	}
	if e.reward(caseID).Status != reward.Approved {
		t.Fatal("a bad claim changed the reward")
	}
	w = res.claim(code, "real_name", "张三", "id_number", "61090220000229456x", "phone", "138 1234 5678", "method", "bank",
		"bank_name", "中国农业银行石泉县支行", "bank_account", "6228480123456789012")
	rewardWant(t, w, http.StatusOK, "claim")
	mustContain(t, w, "奖励申领信息已提交", "已申领")
	mustNotContain(t, w, `action="/track/reward/claim"`)
	if r = e.reward(caseID); r.Status != reward.Claimed || !r.HasIdentity {
		t.Fatalf("after claim %+v", r)
	}

	// Finance opens the identity: shown in that response only, audited.
	w = fin.get(page)
	mustContain(t, w, "显示申领人身份信息", "/reward/pay")
	mustNotContain(t, w, "张三", "61090220000229456X")
	w = fin.post(page + "/identity")
	rewardWant(t, w, http.StatusOK, "identity")
	mustContain(t, w, "张三", "61090220000229456X", "13812345678", "6228480123456789012")
	if e.audited("finance", "reward.identity_viewed") != 1 {
		t.Fatal("identity view not audited")
	}
	mustNotContain(t, fin.get(page), "61090220000229456X")
	// The approver has no identity button and no route to it.
	mustNotContain(t, approver.get(page), "显示申领人身份信息")
	rewardWant(t, approver.post(page+"/identity"), http.StatusForbidden, "approver identity")

	// Finance pays, once.
	rewardWant(t, fin.post(page+"/pay", "method", "bank", "reference", "NX20261103-001", "paid_on", "2026-11-03"), http.StatusSeeOther, "pay")
	mustContain(t, fin.get(page), "已发放", "NX20261103-001", "已登记发放")
	w = fin.post(page+"/pay", "method", "bank", "reference", "NX20261103-002", "paid_on", "2026-11-03")
	rewardWant(t, w, http.StatusConflict, "second pay")
	mustContain(t, w, "该奖励已发放")
	if r = e.reward(caseID); r.Status != reward.Paid || r.PayReference != "NX20261103-001" {
		t.Fatalf("after pay %+v", r)
	}
	mustContain(t, admin.get("/office/rewards"), "9199.50 元", "800.50 元")
	mustContain(t, res.track(code), "已发放", "800.50 元")

	// The payment list for finance, without identities.
	w = fin.get("/office/rewards/payments.xlsx?year=2026")
	rewardWant(t, w, http.StatusOK, "xlsx")
	if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
		t.Fatalf("content type %q", ct)
	}
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows(x.GetSheetName(0))
	if len(rows) != 3 || rows[1][0] != r.Ref() || rows[1][6] != "NX20261103-001" {
		t.Fatalf("xlsx rows %v", rows)
	}
	if strings.Contains(strings.Join(rows[1], ","), "张三") {
		t.Fatal("identity in the payment list")
	}
	rewardWant(t, officer.get("/office/rewards/payments.xlsx"), http.StatusForbidden, "officer xlsx")

	// The leader reads, without buttons.
	leader := e.session("leader")
	w = leader.get(page)
	rewardWant(t, w, http.StatusOK, "leader page")
	mustNotContain(t, w, "/reward/propose", "/reward/approve", "/reward/pay", "/reward/identity", "/reward/reject")
	rewardWant(t, leader.get("/office/rewards"), http.StatusOK, "leader list")
}

// TestRewardRejectedPath: the reporter reads the reason on the tracking page.
func TestRewardRejectedPath(t *testing.T) {
	e := newRewardEnv(t)
	code, caseID := e.verified()
	page := "/office/cases/" + strconv.FormatInt(caseID, 10) + "/reward"
	approver := e.session("reward_approver")
	w := approver.post(page+"/reject", "reason", "")
	rewardWant(t, w, http.StatusUnprocessableEntity, "reject without reason")
	mustContain(t, w, "请填写不予奖励的理由")
	rewardWant(t, approver.post(page+"/reject", "reason", "该问题已由群众此前向市级平台反映并查处。"), http.StatusSeeOther, "reject")
	if e.reward(caseID).Status != reward.Rejected || e.audited("reward_approver", "reward.rejected") == 0 {
		t.Fatal("not rejected")
	}
	w = e.resident().track(code)
	mustContain(t, w, "不予奖励", "不予奖励的理由：", "该问题已由群众此前向市级平台反映并查处。")
	mustNotContain(t, w, `action="/track/reward/claim"`)
	// A claim posted anyway is refused with the domain's message.
	res := e.resident()
	w = res.claim(code, "real_name", "张三", "id_number", "61090220000229456x", "phone", "13812345678", "method", "in_person")
	rewardWant(t, w, http.StatusConflict, "claim rejected")
	mustContain(t, w, "该奖励尚未批准或不予奖励，暂不能申领")
}

// TestRewardRules: the admin edits a level (audited) and the officer's form
// follows it; a bad range is refused.
func TestRewardRules(t *testing.T) {
	e := newRewardEnv(t)
	admin := e.session("admin")
	w := admin.post("/office/rewards/levels", "code", "general", "min", "1000", "max", "200")
	rewardWant(t, w, http.StatusUnprocessableEntity, "bad range")
	mustContain(t, w, "金额范围无效")
	rewardWant(t, admin.post("/office/rewards/levels", "code", "general", "min", "300", "max", "1200"), http.StatusSeeOther, "level")
	if e.audited("admin", "reward.level_set") != 1 {
		t.Fatal("level change not audited")
	}
	_, caseID := e.verified()
	mustContain(t, e.session("reward_officer").get("/office/cases/"+strconv.FormatInt(caseID, 10)+"/reward"), "一般（300.00–1200.00 元）")
	rewardWant(t, e.session("reward_officer").get("/office/rewards/rules"), http.StatusForbidden, "officer rules")
}
