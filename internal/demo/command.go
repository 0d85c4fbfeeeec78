package demo

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
)

// Command is `ecoreport demo`: it fills an empty database with the demo
// month, seals the audit log, prints what it wrote and the accounts with
// their passwords (shown this once). Exit code 0 on success, 1 when the
// database is not empty or anything fails (nothing is written in the first
// case).
func Command(ctx context.Context, d Deps, out, errOut io.Writer) int {
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
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
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
			fmt.Fprintf(tw, "  %s\t%d\n", q.label, n)
		}
	}
	tw.Flush()
	fmt.Fprintln(out, "\n演示账号（密码只显示这一次，请妥善保存；后台地址 /office/login）：")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  用户名\t角色\t姓名/单位\t密码")
	for _, a := range accts {
		who := a.DisplayName
		if a.Unit != "" {
			who = a.Unit
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Username, a.Role.Label(), who, a.Password)
	}
	tw.Flush()
	fmt.Fprintln(out, "\n管理员账号不由演示数据创建：ecoreport user add --name admin --role admin")
	return 0
}
