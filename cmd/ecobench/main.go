// Command ecobench measures ecoreport against baselines measured in the same
// run (docs/performance.md) and runs the load and fault scenarios
// (docs/reliability.md). It starts the real binary as a child on a free
// loopback port, creates throwaway databases, and stops and drops everything
// it started on exit, Ctrl-C included.
//
//	go run ./cmd/ecobench -db 'mysql:root@tcp(127.0.0.1:3306)/' -duration 20s
//	go run ./cmd/ecobench -db ... -only filing,tracking -pairs 3 -c 32
//	go run ./cmd/ecobench -load -db ... -duration 30s
//	go run ./cmd/ecobench -load -multi -nodes DSN1,DSN2,DSN3 [-kill-node CMD -recover-node CMD]   (multi.go)
//	go run ./cmd/ecobench -fault sigterm|db-restart|import-kill -db ...
//	go run ./cmd/ecobench -attack login -db ... [-bin an-older-ecoreport]
//	go run ./cmd/ecobench -db ... -only bulletin -ledger 1000000
//	go run ./cmd/ecobench -db ... -only inbox,search -inbox 10000 -search-docs 1000000
//	go run ./cmd/ecobench -db ... -profile filing|tracking|pages|import
//
// Rows: filing, tracking, pages, import (with the -rows-mem memory check),
// bulletin, the inbox's first and last pages and search (worklist.go), and two diagnostics that compare ours with a bare handler
// running the same SQL as ours (filing-tx, import-tx). The fault db-restart
// kills and restarts a private mariadbd it installs in its temporary
// directory; the MariaDB given with -db is never stopped.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

type options struct {
	db                  string
	duration            time.Duration
	pairs               int
	conc                int
	only                map[string]bool
	rows                int
	ledger              int
	inbox, inboxLedger  int
	searchDocs          int
	rowsMem             int
	load                bool
	wrk                 bool
	fault               string
	attack              string
	root                string
	keep                bool
	cpuprof             string
	bin                 string
	profile, profileDir string
	tmp                 string
}

var opt options

func logf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s ecobench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(f, a...))
}

var fatalHook func()

func fatalf(f string, a ...any) {
	logf("FATAL: "+f, a...)
	if fatalHook != nil {
		fatalHook()
	}
	cleanup()
	os.Exit(1)
}

func main() {
	var only string
	flag.StringVar(&opt.db, "db", "mysql:root@tcp(127.0.0.1:3306)/", "MariaDB/MySQL server as mysql:DSN; ecobench creates and drops its own databases (ecobench_PID_*)")
	flag.DurationVar(&opt.duration, "duration", 20*time.Second, "time per table row (split over the A/B rounds); for -load and -fault: the load run")
	flag.IntVar(&opt.pairs, "pairs", 3, "A/B pairs per row (at least 3)")
	flag.IntVar(&opt.conc, "c", 32, "concurrent clients (16-64)")
	flag.StringVar(&only, "only", "filing,filing-tx,tracking,pages,import,bulletin,inbox,search", "rows to run (filing-tx: diagnostic, ours against a bare handler running the same SQL transaction)")
	flag.IntVar(&opt.rows, "rows", 200000, "rows in the generated hotline export for the import row")
	flag.IntVar(&opt.ledger, "ledger", 1000000, "complaints in the generated ledger for the bulletin row")
	flag.IntVar(&opt.inbox, "inbox", 10000, "complaints waiting for a decision in the inbox row")
	flag.IntVar(&opt.inboxLedger, "inbox-ledger", 10000, "complaints of the generated ledger behind the inbox row")
	flag.IntVar(&opt.searchDocs, "search-docs", 1000000, "complaints in the search row")
	flag.IntVar(&opt.rowsMem, "rows-mem", 1000000, "rows for the import memory check (0 skips it)")
	flag.BoolVar(&opt.wrk, "wrk", false, "also measure the pages row with wrk (apt-get install wrk) as the client: a cross-check of ecobench's own Go client")
	flag.BoolVar(&opt.load, "load", false, "run the mixed load scenario (issue 10) instead of the table")
	flag.StringVar(&opt.fault, "fault", "", "fault scenario: sigterm | db-restart | import-kill")
	flag.StringVar(&opt.attack, "attack", "", "attack scenario: login (parallel logins with unknown names: the server's memory, per-client limits)")
	flag.StringVar(&opt.root, "repo", ".", "the ecoreport checkout (module root)")
	flag.StringVar(&opt.bin, "bin", "", "use this ecoreport binary instead of building ./cmd/ecoreport (e.g. while the shared checkout does not build)")
	flag.BoolVar(&opt.keep, "keep", false, "keep the databases and the temporary directory")
	flag.StringVar(&opt.profile, "profile", "", "profile the service side in-process under one row's load: filing | tracking | pages (profiles to -profile-dir)")
	flag.StringVar(&opt.profileDir, "profile-dir", "/tmp/ecobench-prof", "where -profile writes its pprof files")
	flag.StringVar(&opt.cpuprof, "cpuprofile", "", "write ecobench's own CPU profile (load generator + baselines) to this file")
	writeTo := flag.String("write-export", "", "write the generated -rows hotline export (CSV) to this file and exit")
	flag.Parse()
	if *writeTo != "" {
		writeExport(*writeTo, opt.rows)
		return
	}
	if opt.pairs < 3 {
		fatalf("-pairs must be at least 3")
	}
	if opt.conc < 1 || opt.conc > 256 {
		fatalf("-c out of range")
	}
	opt.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		opt.only[strings.TrimSpace(s)] = true
	}
	root, err := filepath.Abs(opt.root)
	if err != nil {
		fatalf("%v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "ecoreport")); err != nil {
		fatalf("-repo %s is not the ecoreport checkout (run from /work/main or pass -repo)", root)
	}
	opt.root = root
	if opt.tmp, err = os.MkdirTemp("", "ecobench-"); err != nil {
		fatalf("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dbs := parseDB(opt.db)
	fatalHook = func() {
		if !opt.keep {
			dbs.dropAll()
			os.RemoveAll(opt.tmp)
		}
	}
	// A second Ctrl-C (or the first one while something blocks) still stops
	// every child: cleanup kills the process groups.
	go func() {
		<-ctx.Done()
		time.Sleep(3 * time.Second)
		logf("interrupted: stopping children")
		cleanup()
	}()
	if opt.cpuprof != "" {
		f, err := os.Create(opt.cpuprof)
		if err != nil {
			fatalf("%v", err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}

	logf("machine: %d CPUs (%s), load average %s, MariaDB %s, %s", runtime.NumCPU(), cpuModel(), loadavg(), dbs.version(), runtime.Version())
	bin := ""
	switch {
	case opt.bin != "":
		bin = opt.bin
		logf("using %s (not rebuilt)", bin)
	case opt.profile == "":
		bin = buildBinary(opt.root, opt.tmp)
	}
	code := 0
	switch {
	case opt.profile != "":
		code = runProfile(ctx, dbs, opt.profile, opt.profileDir)
	case opt.fault != "":
		code = runFault(ctx, dbs, bin, opt.fault)
	case opt.attack != "":
		code = runAttack(ctx, dbs, bin, opt.attack)
	case opt.load && multi.on:
		code = runMulti(ctx, bin)
	case opt.load:
		code = runLoadScenario(ctx, dbs, bin)
	default:
		code = runTable(ctx, dbs, bin)
	}
	cleanup()
	if !opt.keep {
		dbs.dropAll()
		os.RemoveAll(opt.tmp)
	} else {
		logf("kept %s and databases %v", opt.tmp, dbs.dbs)
	}
	logf("load average at the end: %s", loadavg())
	if ctx.Err() != nil {
		code = 130
	}
	if opt.cpuprof != "" {
		pprof.StopCPUProfile()
	}
	os.Exit(code)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "?"
}

func dbName(suffix string) string { return fmt.Sprintf("ecobench_%d_%s", os.Getpid(), suffix) }
