package bulletin

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
)

// BenchmarkCompute times one month's bulletin over a generated ledger:
// 1,000,000 complaints over three years on MariaDB/MySQL
// (ECOREPORT_TEST_MYSQL_DSN), 100,000 on SQLite; ECOREPORT_BENCH_COMPLAINTS
// changes the size. ECOREPORT_BENCH_DB=mysql:DSN (or sqlite:PATH) keeps the
// ledger in a database of your own between runs: it is generated only when
// it holds fewer complaints than asked for.
//
//	go test ./internal/bulletin -run '^$' -bench Compute -benchtime 5x
func BenchmarkCompute(b *testing.B) {
	n := 100_000
	if os.Getenv(dbtest.EnvMySQL) != "" {
		n = 1_000_000
	}
	if s := os.Getenv("ECOREPORT_BENCH_COMPLAINTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("ECOREPORT_BENCH_COMPLAINTS=%q", s)
		}
		n = v
	}
	var d *db.DB
	if spec := os.Getenv("ECOREPORT_BENCH_DB"); spec != "" {
		var err error
		if d, err = db.Open(ctx, spec); err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Migrate(ctx); err != nil {
			// A kept ledger may predate migrations added since; the bulletin's
			// tables are there.
			b.Logf("migrate %s: %v", spec, err)
		}
	} else {
		d = dbtest.MustOpenDB(b)
	}
	end := time.Date(2026, 12, 5, 10, 0, 0, 0, Location())
	var have int
	if err := d.Get(&have, `SELECT COUNT(*) FROM complaints`); err != nil {
		b.Fatal(err)
	}
	if have < n {
		t0 := time.Now()
		if err := GenerateLedgerUntil(ctx, d, n-have, 7, end); err != nil {
			b.Fatal(err)
		}
		el := time.Since(t0)
		analyze := `ANALYZE`
		if d.Engine == db.MySQL {
			analyze = `ANALYZE TABLE complaints, cases, notices, ratings, followup_requests, events`
		}
		if _, err := d.Exec(analyze); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d complaints on %s in %s (%.0f complaints/s)", n-have, d.Engine, el.Round(time.Millisecond), float64(n-have)/el.Seconds())
	}
	counts := map[string]int{}
	for _, t := range []string{"complaints", "cases", "notices", "events", "ratings", "followup_requests"} {
		var k int
		if err := d.Get(&k, `SELECT COUNT(*) FROM `+t); err != nil {
			b.Fatal(err)
		}
		counts[t] = k
	}
	b.Logf("ledger on %s: %v", d.Engine, counts)

	month := time.Date(2026, 11, 1, 0, 0, 0, 0, Location())
	var last *Bulletin
	var worst time.Duration
	var times []time.Duration
	var mu sync.Mutex
	steps := map[string]time.Duration{}
	onStep = func(name string, d time.Duration) {
		mu.Lock()
		steps[name] = d
		mu.Unlock()
	}
	defer func() { onStep = nil }()
	for b.Loop() {
		t0 := time.Now()
		bl, err := Compute(ctx, d, month, DefaultRules, end)
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(t0)
		worst = max(worst, el)
		times = append(times, el)
		last = bl
	}
	slices.Sort(times)
	var st []string
	for k, v := range steps {
		st = append(st, fmt.Sprintf("%s %s", k, v.Round(time.Millisecond)))
	}
	slices.Sort(st)
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("runs, fastest first: %v; queries of the last run (in parallel): %s; load average %s", times, strings.Join(st, ", "), strings.TrimSpace(string(load)))
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
	b.Logf("bulletin 2026-11 over %d complaints on %s: worst %s; month: %d received, %d verified, %d notices, %d overdue now, %d candidates",
		counts["complaints"], d.Engine, worst.Round(time.Millisecond), last.Towns.Total.Received, last.Towns.Total.Verified,
		last.Towns.Total.NoticesIssued, last.Towns.Total.Overdue, len(last.Candidates))
	t0 := time.Now()
	if _, err := PublicStats(ctx, d, end, Location()); err != nil {
		b.Fatal(err)
	}
	b.Logf("public statistics (12 months) on %s: %s", d.Engine, time.Since(t0).Round(time.Millisecond))
	if worst > 2*time.Second && d.Engine == db.MySQL && counts["complaints"] <= 1_000_000 {
		b.Errorf("bulletin took %s, target < 2s", worst)
	}
}
