package hotline

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
)

// BenchmarkImport imports a generated export (200,000 rows, or
// ECOREPORT_BENCH_ROWS) into SQLite, and into MariaDB/MySQL when
// ECOREPORT_TEST_MYSQL_DSN is set, and measures in the same run a baseline:
// plain multi-row INSERTs of the same rows, 500 a transaction, no parsing.
// Run it once per engine:
//
//	go test ./hotline/ -run '^$' -bench Import -benchtime 1x
func BenchmarkImport(b *testing.B) {
	rows := 200000
	if s := os.Getenv("ECOREPORT_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	path := filepath.Join(b.TempDir(), "export.csv")
	benchWrite(b, path, rows)
	engines := []string{db.SQLite}
	if os.Getenv(dbtest.EnvMySQL) != "" {
		engines = append(engines, db.MySQL)
	}
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				d := benchOpen(b, engine)
				base := benchBaseline(b, d, rows)
				runtime.GC() // the baseline's rows are garbage now

				im := impNew(b, d)
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				peak, stop := benchPeakHeap()
				start := time.Now()
				rc, err := im.Import(context.Background(), bufio.NewReaderSize(f, 1<<16), "export.csv", "bench", nil)
				el := time.Since(start)
				heap := stop()
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				if rc.Imported != rows {
					b.Fatalf("imported %d of %d", rc.Imported, rows)
				}
				rate := float64(rows) / el.Seconds()
				b.ReportMetric(rate, "rows/s")
				b.ReportMetric(base, "baseline-rows/s")
				b.ReportMetric(rate/base*100, "%-of-baseline")
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(*peak)/(1<<20), "peak-sys-MiB")
				fmt.Printf("%s: import %d rows in %s = %.0f rows/s; baseline %.0f rows/s; ratio %.1f%%; peak heap %.1f MiB\n",
					engine, rows, el.Round(time.Millisecond), rate, base, rate/base*100, float64(heap)/(1<<20))
			}
		})
	}
}

func benchOpen(b *testing.B, engine string) *db.DB {
	if engine == db.MySQL {
		return dbtest.MustOpenDB(b)
	}
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return d
}

// benchRow is row i of the generated export.
func benchRow(i int) []string {
	towns := DefaultTowns()
	cats := []string{"噪声", "大气污染", "水污染、噪音", "非法采砂", "固废", "油烟"}
	day := 1 + i%28
	return []string{
		fmt.Sprintf("12369SQ2026%07d", i), fmt.Sprintf("2026-10-%02d %02d:%02d:00", day, i%24, i%60), "张伟",
		fmt.Sprintf("138%08d", i), []string{"否", "是"}[i%5/4], towns[i%len(towns)], fmt.Sprintf("汉江大道%d号附近", i%900),
		cats[i%len(cats)], "某砂石加工厂", "每天晚上十点以后仍在施工，机器轰鸣，严重影响周边居民休息，多次反映未解决。" + strconv.Itoa(i),
		fmt.Sprintf("2026-11-%02d", day),
	}
}

// benchWrite writes the export.
func benchWrite(b *testing.B, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("\ufeff工单编号,来电时间,来电人,来电号码,是否匿名,所属乡镇,事发地址,污染类型,被举报对象,举报内容,办理时限\n")
	for i := 0; i < n; i++ {
		w.WriteString(strings.Join(benchRow(i), ",") + "\n")
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// benchBaseline inserts the same rows into a scratch table with multi-row
// INSERTs, 500 a transaction, and returns rows/s: the database's own limit.
func benchBaseline(b *testing.B, d *db.DB, n int) float64 {
	cells := make([][]string, n) // generated before the clock starts
	for i := range cells {
		cells[i] = benchRow(i)
	}
	ctx := context.Background()
	ddl := `CREATE TABLE bench_baseline (id INTEGER PRIMARY KEY, ticket_no TEXT, received_at TEXT, caller TEXT, phone TEXT,
 anonymous TEXT, town TEXT, address TEXT, category TEXT, subject TEXT, content TEXT, due TEXT)`
	if d.Engine == db.MySQL {
		ddl = `CREATE TABLE bench_baseline (id BIGINT AUTO_INCREMENT PRIMARY KEY, ticket_no VARCHAR(64), received_at VARCHAR(32),
 caller VARCHAR(64), phone VARCHAR(32), anonymous VARCHAR(8), town VARCHAR(64), address VARCHAR(255), category VARCHAR(64),
 subject VARCHAR(255), content TEXT, due VARCHAR(32), UNIQUE KEY (ticket_no)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`
	}
	if _, err := d.ExecContext(ctx, ddl); err != nil {
		b.Fatal(err)
	}
	const per = 500
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", 11), ",") + ")"
	start := time.Now()
	for i := 0; i < len(cells); i += per {
		chunk := cells[i:min(i+per, len(cells))]
		q := "INSERT INTO bench_baseline (ticket_no, received_at, caller, phone, anonymous, town, address, category, subject, content, due) VALUES " +
			strings.TrimSuffix(strings.Repeat(one+",", len(chunk)), ",")
		args := make([]any, 0, len(chunk)*11)
		for _, r := range chunk {
			for _, c := range r {
				args = append(args, c)
			}
		}
		tx, err := d.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(len(cells)) / time.Since(start).Seconds()
}

// benchPeakHeap samples the heap every 20 ms until stop, which returns the
// peak HeapInuse; *sys tracks the peak of memory obtained from the OS.
func benchPeakHeap() (sys *uint64, stop func() uint64) {
	runtime.GC()
	var peak, peakSys atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
		if m.Sys > peakSys.Load() {
			peakSys.Store(m.Sys)
		}
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	var s uint64
	return &s, func() uint64 {
		close(done)
		wg.Wait()
		sample()
		s = peakSys.Load()
		return peak.Load()
	}
}
