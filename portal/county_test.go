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
	o := &Open311{Ledger: v.svc, DB: v.db, Keys: v.svc.Keys, County: config.County{Name: "汉阴县", TaskForce: "汉阴县督查专班", Hotline: "0915-5212369"}}
	if c := o.county(); c.TaskForce != "汉阴县督查专班" {
		t.Fatalf("open311 county %+v", c)
	}
	if c := (&Open311{}).county(); c.Hotline != "12369" {
		t.Fatalf("default county %+v", c)
	}
}
