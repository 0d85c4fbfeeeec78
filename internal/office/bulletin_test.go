package office_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"ecoreport/internal/audit"
	"ecoreport/internal/office"
)

func TestBulletinPage(t *testing.T) {
	e := newEnv(t)
	e.file(webComplaint()) // 3 Nov 2026, 城关镇, web, air+noise
	leader := e.session("leader")
	w := leader.get("/office/bulletin?month=2026-11")
	if w.Code != http.StatusOK {
		t.Fatalf("leader: %d %s", w.Code, w.Body)
	}
	mustContain(t, w, "石泉县生态环境问题整改情况通报", "2026年第11期", "2026年11月，全县共收到生态环境问题举报1件，其中网上举报1件",
		"<svg", "近12个月收到举报件数", "按期整改排名", "建议约谈对象", `href="/office/bulletin.xlsx?month=2026-11"`)
	mustNotContain(t, w, "<script", "13812345678", "张三")
	mustStyle(t, w, "bulletin.css", "@media print")

	// Default: last month (the clock is in November 2026).
	mustContain(t, leader.get("/office/bulletin"), "2026年第10期")

	if w := leader.get("/office/bulletin?month=11-2026"); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad month: %d", w.Code)
	}

	for _, who := range []string{"unit", "operator", "finance"} {
		c := e.session(who)
		for _, p := range []string{"/office/bulletin?month=2026-11", "/office/bulletin.xlsx?month=2026-11"} {
			if w := c.get(p); w.Code != http.StatusForbidden {
				t.Fatalf("%s %s: %d", who, p, w.Code)
			}
		}
	}

	w = e.session("inspector").get("/office/bulletin.xlsx?month=2026-11")
	if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Disposition"), "bulletin-2026-11.xlsx") {
		t.Fatalf("xlsx: %d %v", w.Code, w.Header())
	}
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if v, _ := x.GetCellValue("乡镇", "B3"); v != "1" {
		t.Fatalf("城关镇 received in the workbook: %q", v)
	}
}

// TestBulletinPrintsTheAuditCheckpoint: the October bulletin prints the
// checkpoint signed before November began, with the public key to check
// it by; a checkpoint file changed by hand stops the page.
func TestBulletinPrintsTheAuditCheckpoint(t *testing.T) {
	e := newEnv(t)
	f := &audit.CheckpointFile{Path: filepath.Join(t.TempDir(), "audit-checkpoints.jsonl"), Signer: audit.NewSigner(make([]byte, 32))}
	head := strings.Repeat("5e", 32)
	for _, c := range []audit.Checkpoint{
		{At: time.Date(2026, 10, 31, 15, 0, 0, 0, time.UTC), Length: 42, Head: head},
		{At: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC), Length: 50, Head: strings.Repeat("77", 32)},
	} {
		if err := f.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	e.h = office.New(office.Deps{Ledger: e.ledger, Users: e.users, Sessions: e.h.Sessions, Now: e.clk.now, AuditCheckpoints: f})
	e.r = gin.New()
	e.h.Register(e.r)
	w := e.session("leader").get("/office/bulletin?month=2026-10")
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	mustContain(t, w, "审计日志共42条", head, f.Signer.PublicKey(), f.Signer.Fingerprint())
	mustNotContain(t, w, strings.Repeat("77", 32))

	b, _ := os.ReadFile(f.Path)
	os.WriteFile(f.Path, []byte(strings.Replace(string(b), `"length":42`, `"length":41`, 1)), 0o600)
	if w := e.session("leader").get("/office/bulletin?month=2026-10"); w.Code != http.StatusInternalServerError {
		t.Fatalf("forged checkpoint file: %d", w.Code)
	}
}
