package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"ecoreport/hotline"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
	"ecoreport/internal/web"
	"ecoreport/portal"
)

// runProfile serves the portal in-process, wired as `ecoreport serve` wires
// it (web.New middleware, portal with --rate-limits=off and captcha off, the
// audit sealer in the background), puts the row's load on it and writes CPU,
// mutex and block profiles of the service side to dir. The server has no
// pprof endpoint; this is the harness instead.
func runProfile(ctx context.Context, dbs *dbServer, what, dir string) int {
	name := dbName("prof")
	dbs.create(name)
	d, err := db.Open(ctx, dbs.spec(name))
	if err != nil {
		fatalf("%v", err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		fatalf("migrate: %v", err)
	}
	keys, _, err := secret.LoadOrCreate(filepath.Join(opt.tmp, "prof.key"))
	if err != nil {
		fatalf("%v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := ledger.NewService(d, keys)
	e := web.New(web.Options{Logger: log, DB: d, StaffPrefixes: []string{"/office"}})
	portal.New(portal.Deps{Ledger: l, DB: d, Keys: keys, Captcha: false, DataDir: opt.tmp, Logger: log, Now: time.Now, Limits: portal.Unlimited()}).Register(e)
	bg, stop := context.WithCancel(ctx)
	defer stop()
	go audit.Sealer(bg, d, time.Second, func(string, ...any) {})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("%v", err)
	}
	hs := &http.Server{Handler: e}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	if what == "import" {
		return profileImport(ctx, d, l, dir)
	}
	book := &codeBook{}
	var gen genFunc
	switch what {
	case "filing":
		gen = filingGen(base+"/api/v1/complaints", book)
	case "tracking":
		codes := seedCodes(ctx, base, 2000, book)
		gen = trackGen(base+"/api/v1/track", codes)
	case "pages":
		gen = pagesGen(base+"/", base+"/report")
	default:
		fatalf("-profile: filing, tracking or pages")
	}
	runLoad(ctx, newClient(opt.conc), opt.conc, 2*time.Second, gen) // warm-up
	os.MkdirAll(dir, 0o755)
	runtime.SetMutexProfileFraction(5)
	runtime.SetBlockProfileRate(int(time.Millisecond / 10))
	f, _ := os.Create(filepath.Join(dir, what+".cpu.pprof"))
	pprof.StartCPUProfile(f)
	st := runLoad(ctx, newClient(opt.conc), opt.conc, opt.duration, gen)
	pprof.StopCPUProfile()
	f.Close()
	for _, p := range []string{"mutex", "block", "heap"} {
		pf, _ := os.Create(filepath.Join(dir, what+"."+p+".pprof"))
		pprof.Lookup(p).WriteTo(pf, 0)
		pf.Close()
	}
	fmt.Printf("profile %s: in-process portal, %d clients, %.0f req/s (%s), p50 %s p99 %s; profiles in %s (the load generator shares the process: filter with -focus=portal|ledger|gin)\n",
		what, opt.conc, st.rate(), statusLine(st), ms(st.pct(.5)), ms(st.pct(.99)), dir)
	return 0
}

// profileImport imports a generated -rows export in-process with the
// importer `ecoreport import` uses, under a CPU profile, and reports the Go
// heap's peak (sampled) next to the process RSS.
func profileImport(ctx context.Context, d *db.DB, l *ledger.Service, dir string) int {
	file := filepath.Join(opt.tmp, fmt.Sprintf("export-%d.csv", opt.rows))
	writeExport(file, opt.rows)
	im := &hotline.Importer{Ledger: l, DB: d, Options: hotline.Options{Location: l.Location}}
	f, err := os.Open(file)
	if err != nil {
		fatalf("%v", err)
	}
	defer f.Close()
	os.MkdirAll(dir, 0o755)
	runtime.GC()
	var peak uint64
	stopPoll := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak {
				peak = ms.HeapInuse
			}
			select {
			case <-stopPoll:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	cf, _ := os.Create(filepath.Join(dir, "import.cpu.pprof"))
	pprof.StartCPUProfile(cf)
	t := time.Now()
	rc, err := im.Import(ctx, f, filepath.Base(file), "ecobench", nil)
	el := time.Since(t)
	pprof.StopCPUProfile()
	cf.Close()
	close(stopPoll)
	if err != nil {
		fatalf("import: %v", err)
	}
	hf, _ := os.Create(filepath.Join(dir, "import.heap.pprof"))
	pprof.Lookup("allocs").WriteTo(hf, 0)
	hf.Close()
	rss, hwm := rssKiB(os.Getpid())
	fmt.Printf("profile import: %d rows imported in-process in %.1fs = %.0f rows/s; Go heap in use peak %.0f MiB; process RSS %s (HWM %s); profiles in %s\n",
		rc.Imported, el.Seconds(), float64(rc.Imported)/el.Seconds(), float64(peak)/(1<<20), mib(rss), mib(hwm), dir)
	return 0
}
