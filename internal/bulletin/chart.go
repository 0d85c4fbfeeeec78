package bulletin

import (
	"fmt"
	"html"
	"strings"

	"ecoreport/internal/ledger"
)

// Bar is one bar of a chart.
type Bar struct {
	Label string
	N     int
}

// The charts are plain SVG written here: they print, need no script and no
// font beyond the page's. Grey fills keep them legible on a black-and-white
// printer.
const (
	chartFont = `font-family="SimSun,Songti SC,Noto Serif CJK SC,serif"`
	barFill   = "#555"
)

// ColumnChart draws vertical bars (the monthly trend), width × height px.
func ColumnChart(title string, bars []Bar, width, height int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" %s font-size="12">`,
		width, height, width, height, esc(title), chartFont)
	fmt.Fprintf(&b, `<text x="%d" y="16" text-anchor="middle" font-size="14" font-weight="bold">%s</text>`, width/2, esc(title))
	top, bottom, left, right := 40, 24, 10, 10
	plotH := height - top - bottom
	maxN := maxBar(bars)
	n := len(bars)
	if n == 0 {
		b.WriteString(`</svg>`)
		return b.String()
	}
	slot := float64(width-left-right) / float64(n)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000" stroke-width="1"/>`, left, top+plotH, width-right, top+plotH)
	for i, br := range bars {
		h := float64(plotH) * float64(br.N) / float64(maxN)
		x := float64(left) + slot*float64(i) + slot*0.18
		w := slot * 0.64
		y := float64(top+plotH) - h
		fill := barFill
		if i == n-1 {
			fill = "#000" // the bulletin's month
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s：%d</title></rect>`, x, y, w, h, fill, esc(br.Label), br.N)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%d</text>`, x+w/2, y-3, br.N)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x+w/2, height-8, esc(br.Label))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// BarChart draws horizontal bars (by type, by town), width px wide.
func BarChart(title string, bars []Bar, width int) string {
	rowH, top, labelW, right := 20, 28, 84, 44
	height := top + rowH*len(bars) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" %s font-size="12">`,
		width, height, width, height, esc(title), chartFont)
	fmt.Fprintf(&b, `<text x="%d" y="16" text-anchor="middle" font-size="14" font-weight="bold">%s</text>`, width/2, esc(title))
	maxN := maxBar(bars)
	plotW := float64(width - labelW - right)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000" stroke-width="1"/>`, labelW, top, labelW, height-8)
	for i, br := range bars {
		y := top + rowH*i
		w := plotW * float64(br.N) / float64(maxN)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-6, y+14, esc(br.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s：%d</title></rect>`, labelW, y+3, w, rowH-6, barFill, esc(br.Label), br.N)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11">%d</text>`, float64(labelW)+w+4, y+14, br.N)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func maxBar(bars []Bar) int {
	m := 1
	for _, b := range bars {
		m = max(m, b.N)
	}
	return m
}

func esc(s string) string { return html.EscapeString(s) }

// TrendChart is the 12-month trend of complaints received.
func (b *Bulletin) TrendChart() string {
	bars := make([]Bar, len(b.Trend))
	for i, m := range b.Trend {
		bars[i] = Bar{m.Label, m.N}
	}
	return ColumnChart("近12个月收到举报件数", bars, 640, 220)
}

// TypeChart is the month's complaints by pollution type.
func (b *Bulletin) TypeChart() string {
	var bars []Bar
	for _, c := range ledger.AllCategories {
		bars = append(bars, Bar{c.Label(), b.ByType[c]})
	}
	return BarChart(b.MonthLabel()+"举报问题类型", bars, 640)
}

// TownChart is the month's complaints by town.
func (b *Bulletin) TownChart() string {
	var bars []Bar
	for _, r := range b.Towns.Rows {
		bars = append(bars, Bar{r.Name, r.Received})
	}
	return BarChart(b.MonthLabel()+"各镇收到举报件数", bars, 640)
}
