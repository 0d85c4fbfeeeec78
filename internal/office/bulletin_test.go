package office_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
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
