package portal

import (
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/config"
)

// TestTheCountysHotline: the portal names the hotline of the county it
// is configured for, not Shiquan's.
func TestTheCountysHotline(t *testing.T) {
	v := newEnv(t, false)
	v.h = New(Deps{Ledger: v.svc, DB: v.db, Keys: v.svc.Keys, DataDir: t.TempDir(),
		County: config.County{Name: "汉阴县", TaskForce: "汉阴县督查专班", NoticePrefix: "汉环督整", Hotline: "0915-5212369"}})
	v.e = gin.New()
	v.h.Register(v.e)
	w := v.get("/track")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "打过0915-5212369热线？") {
		t.Fatalf("track page (%d) does not name the county's hotline", w.Code)
	}
	w = v.get("/help")
	if body := w.Body.String(); w.Code != 200 || strings.Count(body, "0915-5212369") < 3 || strings.Contains(body, "热线 12369") || strings.Contains(body, "打过12369") {
		t.Fatalf("help page (%d) does not name the county's hotline", w.Code)
	}
	w = v.get("/report/done") // no receipt: the page that says how to find the report again
	if body := w.Body.String(); w.Code != 410 || strings.Count(body, "0915-5212369") < 3 || strings.Contains(body, "热线 12369") {
		t.Fatalf("receipt-gone page (%d) does not name the county's hotline", w.Code)
	}
	o := &Open311{Ledger: v.svc, DB: v.db, Keys: v.svc.Keys, County: config.County{Name: "汉阴县", TaskForce: "汉阴县督查专班", Hotline: "0915-5212369"}}
	if c := o.county(); c.TaskForce != "汉阴县督查专班" {
		t.Fatalf("open311 county %+v", c)
	}
	if c := (&Open311{}).county(); c.Hotline != "12369" {
		t.Fatalf("default county %+v", c)
	}
}
