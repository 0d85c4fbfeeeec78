package web

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogBuffer collects log lines in memory and writes them to the underlying
// writer in one write every interval, when 64 KiB have gathered, after
// every warning or error (Handler), and on Close: one access-log line per
// request then costs no system call of its own. What is lost when the
// process is killed is at most the last interval's lines below warning.
// Every write to the underlying writer goes through the buffer (it is the
// process's stderr): use the LogBuffer in its place everywhere.
type LogBuffer struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	stop chan struct{}
	done chan struct{}
	once sync.Once
	shut bool // closed: writes go straight through
}

const logBufferMax = 64 << 10

// NewLogBuffer buffers w, flushing every interval until Close.
func NewLogBuffer(w io.Writer, interval time.Duration) *LogBuffer {
	b := &LogBuffer{w: w, buf: make([]byte, 0, logBufferMax), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write adds p to the buffer (a slog handler writes one record a call).
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shut {
		return b.w.Write(p)
	}
	if len(b.buf)+len(p) > logBufferMax {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > logBufferMax {
			return b.w.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes what is buffered.
func (b *LogBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *LogBuffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// Close stops the flushing and writes what is left; writes after Close go
// straight through.
func (b *LogBuffer) Close() error {
	b.once.Do(func() {
		close(b.stop)
		<-b.done
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shut = true
	return b.flushLocked()
}

// Handler wraps h (which writes to b) so that a record of level warning or
// above is written out at once, with everything logged before it.
func (b *LogBuffer) Handler(h slog.Handler) slog.Handler { return flushOnWarn{h, b} }

type flushOnWarn struct {
	slog.Handler
	b *LogBuffer
}

func (f flushOnWarn) Handle(ctx context.Context, r slog.Record) error {
	err := f.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := f.b.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (f flushOnWarn) WithAttrs(as []slog.Attr) slog.Handler {
	return flushOnWarn{f.Handler.WithAttrs(as), f.b}
}

func (f flushOnWarn) WithGroup(name string) slog.Handler {
	return flushOnWarn{f.Handler.WithGroup(name), f.b}
}
