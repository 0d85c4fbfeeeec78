package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

func runAttack(ctx context.Context, dbs *dbServer, bin, which string) int {
	switch which {
	case "login":
		return attackLogin(ctx, dbs, bin)
	}
	fatalf("-attack: unknown scenario %q (login)", which)
	return 2
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// loginClient is one browser at the login form: its cookies, its CSRF
// token, and the address it claims through the trusted proxy.
type loginClient struct {
	http *http.Client
	csrf string
	addr string
}

func newLoginClient(base, addr string) (*loginClient, error) {
	jar, _ := cookiejar.New(nil)
	c := &loginClient{addr: addr, http: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	req, _ := http.NewRequest("GET", base+"/office/login", nil)
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("login form without a CSRF token (%d)", resp.StatusCode)
	}
	c.csrf = string(m[1])
	return c, nil
}

// post sends one login with an unknown name; it returns the status (-1 for
// a transport error) and whether a 429 or 503 carried Retry-After.
func (c *loginClient) post(base string) (int, bool) {
	form := url.Values{"csrf": {c.csrf}, "username": {fmt.Sprintf("nobody%08d", rand.IntN(1e8))}, "password": {"not the password"}}
	req, _ := http.NewRequest("POST", base+"/office/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", c.addr)
	resp, err := c.http.Do(req)
	if err != nil {
		return -1, false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After") != ""
}

// burst sends one login from each client at the same moment and counts
// the answers by status ("503+RA" for a 503 with Retry-After).
func burst(base string, clients []*loginClient) map[string]int {
	var mu sync.Mutex
	out := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st, ra := c.post(base)
			k := fmt.Sprint(st)
			if ra && (st == 429 || st == 503) {
				k += "+RA"
			}
			mu.Lock()
			out[k]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func addCounts(a, b map[string]int) {
	for k, v := range b {
		a[k] += v
	}
}

func countsString(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// attackLogin is issue 20 item 2: forty logins at once with unknown names
// made forty 64 MiB argon2id hashes (161 MiB → 2,598 MiB). The server runs
// behind a trusted proxy (127.0.0.1) so that each attacker can claim its
// own address, as a botnet would have. Phase 1: 40 clients, 5 bursts of 40
// logins at once, peak RSS against the idle RSS; every answer must be a
// 401 or a 503 with Retry-After. Phase 2: one client, 40 at once: at most
// 11 may reach a hash (auth.ClientFree + 1), the rest are 429 with
// Retry-After. Older binaries can be measured with -bin.
func attackLogin(ctx context.Context, dbs *dbServer, bin string) int {
	name := dbName("attack")
	dbs.create(name)
	dataDir := filepath.Join(opt.tmp, "data")
	srv, err := startServer(ctx, bin, dbs.spec(name), dataDir, filepath.Join(opt.tmp, "serve.log"), "",
		"--trusted-proxies", "127.0.0.1", "--rate-limits", "on")
	if err != nil {
		fatalf("%v", err)
	}
	defer srv.stop(30 * time.Second)
	pid := srv.cmd.Process.Pid

	mk := func(n int, addr func(i int) string) []*loginClient {
		var cs []*loginClient
		for i := 0; i < n; i++ {
			c, err := newLoginClient(srv.base, addr(i))
			if err != nil {
				fatalf("login form: %v", err)
			}
			cs = append(cs, c)
		}
		return cs
	}
	many := mk(40, func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) })
	time.Sleep(2 * time.Second) // let the start-up settle
	idle, _ := rssKiB(pid)
	logf("attack login: idle RSS %d MiB; 5 bursts of 40 logins with unknown names from 40 addresses", idle>>10)
	poll := pollRSS(pid, 20*time.Millisecond)
	start := time.Now()
	p1 := map[string]int{}
	for round := 0; round < 5; round++ {
		addCounts(p1, burst(srv.base, many))
	}
	p1Time := time.Since(start)
	peak := poll.Stop()

	one := mk(40, func(int) string { return "203.0.113.99" })
	p2 := burst(srv.base, one)

	okCodes := func(m map[string]int, allowed ...string) int {
		bad := 0
		for k, v := range m {
			if !contains(allowed, k) {
				bad += v
			}
		}
		return bad
	}
	growth := (peak - idle) >> 10
	p1Bad := okCodes(p1, "401", "503+RA")
	p2Checked := p2["401"]
	p2Bad := okCodes(p2, "401", "429+RA")

	fmt.Printf("\nlogin attack against %s\n", bin)
	fmt.Printf("phase 1 (40 addresses, 5×40 at once, %.1fs): %s\n", p1Time.Seconds(), countsString(p1))
	fmt.Printf("server RSS: idle %d MiB, peak %d MiB (+%d MiB)\n", idle>>10, peak>>10, growth)
	fmt.Printf("phase 2 (one address, 40 at once): %s\n", countsString(p2))
	ok := growth <= 160 && p1Bad == 0 && p2Bad == 0 && p2Checked <= 11
	verdictLine(ok, fmt.Sprintf("login attack: peak RSS +%d MiB (limit 160) under 200 logins with unknown names, %d answers other than 401 or 503+Retry-After; one address: %d of 40 checked (limit 11), %d answers other than 401 or 429+Retry-After",
		growth, p1Bad, p2Checked, p2Bad))
	if !ok {
		return 1
	}
	return 0
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
