package hotline

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db/dbtest"
)

// latinWord finds Latin words left in a message once what is quoted (a
// column's header as written, a value as typed) and the names of formats and
// options are taken out.
var (
	quoted    = regexp.MustCompile(`（[^（）]*）|“[^“”]*”|--?[a-z0-9-]+|X-[A-Za-z-]+|\.xlsx?\b|ecoreport [a-z -]+`)
	latinWord = regexp.MustCompile(`[A-Za-z]{2,}`)
	allowed   = map[string]bool{"XLSX": true, "CSV": true, "TSV": true, "JSON": true, "Excel": true, "GBK": true, "UTF": true,
		"SHA": true}
)

func mustBeChinese(t *testing.T, where, msg string, plain ...string) {
	t.Helper()
	if !hasHan(msg) {
		t.Errorf("%s: %q is not Chinese", where, msg)
		return
	}
	rest := msg
	for _, p := range plain {
		rest = strings.ReplaceAll(rest, p, "")
	}
	rest = quoted.ReplaceAllString(rest, "")
	for _, w := range latinWord.FindAllString(rest, -1) {
		if !allowed[w] {
			t.Errorf("%s: %q has the English %q", where, msg, w)
		}
	}
}

// TestOperatorMessagesAreChinese (issue 18, item 4): every reason, warning
// and failure an operator reads is Chinese, also when the columns have the
// push contract's English names (content为空 was one) and when the layer
// below (CSV, XLSX, JSON, the database, the flag parser) failed in English.
func TestOperatorMessagesAreChinese(t *testing.T) {
	ctx := context.Background()
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)

	files := map[string]string{
		"empty.csv":       "",
		"noheader.csv":    "a,b\n1,2\n",
		"broken.xlsx":     "PK\x03\x04garbage",
		"old.xls":         "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest",
		"rows.csv":        "工单编号,来电时间,举报内容,办理时限,是否匿名,更新时间,是否申请奖励\nA1,yesterday,x,,,,\nA2,2026-11-03,,,,,\n,2026-11-03,x,,,,\nA3,2026-11-03,x,明天,也许,昨天,不知道\n" + strings.Repeat("A", 70) + ",2026-11-03,x,,,,\n",
		"longsubject.csv": "工单编号,来电时间,举报内容,被举报对象\nA4,2026-11-03,x," + strings.Repeat("某", 300) + "\n",
	}
	for name, data := range files {
		rc, err := im.Import(ctx, strings.NewReader(data), name, "测试员", nil)
		if err != nil {
			mustBeChinese(t, name, FailLine(name, err), name)
		}
		if rc == nil {
			continue
		}
		for _, r := range rc.Rejects {
			mustBeChinese(t, name+" reject", r.Reason, r.Value, strings.Repeat("A", 60))
		}
		for _, r := range rc.Rows {
			for _, w := range r.Warnings {
				mustBeChinese(t, name+" warning", w)
			}
		}
	}
	hist, err := im.History(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range hist {
		if b.Error != "" {
			mustBeChinese(t, "history of "+b.FileName, b.Error, b.FileName)
		}
	}

	resp, err := im.Push(ctx, "shiquan", []byte(`[{"ticket_no":"P1","received_at":"2026-11-03"},{"ticket_no":"P2","content":"x"},
 {"content":"x","received_at":"2026-11-03"},{"ticket_no":"P3","received_at":"zz","content":"x","due_at":"qq","anonymous":"maybe","wants_reward":"?"}]`), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		for _, m := range append(append([]string{}, r.Errors...), r.Warnings...) {
			mustBeChinese(t, "push "+r.TicketNo, m, "zz", "qq", "maybe")
		}
	}
	if !strings.Contains(strings.Join(resp.Results[0].Errors, ""), "举报内容") {
		t.Errorf("a push without content: %v", resp.Results[0].Errors)
	}
	for _, body := range []string{`[{"ticket_no":1`, `{"a":1}`, `[1, 2]`, `nonsense`} {
		_, err := im.Push(ctx, "shiquan", []byte(body), 0)
		mustBeChinese(t, "push "+body, apperr.Fields(err)["body"])
	}

	// The database gone: the line says so in Chinese, the detail is apart.
	gone := impNew(t, dbtest.MustOpenDB(t))
	gone.DB.Close()
	_, err = gone.Import(ctx, strings.NewReader("工单编号,来电时间,举报内容\nA1,2026-11-03,x\n"), "a.csv", "测试员", nil)
	if !errors.Is(err, ErrDatabase) {
		t.Fatalf("closed database: %v", err)
	}
	mustBeChinese(t, "database gone", FailLine("a.csv", err), "a.csv")
	if TechnicalDetail(err) == "" {
		t.Errorf("no technical detail for %v", err)
	}

	// The commands' usage errors.
	for _, args := range [][]string{{"--nope", "x"}, {"--operator"}, {"--json=maybe", "x"}} {
		var out, errb bytes.Buffer
		ImportCommand(ctx, im, args, &out, &errb, false)
		first := strings.SplitN(errb.String(), "\n", 2)[0]
		if !strings.HasPrefix(first, "错误：") {
			t.Errorf("import %v: %q", args, first)
		}
		mustBeChinese(t, "import "+strings.Join(args, " "), first)
	}
	var out, errb bytes.Buffer
	FeedbackCommand(ctx, &Feedback{Ledger: im.Ledger, DB: d}, []string{"-h"}, &out, &errb)
	for _, line := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if strings.TrimSpace(line) != "" && !strings.HasPrefix(strings.TrimSpace(line), "--") {
			mustBeChinese(t, "feedback -h", line, "csv-gbk", "csv", "xlsx", "YYYY-MM-DD", "BOM", "UTF-8")
		}
	}
}
