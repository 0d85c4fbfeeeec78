package office_test

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/inspection"
	"ecoreport/internal/ledger"
)

func (e *env) lastID(table string) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT COALESCE(MAX(id), 0) FROM `+table); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func seeOther(t *testing.T, w interface {
	Result() *http.Response
}, what string) string {
	t.Helper()
	r := w.Result()
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s: %d", what, r.StatusCode)
	}
	return r.Header.Get("Location")
}

// TestInspectionPages walks the happy paths of the inspection pages as an
// inspector and checks that a leader reads them without buttons.
func TestInspectionPages(t *testing.T) {
	e := newEnv(t)
	insp := e.session("inspector")
	leader := e.session("leader")

	// Task: new form, create, detail, finding, status.
	mustContain(t, insp.get("/office/inspection/tasks/new"), "新建督查巡查任务", "城关镇")
	w := insp.do(http.MethodPost, "/office/inspection/tasks", map[string][]string{
		"kind": {"special"}, "theme": {"汉江沿岸非法采砂专项巡查"}, "area": {"城关镇", "池河镇"}, "team": {"王建国，李芳"},
		"start_on": {"2026-11-03"}, "end_on": {"2026-11-07"}})
	loc := seeOther(t, w, "create task")
	taskID := e.lastID("inspection_tasks")
	if loc != "/office/inspection/tasks/"+strconv.FormatInt(taskID, 10) {
		t.Fatalf("redirect to %s", loc)
	}
	mustContain(t, insp.get(loc), "专项巡查", "汉江沿岸非法采砂专项巡查", "王建国、李芳", "进行中", "记录发现的问题")
	// A bad finding re-renders the form with the message and keeps the input.
	w = insp.post(loc+"/findings", "title", "河道堆砂", "description", "")
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad finding: %d", w.Code)
	}
	mustContain(t, w, "请至少选择一种污染类型", "请描述发现的问题", `value="河道堆砂"`)
	w = insp.post(loc+"/findings", "title", "河道堆砂未清理", "categories", "ecology", "categories", "water", "town_id", "5",
		"subject", "池河镇某砂场", "description", "河道内堆砂约500立方米，影响行洪。")
	seeOther(t, w, "finding")
	caseID := e.lastID("cases")
	c, err := e.ledger.Case(ctx, caseID)
	if err != nil || c.Source != ledger.SourceInspection {
		t.Fatalf("finding case = %+v, %v", c, err)
	}
	mustContain(t, insp.get(loc), ledger.CaseRef(caseID), "河道堆砂未清理", "池河镇")
	// A finding with its on-site photos (multipart): the photos are the
	// case's, sanitised; a refused finding keeps no file.
	before := len(mustReadDir(t, e.uploads))
	w = insp.sendFiles(loc+"/findings", map[string]string{"title": "砂场", "description": ""}, map[string][][]byte{"photos": {pngBytes(t, 20, 10, 1)}})
	if w.Code != http.StatusUnprocessableEntity || len(mustReadDir(t, e.uploads)) != before {
		t.Fatalf("a refused finding with a photo: %d, files %d→%d", w.Code, before, len(mustReadDir(t, e.uploads)))
	}
	w = insp.sendFiles(loc+"/findings", map[string]string{"title": "砂场扬尘", "categories": "air", "address": "池河镇河滩",
		"description": "砂场未苫盖，扬尘明显。"}, map[string][][]byte{"photos": {pngBytes(t, 20, 10, 1), pngBytes(t, 20, 10, 2)}})
	seeOther(t, w, "finding with photos")
	withPhotos := e.lastID("cases")
	if ps, _ := e.ledger.CasePhotos(ctx, withPhotos); len(ps) != 2 || ps[0].Kind != ledger.PhotoOnSite {
		t.Fatalf("finding photos %+v", ps)
	}
	mustContain(t, insp.get("/office/cases/"+strconv.FormatInt(withPhotos, 10)), "现场照片", "/office/case-photos/", "池河镇河滩")
	mustContain(t, insp.get("/office/inspection/tasks"), "汉江沿岸非法采砂专项巡查")
	seeOther(t, insp.post(loc+"/status", "status", "done"), "task done")
	w = insp.get(loc)
	mustContain(t, w, "已完成")
	mustNotContain(t, w, "记录发现的问题")
	lw := leader.get(loc)
	mustContain(t, lw, "河道堆砂未清理")
	mustNotContain(t, lw, "/status", "/findings")

	// Superior feedback.
	mustContain(t, insp.get("/office/inspection/superior/new"), "省生态环境保护督察")
	w = insp.post("/office/inspection/superior", "body", "central", "reference", "第二轮中央督察交办第3批", "title", "城关镇垃圾填埋场渗滤液外溢",
		"categories", "water", "town_id", "1", "description", "中央督察组交办群众举报件。")
	sup := e.lastID("cases")
	if got := seeOther(t, w, "superior"); got != "/office/cases/"+strconv.FormatInt(sup, 10) {
		t.Fatalf("superior redirect %s", got)
	}
	if c, _ := e.ledger.Case(ctx, sup); c.Source != ledger.SourceSuperior || !strings.Contains(c.SourceDetail, "中央生态环境保护督察") {
		t.Fatalf("superior case %+v", c)
	}

	// Interview: new, list, report.
	mustContain(t, insp.get("/office/interviews/new?cases=C"+strconv.FormatInt(caseID, 10)), "登记约谈", ledger.CaseRef(caseID))
	w = insp.post("/office/interviews", "unit_id", "5", "held_on", "2026-11-03", "leader", "县政府副县长 刘强", "problems", "河道采砂问题整改不力",
		"case_ids", ledger.CaseRef(caseID))
	seeOther(t, w, "interview")
	w = insp.get("/office/interviews")
	mustContain(t, w, "池河镇", "县政府副县长 刘强", "2026-11-10", "待报送", ledger.CaseRef(caseID))
	e.clk.add(9 * 24 * time.Hour)
	insp, leader = e.session("inspector"), e.session("leader") // the old sessions timed out
	mustContain(t, insp.get("/office/interviews"), `<span class="overdue">逾期</span>`)
	ivID := e.lastID("interviews")
	seeOther(t, insp.post("/office/interviews/"+strconv.FormatInt(ivID, 10)+"/report", "received_on", "2026-11-09"), "report")
	mustContain(t, insp.get("/office/interviews"), "按时报送")
	if w := insp.post("/office/interviews", "unit_id", "5", "leader", ""); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad interview: %d", w.Code)
	}
	mustNotContain(t, leader.get("/office/interviews"), "登记收到报告", "/office/interviews/new")

	// Referral: new, list (of the case), outcome.
	mustContain(t, insp.get("/office/referrals/new?case="+strconv.FormatInt(caseID, 10)), ledger.CaseRef(caseID), "纪检监察")
	w = insp.post("/office/referrals", "case", ledger.CaseRef(caseID), "recipient", "judiciary", "referred_on", "2026-11-10", "reference", "石环督移〔2026〕1号")
	if got := seeOther(t, w, "referral"); got != "/office/referrals?case="+strconv.FormatInt(caseID, 10) {
		t.Fatalf("referral redirect %s", got)
	}
	mustContain(t, insp.get("/office/referrals?case="+strconv.FormatInt(caseID, 10)), "司法机关", "石环督移〔2026〕1号", "待反馈")
	refID := e.lastID("referrals")
	seeOther(t, insp.post("/office/referrals/"+strconv.FormatInt(refID, 10)+"/outcome", "outcome", "已立案侦查"), "outcome")
	mustContain(t, leader.get("/office/referrals"), "已立案侦查", ledger.CaseRef(caseID))
	if w := insp.post("/office/referrals", "case", "C999999", "recipient", "judiciary", "referred_on", "2026-11-10"); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("referral of an unknown case: %d", w.Code)
	}

	// Everything is on the case's timeline and in the audit log.
	kinds := strings.Join(e.kinds(caseID), " ")
	for _, k := range []string{"case.opened", "inspection.finding", "interview.held", "interview.report", "referral.sent", "referral.outcome"} {
		if !strings.Contains(kinds, k) {
			t.Fatalf("timeline lacks %s: %s", k, kinds)
		}
	}
	for _, a := range []string{"inspection.task_created", "inspection.finding_recorded", "inspection.task_status", "interview.recorded",
		"interview.report_received", "referral.recorded", "referral.outcome"} {
		if e.audited("inspector", a) == 0 {
			t.Fatalf("no audit entry %s", a)
		}
	}
}

// TestInspectionRoutesWithRealIDs repeats the role check of the route table
// for the inspection routes with ids that exist: a leader (and every other
// role but admin and inspector) is refused every write.
func TestInspectionRoutesWithRealIDs(t *testing.T) {
	e := newEnv(t)
	s := inspection.NewService(e.ledger)
	by := ledger.Actor{Name: "fixture"}
	taskID, err := s.CreateTask(ctx, inspection.NewTask{Kind: inspection.Routine, Theme: "例行督查", Area: []string{"城关镇"}, Team: []string{"王"},
		StartOn: e.clk.now(), EndOn: e.clk.now()}, by)
	if err != nil {
		t.Fatal(err)
	}
	caseID, err := s.RecordFinding(ctx, taskID, inspection.Finding{Title: "问题", Categories: ledger.Categories{ledger.Air}, Description: "现场情况"}, by)
	if err != nil {
		t.Fatal(err)
	}
	ivID, err := s.RecordInterview(ctx, inspection.NewInterview{UnitID: 1, HeldOn: e.clk.now(), Leader: "领导", Problems: "问题"}, by)
	if err != nil {
		t.Fatal(err)
	}
	refID, err := s.RecordReferral(ctx, inspection.NewReferral{CaseID: caseID, Recipient: inspection.ToDiscipline, ReferredOn: e.clk.now()}, by)
	if err != nil {
		t.Fatal(err)
	}
	type post struct {
		path string
		kv   []string
	}
	posts := []post{
		{"/office/inspection/tasks/" + strconv.FormatInt(taskID, 10) + "/findings", []string{"title", "x", "categories", "air", "description", "现场"}},
		{"/office/inspection/tasks/" + strconv.FormatInt(taskID, 10) + "/status", []string{"status", "done"}},
		{"/office/interviews/" + strconv.FormatInt(ivID, 10) + "/report", []string{"received_on", "2026-11-03"}},
		{"/office/referrals/" + strconv.FormatInt(refID, 10) + "/outcome", []string{"outcome", "已处理"}},
		{"/office/interviews", []string{"unit_id", "1", "held_on", "2026-11-03", "leader", "领导", "problems", "问题"}},
		{"/office/referrals", []string{"case", ledger.CaseRef(caseID), "recipient", "judiciary", "referred_on", "2026-11-03"}},
		{"/office/inspection/superior", []string{"body", "audit", "title", "审计问题"}},
		{"/office/inspection/tasks", []string{"kind", "routine", "theme", "x", "area", "城关镇", "team", "王", "start_on", "2026-11-03", "end_on", "2026-11-03"}},
	}
	tables := `SELECT (SELECT COUNT(*) FROM inspection_tasks) + (SELECT COUNT(*) FROM inspection_findings) + (SELECT COUNT(*) FROM interviews)
 + (SELECT COUNT(*) FROM referrals) + (SELECT COUNT(*) FROM cases) + (SELECT COUNT(*) FROM audit_log)`
	for _, role := range []string{"leader", "operator", "unit", "finance"} {
		c := e.session(role)
		for _, p := range posts {
			before := e.count(tables)
			if w := c.post(p.path, p.kv...); w.Code != http.StatusForbidden {
				t.Errorf("%s POST %s: %d", role, p.path, w.Code)
			}
			if e.count(tables) != before {
				t.Errorf("%s POST %s changed the database", role, p.path)
			}
		}
	}
	// The same requests succeed for an admin.
	admin := e.session("admin")
	for _, p := range posts {
		if w := admin.post(p.path, p.kv...); w.Code != http.StatusSeeOther {
			t.Errorf("admin POST %s: %d %s", p.path, w.Code, w.Body)
		}
	}
	for _, p := range []string{"/office/inspection/tasks/" + strconv.FormatInt(taskID, 10), "/office/interviews", "/office/referrals"} {
		if w := e.session("unit").get(p); w.Code != http.StatusForbidden {
			t.Errorf("unit GET %s: %d", p, w.Code)
		}
	}
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}
