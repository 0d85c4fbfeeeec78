package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
)

// kindStats counts answers per request kind and status.
type kindStats struct {
	mu  sync.Mutex
	m   map[string]map[int]int
	cjk map[string]int // 5xx/503 answers whose body carries a Chinese message, per kind
}

func newKindStats() *kindStats {
	return &kindStats{m: map[string]map[int]int{}, cjk: map[string]int{}}
}

func (k *kindStats) add(kind string, st int, body []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m[kind] == nil {
		k.m[kind] = map[int]int{}
	}
	k.m[kind][st]++
	if st >= 500 && hasChinese(body) {
		k.cjk[kind]++
	}
}

func (k *kindStats) count(pred func(st int) bool) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, m := range k.m {
		for st, c := range m {
			if pred(st) {
				n += c
			}
		}
	}
	return n
}

func (k *kindStats) String() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var kinds []string
	for kind := range k.m {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	var b strings.Builder
	for _, kind := range kinds {
		var sts []int
		for st := range k.m[kind] {
			sts = append(sts, st)
		}
		sort.Ints(sts)
		fmt.Fprintf(&b, "  %-8s", kind)
		for _, st := range sts {
			name := fmt.Sprint(st)
			if st == -1 {
				name = "transport-error"
			}
			fmt.Fprintf(&b, " %s×%d", name, k.m[kind][st])
		}
		b.WriteString("\n")
	}
	return b.String()
}

func hasChinese(b []byte) bool {
	var v struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	s := string(b)
	if json.Unmarshal(b, &v) == nil && v.Error.Message != "" {
		s = v.Error.Message
	}
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// mixGen is the load run's mix: 20% filings, 50% tracking lookups of known
// codes, 30% page views. Every answer is counted per kind; 201 codes go to
// book.
func mixGen(base string, book *codeBook, known []string, ks *kindStats) genFunc {
	file := filingGen(base+"/api/v1/complaints", book)
	track := trackGen(base+"/api/v1/track", known)
	pages := pagesGen(base+"/", base+"/report")
	wrap := func(kind string, rq request) request {
		inner := rq.check
		rq.check = func(st int, b []byte) {
			ks.add(kind, st, b)
			if inner != nil {
				inner(st, b)
			}
		}
		return rq
	}
	return func(w int, rnd *rand.Rand) request {
		switch x := rnd.IntN(10); {
		case x < 2:
			return wrap("filing", file(w, rnd))
		case x < 7:
			return wrap("tracking", track(w, rnd))
		default:
			return wrap("page", pages(w, rnd))
		}
	}
}

// seedCodes files n complaints and returns their codes.
func seedCodes(ctx context.Context, base string, n int, book *codeBook) []string {
	before := len(book.snapshot())
	runLoadN(ctx, 8, n, filingGen(base+"/api/v1/complaints", book))
	codes := book.snapshot()
	if len(codes)-before < n/2 {
		fatalf("seeding: only %d of %d filings answered 201", len(codes)-before, n)
	}
	return codes
}

// verifyCodes looks every code up with POST /api/v1/track and returns how
// many were not found (or did not answer 200).
func verifyCodes(ctx context.Context, base string, codes []string) (missing int, statuses map[int]int) {
	client := newClient(16)
	statuses = map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ch := make(chan string)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for code := range ch {
				b, _ := json.Marshal(map[string]string{"code": code})
				st := -1
				for try := 0; try < 3; try++ {
					resp, err := client.Post(base+"/api/v1/track", "application/json", strings.NewReader(string(b)))
					if err == nil {
						resp.Body.Close()
						st = resp.StatusCode
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
				mu.Lock()
				statuses[st]++
				if st != 200 {
					missing++
				}
				mu.Unlock()
			}
		}()
	}
	for _, c := range codes {
		if ctx.Err() != nil {
			break
		}
		ch <- c
	}
	close(ch)
	wg.Wait()
	return missing, statuses
}

// ledgerCheck counts resident filings (web/api) and complaints without any
// event (a half-written filing).
type ledgerCheck struct {
	filings, orphans, total int
}

func checkLedger(d *sql.DB) ledgerCheck {
	var c ledgerCheck
	d.QueryRow("SELECT COUNT(*) FROM complaints WHERE channel IN ('web','api')").Scan(&c.filings)
	d.QueryRow("SELECT COUNT(*) FROM complaints").Scan(&c.total)
	d.QueryRow("SELECT COUNT(*) FROM complaints c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.complaint_id = c.id)").Scan(&c.orphans)
	return c
}

func uniq(codes []string) int {
	m := map[string]bool{}
	for _, c := range codes {
		m[c] = true
	}
	return len(m)
}

// runLoadScenario is issue 10's load run.
func runLoadScenario(ctx context.Context, dbs *dbServer, bin string) int {
	name := dbName("load")
	dbs.create(name)
	srv, err := startServer(ctx, bin, dbs.spec(name), filepath.Join(opt.tmp, "data"), filepath.Join(opt.tmp, "serve.log"), "")
	if err != nil {
		fatalf("%v", err)
	}
	book := &codeBook{}
	known := seedCodes(ctx, srv.base, 300, book)
	ks := newKindStats()
	logf("load: %d clients for %v against %s (20%% filings, 50%% tracking, 30%% pages), load average %s", opt.conc, opt.duration, srv.addr, loadavg())
	p := pollRSS(srv.cmd.Process.Pid, 200*time.Millisecond)
	st := runLoad(ctx, newClient(opt.conc), opt.conc, opt.duration, mixGen(srv.base, book, known, ks))
	rss := p.Stop()
	codes := book.snapshot()
	d := dbs.open(name, false)
	lc := checkLedger(d)
	d.Close()
	missing, vst := verifyCodes(ctx, srv.base, codes)
	srv.stop(30 * time.Second)

	fivexx := ks.count(func(s int) bool { return s >= 500 })
	terr := ks.count(func(s int) bool { return s == -1 })
	fmt.Printf("\nload run: %d requests in %.1fs = %.0f req/s, p50 %s, p99 %s, server peak RSS %s, %d clients, load average %s\n",
		st.n, st.elapsed.Seconds(), st.rate(), ms(st.pct(0.5)), ms(st.pct(0.99)), mib(rss), opt.conc, loadavg())
	fmt.Printf("answers per kind and status (seeding: 300 filings before the run):\n%s", ks)
	fmt.Printf("database: %d resident filings (channel web/api) for %d answers 201 (%d distinct codes); %d complaints without an event; tracking lookups of every 201 code: %d missing %v\n",
		lc.filings, len(codes), uniq(codes), lc.orphans, missing, vst)
	ok := fivexx == 0 && terr == 0 && lc.filings == len(codes) && uniq(codes) == len(codes) && missing == 0 && lc.orphans == 0
	verdictLine(ok, fmt.Sprintf("load: %.0f req/s, %d 5xx, %d transport errors, %d/%d filings in the database, %d codes missing, %d half-written",
		st.rate(), fivexx, terr, lc.filings, len(codes), missing, lc.orphans))
	if !ok {
		return 1
	}
	return 0
}

func verdictLine(ok bool, s string) {
	v := "PASS"
	if !ok {
		v = "FAIL"
	}
	fmt.Printf("VERDICT %s — %s\n", v, s)
}

func ledgerHash(d *sql.DB) (n int, hash string) {
	rows, err := d.Query("SELECT source_ref, source_hash FROM complaints WHERE channel = 'hotline' ORDER BY source_ref")
	if err != nil {
		fatalf("ledger hash: %v", err)
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var ref sql.NullString
		var sh string
		rows.Scan(&ref, &sh)
		fmt.Fprintf(h, "%s\t%s\n", ref.String, sh)
		n++
	}
	return n, hex.EncodeToString(h.Sum(nil))[:16]
}
