package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// request is one request a worker makes; check sees the answer.
type request struct {
	method, url string
	body        []byte
	check       func(status int, body []byte)
}

// genFunc makes the next request of worker w.
type genFunc func(w int, rnd *rand.Rand) request

type randT = rand.Rand

// stats is what one bounded load run measured.
type stats struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration // every request's latency (bounded by maxSamples)
	status  map[int]int
	errs    map[string]int // transport errors by kind
}

const maxSamples = 2_000_000

func (s *stats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.n) / s.elapsed.Seconds()
}

func (s *stats) pct(p float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	sort.Slice(s.lat, func(i, j int) bool { return s.lat[i] < s.lat[j] })
	i := int(p * float64(len(s.lat)-1))
	return s.lat[i]
}

// errors counts 5xx, other non-2xx the caller did not expect, and transport
// errors. ok says which statuses count as success.
func (s *stats) failures(ok func(int) bool) int {
	n := 0
	for st, c := range s.status {
		if !ok(st) {
			n += c
		}
	}
	for _, c := range s.errs {
		n += c
	}
	return n
}

func (s *stats) merge(o *stats) {
	if s.status == nil {
		s.status, s.errs = map[int]int{}, map[string]int{}
	}
	s.n += o.n
	s.elapsed += o.elapsed
	s.lat = append(s.lat, o.lat...)
	for k, v := range o.status {
		s.status[k] += v
	}
	for k, v := range o.errs {
		s.errs[k] += v
	}
}

func newClient(conc int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conc * 2,
			MaxIdleConnsPerHost: conc * 2,
			MaxConnsPerHost:     conc * 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// errKind names a transport error for the report.
func errKind(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "conn-refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "conn-reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "Timeout"):
		return "timeout"
	}
	return "other"
}

// runLoad runs conc workers for d (or until ctx ends), each doing requests
// one after the other on a keep-alive client. The run is bounded by d; a
// request in flight at the deadline is waited for (client timeout 60 s).
func runLoad(ctx context.Context, client *http.Client, conc int, d time.Duration, gen genFunc) *stats {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	per := make([]*stats, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		st := &stats{status: map[int]int{}, errs: map[string]int{}}
		per[w] = st
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w)+uint64(start.UnixNano()), 7))
			for ctx.Err() == nil {
				rq := gen(w, rnd)
				var body io.Reader
				if rq.body != nil {
					body = bytes.NewReader(rq.body)
				}
				// The request itself is not tied to ctx: one in flight at the
				// deadline finishes, as a real client's would.
				req, _ := http.NewRequest(rq.method, rq.url, body)
				if rq.body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					st.n++
					st.errs[errKind(err)]++
					if rq.check != nil {
						rq.check(-1, nil)
					}
					time.Sleep(20 * time.Millisecond) // do not spin on a refused port
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat := time.Since(t)
				st.n++
				if err != nil {
					st.errs[errKind(err)]++
					continue
				}
				st.status[resp.StatusCode]++
				if len(st.lat) < maxSamples/conc {
					st.lat = append(st.lat, lat)
				}
				if rq.check != nil {
					rq.check(resp.StatusCode, b)
				}
			}
		}(w)
	}
	wg.Wait()
	total := &stats{status: map[int]int{}, errs: map[string]int{}}
	for _, st := range per {
		total.merge(st)
	}
	total.elapsed = time.Since(start)
	return total
}
