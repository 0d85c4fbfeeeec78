package portal

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/bulletin"
	"ecoreport/internal/ledger"
)

func TestStatsPageSuppressesSmallCells(t *testing.T) {
	v := newEnv(t, false)
	last := bulletin.MonthOf(time.Now(), v.h.loc).AddDate(0, -1, 0).Add(10 * 24 * time.Hour)
	file := func(town int64) {
		_, err := v.svc.File(context.Background(), ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air}, TownID: town,
			Address: "秘密地址88号", Subject: "某某化工厂", Description: "夜里偷排废气，气味刺鼻，严重影响休息。", Identity: ledger.Confidential,
			Contact: &ledger.Contact{Name: "赵六", Phone: "13900001111"}, ReceivedAt: last}, ledger.Resident)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, town := range []int64{1, 1, 1, 2, 2} {
		file(town)
	}
	w := v.get("/stats")
	if w.Code != http.StatusOK {
		t.Fatalf("stats: %d %s", w.Code, w.Body)
	}
	body := w.Body.String()
	for _, want := range []string{
		"<td>城关镇</td><td>3</td>",                 // 3 is shown
		`<td>饶峰镇</td><td class="sup">&lt;3</td>`, // a cell of 2 is not
		`<td>两河镇</td><td class="sup">&lt;3</td>`, // nor 0
		"<td>大气</td><td>5</td>",
		last.Format("2006年1月") + "</td><td>5</td>",
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("stats page lacks %q:\n%s", want, body)
		}
	}
	for _, secret := range []string{"秘密地址", "某某化工厂", "赵六", "13900001111", "偷排废气", "R0000"} {
		if strings.Contains(body, secret) {
			t.Fatalf("stats page shows %q", secret)
		}
	}
}
