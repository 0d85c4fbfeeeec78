package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// row is one line of the table.
type row struct {
	what, unit string
	ours, base float64 // median rate of each side over the pairs
	ratio      float64 // median of the per-pair ratios
	ratios     []float64
	p50, p99   time.Duration
	bp50, bp99 time.Duration
	errors     int
	errNote    string
	rssKiB     int64
	target     string
	verdict    string
	na         string // not measured: why
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}

func mib(kib int64) string {
	if kib == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f MiB", float64(kib)/1024)
}

func printTable(rows []*row) {
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "what\tours rate\tbaseline rate\tratio (median of pairs)\tp50\tp99\terrors\tpeak RSS\ttarget\tverdict")
	for _, r := range rows {
		if r.na != "" {
			fmt.Fprintf(tw, "%s\t%s\t—\t—\t—\t—\t—\t—\t%s\t%s\n", r.what, r.na, r.target, r.verdict)
			continue
		}
		base, ratio := "—", "—"
		if r.base > 0 {
			base = fmt.Sprintf("%.0f %s", r.base, r.unit)
			rs := make([]string, len(r.ratios))
			for i, x := range r.ratios {
				rs[i] = fmt.Sprintf("%.0f", x*100)
			}
			ratio = fmt.Sprintf("%.0f%% (%s)", r.ratio*100, strings.Join(rs, "/"))
		}
		errs := fmt.Sprint(r.errors)
		if r.errNote != "" {
			errs += " " + r.errNote
		}
		fmt.Fprintf(tw, "%s\t%.0f %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.what, r.ours, r.unit, base, ratio, ms(r.p50), ms(r.p99), errs, mib(r.rssKiB), r.target, r.verdict)
	}
	tw.Flush()
	fmt.Println()
	for _, r := range rows {
		if r.bp50 > 0 {
			fmt.Printf("baseline latency %-9s p50 %s p99 %s\n", r.what, ms(r.bp50), ms(r.bp99))
		}
	}
}

// codeBook collects the tracking codes of 201 answers.
type codeBook struct {
	mu    sync.Mutex
	codes []string
}

func (b *codeBook) add(c string) { b.mu.Lock(); b.codes = append(b.codes, c); b.mu.Unlock() }
func (b *codeBook) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.codes...)
}

var (
	towns = []string{"城关镇", "饶峰镇", "两河镇", "迎丰镇", "池河镇", "后柳镇", "喜河镇", "熨斗镇", "云雾山镇", "中池镇", "曾溪镇"}
	cats  = []string{"air", "water", "noise", "waste", "soil", "ecology", "other"}
)

// filingBody is a valid API filing, different each time.
func filingBody(rnd *rand.Rand) []byte {
	in := map[string]any{
		"categories":  []string{cats[rnd.IntN(len(cats))]},
		"town":        towns[rnd.IntN(len(towns))],
		"address":     fmt.Sprintf("%s河堤路%d号附近", towns[rnd.IntN(len(towns))], rnd.IntN(900)+1),
		"subject":     fmt.Sprintf("某建材厂%d号窑", rnd.IntN(50)),
		"description": fmt.Sprintf("夜间十点以后工厂烟囱冒黑烟，气味刺鼻，附近居民无法开窗。已持续%d天，编号%d。", rnd.IntN(30)+1, rnd.Uint64()),
		"identity":    "anonymous",
	}
	b, _ := json.Marshal(in)
	return b
}

// filingGen posts filings to url and records the codes of 201s.
func filingGen(url string, book *codeBook) genFunc {
	return func(w int, rnd *rand.Rand) request {
		return request{method: "POST", url: url, body: filingBody(rnd), check: func(st int, b []byte) {
			if st == 201 && book != nil {
				var out struct {
					Code string `json:"tracking_code"`
				}
				if json.Unmarshal(b, &out) == nil && out.Code != "" {
					book.add(out.Code)
				}
			}
		}}
	}
}

func trackGen(url string, codes []string) genFunc {
	return func(w int, rnd *rand.Rand) request {
		b, _ := json.Marshal(map[string]string{"code": codes[rnd.IntN(len(codes))]})
		return request{method: "POST", url: url, body: b}
	}
}

func pagesGen(urls ...string) genFunc {
	return func(w int, rnd *rand.Rand) request {
		return request{method: "GET", url: urls[rnd.IntN(len(urls))]}
	}
}

// abRow runs ours and the baseline alternately, pairs times, each for
// round, after a short warm-up of each, and fills a row.
func abRow(ctx context.Context, what string, srv *server, ours, base genFunc, okStatus int, round time.Duration) *row {
	client := newClient(opt.conc)
	logf("%s: warm-up", what)
	runLoad(ctx, client, opt.conc, round/4, ours)
	runLoad(ctx, client, opt.conc, round/4, base)
	r := &row{what: what, unit: "req/s"}
	var oursAll, baseAll stats
	var oursRates, baseRates []float64
	for i := 0; i < opt.pairs && ctx.Err() == nil; i++ {
		p := pollRowRSS(srv.cmd.Process.Pid, 100*time.Millisecond)
		o := runLoad(ctx, client, opt.conc, round, ours)
		if k := p.Stop(); k > r.rssKiB {
			r.rssKiB = k
		}
		b := runLoad(ctx, client, opt.conc, round, base)
		if ctx.Err() != nil || b.rate() == 0 || o.rate() == 0 {
			break // interrupted: an incomplete pair is not a measurement
		}
		oursAll.merge(o)
		baseAll.merge(b)
		oursRates = append(oursRates, o.rate())
		baseRates = append(baseRates, b.rate())
		r.ratios = append(r.ratios, o.rate()/b.rate())
		logf("%s pair %d: ours %.0f req/s (%v), baseline %.0f req/s (%v), ratio %.0f%%, load %s",
			what, i+1, o.rate(), statusLine(o), b.rate(), statusLine(b), 100*o.rate()/b.rate(), loadavg())
	}
	r.ours, r.base, r.ratio = median(oursRates), median(baseRates), median(r.ratios)
	r.p50, r.p99 = oursAll.pct(0.50), oursAll.pct(0.99)
	r.bp50, r.bp99 = baseAll.pct(0.50), baseAll.pct(0.99)
	r.errors = oursAll.failures(func(st int) bool { return st == okStatus })
	if n := baseAll.failures(func(st int) bool { return st == okStatus }); n > 0 {
		r.errNote = fmt.Sprintf("(baseline %d)", n)
	}
	return r
}

func statusLine(s *stats) string {
	var parts []string
	keys := make([]int, 0, len(s.status))
	for k := range s.status {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d×%d", k, s.status[k]))
	}
	ek := make([]string, 0, len(s.errs))
	for k := range s.errs {
		ek = append(ek, k)
	}
	sort.Strings(ek)
	for _, k := range ek {
		parts = append(parts, fmt.Sprintf("%s×%d", k, s.errs[k]))
	}
	return strings.Join(parts, " ")
}

func verdict(r *row, min float64, zeroErrors bool) {
	if len(r.ratios) < opt.pairs {
		r.verdict = "INCOMPLETE"
		return
	}
	ok := r.ratio >= min && (!zeroErrors || r.errors == 0)
	r.verdict = "PASS"
	if !ok {
		r.verdict = "FAIL"
	}
}

// runTable runs every row of performance.md's table and prints one table.
func runTable(ctx context.Context, dbs *dbServer, bin string) int {
	var rows []*row
	round := opt.duration / time.Duration(2*opt.pairs)
	if opt.only["filing"] || opt.only["filing-tx"] || opt.only["tracking"] || opt.only["pages"] {
		svcDB, baseDB := dbName("svc"), dbName("base")
		dbs.create(svcDB)
		dbs.create(baseDB)
		dataDir := filepath.Join(opt.tmp, "data")
		srv, err := startServer(ctx, bin, dbs.spec(svcDB), dataDir, filepath.Join(opt.tmp, "serve.log"), "")
		if err != nil {
			fatalf("%v", err)
		}
		logf("ecoreport serve on %s (log %s)", srv.addr, srv.logPath)
		bl := startBaseline(dbs, baseDB)
		book := &codeBook{}
		if opt.only["filing"] {
			r := abRow(ctx, "filing", srv, filingGen(srv.base+"/api/v1/complaints", book), filingGen(bl.base+"/file", nil), 201, round)
			r.target = "≥ 50%, 0 errors"
			verdict(r, 0.5, true)
			rows = append(rows, r)
		}
		if opt.only["filing-tx"] && ctx.Err() == nil {
			bl.copyLedgerTables(svcDB)
			r := abRow(ctx, "filing vs same-SQL tx (diagnostic)", srv, filingGen(srv.base+"/api/v1/complaints", book), filingGen(bl.base+"/file-tx", nil), 201, round)
			r.target = "— (diagnostic)"
			r.verdict = "—"
			rows = append(rows, r)
		}
		if opt.only["tracking"] && ctx.Err() == nil {
			codes := book.snapshot()
			if len(codes) < 500 {
				logf("tracking: filing 500 complaints for known codes")
				runLoadN(ctx, 8, 500, filingGen(srv.base+"/api/v1/complaints", book))
				codes = book.snapshot()
			}
			// The baseline's table gets as many rows as our ledger has.
			var n int
			sd := dbs.open(svcDB, false)
			sd.QueryRow("SELECT COUNT(*) FROM complaints").Scan(&n)
			sd.Close()
			bl.seedTrack(n)
			var bn int
			bl.db.QueryRow("SELECT COUNT(*) FROM bench_track").Scan(&bn)
			logf("tracking: ours looks up %d known codes of %d complaints; baseline %d codes of a %d-row table", len(codes), n, len(bl.codes), bn)
			r := abRow(ctx, "tracking", srv, trackGen(srv.base+"/api/v1/track", codes), trackGen(bl.base+"/track", bl.codes), 200, round)
			r.target = "≥ 50%"
			verdict(r, 0.5, false)
			rows = append(rows, r)
		}
		if opt.only["pages"] && ctx.Err() == nil {
			r := abRow(ctx, "pages (/, /report)", srv, pagesGen(srv.base+"/", srv.base+"/report"), pagesGen(bl.base+"/page"), 200, round)
			r.target = "≥ 50%"
			verdict(r, 0.5, false)
			rows = append(rows, r)
			if opt.wrk && ctx.Err() == nil {
				rows = append(rows, wrkPagesRow(ctx, srv, bl, round))
			}
		}
		bl.close()
		took := srv.stop(30 * time.Second)
		logf("server stopped in %v (%v)", took.Round(time.Millisecond), srv.state)
	}
	if (opt.only["import"] || opt.only["import-tx"]) && ctx.Err() == nil {
		rows = append(rows, importRows(ctx, dbs, bin)...)
	}
	if opt.only["bulletin"] {
		rows = append(rows, bulletinRow(ctx, dbs))
	}
	if opt.only["inbox"] && ctx.Err() == nil {
		rows = append(rows, inboxRows(ctx, dbs)...)
	}
	if opt.only["search"] && ctx.Err() == nil {
		rows = append(rows, searchRow(ctx, dbs))
	}
	printTable(rows)
	fmt.Printf("pairs %d, %v per round, %d clients; machine load average now %s\n", opt.pairs, round, opt.conc, loadavg())
	for _, r := range rows {
		if r.verdict == "FAIL" || r.verdict == "INCOMPLETE" {
			return 1
		}
	}
	return 0
}

// runLoadN makes n requests with conc workers (for seeding).
func runLoadN(ctx context.Context, conc, n int, gen genFunc) {
	c := newClient(conc)
	var mu sync.Mutex
	left := n
	ctx2, cancel := context.WithCancel(ctx)
	defer cancel()
	runLoad(ctx2, c, conc, 5*time.Minute, func(w int, rnd *rand.Rand) request {
		mu.Lock()
		left--
		if left <= 0 {
			cancel()
		}
		mu.Unlock()
		return gen(w, rnd)
	})
}
