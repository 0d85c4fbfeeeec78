package web

import (
	"net/http"
	"net/http/httptest"

	"bytes"
	"github.com/gin-gonic/gin"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is the process's stderr in tests: safe to read while the
// LogBuffer's flusher writes.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }
func (l *lockedBuffer) Writes() int    { l.mu.Lock(); defer l.mu.Unlock(); return l.writes }

func TestLogBuffer(t *testing.T) {
	t.Run("InfoWaitsWarnFlushes", func(t *testing.T) {
		out := &lockedBuffer{}
		lb := NewLogBuffer(out, time.Hour)
		defer lb.Close()
		log := slog.New(lb.Handler(slog.NewTextHandler(lb, nil))).With("surface", "test")
		for i := range 100 {
			log.Info("request", "i", i)
		}
		if out.Writes() != 0 {
			t.Fatalf("%d writes before a flush", out.Writes())
		}
		log.Warn("something")
		if got := out.String(); strings.Count(got, "msg=request") != 100 || !strings.HasSuffix(got, "level=WARN msg=something surface=test\n") || out.Writes() != 1 {
			t.Fatalf("%d writes:\n%s", out.Writes(), got)
		}
	})
	t.Run("FullBufferIsWritten", func(t *testing.T) {
		out := &lockedBuffer{}
		lb := NewLogBuffer(out, time.Hour)
		defer lb.Close()
		line := strings.Repeat("x", 1000) + "\n"
		for range 100 {
			lb.Write([]byte(line))
		}
		if n := strings.Count(out.String(), "\n"); n < 60 || n == 100 {
			t.Fatalf("%d of 100 lines written before a flush", n)
		}
		big := strings.Repeat("y", logBufferMax+1)
		lb.Write([]byte(big))
		if !strings.HasSuffix(out.String(), big) {
			t.Fatal("an oversized line was not written")
		}
	})
	t.Run("TickerFlushes", func(t *testing.T) {
		out := &lockedBuffer{}
		lb := NewLogBuffer(out, time.Millisecond)
		defer lb.Close()
		lb.Write([]byte("line\n"))
		for out.String() == "" {
			time.Sleep(time.Millisecond) // the ticker writes it; the test's timeout is the bound
		}
	})
	t.Run("CloseFlushesAndPassesThrough", func(t *testing.T) {
		out := &lockedBuffer{}
		lb := NewLogBuffer(out, time.Hour)
		lb.Write([]byte("a\n"))
		if err := lb.Close(); err != nil || out.String() != "a\n" {
			t.Fatalf("%v %q", err, out.String())
		}
		lb.Write([]byte("b\n"))
		lb.Close()
		if out.String() != "a\nb\n" {
			t.Fatalf("%q", out.String())
		}
	})
}

// BenchmarkAccessLog is one request through the access log into a
// LogBuffer (go test -bench AccessLog -benchmem ./internal/web).
func BenchmarkAccessLog(b *testing.B) {
	lb := NewLogBuffer(discard{}, 100*time.Millisecond)
	defer lb.Close()
	log := slog.New(lb.Handler(slog.NewTextHandler(lb, nil)))
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(accessLog(log, []string{"/office"}))
	e.GET("/report", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	req := httptest.NewRequest(http.MethodGet, "/report", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		e.ServeHTTP(w, req)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
