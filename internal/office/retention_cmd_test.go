package office_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecoreport/hotline"
	"ecoreport/internal/office"
)

func TestRetentionCommand(t *testing.T) {
	e := newEnv(t)
	id, cm := e.closedCase()
	tests := []struct {
		name     string
		after    time.Duration
		args     []string
		wantCode int
		wantOut  string
	}{
		{"ErrUsage", 0, []string{"run", "extra"}, 2, "用法"},
		{"ErrYears", 0, []string{"run", "--years", "0"}, 2, "--years"},
		{"OKTooEarly", 2 * 365 * 24 * time.Hour, []string{"run"}, 0, "已删除 0 件"},
		{"OKOneYear", 0, []string{"run", "--years", "1"}, 0, "已删除 1 件"},
		{"OKNothingLeft", 0, []string{"run"}, 0, "已删除 0 件"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clk.add(tt.after)
			var out, errOut bytes.Buffer
			code := office.RetentionCommand(ctx, e.ledger, tt.args, &out, &errOut)
			if code != tt.wantCode || !strings.Contains(out.String()+errOut.String(), tt.wantOut) {
				t.Fatalf("%d %q %q", code, out.String(), errOut.String())
			}
		})
	}
	c, err := e.ledger.Complaint(ctx, cm.ID)
	if err != nil || c.ContactEnc.Valid || !c.ContactErasedAt.Valid {
		t.Fatalf("not erased: %+v %v", c, err)
	}
	w := e.session("inspector").get("/office/cases/" + strconv.FormatInt(id, 10))
	mustContain(t, w, "已按期删除")
	mustNotContain(t, w, "138****5678", "显示联系方式")
}

func TestRetentionJobStopsWithItsContext(t *testing.T) {
	e := newEnv(t)
	_, cm := e.closedCase()
	e.clk.add(4 * 365 * 24 * time.Hour)
	c, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		office.RetentionJob(c, e.ledger, time.Hour, 3, func(f string, a ...any) { t.Errorf(f, a...) })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for e.count(`SELECT COUNT(*) FROM complaints WHERE id = ? AND contact_erased_at IS NOT NULL`, cm.ID) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the job did not run at start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestRetentionPeriodCountsLeapDays(t *testing.T) {
	now := time.Date(2029, 3, 1, 0, 0, 0, 0, time.UTC)
	if got := office.RetentionPeriod(now, 3); got != (365*3+1)*24*time.Hour {
		t.Fatalf("%v", got)
	}
}

// TestRetentionCommandErasesRejects: retention runs the hotline's
// quarantine eraser beside the contacts and reports it.
func TestRetentionCommandErasesRejects(t *testing.T) {
	e := newEnv(t)
	im := &hotline.Importer{Ledger: e.ledger, DB: e.db}
	if _, err := im.Import(ctx, strings.NewReader("工单编号,来电时间,来电人,来电号码,举报内容\nQ1,2026-11-03 14:22,张伟,13812345678,\n"), "q.csv", "测试员", nil); err != nil {
		t.Fatal(err)
	}
	e.clk.add(hotline.DefaultRejectRetention + time.Hour)
	eraser := office.Eraser{What: "待修正拒收行中的来电人信息", Erase: func(ctx context.Context) (int, error) { return im.EraseExpiredRejects(ctx, 0) }}
	var out, errOut bytes.Buffer
	if code := office.RetentionCommand(ctx, e.ledger, []string{"run"}, &out, &errOut, eraser); code != 0 || !strings.Contains(out.String(), "已删除 1 条待修正拒收行中的来电人信息") {
		t.Fatalf("%d %q %q", code, out.String(), errOut.String())
	}
	if n := e.count(`SELECT COUNT(*) FROM import_rejects WHERE status = 'expired' AND raw_enc IS NULL`); n != 1 {
		t.Fatalf("%d rows erased", n)
	}
}
