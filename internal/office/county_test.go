package office_test

import (
	"strconv"
	"testing"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/config"
	"ecoreport/internal/ledger"
	"ecoreport/internal/office"
)

// TestAnotherCounty: an instance run for another county names it on the
// notice, the bulletin and the administration page, numbers its notices
// with its own prefix, and says nothing of Shiquan.
func TestAnotherCounty(t *testing.T) {
	e := newEnv(t)
	county := config.County{Name: "汉阴县", TaskForce: "汉阴县生态环境督查巡查工作专班", NoticePrefix: "汉环督整", Hotline: "0915-5212369"}
	e.ledger.NoticePrefix = county.NoticePrefix
	e.h = office.New(office.Deps{Ledger: e.ledger, Users: e.users, Now: e.clk.now, County: county})
	e.r = gin.New()
	e.h.Register(e.r)

	cm := e.file(webComplaint())
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
	n, err := e.ledger.IssueNotice(ctx, ledger.NewNotice{CaseID: id, UnitID: 1, Requirements: "整改", Deadline: e.clk.now().AddDate(0, 0, 9)}, by)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.session("admin")
	w := admin.get("/office/notices/" + strconv.FormatInt(n.ID, 10))
	mustContain(t, w, "汉阴县生态环境督查巡查工作专班", "汉环督整〔2026〕1号")
	mustNotContain(t, w, "石泉", "石环督整")
	w = admin.get("/office/bulletin?month=2026-11")
	mustContain(t, w, "汉阴县生态环境问题整改情况通报", "汉阴县生态环境督查巡查工作专班")
	mustNotContain(t, w, "石泉")
	mustContain(t, admin.get("/office/admin"), "汉阴县", "汉环督整〔年份〕序号号", "0915-5212369")
}
