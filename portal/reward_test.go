package portal

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
)

// rewardFixture wires a reward service into the portal (as serve does) and
// files an anonymous complaint that asks for a reward; approved, it is
// verified, proposed and approved by two staff users.
func rewardFixture(t *testing.T, approved bool) (*env, *reward.Service, string, int64) {
	t.Helper()
	v := newEnv(t, false)
	rs := reward.NewService(v.db, v.svc.Keys, v.svc)
	v.svc.OnVerified = append(v.svc.OnVerified, rs.Hook())
	v.h.rewards = rs
	staff := func(name, role string) ledger.Actor {
		now := db.UTC(time.Now())
		res, err := v.db.Exec(`INSERT INTO users (username, display_name, role, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, 'x', 1, ?, ?)`,
			name, name, role, now, now)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		return ledger.Actor{UserID: id, Name: name}
	}
	insp, officer, approver, admin := staff("insp", "inspector"), staff("officer", "reward_officer"), staff("approver", "reward_approver"), staff("admin", "admin")
	f, err := v.svc.File(context.Background(), ledger.NewComplaint{
		Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air}, Address: "城关镇汉江大道107号", Subject: "某砂石厂",
		Description: "每天夜里机器轰鸣，粉尘很大，严重影响休息。", Identity: ledger.Anonymous, WantsReward: true,
	}, ledger.Resident)
	if err != nil {
		t.Fatal(err)
	}
	if !approved {
		return v, rs, f.TrackingCode, 0
	}
	caseID, err := v.svc.Accept(context.Background(), f.Complaint.ID, 0, insp, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(v.svc.StartVerification(context.Background(), caseID, insp, ledger.EventInput{}))
	must(v.svc.RecordVerification(context.Background(), caseID, ledger.Partly, "部分属实。", insp, ledger.EventInput{}))
	var id int64
	must(v.db.Get(&id, `SELECT id FROM rewards WHERE case_id = ?`, caseID))
	must(rs.SetBudget(context.Background(), rs.Year(time.Now()), 1_000_000, admin))
	must(rs.Propose(context.Background(), id, "general", 30_000, "线索具体", officer))
	must(rs.Approve(context.Background(), id, approver))
	return v, rs, f.TrackingCode, id
}

func rewardStatus(t *testing.T, rs *reward.Service, id int64) reward.Status {
	t.Helper()
	r, err := rs.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

func TestRewardClaimFieldErrors(t *testing.T) {
	v, rs, code, id := rewardFixture(t, true)
	tok := v.token()
	w := v.post("/track", url.Values{"csrf": {tok}, "code": {code}})
	body := w.Body.String()
	for _, s := range []string{"已批准", "300.00 元", "申领截止", `action="/track/reward/claim"`, "须提供真实姓名和身份证号码"} {
		if !strings.Contains(body, s) {
			t.Fatalf("tracking page lacks %q", s)
		}
	}
	// Every bad field is named, in Chinese, under its input.
	w = v.post("/track/reward/claim", url.Values{"csrf": {tok}, "code": {code}, "method": {"bank"}})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("empty claim = %d", w.Code)
	}
	body = w.Body.String()
	for _, s := range []string{"请填写真实姓名", "身份证号码应为18位", "请填写正确的手机号或固定电话", "请填写开户银行（2至60个字）", "银行账号应为10至30位数字"} {
		if !strings.Contains(body, `<p class="field-error">`+s) {
			t.Fatalf("claim page lacks the field error %q:\n%s", s, body)
		}
	}
	w = v.post("/track/reward/claim", url.Values{"csrf": {tok}, "code": {code}, "real_name": {"李四"}, "id_number": {"61090220001329456X"},
		"phone": {"0915-6321234"}})
	body = w.Body.String()
	for _, s := range []string{"身份证号码校验位不正确，请核对", "请选择领取方式"} {
		if !strings.Contains(body, s) {
			t.Fatalf("claim page lacks %q", s)
		}
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", w.Header().Get("Cache-Control"))
	}
	if rewardStatus(t, rs, id) != reward.Approved {
		t.Fatal("bad claims changed the reward")
	}
	// A wrong CSRF token changes nothing.
	w = v.post("/track/reward/claim", url.Values{"csrf": {"forged"}, "code": {code}, "real_name": {"李四"}, "id_number": {"61090220000229456X"},
		"phone": {"13812345678"}, "method": {"in_person"}})
	if w.Code != http.StatusForbidden || rewardStatus(t, rs, id) != reward.Approved {
		t.Fatalf("forged claim = %d", w.Code)
	}
	// In person: no bank details needed.
	w = v.post("/track/reward/claim", url.Values{"csrf": {tok}, "code": {code}, "real_name": {"李四"}, "id_number": {"61090220000229456X"},
		"phone": {"13812345678"}, "method": {"in_person"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "奖励申领信息已提交") || rewardStatus(t, rs, id) != reward.Claimed {
		t.Fatalf("claim = %d", w.Code)
	}
	// The identity is not in the page, the log or the row in clear.
	if strings.Contains(v.log.String(), "61090220000229456") {
		t.Fatal("identity logged")
	}
	w = v.post("/track", url.Values{"csrf": {tok}, "code": {code}})
	if !strings.Contains(w.Body.String(), "已申领") || strings.Contains(w.Body.String(), "61090220000229456") {
		t.Fatal("tracking page after claim")
	}
}

// TestRewardClaimRateLimited: claims count against the tracking limits.
func TestRewardClaimRateLimited(t *testing.T) {
	v, rs, code, id := rewardFixture(t, true)
	tok := v.token()
	for i := 0; i < v.h.limits.CodePerMinute; i++ {
		if w := v.post("/track/reward/claim", url.Values{"csrf": {tok}, "code": {code}}); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("claim %d = %d", i, w.Code)
		}
	}
	w := v.post("/track/reward/claim", url.Values{"csrf": {tok}, "code": {code}, "real_name": {"李四"}, "id_number": {"61090220000229456X"},
		"phone": {"13812345678"}, "method": {"in_person"}})
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || rewardStatus(t, rs, id) != reward.Approved {
		t.Fatalf("over the limit = %d", w.Code)
	}
}

// TestRewardAnonymousNotice: before any reward record, an anonymous reporter
// who asked for one is told what a claim will need.
func TestRewardAnonymousNotice(t *testing.T) {
	v, _, code, _ := rewardFixture(t, false)
	w := v.post("/track", url.Values{"csrf": {v.token()}, "code": {code}})
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "您是匿名举报的：领取奖励时须提供真实姓名和身份证号码") || strings.Contains(body, "奖励状态") {
		t.Fatalf("tracking page %d:\n%s", w.Code, body)
	}
	// A reporter who asked for no reward sees no reward block.
	f, err := v.svc.File(context.Background(), ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Noise}, Address: "城关镇东街", Subject: "某厂",
		Description: "夜间噪声扰民，持续一个月。", Identity: ledger.Anonymous}, ledger.Resident)
	if err != nil {
		t.Fatal(err)
	}
	if body := v.post("/track", url.Values{"csrf": {v.token()}, "code": {f.TrackingCode}}).Body.String(); strings.Contains(body, `id="reward"`) {
		t.Fatal("reward block without a reward request")
	}
}
