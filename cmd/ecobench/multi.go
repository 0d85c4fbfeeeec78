package main

// The multi-instance load run (-load -multi): two `ecoreport serve` on two
// nodes of a Galera cluster (or two instances already running, -instances),
// filings spread over both, each code looked up on the other instance as
// soon as it is filed, then the checks of issue 22: no 5xx, every 201 in the
// database exactly once (seen from every node), codes found at once on the
// other instance, the audit chain verified on every node. With -kill-node
// and -recover-node a second phase kills the second instance's node with -9
// under load: that instance may answer only 503, a client retries on the
// other instance with the same Idempotency-Key, nothing is lost or filed
// twice, and after recovery the instance files again.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var multi struct {
	on          bool
	nodes       string
	instances   string
	keyFile     string
	filings     int
	clients     int
	killCmd     string
	recoverCmd  string
	killFilings int
}

func init() {
	flag.BoolVar(&multi.on, "multi", false, "with -load: two instances on two nodes of a Galera cluster (-nodes), filings and lookups spread over both (issue 22)")
	flag.StringVar(&multi.nodes, "nodes", "", "with -multi: the cluster's nodes, comma-separated mysql DSNs (first two carry the instances; the audit chain is verified on every one)")
	flag.StringVar(&multi.instances, "instances", "", "with -multi: base URLs of two instances already running (comma-separated) instead of starting them; -nodes then name their database")
	flag.StringVar(&multi.keyFile, "multi-key-file", "", "with -multi -instances: the instances' data key, for audit verify")
	flag.IntVar(&multi.filings, "filings", 2000, "with -multi: filings in the main phase")
	flag.IntVar(&multi.clients, "multi-clients", 16, "with -multi: concurrent clients")
	flag.StringVar(&multi.killCmd, "kill-node", "", "with -multi: shell command that kills the second instance's node with -9 (starts the kill phase)")
	flag.StringVar(&multi.recoverCmd, "recover-node", "", "with -multi: shell command that brings that node back (--wsrep-recover, then start)")
	flag.IntVar(&multi.killFilings, "kill-filings", 600, "with -multi: filings in the kill phase")
}

// instStats counts answers per instance, kind and status (-1: transport
// error).
type instStats struct {
	mu sync.Mutex
	m  map[string]map[int]int // "A filing" → status → count
}

func (s *instStats) add(inst int, kind string, st int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]map[int]int{}
	}
	k := fmt.Sprintf("%c %s", 'A'+inst, kind)
	if s.m[k] == nil {
		s.m[k] = map[int]int{}
	}
	s.m[k][st]++
}

// count sums the answers of inst (-1: any) whose status satisfies pred.
func (s *instStats) count(inst int, kind string, pred func(int) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, m := range s.m {
		if inst >= 0 && k[0] != byte('A'+inst) {
			continue
		}
		if kind != "" && !strings.HasSuffix(k, " "+kind) {
			continue
		}
		for st, c := range m {
			if pred(st) {
				n += c
			}
		}
	}
	return n
}

func (s *instStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		var sts []int
		for st := range s.m[k] {
			sts = append(sts, st)
		}
		sort.Ints(sts)
		fmt.Fprintf(&b, "  %-12s", k)
		for _, st := range sts {
			name := fmt.Sprint(st)
			if st == -1 {
				name = "transport-error"
			}
			fmt.Fprintf(&b, " %s×%d", name, s.m[k][st])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// multiRun is the state of one -multi run.
type multiRun struct {
	base   [2]string
	client *http.Client
	book   codeBook
	known  atomic.Int64 // codes in book
}

// post sends body (JSON) to url with an Idempotency-Key when key is set.
func (m *multiRun) post(url string, body []byte, key string) (int, []byte) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return -1, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1, nil
	}
	return resp.StatusCode, b
}

func (m *multiRun) track(inst int, code string) int {
	b, _ := json.Marshal(map[string]string{"code": code})
	st, _ := m.post(m.base[inst]+"/api/v1/track", b, "")
	return st
}

func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func trackingCode(b []byte) string {
	var out struct {
		Code string `json:"tracking_code"`
	}
	json.Unmarshal(b, &out)
	return out.Code
}

// phase files n complaints from clients workers, filing i through instance
// i%2 and looking the code up at once on the other one, with a lookup of an
// earlier code on either instance after each filing. When failover is set,
// a filing that instance B does not answer with 201 is sent again, same
// body and Idempotency-Key, to instance A (a client or load balancer
// retrying elsewhere). during(i) runs once the i-th filing has started.
func (m *multiRun) phase(ctx context.Context, n, clients int, st *instStats, failover bool, at int, during func()) (codes []string, keys int) {
	var next atomic.Int64
	var once sync.Once
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := mrand.New(mrand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				i := int(next.Add(1))
				if i > n {
					return
				}
				if during != nil && i == at {
					once.Do(func() { go during() })
				}
				from := i % 2
				body, key := filingBody(rnd), newKey()
				s, b := m.post(m.base[from]+"/api/v1/complaints", body, key)
				st.add(from, "filing", s)
				if s != 201 && failover && from == 1 {
					for try := 0; try < 5 && s != 201; try++ {
						s, b = m.post(m.base[0]+"/api/v1/complaints", body, key)
						st.add(0, "retry", s)
						if s != 201 {
							time.Sleep(time.Duration(100*(try+1)) * time.Millisecond)
						}
					}
					from = 0
				}
				mu.Lock()
				keys++
				mu.Unlock()
				if s != 201 {
					continue
				}
				code := trackingCode(b)
				mu.Lock()
				codes = append(codes, code)
				mu.Unlock()
				m.book.add(code)
				m.known.Add(1)
				if failover {
					// B's node may be down: the at-once lookup goes to A.
					st.add(0, "lookup", m.track(0, code))
				} else {
					st.add(1-from, "cross", m.track(1-from, code))
				}
				if k := m.known.Load(); k > 0 {
					old := m.book.snapshot()
					inst := rnd.IntN(2)
					if failover {
						inst = 0
					}
					st.add(inst, "lookup", m.track(inst, old[rnd.IntN(len(old))]))
				}
			}
		}()
	}
	wg.Wait()
	return codes, keys
}

// runMulti is -load -multi.
func runMulti(ctx context.Context, bin string) int {
	var nodes []*dbServer
	for _, n := range strings.Split(multi.nodes, ",") {
		if n = strings.TrimSpace(n); n != "" {
			if !strings.HasPrefix(n, "mysql:") {
				n = "mysql:" + n
			}
			nodes = append(nodes, parseDB(n))
		}
	}
	if len(nodes) < 2 {
		fatalf("-multi needs -nodes with at least two nodes of one cluster")
	}
	for i, n := range nodes {
		logf("node %d: %s, MariaDB %s, %s", i+1, n.cfg.Addr, n.version(), n.wsrep())
	}
	m := &multiRun{client: newClient(multi.clients)}
	name := ""
	keyFile := multi.keyFile
	var srv [2]*server
	if multi.instances != "" {
		urls := strings.Split(multi.instances, ",")
		if len(urls) != 2 {
			fatalf("-instances takes two base URLs")
		}
		m.base = [2]string{strings.TrimRight(urls[0], "/"), strings.TrimRight(urls[1], "/")}
		name = nodes[0].cfg.DBName
		if name == "" {
			fatalf("with -instances, -nodes must name the instances' database")
		}
	} else {
		name = dbName("multi")
		nodes[0].create(name)
		defer nodes[0].dropAll()
		// One data key for both instances: tracking codes are HMACs under
		// it, so an instance with another key would find no code filed on
		// the other. Each keeps its own audit checkpoints file.
		dirA, dirB := filepath.Join(opt.tmp, "a"), filepath.Join(opt.tmp, "b")
		keyFile = filepath.Join(dirA, "ecoreport.key")
		var err error
		if srv[0], err = startServer(ctx, bin, nodes[0].spec(name), dirA, filepath.Join(opt.tmp, "serve-a.log"), ""); err != nil {
			fatalf("instance A: %v", err)
		}
		if srv[1], err = startServer(ctx, bin, nodes[1].spec(name), dirB, filepath.Join(opt.tmp, "serve-b.log"), "",
			"--key-file", keyFile, "--audit-checkpoints", filepath.Join(dirB, "audit-checkpoints.jsonl")); err != nil {
			fatalf("instance B: %v", err)
		}
		m.base = [2]string{srv[0].base, srv[1].base}
		defer func() {
			for _, s := range srv {
				if s != nil {
					s.stop(30 * time.Second)
				}
			}
		}()
	}
	logf("multi: instance A %s on node 1, instance B %s on node 2, database %s", m.base[0], m.base[1], name)

	var polls [2]*rssPoller
	for i, s := range srv {
		if s != nil {
			polls[i] = pollRSS(s.cmd.Process.Pid, 200*time.Millisecond)
		}
	}
	ok := true
	fail := func(f string, a ...any) {
		ok = false
		fmt.Printf("FAIL: "+f+"\n", a...)
	}

	// --- main phase ---------------------------------------------------------
	st := &instStats{}
	logf("multi: %d filings from %d clients across both instances, each code looked up at once on the other, load average %s", multi.filings, multi.clients, loadavg())
	t0 := time.Now()
	codes, _ := m.phase(ctx, multi.filings, multi.clients, st, false, 0, nil)
	el := time.Since(t0)
	fmt.Printf("\nmulti-instance run: %d filings in %.1fs (%.0f/s), %d clients; answers per instance, kind and status:\n%s",
		multi.filings, el.Seconds(), float64(multi.filings)/el.Seconds(), multi.clients, st)
	if n := st.count(-1, "", func(s int) bool { return s >= 500 || s == -1 }); n > 0 {
		fail("%d answers 5xx or transport errors", n)
	}
	if n := st.count(-1, "filing", func(s int) bool { return s == 201 }); n != multi.filings {
		fail("%d of %d filings answered 201", n, multi.filings)
	}
	if n := st.count(-1, "cross", func(s int) bool { return s != 200 }); n > 0 {
		fail("%d codes not found at once on the other instance (read-your-writes across nodes)", n)
	}
	if n := st.count(-1, "lookup", func(s int) bool { return s != 200 }); n > 0 {
		fail("%d lookups of earlier codes did not answer 200", n)
	}
	if uniq(codes) != len(codes) {
		fail("%d distinct codes for %d answers 201", uniq(codes), len(codes))
	}
	allCodes := codes

	// --- kill phase ---------------------------------------------------------
	if multi.killCmd != "" && ctx.Err() == nil {
		multi.killFilings = max(multi.killFilings, 8)
		kst := &instStats{}
		logf("multi: kill phase: %d filings; after a quarter of them node 2 (instance B's) is killed with -9", multi.killFilings)
		killed := make(chan error, 1)
		kcodes, keys := m.phase(ctx, multi.killFilings, multi.clients, kst, true, multi.killFilings/4, func() {
			logf("multi: %s", multi.killCmd)
			killed <- shell(ctx, multi.killCmd)
		})
		if err := <-killed; err != nil {
			fail("kill command: %v", err)
		}
		fmt.Printf("\nkill phase: %d filings (B's unanswered ones retried on A with the same Idempotency-Key):\n%s", multi.killFilings, kst)
		if n := kst.count(1, "", func(s int) bool { return s != 201 && s != 200 && s != 503 }); n > 0 {
			fail("instance B, its node killed: %d answers other than 201/200/503 (5xx other than 503, or transport errors)", n)
		}
		if n := kst.count(0, "", func(s int) bool { return s >= 500 || s == -1 }); n > 0 {
			fail("instance A, its node alive: %d answers 5xx or transport errors", n)
		}
		if n := kst.count(0, "lookup", func(s int) bool { return s != 200 }); n > 0 {
			fail("instance A: %d lookups of codes filed before did not answer 200", n)
		}
		if len(kcodes) != keys {
			fail("%d of %d filings ended without 201 after the retries", keys-len(kcodes), keys)
		}
		allCodes = append(allCodes, kcodes...)
		if multi.recoverCmd != "" && ctx.Err() == nil {
			logf("multi: %s", multi.recoverCmd)
			t := time.Now()
			if err := shell(ctx, multi.recoverCmd); err != nil {
				fail("recover command: %v", err)
			} else {
				logf("multi: node 2 back after %.1fs", time.Since(t).Seconds())
			}
			// B files again once its pool reaches the node again.
			s := 0
			for try := 0; try < 60 && ctx.Err() == nil; try++ {
				var b []byte
				s, b = m.post(m.base[1]+"/api/v1/complaints", filingBody(mrand.New(mrand.NewPCG(1, uint64(try)))), newKey())
				if s == 201 {
					c := trackingCode(b)
					allCodes = append(allCodes, c)
					if ts := m.track(0, c); ts != 200 {
						fail("a code filed on B after recovery: %d on A", ts)
					}
					logf("multi: instance B files again (after %d tries)", try+1)
					break
				}
				time.Sleep(time.Second)
			}
			if s != 201 {
				fail("instance B does not file after its node recovered (last answer %d)", s)
			}
		}
	}

	var rss [2]int64
	for i, p := range polls {
		if p != nil {
			rss[i] = p.Stop()
		}
	}
	fmt.Printf("instances' peak RSS: A %s, B %s\n", mib(rss[0]), mib(rss[1]))

	// --- every 201 in the database exactly once, seen from every node ----
	if uniq(allCodes) != len(allCodes) {
		fail("%d distinct codes for %d answers 201 over the run", uniq(allCodes), len(allCodes))
	}
	for i, n := range nodes {
		d := n.open(name, false)
		if n.galera() {
			// One connection, reading what every node committed before.
			d.SetMaxOpenConns(1)
			d.SetMaxIdleConns(1)
			d.Exec("SET SESSION wsrep_sync_wait = 1")
		}
		lc := checkLedger(d)
		d.Close()
		fmt.Printf("node %d: %d resident filings (web/api) for %d answers 201; %d complaints without an event\n", i+1, lc.filings, len(allCodes), lc.orphans)
		if lc.filings != len(allCodes) {
			fail("node %d holds %d filings for %d answers 201 (lost, or filed twice)", i+1, lc.filings, len(allCodes))
		}
		if lc.orphans != 0 {
			fail("node %d: %d half-written filings", i+1, lc.orphans)
		}
	}
	for inst := range 2 {
		missing, vst := verifyCodes(ctx, m.base[inst], allCodes)
		fmt.Printf("instance %c: every 201 code looked up: %d missing %v\n", 'A'+inst, missing, vst)
		if missing > 0 {
			fail("instance %c does not find %d codes", 'A'+inst, missing)
		}
	}

	// --- the audit chain on every node --------------------------------------
	for _, s := range srv {
		if s != nil {
			s.stop(30 * time.Second)
		}
	}
	srv = [2]*server{}
	for i, n := range nodes {
		args := []string{"audit", "verify", "--db", n.spec(name), "--audit-checkpoints", filepath.Join(opt.tmp, fmt.Sprintf("verify-%d.jsonl", i+1))}
		if keyFile != "" {
			args = append(args, "--key-file", keyFile)
		}
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		fmt.Printf("node %d: ecoreport audit verify: %s", i+1, out)
		if err != nil {
			fail("audit verify on node %d: %v", i+1, err)
		}
	}
	verdictLine(ok, fmt.Sprintf("multi: %d filings over two instances on two nodes (%d answers 201 in all), %d 5xx in the main phase",
		multi.filings, len(allCodes), st.count(-1, "", func(s int) bool { return s >= 500 })))
	if !ok {
		return 1
	}
	return 0
}

func shell(ctx context.Context, command string) error {
	cmd := exec.CommandContext(ctx, "bash", "-c", command)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// galera tells whether the server replicates with Galera.
func (s *dbServer) galera() bool {
	d := s.open("", false)
	defer d.Close()
	var k, v string
	if d.QueryRow("SHOW VARIABLES LIKE 'wsrep_on'").Scan(&k, &v) != nil {
		return false
	}
	return strings.EqualFold(v, "ON")
}

// wsrep describes the node's place in its cluster.
func (s *dbServer) wsrep() string {
	if !s.galera() {
		return "not a Galera node"
	}
	d := s.open("", false)
	defer d.Close()
	var k, size, state string
	d.QueryRow("SHOW STATUS LIKE 'wsrep_cluster_size'").Scan(&k, &size)
	d.QueryRow("SHOW STATUS LIKE 'wsrep_local_state_comment'").Scan(&k, &state)
	return fmt.Sprintf("Galera, cluster of %s, %s", size, state)
}
