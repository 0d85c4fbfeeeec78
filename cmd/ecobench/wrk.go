package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// The wrk cross-check (-wrk): the pages row again with wrk (a C load
// generator, apt-get install wrk) as the client instead of ecobench's Go
// client, which spends CPU of its own on the same two cores and so
// flatters the slower side on CPU-bound rows. Same clients (-c), same
// round length, pairs A B A B A B; GET / and GET /report each for half of
// the round, against the baseline's small JSON.

var wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// runWrk runs wrk against url for d and returns its requests/s.
func runWrk(ctx context.Context, url string, d time.Duration) (float64, error) {
	secs := max(1, int(d.Seconds()))
	out, err := exec.CommandContext(ctx, "wrk", "-t2", fmt.Sprintf("-c%d", opt.conc), fmt.Sprintf("-d%ds", secs), url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk %s: %v: %s", url, err, out)
	}
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("wrk %s: no Requests/sec in %q", url, out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// wrkPagesRow is the pages row measured by wrk.
func wrkPagesRow(ctx context.Context, srv *server, bl *baseline, round time.Duration) *row {
	r := &row{what: "pages (/, /report), wrk cross-check", unit: "req/s", target: "≥ 50%"}
	if _, err := exec.LookPath("wrk"); err != nil {
		r.na, r.verdict = "wrk not installed", "—"
		return r
	}
	var ours, base []float64
	for i := 0; i < opt.pairs && ctx.Err() == nil; i++ {
		a, err1 := runWrk(ctx, srv.base+"/", round/2)
		b, err2 := runWrk(ctx, srv.base+"/report", round/2)
		c, err3 := runWrk(ctx, bl.base+"/page", round)
		if err1 != nil || err2 != nil || err3 != nil {
			logf("wrk: %v %v %v", err1, err2, err3)
			r.errors++
			continue
		}
		o := 2 / (1/a + 1/b) // the rate of alternating the two pages
		ours, base = append(ours, o), append(base, c)
		r.ratios = append(r.ratios, o/c)
		logf("pages (wrk) pair %d: ours %.0f req/s (/ %.0f, /report %.0f), baseline %.0f req/s, ratio %.0f%%, load %s", i+1, o, a, b, c, 100*o/c, loadavg())
	}
	r.ours, r.base, r.ratio = median(ours), median(base), median(r.ratios)
	verdict(r, 0.5, false)
	return r
}
