package bulletin

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"ecoreport/internal/audit"
	"ecoreport/internal/db"
)

// Command is `ecoreport bulletin --month 2026-11 -o FILE.xlsx` (for cron):
// it computes the month's bulletin (default: last month, Asia/Shanghai) on
// an open, migrated database and writes its workbook. Exit codes: 0 done,
// 1 database or file error, 2 bad arguments.
func Command(ctx context.Context, d *db.DB, args []string, out, errOut io.Writer) int {
	return command(ctx, d, nil, args, out, errOut, time.Now)
}

// CommandWith is Command publishing the audit log's signed checkpoint of
// the month's end from cps (see Bulletin.AttachCheckpoint).
func CommandWith(ctx context.Context, d *db.DB, cps *audit.CheckpointFile, args []string, out, errOut io.Writer) int {
	return command(ctx, d, cps, args, out, errOut, time.Now)
}

func command(ctx context.Context, d *db.DB, cps *audit.CheckpointFile, args []string, out, errOut io.Writer, now func() time.Time) int {
	fs := flag.NewFlagSet("bulletin", flag.ContinueOnError)
	fs.SetOutput(errOut)
	month := fs.String("month", "", "通报月份 YYYY-MM（默认上个月）")
	var file string
	fs.StringVar(&file, "o", "", "输出的 XLSX 文件（默认 通报-YYYY-MM.xlsx）")
	fs.StringVar(&file, "out", "", "同 -o")
	title := fs.String("title", DefaultTitle, "通报标题（本县名称加“生态环境问题整改情况通报”）")
	rules := DefaultRules
	fs.IntVar(&rules.MinRanked, "min-ranked", rules.MinRanked, "到期通知书少于此数的单位不参与排名")
	fs.IntVar(&rules.OverdueCases, "overdue-cases", rules.OverdueCases, "逾期问题达到此数的责任单位列为约谈对象（0 关闭）")
	fs.Usage = func() {
		fmt.Fprintln(errOut, "用法：ecoreport bulletin [--month 2026-11] [-o 通报.xlsx] [--db ...]\n  生成月度通报（XLSX），默认上个月。")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(errOut, "参数错误：未知参数 %q\n", fs.Arg(0))
		return 2
	}
	loc := Location()
	m := LastMonth(now(), loc)
	if *month != "" {
		var err error
		if m, err = ParseMonth(*month, loc); err != nil {
			fmt.Fprintln(errOut, "参数错误 --month："+err.Error())
			return 2
		}
	}
	b, err := Compute(ctx, d, m, rules, now())
	if err != nil {
		fmt.Fprintln(errOut, "数据库出错："+err.Error())
		return 1
	}
	b.Title = *title
	if err := b.AttachCheckpoint(cps); err != nil {
		fmt.Fprintln(errOut, "审计检查点文件无法验证："+err.Error())
		return 1
	}
	if file == "" {
		file = b.FileName()
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".bulletin-*.xlsx")
	if err != nil {
		fmt.Fprintln(errOut, "无法写入文件："+err.Error())
		return 1
	}
	defer os.Remove(tmp.Name())
	if err := b.WriteXLSX(tmp); err != nil {
		tmp.Close()
		fmt.Fprintln(errOut, "无法写入文件："+err.Error())
		return 1
	}
	if err := tmp.Close(); err != nil {
		fmt.Fprintln(errOut, "无法写入文件："+err.Error())
		return 1
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		fmt.Fprintln(errOut, "无法写入文件："+err.Error())
		return 1
	}
	t := b.Towns.Total
	fmt.Fprintf(out, "已生成 %s %s：%s（收到举报 %d 件，当前逾期问题 %d 个，建议约谈 %d 个单位）\n",
		b.Title, b.IssueLabel(), file, t.Received, b.Units.Total.Overdue, len(b.Candidates))
	return 0
}
