package office_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ecoreport/internal/ledger"
)

// labelled reports whether the control named name is bound to a label with
// text: wrapped in <label>…</label>, or <label for=ID> with the control's id.
func labelled(body, tag, name string) bool {
	wrapped := regexp.MustCompile(`<label[^>]*>(?:[^<]|<span[^>]*>[^<]+</span>)*?<` + tag + `[^>]*\bname="` + name + `"`)
	if wrapped.MatchString(body) {
		return true
	}
	ctl := regexp.MustCompile(`<` + tag + `[^>]*\bid="([^"]+)"[^>]*\bname="` + name + `"`).FindStringSubmatch(body)
	if ctl == nil {
		return false
	}
	return regexp.MustCompile(`<label[^>]*\bfor="` + regexp.QuoteMeta(ctl[1]) + `"[^>]*>(?:<span[^>]*>)?[^<\s]`).MatchString(body)
}

// TestTriageFormsHaveLabels: the inbox's rows carry no form but the quick
// 受理; the complaint's page, where the triage is, labels every field.
func TestTriageFormsHaveLabels(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint())
	insp := e.login("inspector")
	w := insp.get("/office/inbox")
	mustContain(t, w, `<link rel="icon" href="/favicon.ico">`, `action="/office/complaints/`+strconv.FormatInt(cm.ID, 10)+`/accept"`)
	mustNotContain(t, w, `name="into"`, `name="reason"`, `name="assignee"`, "/contact", "<details")
	body := insp.get("/office/complaints/" + strconv.FormatInt(cm.ID, 10)).Body.String()
	for _, c := range [][2]string{{"input", "into"}, {"select", "reason"}, {"input", "public_note"}, {"select", "assignee"}} {
		if !labelled(body, c[0], c[1]) {
			t.Errorf("complaint page: %s[name=%s] has no label\n%s", c[0], c[1], body)
		}
	}
}

func TestRewardRulesInputsHaveLabels(t *testing.T) {
	e := newRewardEnv(t)
	w := e.session("admin").get("/office/rewards/rules")
	rewardWant(t, w, http.StatusOK, "rules")
	body := w.Body.String()
	for _, name := range []string{"min", "max"} {
		if n := strings.Count(body, `name="`+name+`"`); n == 0 || !labelled(body, "input", name) {
			t.Errorf("reward rules: input[name=%s] (%d) has no label\n%s", name, n, body)
		}
	}
	mustContain(t, w, "下限（元）</span>", "上限（元）</span>")
}

// The case page offers a first notice to a verified case (属实 or 部分属实),
// nothing right after the notice is issued, and a new notice (重新下达) only
// when the unit's work was sent back. The timeline shows Chinese names.
func TestCasePageNoticeOffersAndTimelineLabels(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint())
	insp := e.login("inspector")
	w := insp.post("/office/complaints/" + strconv.FormatInt(cm.ID, 10) + "/accept")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("accept %d %s", w.Code, w.Body)
	}
	casePath := strings.Split(w.Header().Get("Location"), "?")[0]
	form := `action="` + casePath + `/notice"`

	mustNotContain(t, insp.get(casePath), form)
	if w := insp.post(casePath + "/verify/start"); w.Code != http.StatusSeeOther {
		t.Fatalf("start %d", w.Code)
	}
	mustNotContain(t, insp.get(casePath), form)
	if w := insp.post(casePath+"/verify", "verification", "substantiated", "public_reply", "属实。"); w.Code != http.StatusSeeOther {
		t.Fatalf("verify %d %s", w.Code, w.Body)
	}
	w = insp.get(casePath)
	mustContain(t, w, form, "<strong>下达整改通知书</strong>")
	mustNotContain(t, w, "重新下达整改通知书")

	if w := insp.post(casePath+"/notice", "unit_id", "1", "requirements", "立即整改。", "deadline", "2026-11-20"); w.Code != http.StatusSeeOther {
		t.Fatalf("notice %d %s", w.Code, w.Body)
	}
	w = insp.get(casePath)
	mustNotContain(t, w, form, "重新下达整改通知书")
	// The timeline: Chinese names, the raw kind kept for staff in a title.
	mustContain(t, w, `title="complaint.filed">收到举报</span>`, `title="case.opened">立案</span>`,
		`title="case.verified">记录核查结论</span>`, `title="notice.issued">下达整改通知书</span>`)
	mustNotContain(t, w, "· complaint.filed", "· case.opened")

	ns, err := e.ledger.NoticesOfCase(ctx, mustID(t, casePath))
	if err != nil || len(ns) != 1 {
		t.Fatalf("notices %v %v", ns, err)
	}
	w = insp.get("/office/notices/" + strconv.FormatInt(ns[0].ID, 10))
	mustContain(t, w, `name="viewport"`, `<link rel="icon" href="/favicon.ico">`)
	mustStyle(t, w, "print.css", "@media print", "@media screen and (max-width:800px)", "max-width:100%")
	if w := e.login("unit").post("/office/notices/"+strconv.FormatInt(ns[0].ID, 10)+"/report", "note", "已整改。"); w.Code != http.StatusSeeOther {
		t.Fatalf("report %d %s", w.Code, w.Body)
	}
	mustNotContain(t, insp.get(casePath), form)
	if w := insp.post(casePath+"/reopen", "reason", "整改不到位。"); w.Code != http.StatusSeeOther {
		t.Fatalf("reopen %d %s", w.Code, w.Body)
	}
	w = insp.get(casePath)
	mustContain(t, w, form, "<strong>重新下达整改通知书</strong>", `title="case.reopened">退回重新整改</span>`)

	// And the domain takes that reissue.
	if w := insp.post(casePath+"/notice", "unit_id", "1", "requirements", "再次整改。", "deadline", "2026-11-25"); w.Code != http.StatusSeeOther {
		t.Fatalf("reissue %d %s", w.Code, w.Body)
	}
	mustContain(t, insp.get(casePath), `title="notice.reissued">重新下达整改通知书</span>`)
	if cs, _ := e.ledger.Case(ctx, mustID(t, casePath)); cs.Status != ledger.Reopened {
		t.Fatalf("case after reissue: %s", cs.Status)
	}
}

func mustID(t *testing.T, casePath string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(strings.TrimPrefix(casePath, "/office/cases/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The printable notice and the bulletin are A4 sheets on paper and fluid
// on a phone.
func TestPrintPagesFitAPhone(t *testing.T) {
	e := newEnv(t)
	leader := e.login("leader")
	w := leader.get("/office/bulletin?month=2026-11")
	mustContain(t, w, `name="viewport"`, `<link rel="icon" href="/favicon.ico">`, `<div class="table-wrap"><table>`)
	mustStyle(t, w, "bulletin.css", "@media print", "@media screen and (max-width:800px)", "width:210mm")
	if strings.Count(w.Body.String(), "<table>") != strings.Count(w.Body.String(), `<div class="table-wrap"><table>`) {
		t.Error("bulletin: a table outside a scrolling wrapper")
	}
}
