package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"ecoreport/internal/bulletin"
	"ecoreport/internal/db"
)

// bulletinRow generates a -ledger complaint ledger over three years
// (bulletin.GenerateLedger) in a fresh database and times one month's
// bulletin (bulletin.Compute) -pairs times; the row shows the median.
func bulletinRow(ctx context.Context, dbs *dbServer) *row {
	r := &row{what: fmt.Sprintf("bulletin (1 month of %d)", opt.ledger), unit: "s", target: "< 2 s"}
	if _, err := os.Stat(filepath.Join(opt.root, "internal", "bulletin")); err != nil {
		r.na, r.verdict = "n/a (not built)", "—"
		return r
	}
	name := dbName("ledger")
	dbs.create(name)
	d, err := db.Open(ctx, dbs.spec(name))
	if err != nil {
		fatalf("%v", err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		fatalf("migrate: %v", err)
	}
	t := time.Now()
	if err := bulletin.GenerateLedger(ctx, d, opt.ledger, 1); err != nil {
		fatalf("generate ledger: %v", err)
	}
	logf("bulletin: generated a %d-complaint ledger in %.1fs", opt.ledger, time.Since(t).Seconds())
	now := time.Now()
	month := bulletin.LastMonth(now, bulletin.Location())
	var took []time.Duration
	for i := 0; i < opt.pairs && ctx.Err() == nil; i++ {
		t := time.Now()
		b, err := bulletin.Compute(ctx, d, month, bulletin.DefaultRules, now)
		if err != nil {
			r.errors++
			logf("bulletin: %v", err)
			continue
		}
		took = append(took, time.Since(t))
		logf("bulletin %s run %d: %v (%d towns), load %s", b.MonthLabel(), i+1, took[len(took)-1].Round(time.Millisecond), len(b.Towns.Rows), loadavg())
	}
	if len(took) == 0 {
		r.na, r.verdict = "failed", "FAIL"
		return r
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	med := took[len(took)/2]
	r.na = fmt.Sprintf("%.2f s median of %d (min %.2f, max %.2f)", med.Seconds(), len(took), took[0].Seconds(), took[len(took)-1].Seconds())
	r.verdict = "PASS"
	if med >= 2*time.Second || r.errors > 0 {
		r.verdict = "FAIL"
	}
	dropOne(dbs, name)
	return r
}
