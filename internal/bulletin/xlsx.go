package bulletin

import (
	"time"

	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the workbook.
const (
	SheetTowns      = "乡镇"
	SheetUnits      = "责任单位"
	SheetRanking    = "按期整改排名"
	SheetOverdue    = "逾期问题"
	SheetCandidates = "约谈对象"
	SheetInterviews = "约谈情况"
	SheetTrend      = "近12个月"
	SheetAudit      = "审计检查点"
)

// WriteXLSX writes the bulletin's tables as a workbook: one sheet per
// attribution with every column of Sections, then the ranking, overdue
// cases, interview candidates, interviews and the trend. Shares are numbers
// formatted as percentages, with their counts in the columns beside them.
func (b *Bulletin) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	put := func(sheet string, row int, vals ...any) error {
		for i, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			switch x := v.(type) {
			case Ratio:
				if !x.Valid() {
					if err := f.SetCellValue(sheet, cell, "—"); err != nil {
						return err
					}
					continue
				}
				if err := f.SetCellValue(sheet, cell, x.Value()); err != nil {
					return err
				}
				if err := f.SetCellStyle(sheet, cell, cell, pct); err != nil {
					return err
				}
			default:
				if err := f.SetCellValue(sheet, cell, v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	header := func(sheet string, title string, cols ...string) error {
		if err := f.SetCellValue(sheet, "A1", title); err != nil {
			return err
		}
		vals := make([]any, len(cols))
		for i, c := range cols {
			vals[i] = c
		}
		if err := put(sheet, 2, vals...); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(cols), 2)
		return f.SetCellStyle(sheet, "A1", last, bold)
	}
	table := func(sheet, first string, t Table) error {
		if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		cols := []string{first}
		for _, s := range Sections() {
			for _, c := range s.Columns {
				cols = append(cols, c.Header)
			}
		}
		if err := header(sheet, fmt.Sprintf("%s %s（%s）", b.Title, b.IssueLabel(), sheet), cols...); err != nil {
			return err
		}
		line := func(n int, r *Row) error {
			vals := []any{r.Name}
			for _, s := range Sections() {
				for _, c := range s.Columns {
					vals = append(vals, c.Value(r))
				}
			}
			return put(sheet, n, vals...)
		}
		for i, r := range t.Rows {
			if err := line(3+i, r); err != nil {
				return err
			}
		}
		return line(3+len(t.Rows), t.Total)
	}
	if err := table(SheetTowns, "乡镇", b.Towns); err != nil {
		return err
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		return err
	}
	if err := table(SheetUnits, "责任单位", b.Units); err != nil {
		return err
	}

	if _, err := f.NewSheet(SheetRanking); err != nil {
		return err
	}
	if err := header(SheetRanking, fmt.Sprintf("按期整改排名（到期通知书不足%d件的不排名）", b.Rules.MinRanked),
		"类别", "名次", "单位", "到期通知书", "按期整改", "按期整改率"); err != nil {
		return err
	}
	n := 3
	for _, part := range []struct {
		kind string
		rs   []Ranked
	}{{"乡镇", b.TownRank}, {"责任单位", b.UnitRank}} {
		for _, r := range part.rs {
			if err := put(SheetRanking, n, part.kind, r.RankText(), r.Row.Name, r.Row.NoticesDue, r.Row.OnTime, r.Row.OnTimeRate()); err != nil {
				return err
			}
			n++
		}
	}

	if _, err := f.NewSheet(SheetOverdue); err != nil {
		return err
	}
	if err := header(SheetOverdue, "逾期未办结问题（截至"+b.Now.In(b.Month.Location()).Format("2006年1月2日")+"）",
		"问题编号", "问题", "乡镇", "责任单位", "状态", "办结期限", "逾期天数", "举报件数"); err != nil {
		return err
	}
	for i, o := range b.Overdue {
		if err := put(SheetOverdue, 3+i, o.Ref, o.Title, o.Town, o.Unit, o.Status.Label(),
			o.DueAt.In(b.Month.Location()).Format("2006-01-02"), o.DaysOverdue, o.Complaints); err != nil {
			return err
		}
	}

	if _, err := f.NewSheet(SheetCandidates); err != nil {
		return err
	}
	if err := header(SheetCandidates, "建议约谈对象", "单位", "理由"); err != nil {
		return err
	}
	for i, c := range b.Candidates {
		if err := put(SheetCandidates, 3+i, c.Name, strings.Join(c.Reasons, "；")); err != nil {
			return err
		}
	}

	if _, err := f.NewSheet(SheetInterviews); err != nil {
		return err
	}
	if err := header(SheetInterviews, b.MonthLabel()+"约谈情况", "约谈日期", "被约谈单位", "约谈领导", "报告期限", "报告收到", "情况"); err != nil {
		return err
	}
	loc := b.Month.Location()
	for i, iv := range b.Interviews {
		got := ""
		if iv.ReportReceivedOn != nil {
			got = iv.ReportReceivedOn.In(loc).Format("2006-01-02")
		}
		if err := put(SheetInterviews, 3+i, iv.HeldOn.In(loc).Format("2006-01-02"), iv.Unit, iv.Leader,
			iv.ReportDueOn.In(loc).Format("2006-01-02"), got, iv.State); err != nil {
			return err
		}
	}

	if _, err := f.NewSheet(SheetTrend); err != nil {
		return err
	}
	if err := header(SheetTrend, "近12个月收到举报件数", "月份", "收到举报"); err != nil {
		return err
	}
	for i, m := range b.Trend {
		if err := put(SheetTrend, 3+i, m.Month.Format("2006-01"), m.N); err != nil {
			return err
		}
	}
	if a := b.Audit; a != nil {
		if _, err := f.NewSheet(SheetAudit); err != nil {
			return err
		}
		if err := header(SheetAudit, "审计日志签名检查点（Ed25519）", "项目", "内容"); err != nil {
			return err
		}
		for i, kv := range [][2]any{
			{"签署时间（UTC）", a.At.UTC().Format(time.RFC3339Nano)}, {"审计记录条数", a.Length}, {"末条哈希", a.Head},
			{"签名", a.Sig}, {"验证公钥", a.PublicKey}, {"公钥指纹", a.Fingerprint},
		} {
			if err := put(SheetAudit, 3+i, kv[0], kv[1]); err != nil {
				return err
			}
		}
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// FileName is the workbook's download name, e.g. 通报-2026-11.xlsx.
func (b *Bulletin) FileName() string { return "通报-" + b.Month.Format("2006-01") + ".xlsx" }
