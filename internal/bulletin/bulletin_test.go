package bulletin

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

var ctx = context.Background()

var shanghai = Location()

// at is a local (Shiquan) time.
func at(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, shanghai) }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fixture is a small ledger whose November 2026 is counted by hand in
// TestComputeEveryCell. Cases (towns 城关 1, 饶峰 2, 两河 3; units 生态环境分局
// 26, 城管局 28):
//
//	CA  town 1: A1 received 1 Sep (web, air); verified substantiated 10 Sep;
//	    notice to 26 (deadline 30 Sep), never rectified; due 31 Oct → 33 days
//	    overdue on 3 Dec. A2 received 5 Nov (hotline, air+noise) joins it:
//	    a repeat case.
//	CB  town 1: B1 received 2 Nov (web, water); substantiated 4 Nov; notice to
//	    城关镇 (1) deadline 15 Nov; closed 14 Nov: on time. Rated 满意 20 Nov.
//	CC  town 2: C1 received 3 Nov (visit, noise); partly 6 Nov; notice to 28
//	    deadline 20 Nov; closed 25 Nov: late. Rated 不满意 28 Nov; "not
//	    solved" 29 Nov.
//	CD  town 2: D1 received 10 Nov (letter, waste); unsubstantiated 12 Nov.
//	    Rated 基本满意 15 Nov.
//	CF1-3 town 3: received 1-3 Aug (hotline, air); substantiated 10 Aug;
//	    notices to 28 (deadline 31 Aug), never rectified: 64, 63, 62 days overdue.
//	E1  no town, 12 Nov (api, ecology+soil): refused.
//	E2  town 3, 13 Nov (secretary, other): not decided.
//	H1  town 3, 30 Nov 23:59 (web, noise): not decided, still November.
//	G1  town 1, 1 Dec 00:00 (web, air): December, not counted.
//	Interviews: 28 on 8 Nov (report due 15 Nov, came 14 Nov); 26 on 20 Nov
//	(due 27 Nov, none yet); 26 on 20 Oct (other month).
type fixture struct {
	d   *db.DB
	s   *ledger.Service
	clk *clock
	now time.Time
	ids map[string]int64 // complaint and case ids by name
}

var insp = ledger.Actor{Name: "fixture"}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := ledger.NewService(d, keys)
	clk := &clock{}
	s.Now = clk.now
	f := &fixture{d: d, s: s, clk: clk, now: at(time.December, 3, 10, 0), ids: map[string]int64{}}
	f.build(t)
	return f
}

func (f *fixture) file(t *testing.T, name string, when time.Time, ch ledger.Channel, town int64, cats ...ledger.Category) int64 {
	t.Helper()
	f.clk.t = when
	in := ledger.NewComplaint{Channel: ch, Categories: cats, TownID: town, Description: "夜里机器轰鸣，粉尘很大，影响休息。",
		Identity: ledger.Anonymous, ReceivedAt: when}
	if ch == ledger.ChannelHotline {
		in.SourceRef = "T-" + name
	}
	fl, err := f.s.File(ctx, in, ledger.Resident)
	if err != nil {
		t.Fatalf("file %s: %v", name, err)
	}
	f.ids[name] = fl.Complaint.ID
	return fl.Complaint.ID
}

func (f *fixture) must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// accept accepts a complaint (into a new case, or into) at its receipt.
func (f *fixture) accept(t *testing.T, complaint string, into string) int64 {
	t.Helper()
	id, err := f.s.Accept(ctx, f.ids[complaint], f.ids[into], insp, ledger.EventInput{})
	f.must(t, "accept "+complaint, err)
	return id
}

// verify starts and records a verification at when.
func (f *fixture) verify(t *testing.T, caseID int64, when time.Time, v ledger.Verification) {
	t.Helper()
	f.clk.t = when
	f.must(t, "start", f.s.StartVerification(ctx, caseID, insp, ledger.EventInput{}))
	f.must(t, "verify", f.s.RecordVerification(ctx, caseID, v, "核查情况答复。", insp, ledger.EventInput{}))
}

func (f *fixture) notice(t *testing.T, caseID, unit int64, when, deadline time.Time) {
	t.Helper()
	f.clk.t = when
	_, err := f.s.IssueNotice(ctx, ledger.NewNotice{CaseID: caseID, UnitID: unit, Requirements: "限期整改。", Deadline: deadline}, insp)
	f.must(t, "notice", err)
}

func (f *fixture) close(t *testing.T, caseID int64, when time.Time) {
	t.Helper()
	f.clk.t = when.Add(-2 * time.Hour)
	f.must(t, "submit", f.s.SubmitRectification(ctx, caseID, insp, ledger.EventInput{}))
	f.clk.t = when
	f.must(t, "close", f.s.Close(ctx, caseID, "整改完成。", insp, ledger.EventInput{}))
}

func (f *fixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := f.d.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) build(t *testing.T) {
	// CF1-3: August, town 3, notices to 28, never rectified.
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("CF%d", i)
		f.file(t, name, at(time.August, i, 10, 0), ledger.ChannelHotline, 3, ledger.Air)
		f.ids["case"+name] = f.accept(t, name, "")
		f.verify(t, f.ids["case"+name], at(time.August, 10, 9, 0), ledger.Substantiated)
		f.notice(t, f.ids["case"+name], 28, at(time.August, 10, 10, 0), at(time.August, 31, 0, 0))
	}
	// CA: September, repeat in November.
	f.file(t, "A1", at(time.September, 1, 10, 0), ledger.ChannelWeb, 1, ledger.Air)
	ca := f.accept(t, "A1", "")
	f.ids["caseCA"] = ca
	f.verify(t, ca, at(time.September, 10, 9, 0), ledger.Substantiated)
	f.notice(t, ca, 26, at(time.September, 10, 10, 0), at(time.September, 30, 0, 0))
	f.file(t, "A2", at(time.November, 5, 10, 0), ledger.ChannelHotline, 1, ledger.Air, ledger.Noise)
	f.ids["caseCA"] = ca
	if got := f.accept(t, "A2", "caseCA"); got != ca {
		t.Fatalf("A2 went to %d", got)
	}
	// CB: on time.
	f.file(t, "B1", at(time.November, 2, 9, 0), ledger.ChannelWeb, 1, ledger.Water)
	cb := f.accept(t, "B1", "")
	f.verify(t, cb, at(time.November, 4, 9, 0), ledger.Substantiated)
	f.notice(t, cb, 1, at(time.November, 4, 10, 0), at(time.November, 15, 0, 0))
	f.close(t, cb, at(time.November, 14, 16, 0))
	// CC: late.
	f.file(t, "C1", at(time.November, 3, 9, 0), ledger.ChannelVisit, 2, ledger.Noise)
	cc := f.accept(t, "C1", "")
	f.verify(t, cc, at(time.November, 6, 9, 0), ledger.Partly)
	f.notice(t, cc, 28, at(time.November, 6, 10, 0), at(time.November, 20, 0, 0))
	f.close(t, cc, at(time.November, 25, 11, 0))
	// CD: unsubstantiated.
	f.file(t, "D1", at(time.November, 10, 8, 0), ledger.ChannelLetter, 2, ledger.Waste)
	cd := f.accept(t, "D1", "")
	f.verify(t, cd, at(time.November, 12, 15, 0), ledger.Unsubstantiated)
	// E1 refused, E2 and H1 undecided, G1 December.
	f.file(t, "E1", at(time.November, 12, 9, 0), ledger.ChannelAPI, 0, ledger.Ecology, ledger.Soil)
	f.clk.t = at(time.November, 12, 10, 0)
	f.must(t, "refuse", f.s.Refuse(ctx, f.ids["E1"], ledger.RefuseNotOurs, insp, ledger.EventInput{}))
	f.file(t, "E2", at(time.November, 13, 9, 0), ledger.ChannelSecretary, 3, ledger.Other)
	f.file(t, "H1", at(time.November, 30, 23, 59), ledger.ChannelWeb, 3, ledger.Noise)
	f.file(t, "G1", at(time.December, 1, 0, 0), ledger.ChannelWeb, 1, ledger.Air)
	// What residents said (through the portal; inserted here).
	f.exec(t, `INSERT INTO ratings (complaint_id, rating, comment, created_at) VALUES (?, ?, '', ?), (?, ?, '', ?), (?, ?, '', ?)`,
		f.ids["B1"], RatingSatisfied, db.UTC(at(time.November, 20, 9, 0)),
		f.ids["C1"], RatingUnsatisfied, db.UTC(at(time.November, 28, 9, 0)),
		f.ids["D1"], RatingBasically, db.UTC(at(time.November, 15, 9, 0)))
	f.exec(t, `INSERT INTO followup_requests (complaint_id, kind, body, status, answer, created_at) VALUES (?, 'not_solved', '还在排污', 'open', '', ?)`,
		f.ids["C1"], db.UTC(at(time.November, 29, 9, 0)))
	day := func(mo time.Month, d int) time.Time { return db.UTC(at(mo, d, 0, 0)) }
	f.exec(t, `INSERT INTO interviews (unit_id, held_on, leader, problems, case_ids, report_due_on, report_received_on, created_by, created_at)
		VALUES (28, ?, '王副县长', '逾期未整改', '', ?, ?, NULL, ?), (26, ?, '李副县长', '反复投诉', '', ?, NULL, NULL, ?), (26, ?, '李副县长', '十月', '', ?, NULL, NULL, ?)`,
		day(time.November, 8), day(time.November, 15), day(time.November, 14), day(time.November, 8),
		day(time.November, 20), day(time.November, 27), day(time.November, 20),
		day(time.October, 20), day(time.October, 27), day(time.October, 20))
}

// row builds an expected row; kv names fields and their values.
func row(id int64, name, kind string, kv ...any) *Row {
	r := newRow(id, name, kind)
	v := reflect.ValueOf(r).Elem()
	for i := 0; i < len(kv); i += 2 {
		switch k := kv[i].(type) {
		case ledger.Channel:
			r.ByChannel[k] = kv[i+1].(int)
		case ledger.Category:
			r.ByType[k] = kv[i+1].(int)
		case string:
			v.FieldByName(k).SetInt(int64(kv[i+1].(int)))
		}
	}
	return r
}

// clean drops zero map entries so rows compare by their figures.
func clean(r *Row) *Row {
	c := *r
	c.ByChannel, c.ByType = map[ledger.Channel]int{}, map[ledger.Category]int{}
	for k, v := range r.ByChannel {
		if v != 0 {
			c.ByChannel[k] = v
		}
	}
	for k, v := range r.ByType {
		if v != 0 {
			c.ByType[k] = v
		}
	}
	return &c
}

// The hand count of November 2026 (see fixture).
func wantTowns() ([]*Row, *Row) {
	towns := []*Row{
		row(1, "城关镇", "town", "Received", 2, ledger.ChannelHotline, 1, ledger.ChannelWeb, 1, ledger.Air, 1, ledger.Noise, 1, ledger.Water, 1,
			"Accepted", 2, "Verified", 1, "Substantiated", 1, "NoticesIssued", 1, "NoticesDue", 1, "OnTime", 1,
			"Overdue", 1, "MaxDaysOverdue", 33, "RepeatCases", 1, "RepeatComplaints", 2, "Satisfied", 1),
		row(2, "饶峰镇", "town", "Received", 2, ledger.ChannelVisit, 1, ledger.ChannelLetter, 1, ledger.Noise, 1, ledger.Waste, 1,
			"Accepted", 2, "Verified", 2, "Substantiated", 1, "NoticesIssued", 1, "NoticesDue", 1, "OnTime", 0,
			"NotSolved", 1, "Basically", 1, "Unsatisfied", 1),
		row(3, "两河镇", "town", "Received", 2, ledger.ChannelSecretary, 1, ledger.ChannelWeb, 1, ledger.Other, 1, ledger.Noise, 1,
			"Overdue", 3, "MaxDaysOverdue", 64),
	}
	for i, n := range []string{"迎丰镇", "池河镇", "后柳镇", "喜河镇", "熨斗镇", "云雾山镇", "中池镇", "曾溪镇"} {
		towns = append(towns, row(int64(4+i), n, "town"))
	}
	towns = append(towns, row(0, "未明确乡镇", "", "Received", 1, ledger.ChannelAPI, 1, ledger.Ecology, 1, ledger.Soil, 1, "Refused", 1))
	total := row(-1, "合计", "", "Received", 7, ledger.ChannelHotline, 1, ledger.ChannelWeb, 2, ledger.ChannelAPI, 1, ledger.ChannelVisit, 1,
		ledger.ChannelLetter, 1, ledger.ChannelSecretary, 1, ledger.Air, 1, ledger.Noise, 3, ledger.Water, 1, ledger.Waste, 1, ledger.Soil, 1,
		ledger.Ecology, 1, ledger.Other, 1, "Accepted", 4, "Refused", 1, "Verified", 3, "Substantiated", 2, "NoticesIssued", 2,
		"NoticesDue", 2, "OnTime", 1, "Overdue", 4, "MaxDaysOverdue", 64, "RepeatCases", 1, "RepeatComplaints", 2, "NotSolved", 1,
		"Satisfied", 1, "Basically", 1, "Unsatisfied", 1)
	return towns, total
}

func wantUnits() ([]*Row, *Row) {
	units := []*Row{
		row(1, "城关镇", "", "Received", 1, ledger.ChannelWeb, 1, ledger.Water, 1, "Accepted", 1, "Verified", 1, "Substantiated", 1,
			"NoticesIssued", 1, "NoticesDue", 1, "OnTime", 1, "Satisfied", 1),
	}
	for i, n := range []string{"发改局(秦岭办)", "自然资源局", "住建局", "水利局", "林业局"} {
		units = append(units, row(int64(21+i), n, "department"))
	}
	units = append(units,
		row(26, "生态环境分局", "department", "Received", 1, ledger.ChannelHotline, 1, ledger.Air, 1, ledger.Noise, 1, "Accepted", 1,
			"Overdue", 1, "MaxDaysOverdue", 33, "RepeatCases", 1, "RepeatComplaints", 2, "Interviews", 1),
		row(27, "农业农村局", "department"),
		row(28, "城市管理执法局", "department", "Received", 1, ledger.ChannelVisit, 1, ledger.Noise, 1, "Accepted", 1, "Verified", 1,
			"Substantiated", 1, "NoticesIssued", 1, "NoticesDue", 1, "OnTime", 0, "Overdue", 3, "MaxDaysOverdue", 64, "NotSolved", 1,
			"Unsatisfied", 1, "Interviews", 1),
		row(0, "未交办", "", "Received", 4, ledger.ChannelWeb, 1, ledger.ChannelAPI, 1, ledger.ChannelLetter, 1, ledger.ChannelSecretary, 1,
			ledger.Waste, 1, ledger.Ecology, 1, ledger.Soil, 1, ledger.Other, 1, ledger.Noise, 1, "Accepted", 1, "Refused", 1,
			"Verified", 1, "Basically", 1),
	)
	total := row(-1, "合计", "", "Received", 7, ledger.ChannelHotline, 1, ledger.ChannelWeb, 2, ledger.ChannelAPI, 1, ledger.ChannelVisit, 1,
		ledger.ChannelLetter, 1, ledger.ChannelSecretary, 1, ledger.Air, 1, ledger.Noise, 3, ledger.Water, 1, ledger.Waste, 1, ledger.Soil, 1,
		ledger.Ecology, 1, ledger.Other, 1, "Accepted", 4, "Refused", 1, "Verified", 3, "Substantiated", 2, "NoticesIssued", 2,
		"NoticesDue", 2, "OnTime", 1, "Overdue", 4, "MaxDaysOverdue", 64, "RepeatCases", 1, "RepeatComplaints", 2, "NotSolved", 1,
		"Satisfied", 1, "Basically", 1, "Unsatisfied", 1, "Interviews", 2)
	return units, total
}

func compareTable(t *testing.T, name string, got Table, want []*Row, wantTotal *Row) {
	t.Helper()
	if len(got.Rows) != len(want) {
		var names []string
		for _, r := range got.Rows {
			names = append(names, r.Name)
		}
		t.Fatalf("%s: %d rows %v, want %d", name, len(got.Rows), names, len(want))
	}
	for i := range want {
		if g, w := clean(got.Rows[i]), clean(want[i]); !reflect.DeepEqual(g, w) {
			t.Errorf("%s row %d:\n got %+v\nwant %+v", name, i, *g, *w)
		}
	}
	if g, w := clean(got.Total), clean(wantTotal); !reflect.DeepEqual(g, w) {
		t.Errorf("%s total:\n got %+v\nwant %+v", name, *g, *w)
	}
}

func compute(t *testing.T, f *fixture, rules Rules) *Bulletin {
	t.Helper()
	b, err := Compute(ctx, f.d, at(time.November, 1, 0, 0), rules, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestComputeEveryCell(t *testing.T) {
	f := newFixture(t)
	b := compute(t, f, DefaultRules)
	if b.IssueLabel() != "2026年第11期" || b.Title != "石泉县生态环境问题整改情况通报" || b.MonthLabel() != "2026年11月" {
		t.Fatalf("header %q %q", b.IssueLabel(), b.Title)
	}
	wt, wtt := wantTowns()
	compareTable(t, "towns", b.Towns, wt, wtt)
	wu, wut := wantUnits()
	compareTable(t, "units", b.Units, wu, wut)

	// Ratios keep their counts.
	if r := b.Towns.Rows[1].SubstantiatedRate(); r != (Ratio{1, 2}) || r.String() != "50.0%" {
		t.Errorf("饶峰 属实率 %v %s", r, r)
	}
	if r := b.Towns.Total.SatisfactionRate(); r != (Ratio{2, 3}) || r.String() != "66.7%" {
		t.Errorf("满意率 %v", r)
	}

	// Every unit is under the minimum of 3 notices due: listed, not ranked.
	wantRank := func(rs []Ranked, want ...string) {
		t.Helper()
		var got []string
		for _, r := range rs {
			got = append(got, fmt.Sprintf("%s:%s:%d/%d", r.RankText(), r.Row.Name, r.Row.OnTime, r.Row.NoticesDue))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("ranking %v, want %v", got, want)
		}
	}
	wantRank(b.TownRank, "不排名:城关镇:1/1", "不排名:饶峰镇:0/1")
	wantRank(b.UnitRank, "不排名:城关镇:1/1", "不排名:城市管理执法局:0/1")

	var overdue []string
	for _, o := range b.Overdue {
		overdue = append(overdue, fmt.Sprintf("%d:%s:%s:%d:%d", o.ID, o.Town, o.Unit, o.DaysOverdue, o.Complaints))
	}
	want := fmt.Sprintf("%d:两河镇:城市管理执法局:64:1 %d:两河镇:城市管理执法局:63:1 %d:两河镇:城市管理执法局:62:1 %d:城关镇:生态环境分局:33:2",
		f.ids["caseCF1"], f.ids["caseCF2"], f.ids["caseCF3"], f.ids["caseCA"])
	if strings.Join(overdue, " ") != want {
		t.Errorf("overdue %v\nwant %s", overdue, want)
	}

	var cands []string
	for _, c := range b.Candidates {
		cands = append(cands, c.Name+":"+strings.Join(c.Reasons, "+"))
	}
	if got := strings.Join(cands, " "); got != "生态环境分局:群众反复投诉的问题1个逾期未解决 城市管理执法局:逾期未整改问题3个（最长逾期64天）" {
		t.Errorf("candidates %s", got)
	}

	var ivs []string
	for _, iv := range b.Interviews {
		ivs = append(ivs, fmt.Sprintf("%s:%s:%s:%s", iv.HeldOn.In(shanghai).Format("01-02"), iv.Unit, iv.Leader, iv.State))
	}
	if got := strings.Join(ivs, " "); got != "11-08:城市管理执法局:王副县长:按期报送 11-20:生态环境分局:李副县长:逾期未报" {
		t.Errorf("interviews %s", got)
	}

	var trend []string
	for _, m := range b.Trend {
		trend = append(trend, fmt.Sprintf("%s=%d", m.Month.Format("2006-01"), m.N))
	}
	if got := strings.Join(trend, " "); got != "2025-12=0 2026-01=0 2026-02=0 2026-03=0 2026-04=0 2026-05=0 2026-06=0 2026-07=0 2026-08=3 2026-09=1 2026-10=0 2026-11=7" {
		t.Errorf("trend %s", got)
	}
	wantTypes := map[ledger.Category]int{ledger.Air: 1, ledger.Noise: 3, ledger.Water: 1, ledger.Waste: 1, ledger.Soil: 1, ledger.Ecology: 1, ledger.Other: 1}
	if !reflect.DeepEqual(clean(&Row{ByType: b.ByType}).ByType, wantTypes) {
		t.Errorf("by type %v", b.ByType)
	}

	// Charts are SVG with the figures in them, nothing from outside escaped badly.
	for _, svg := range []string{b.TrendChart(), b.TypeChart(), b.TownChart()} {
		if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>") || strings.Contains(svg, "<script") {
			t.Fatalf("chart %s", svg)
		}
	}
	if !strings.Contains(b.TownChart(), "<title>城关镇：2</title>") || !strings.Contains(b.TrendChart(), "<title>11月：7</title>") {
		t.Errorf("charts lack figures")
	}
}

func TestRankingIsFair(t *testing.T) {
	f := newFixture(t)
	b := compute(t, f, Rules{MinRanked: 1, OverdueCases: 5})
	if len(b.TownRank) != 2 || b.TownRank[0].Rank != 1 || b.TownRank[0].Row.Name != "城关镇" || b.TownRank[1].Rank != 2 {
		t.Fatalf("town rank %+v", b.TownRank)
	}
	// Rules: with 5 overdue needed and repeat-overdue off, nobody is a candidate.
	b = compute(t, f, Rules{MinRanked: 1, OverdueCases: 5, RepeatOverdue: false})
	if len(b.Candidates) != 0 {
		t.Fatalf("candidates %+v", b.Candidates)
	}
	// Pure ranking: equal rates share a place; more cases first on a tie;
	// the unit under the minimum follows unranked.
	rows := []*Row{
		{UnitID: 1, Name: "a", NoticesDue: 1, OnTime: 1},
		{UnitID: 2, Name: "b", NoticesDue: 4, OnTime: 3},
		{UnitID: 3, Name: "c", NoticesDue: 8, OnTime: 6},
		{UnitID: 4, Name: "d", NoticesDue: 3, OnTime: 3},
	}
	var got []string
	for _, r := range rank(rows, 3) {
		got = append(got, r.RankText()+r.Row.Name)
	}
	if strings.Join(got, " ") != "1d 2c 2b 不排名a" {
		t.Fatalf("rank %v", got)
	}
}

func TestWorkbookHoldsTheSameNumbers(t *testing.T) {
	f := newFixture(t)
	b := compute(t, f, DefaultRules)
	var buf bytes.Buffer
	if err := b.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	check := func(sheet string, want []*Row, total *Row) {
		t.Helper()
		rows, err := x.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		all := append(append([]*Row{}, want...), total)
		if len(rows) != 2+len(all) {
			t.Fatalf("%s: %d rows", sheet, len(rows))
		}
		for i, r := range all {
			cells := rows[2+i]
			if cells[0] != r.Name {
				t.Errorf("%s row %d name %q", sheet, i, cells[0])
			}
			k := 1
			for _, s := range Sections() {
				for _, c := range s.Columns {
					got := ""
					if k < len(cells) {
						got = cells[k]
					}
					switch v := c.Value(r).(type) {
					case int:
						if got != strconv.Itoa(v) {
							t.Errorf("%s %s %s = %q, want %d", sheet, r.Name, c.Header, got, v)
						}
					case Ratio:
						if !v.Valid() {
							if got != "—" {
								t.Errorf("%s %s %s = %q, want —", sheet, r.Name, c.Header, got)
							}
							break
						}
						g, err := strconv.ParseFloat(got, 64)
						if err != nil || math.Abs(g-v.Value()) > 1e-9 {
							t.Errorf("%s %s %s = %q, want %v", sheet, r.Name, c.Header, got, v.Value())
						}
					}
					k++
				}
			}
		}
	}
	wt, wtt := wantTowns()
	check(SheetTowns, wt, wtt)
	wu, wut := wantUnits()
	check(SheetUnits, wu, wut)
	rows, _ := x.GetRows(SheetCandidates)
	if len(rows) != 4 || rows[2][0] != "生态环境分局" || rows[3][0] != "城市管理执法局" {
		t.Errorf("candidates sheet %v", rows)
	}
	rows, _ = x.GetRows(SheetInterviews)
	if len(rows) != 4 || rows[2][5] != "按期报送" || rows[3][5] != "逾期未报" {
		t.Errorf("interviews sheet %v", rows)
	}
	rows, _ = x.GetRows(SheetTrend)
	if len(rows) != 14 || rows[13][0] != "2026-11" || rows[13][1] != "7" {
		t.Errorf("trend sheet %v", rows)
	}
	rows, _ = x.GetRows(SheetOverdue)
	if len(rows) != 6 || rows[2][6] != "64" {
		t.Errorf("overdue sheet %v", rows)
	}
}

func TestCommandWritesTheWorkbook(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "b.xlsx")
	var so, se bytes.Buffer
	if code := command(ctx, f.d, nil, []string{"--month", "2026-11", "-o", out}, &so, &se, func() time.Time { return f.now }); code != 0 {
		t.Fatalf("code %d: %s", code, se.String())
	}
	if !strings.Contains(so.String(), "2026年第11期") || !strings.Contains(so.String(), "收到举报 7 件") {
		t.Fatalf("out %s", so.String())
	}
	x, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := x.GetCellValue(SheetTowns, "B15")
	x.Close()
	if v != "7" {
		t.Fatalf("total received in the file %q", v)
	}
	// Default month is last month: on 3 Dec that is November.
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	so.Reset()
	if code := command(ctx, f.d, nil, nil, &so, &se, func() time.Time { return f.now }); code != 0 {
		t.Fatalf("default: %d %s", code, se.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "通报-2026-11.xlsx")); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"--month", "11/2026"}, {"extra"}} {
		if code := command(ctx, f.d, nil, bad, &so, &se, func() time.Time { return f.now }); code != 2 {
			t.Errorf("%v: %d", bad, code)
		}
	}
}

func TestPublicStatsSuppressSmallCells(t *testing.T) {
	f := newFixture(t)
	p, err := PublicStats(ctx, f.d, f.now, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Months) != 12 || p.Months[11].Label != "2026年11月" {
		t.Fatalf("months %+v", p.Months)
	}
	nov, aug, sep := p.Months[11], p.Months[8], p.Months[9]
	if nov.Received.Text != "7" || aug.Received.Text != "3" || sep.Received.Text != "<3" || p.Months[0].Received.Text != "<3" {
		t.Errorf("received %q %q %q", nov.Received.Text, aug.Received.Text, sep.Received.Text)
	}
	// November: B1, C1, D1 concluded, all by their due date.
	// Days: B1 2 Nov 09:00 → 14 Nov 16:00; C1 3 Nov 09:00 → 25 Nov 11:00; D1 10 Nov 08:00 → 12 Nov 15:00.
	days := (at(time.November, 14, 16, 0).Sub(at(time.November, 2, 9, 0)) + at(time.November, 25, 11, 0).Sub(at(time.November, 3, 9, 0)) +
		at(time.November, 12, 15, 0).Sub(at(time.November, 10, 8, 0))).Hours() / 24 / 3
	if nov.OnTime.Text != "100.0%" || nov.AvgDays.Text != fmt.Sprintf("%.1f", days) {
		t.Errorf("nov on time %q avg %q want %.1f", nov.OnTime.Text, nov.AvgDays.Text, days)
	}
	// August: nothing concluded → share suppressed.
	if aug.OnTime.Text != "—" || aug.AvgDays.Text != "—" {
		t.Errorf("aug %q %q", aug.OnTime.Text, aug.AvgDays.Text)
	}
	towns := map[string]string{}
	for _, r := range p.ByTown {
		towns[r.Label] = r.Count.Text
	}
	// 城关 3 (A1, A2, B1), 饶峰 2, 两河 5, unknown 1; the other towns 0.
	if towns["城关镇"] != "3" || towns["饶峰镇"] != "<3" || towns["两河镇"] != "5" || towns["未明确乡镇"] != "<3" || towns["迎丰镇"] != "<3" {
		t.Errorf("towns %v", towns)
	}
	types := map[string]string{}
	for _, r := range p.ByType {
		types[r.Label] = r.Count.Text
	}
	// air: CF1-3, A1, A2 = 5; noise: A2, C1, H1 = 3; water 1.
	if types["大气"] != "5" || types["噪声"] != "3" || types["水"] != "<3" {
		t.Errorf("types %v", types)
	}
}

func TestSuppressHidesOneMoreWhenOnlyOneIsSmall(t *testing.T) {
	got := suppress([]int{10, 2, 7, 30})
	var s []string
	for _, c := range got {
		s = append(s, c.Text)
	}
	if strings.Join(s, ",") != "10,<3,—,30" {
		t.Fatalf("%v", s)
	}
	got = suppress([]int{10, 2, 1, 30})
	s = s[:0]
	for _, c := range got {
		s = append(s, c.Text)
	}
	if strings.Join(s, ",") != "10,<3,<3,30" {
		t.Fatalf("%v", s)
	}
}
