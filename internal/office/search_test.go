package office_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ecoreport/internal/ledger"
)

// TestSearchPage: an inspector finds a complaint by a word of its
// description and its case by its reference; a unit finds its own notice
// by its words, and nothing of another unit's; a bad search is answered
// beside the field.
func TestSearchPage(t *testing.T) {
	e := newEnv(t)
	mk := func(subject, desc string, unit int64) (ledger.Complaint, int64, *ledger.Notice) {
		in := webComplaint()
		in.Subject, in.Description = subject, desc
		cm := e.file(in)
		by := ledger.Actor{Name: "fixture"}
		id, err := e.ledger.Accept(ctx, cm.ID, 0, by, ledger.EventInput{})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.ledger.StartVerification(ctx, id, by, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		if err := e.ledger.RecordVerification(ctx, id, ledger.Substantiated, "属实", by, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		n, err := e.ledger.IssueNotice(ctx, ledger.NewNotice{CaseID: id, UnitID: unit, Requirements: "整改", Deadline: e.clk.now().AddDate(0, 0, 9)}, by)
		if err != nil {
			t.Fatal(err)
		}
		return cm, id, n
	}
	own, ownCase, ownNotice := mk("恒达建材厂", "搅拌站凌晨开工，噪声扰民。", 1)
	_, otherCase, _ := mk("宏盛石材厂", "切割石材粉尘很大，噪声扰民。", 2)

	insp := e.session("inspector")
	w := insp.get("/office/search?q=" + "搅拌站")
	mustContain(t, w, `<a href="/office/complaints/`+strconv.FormatInt(own.ID, 10)+`">`+own.Ref(), ledger.CaseRef(ownCase)) // the case by its title
	w = insp.get("/office/search?q=" + "噪声扰民")
	mustContain(t, w, own.Ref(), ledger.CaseRef(otherCase))
	mustContain(t, insp.get("/office/search?q="+strings.ToLower(ledger.CaseRef(ownCase))), `<a href="/office/cases/`+strconv.FormatInt(ownCase, 10)+`">`)

	// A unit finds its own notice by what the notice says, linked to it;
	// not by the case's words the notice does not state (the reported
	// party here), and nothing of another unit's.
	unit := e.session("unit") // 城关镇, unit 1
	w = unit.get("/office/search?q=" + "搅拌站")
	mustContain(t, w, `<a href="/office/notices/`+strconv.FormatInt(ownNotice.ID, 10)+`">`+ownNotice.Ref(), "<td>"+ledger.CaseRef(ownCase)+"</td>", "城关镇")
	mustNotContain(t, w, "举报件", own.Ref())
	mustContain(t, unit.get("/office/search?q="+"建材"), "没有找到本单位的整改通知书")
	w = unit.get("/office/search?q=" + "噪声")
	mustContain(t, w, ownNotice.Ref())
	for _, q := range []string{"石材", ledger.CaseRef(otherCase), "噪声"} {
		mustNotContain(t, unit.get("/office/search?q="+q), "<td>"+ledger.CaseRef(otherCase)+"</td>", "/office/notices/"+strconv.FormatInt(ownNotice.ID+1, 10))
	}

	for _, tc := range []struct{ q, msg string }{
		{"水", "只有一个字"},
		{strings.Repeat("很长的词", 20), "不能超过50个字"},
		{"%25%25", "标点符号不能单独查找"},
	} {
		w := insp.get("/office/search?q=" + tc.q)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("q=%s: %d", tc.q, w.Code)
		}
		mustContain(t, w, `<p class="field-error">`, tc.msg, `name="q"`)
	}
	if w := e.session("reward_officer").get("/office/search?q=噪声"); w.Code != http.StatusForbidden {
		t.Fatalf("reward officer: %d", w.Code)
	}
}
