package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

func runFault(ctx context.Context, dbs *dbServer, bin, which string) int {
	switch which {
	case "sigterm":
		return faultSigterm(ctx, dbs, bin)
	case "db-restart":
		return faultDBRestart(ctx, bin)
	case "import-kill":
		return faultImportKill(ctx, dbs, bin)
	}
	fatalf("-fault: unknown scenario %q (sigterm, db-restart, import-kill)", which)
	return 2
}

// faultSigterm: SIGTERM the server in the middle of a load run of filings
// and lookups; in-flight requests must finish; after a restart every 201 is
// there.
func faultSigterm(ctx context.Context, dbs *dbServer, bin string) int {
	name := dbName("sigterm")
	dbs.create(name)
	dataDir := filepath.Join(opt.tmp, "data")
	srv, err := startServer(ctx, bin, dbs.spec(name), dataDir, filepath.Join(opt.tmp, "serve.log"), "")
	if err != nil {
		fatalf("%v", err)
	}
	book := &codeBook{}
	known := seedCodes(ctx, srv.base, 200, book)
	ks := newKindStats()
	var termAt atomic.Int64
	var cutInFlight atomic.Int64 // sent before SIGTERM, no answer
	gen := mixGen(srv.base, book, known, ks)
	timed := func(w int, rnd *randT) request {
		rq := gen(w, rnd)
		sent := time.Now().UnixNano()
		inner := rq.check
		rq.check = func(st int, b []byte) {
			if st == -1 && termAt.Load() != 0 && sent < termAt.Load() {
				cutInFlight.Add(1)
			}
			inner(st, b)
		}
		return rq
	}
	go func() {
		select {
		case <-time.After(opt.duration / 2):
		case <-ctx.Done():
			return
		}
		termAt.Store(time.Now().UnixNano())
		logf("sigterm: sending SIGTERM to ecoreport serve (pid %d) during the load", srv.cmd.Process.Pid)
		srv.signal(syscall.SIGTERM)
	}()
	logf("sigterm: %d clients for %v, SIGTERM at %v", opt.conc, opt.duration, opt.duration/2)
	st := runLoad(ctx, newClient(opt.conc), opt.conc, opt.duration, timed)
	select {
	case <-srv.done:
	case <-time.After(30 * time.Second): // Close waits at most 25 s for requests
		srv.signal(syscall.SIGKILL)
		<-srv.done
	}
	exitOK := srv.state != nil && srv.state.Success()
	shutdownLog := tail(srv.logPath, 3)
	// Restart on the same database and look every code up.
	srv2, err := startServer(ctx, bin, dbs.spec(name), dataDir, filepath.Join(opt.tmp, "serve2.log"), "")
	if err != nil {
		fatalf("restart: %v", err)
	}
	codes := book.snapshot()
	missing, vst := verifyCodes(ctx, srv2.base, codes)
	d := dbs.open(name, false)
	lc := checkLedger(d)
	d.Close()
	srv2.stop(30 * time.Second)

	fivexx := ks.count(func(s int) bool { return s >= 500 })
	fmt.Printf("\nsigterm run: %d requests in %.1fs, SIGTERM at %v; server exit: %v\n", st.n, st.elapsed.Seconds(), opt.duration/2, srv.state)
	fmt.Printf("answers per kind (transport-error = refused after the listener closed, or cut):\n%s", ks)
	fmt.Printf("transport errors by kind: %v; requests sent before SIGTERM that got no answer: %d\n", st.errs, cutInFlight.Load())
	fmt.Printf("after restart: %d answers 201, %d resident filings in the database, %d codes not found %v, %d complaints without an event\n",
		len(codes), lc.filings, missing, vst, lc.orphans)
	fmt.Printf("server log tail:\n%s\n", shutdownLog)
	ok := exitOK && fivexx == 0 && missing == 0 && lc.orphans == 0 && lc.filings == len(codes) && cutInFlight.Load() == 0
	verdictLine(ok, fmt.Sprintf("sigterm: clean exit %v, %d 5xx, %d in-flight requests cut, %d of %d 201s missing, %d filings committed without a 201, %d half-written",
		exitOK, fivexx, cutInFlight.Load(), missing, len(codes), lc.filings-len(codes), lc.orphans))
	if !ok {
		return 1
	}
	return 0
}

// privateDB is a throwaway mariadbd on a free loopback port: the shared
// MariaDB on 3306 is never stopped.
type privateDB struct {
	dir, port string
	cmd       *exec.Cmd
	done      chan struct{}
}

func newPrivateDB() *privateDB {
	dir := filepath.Join(opt.tmp, "mariadb")
	os.MkdirAll(dir, 0o755)
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(dir, "data"),
		"--auth-root-authentication-method=normal", "--skip-test-db", "--user="+currentUser()).CombinedOutput()
	if err != nil {
		fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	_, port, _ := net.SplitHostPort(freePort())
	return &privateDB{dir: dir, port: port}
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

func (p *privateDB) start() {
	p.cmd = exec.Command("mariadbd", "--no-defaults", "--datadir="+filepath.Join(p.dir, "data"), "--port="+p.port,
		"--bind-address=127.0.0.1", "--socket="+filepath.Join(p.dir, "s"), "--user="+currentUser(),
		"--pid-file="+filepath.Join(p.dir, "pid"), "--innodb-buffer-pool-size=128M", "--skip-log-bin", "--max-connections=300")
	if err := startChild(p.cmd, filepath.Join(p.dir, "err.log")); err != nil {
		fatalf("mariadbd: %v", err)
	}
	p.done = make(chan struct{})
	c := p.cmd
	go func() { c.Wait(); untrack(c); close(p.done) }()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.Timeout = "root", "tcp", "127.0.0.1:"+p.port, time.Second
	for i := 0; i < 300; i++ {
		d, _ := sql.Open("mysql", cfg.FormatDSN())
		err := d.Ping()
		d.Close()
		if err == nil {
			return
		}
		select {
		case <-p.done:
			fatalf("mariadbd exited: %s", tail(filepath.Join(p.dir, "err.log"), 10))
		case <-time.After(100 * time.Millisecond):
		}
	}
	fatalf("private mariadbd did not answer in 30s")
}

func (p *privateDB) kill() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// faultDBRestart: kill a private mariadbd during a load run, bring it back:
// 503 with a Chinese message meanwhile, recovery by itself, nothing lost.
func faultDBRestart(ctx context.Context, bin string) int {
	p := newPrivateDB()
	p.start()
	dbs := parseDB("mysql:root@tcp(127.0.0.1:" + p.port + ")/")
	name := "ecobench_dbrestart"
	dbs.create(name)
	dataDir := filepath.Join(opt.tmp, "data")
	srv, err := startServer(ctx, bin, dbs.spec(name), dataDir, filepath.Join(opt.tmp, "serve.log"), "")
	if err != nil {
		fatalf("%v", err)
	}
	book := &codeBook{}
	known := seedCodes(ctx, srv.base, 200, book)
	ph := [3]*kindStats{newKindStats(), newKindStats(), newKindStats()}
	var phase atomic.Int32
	var recoveredAt atomic.Int64
	var restartAt atomic.Int64
	gens := [3]genFunc{}
	for i := range gens {
		gens[i] = mixGen(srv.base, book, known, ph[i])
	}
	gen := func(w int, rnd *randT) request {
		i := phase.Load()
		rq := gens[i](w, rnd)
		inner := rq.check
		rq.check = func(st int, b []byte) {
			inner(st, b)
			if i == 2 && st == 201 && recoveredAt.Load() == 0 {
				recoveredAt.Store(time.Now().UnixNano())
			}
		}
		return rq
	}
	outage := opt.duration / 3
	go func() {
		select {
		case <-time.After(opt.duration / 4):
		case <-ctx.Done():
			return
		}
		logf("db-restart: killing the private mariadbd (SIGKILL) for %v", outage)
		p.kill()
		phase.Store(1)
		select {
		case <-time.After(outage):
		case <-ctx.Done():
			return
		}
		logf("db-restart: starting mariadbd again (crash recovery)")
		p.start()
		restartAt.Store(time.Now().UnixNano())
		phase.Store(2)
		logf("db-restart: mariadbd answers again")
	}()
	logf("db-restart: %d clients for %v against %s (private mariadbd on port %s)", opt.conc, opt.duration, srv.addr, p.port)
	st := runLoad(ctx, newClient(opt.conc), opt.conc, opt.duration, gen)
	codes := book.snapshot()
	missing, vst := verifyCodes(ctx, srv.base, codes)
	d := dbs.open(name, false)
	lc := checkLedger(d)
	d.Close()
	srv.stop(30 * time.Second)
	p.kill()

	fmt.Printf("\ndb-restart run: %d requests in %.1fs; database down for %v\n", st.n, st.elapsed.Seconds(), outage)
	for i, n := range []string{"before", "database down", "after restart"} {
		fmt.Printf("%s:\n%s", n, ph[i])
	}
	down := ph[1]
	n503 := down.count(func(s int) bool { return s == 503 })
	other5 := down.count(func(s int) bool { return s >= 500 && s != 503 })
	down.mu.Lock()
	cjk := 0
	for _, c := range down.cjk {
		cjk += c
	}
	down.mu.Unlock()
	after5 := ph[2].count(func(s int) bool { return s >= 500 })
	rec := "never"
	if r, s := recoveredAt.Load(), restartAt.Load(); r != 0 && s != 0 {
		rec = time.Duration(r - s).Round(10 * time.Millisecond).String()
	}
	fmt.Printf("while down: %d × 503 (%d with a Chinese message), %d other 5xx; first 201 after restart: %s; 5xx after restart: %d\n", n503, cjk, other5, rec, after5)
	fmt.Printf("database: %d answers 201, %d resident filings, %d codes not found %v, %d complaints without an event\n", len(codes), lc.filings, missing, vst, lc.orphans)
	ok := n503 > 0 && cjk == n503 && other5 == 0 && rec != "never" && missing == 0 && lc.orphans == 0
	verdictLine(ok, fmt.Sprintf("db-restart: %d 503 while down (%d Chinese), %d other 5xx, recovered %s after restart, %d of %d 201s missing, %d extra filings, %d half-written",
		n503, cjk, other5, rec, missing, len(codes), lc.filings-len(codes), lc.orphans))
	if !ok {
		return 1
	}
	return 0
}

// faultImportKill: kill `ecoreport import` mid-file, run it again, and
// compare the ledger with one clean run.
func faultImportKill(ctx context.Context, dbs *dbServer, bin string) int {
	n := opt.rows
	file := filepath.Join(opt.tmp, fmt.Sprintf("export-%d.csv", n))
	writeExport(file, n)
	dataDir := filepath.Join(opt.tmp, "data-import")
	clean, killed := dbName("clean"), dbName("killed")
	dbs.create(clean)
	dbs.create(killed)
	migrateUp(bin, dbs.spec(clean))
	migrateUp(bin, dbs.spec(killed))

	c := runImport(ctx, bin, dbs.spec(clean), dataDir, file, 0)
	logf("import-kill: clean run %+v in %.1fs", c.counts, c.elapsed.Seconds())
	again := runImport(ctx, bin, dbs.spec(clean), dataDir, file, 0)
	logf("import-kill: same file again %+v", again.counts)

	at := c.elapsed * 2 / 5
	k := runImport(ctx, bin, dbs.spec(killed), dataDir, file, at)
	dk := dbs.open(killed, false)
	var partial int
	dk.QueryRow("SELECT COUNT(*) FROM complaints").Scan(&partial)
	logf("import-kill: killed after %v (%s): %d complaints committed", at.Round(time.Millisecond), k.exit, partial)
	r := runImport(ctx, bin, dbs.spec(killed), dataDir, file, 0)
	logf("import-kill: rerun %+v", r.counts)

	dc := dbs.open(clean, false)
	cn, ch := ledgerHash(dc)
	kn, kh := ledgerHash(dk)
	var ce, ke, cr, kr int
	dc.QueryRow("SELECT COUNT(*) FROM events").Scan(&ce)
	dk.QueryRow("SELECT COUNT(*) FROM events").Scan(&ke)
	dc.QueryRow("SELECT COUNT(*) FROM import_rejects").Scan(&cr)
	dk.QueryRow("SELECT COUNT(*) FROM import_rejects").Scan(&kr)
	lcC, lcK := checkLedger(dc), checkLedger(dk)
	dc.Close()
	dk.Close()
	fmt.Printf("\nimport-kill (%d rows): clean run %d complaints / %d events / %d rejects, hash %s\n", n, cn, ce, cr, ch)
	fmt.Printf("killed at %v with %d committed, rerun (%d imported, %d unchanged): %d complaints / %d events / %d rejects, hash %s\n",
		at.Round(time.Millisecond), partial, r.counts.Imported, r.counts.Unchanged, kn, ke, kr, kh)
	fmt.Printf("same file twice on the clean ledger: %d imported, %d unchanged, %d updated\n", again.counts.Imported, again.counts.Unchanged, again.counts.Updated)
	ok := k.killed && partial > 0 && partial < n && cn == n && kn == cn && ch == kh && ce == ke && cr == kr &&
		lcC.orphans == 0 && lcK.orphans == 0 && again.counts.Imported == 0 && again.counts.Unchanged == n
	verdictLine(ok, fmt.Sprintf("import-kill: killed with %d/%d committed; rerun ledger %d complaints hash %s vs clean %d hash %s; events %d vs %d",
		partial, n, kn, kh, cn, ch, ke, ce))
	if !ok {
		return 1
	}
	return 0
}
