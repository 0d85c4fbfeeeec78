package demo

import (
	"context"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/width"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
)

// Next is what Command tells the reader to do once the demo is written,
// spelled out by the caller, which knows how it was started.
type Next struct {
	Serve    string // the exact command that serves this database, e.g. "./ecoreport serve"
	Passwd   string // the command that resets a password, to which " --name USER" is added
	LoginURL string // where staff log in, e.g. http://127.0.0.1:8080/office/login
	Portal   string // where residents go, e.g. http://127.0.0.1:8080/
}

// Command is `ecoreport demo`: it fills an empty database with the demo
// month, seals the audit log, prints what it wrote, every account with its
// password (shown this once) and then next: how to serve it and where to log
// in. Exit code 0 on success, 1 when the database is not empty or anything
// fails (nothing is written in the first case).
func Command(ctx context.Context, d Deps, next Next, out, errOut io.Writer) int {
	accts, err := Fill(ctx, d)
	if err != nil {
		if apperr.Is(err, apperr.ECONFLICT) {
			fmt.Fprintln(errOut, apperr.Message(err))
		} else {
			fmt.Fprintln(errOut, "演示数据写入失败：", err)
		}
		if len(accts) > 0 && !apperr.Is(err, apperr.ECONFLICT) {
			fmt.Fprintln(errOut, "已写入部分数据；请删除该数据库后重试。")
		}
		return 1
	}
	db := d.DB
	if db == nil {
		db = d.Ledger.DB
	}
	if err := audit.SealAll(ctx, db); err != nil {
		fmt.Fprintln(errOut, "审计日志封存失败（服务启动后会自动封存）：", err)
	}
	fmt.Fprintln(out, "已填入石泉县一个月的演示数据：")
	var counts [][]string
	for _, q := range []struct{ label, sql string }{
		{"举报件", `SELECT COUNT(*) FROM complaints`},
		{"问题（台账）", `SELECT COUNT(*) FROM cases`},
		{"整改通知书", `SELECT COUNT(*) FROM notices`},
		{"督查巡查任务", `SELECT COUNT(*) FROM inspection_tasks`},
		{"约谈", `SELECT COUNT(*) FROM interviews`},
		{"移送线索", `SELECT COUNT(*) FROM referrals`},
		{"办理过程记录", `SELECT COUNT(*) FROM events`},
		{"审计日志", `SELECT COUNT(*) FROM audit_log`},
	} {
		var n int
		if err := db.GetContext(ctx, &n, q.sql); err == nil {
			counts = append(counts, []string{q.label, fmt.Sprint(n)})
		}
	}
	columns(out, counts)
	fmt.Fprintln(out, "\n演示账号（密码只显示这一次，请妥善保存）：")
	rows := [][]string{{"用户名", "角色", "姓名/单位", "密码"}}
	var existing string
	for _, a := range accts {
		who, pw := a.DisplayName, a.Password
		if a.Unit != "" {
			who = a.Unit
		}
		if a.Existing {
			who, pw, existing = "（原有账号）", "（未改动，即首次启动时显示的密码）", a.Username
		}
		rows = append(rows, []string{a.Username, a.Role.Label(), who, pw})
	}
	columns(out, rows)
	if existing != "" && next.Passwd != "" {
		fmt.Fprintf(out, "\n管理员 %s 是数据库原有的账号，演示数据没有改动它；忘记密码时运行：\n  %s --name %s\n", existing, next.Passwd, existing)
	}
	if next.Serve != "" {
		fmt.Fprintf(out, "\n下一步 (next)：\n  %s\n", next.Serve)
	}
	if next.LoginURL != "" {
		fmt.Fprintf(out, "然后用浏览器打开 %s ，以上面的账号登录后台", next.LoginURL)
		if next.Portal != "" {
			fmt.Fprintf(out, "；群众举报页面在 %s", next.Portal)
		}
		fmt.Fprintln(out, "。")
		fmt.Fprintf(out, "Then open %s in a browser and log in with an account above.\n", next.LoginURL)
	}
	return 0
}

// columns writes rows as aligned columns, indented by two spaces, counting
// Chinese characters as two columns wide as a terminal shows them.
func columns(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
