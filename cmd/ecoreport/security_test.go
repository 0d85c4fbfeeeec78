package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// noGzip is a client that neither asks for nor undoes compression, so the
// test sees what went over the wire.
var noGzip = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// TestHeadGzipAndMetricsOnTheRunningService: HEAD answers like GET on the
// public pages, pages are gzipped for a browser that asks, and /metrics is
// on its own loopback listener, not on the public one.
func TestHeadGzipAndMetricsOnTheRunningService(t *testing.T) {
	m, _ := MustRunMain(t)
	base := "http://" + m.Addr()
	for _, path := range []string{"/", "/healthz", "/stats", "/report", "/office/login"} {
		t.Run("HEAD"+path, func(t *testing.T) {
			req, _ := http.NewRequest("HEAD", base+path, nil)
			resp, err := noGzip.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || len(b) != 0 || resp.Header.Get("Content-Type") == "" {
				t.Fatalf("HEAD %s: %d, %d bytes, %v", path, resp.StatusCode, len(b), resp.Header)
			}
		})
	}
	t.Run("GzipHomePage", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+"/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := noGzip.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		if !strings.Contains(string(b), "</html>") {
			t.Fatalf("%.200s", b)
		}
	})
	t.Run("MetricsNotPublic", func(t *testing.T) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || strings.Contains(string(b), "ecoreport_http") {
			t.Fatalf("public /metrics: %d %.200s", resp.StatusCode, b)
		}
	})
	t.Run("MetricsOnLoopback", func(t *testing.T) {
		if !strings.HasPrefix(m.MetricsAddr(), "127.0.0.1:") {
			t.Fatalf("metrics on %q", m.MetricsAddr())
		}
		resp, err := http.Get("http://" + m.MetricsAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), `ecoreport_http_requests_total{method="HEAD",route="/healthz",status="200"}`) {
			t.Fatalf("%d %.300s", resp.StatusCode, b)
		}
	})
}

// TestStopDrainsBeforeClosing: while a stopping service is in its grace
// period, /healthz says 503, pages still answer and each response closes
// its connection; afterwards nothing listens.
func TestStopDrainsBeforeClosing(t *testing.T) {
	m, _ := MustRunMain(t)
	m.Config.ShutdownGrace = 1500 * time.Millisecond
	base := "http://" + m.Addr()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); m.Close() }()
	time.Sleep(300 * time.Millisecond)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("healthz during the grace period: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || !resp.Close {
		t.Fatalf("healthz while stopping: %d, close %v", resp.StatusCode, resp.Close)
	}
	resp, err = http.Get(base + "/")
	if err != nil {
		t.Fatalf("page during the grace period: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("page while stopping: %d, close %v", resp.StatusCode, resp.Close)
	}
	wg.Wait()
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after Close")
	}
}
