package bulletin

import (
	"fmt"

	"ecoreport/internal/ledger"
)

// Column is one column of a bulletin table, shared by the printed page and
// the workbook so that both show the same figures.
type Column struct {
	Header string
	Value  func(r *Row) any // int, Ratio or string
}

// Section is one body table of the bulletin: a heading and its columns.
type Section struct {
	Key     string
	Heading string
	Columns []Column
}

func intCol(h string, f func(r *Row) int) Column {
	return Column{Header: h, Value: func(r *Row) any { return f(r) }}
}

func ratioCol(h string, f func(r *Row) Ratio) Column {
	return Column{Header: h, Value: func(r *Row) any { return f(r) }}
}

// Sections lists the body tables; each is printed for towns and for
// responsible units.
func Sections() []Section {
	intake := []Column{intCol("收到举报", func(r *Row) int { return r.Received })}
	for _, ch := range ledger.Channels {
		intake = append(intake, intCol(ch.Label(), func(r *Row) int { return r.ByChannel[ch] }))
	}
	intake = append(intake, intCol("受理", func(r *Row) int { return r.Accepted }), intCol("不予受理", func(r *Row) int { return r.Refused }))
	var types []Column
	for _, cat := range ledger.AllCategories {
		types = append(types, intCol(cat.Label(), func(r *Row) int { return r.ByType[cat] }))
	}
	return []Section{
		{"intake", "举报受理情况（按来源渠道）", intake},
		{"types", "举报问题类型", types},
		{"rectify", "核查与整改情况", []Column{
			intCol("核查办结", func(r *Row) int { return r.Verified }),
			intCol("属实(含部分)", func(r *Row) int { return r.Substantiated }),
			ratioCol("属实率", (*Row).SubstantiatedRate),
			intCol("下达通知书", func(r *Row) int { return r.NoticesIssued }),
			intCol("到期通知书", func(r *Row) int { return r.NoticesDue }),
			intCol("按期整改", func(r *Row) int { return r.OnTime }),
			ratioCol("按期整改率", (*Row).OnTimeRate),
			intCol("当前逾期", func(r *Row) int { return r.Overdue }),
			intCol("最长逾期(天)", func(r *Row) int { return r.MaxDaysOverdue }),
		}},
		{"voice", "群众反映与满意度", []Column{
			intCol("重复投诉问题", func(r *Row) int { return r.RepeatCases }),
			intCol("涉及举报件", func(r *Row) int { return r.RepeatComplaints }),
			intCol("反映未解决", func(r *Row) int { return r.NotSolved }),
			intCol("满意", func(r *Row) int { return r.Satisfied }),
			intCol("基本满意", func(r *Row) int { return r.Basically }),
			intCol("不满意", func(r *Row) int { return r.Unsatisfied }),
			ratioCol("满意率", (*Row).SatisfactionRate),
			intCol("约谈", func(r *Row) int { return r.Interviews }),
		}},
	}
}

// Cell formats a column value for the page: numbers as they are, shares as
// "66.7%（2/3）" so the counts stand beside the rate.
func Cell(v any) string {
	switch x := v.(type) {
	case int:
		return fmt.Sprint(x)
	case Ratio:
		if !x.Valid() {
			return "—"
		}
		return x.String()
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// Grid is a table ready to print: headers and rows of cells.
type Grid struct {
	Heading string
	Headers []string
	Rows    [][]string
	Total   []string
}

// Grids returns the body tables of t as printable grids, first column the name.
func Grids(first string, t Table) []Grid {
	var out []Grid
	for _, s := range Sections() {
		g := Grid{Heading: s.Heading, Headers: []string{first}}
		for _, c := range s.Columns {
			g.Headers = append(g.Headers, c.Header)
		}
		line := func(r *Row) []string {
			cells := []string{r.Name}
			for _, c := range s.Columns {
				cells = append(cells, Cell(c.Value(r)))
			}
			return cells
		}
		for _, r := range t.Rows {
			g.Rows = append(g.Rows, line(r))
		}
		g.Total = line(t.Total)
		out = append(out, g)
	}
	return out
}

// RankText is the rank column: "1", or "不排名" under the minimum.
func (r Ranked) RankText() string {
	if r.Rank == 0 {
		return "不排名"
	}
	return fmt.Sprint(r.Rank)
}
