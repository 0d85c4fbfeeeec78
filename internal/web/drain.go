package web

import (
	"net/http"
	"sync/atomic"
)

// Drain is the switch a stopping server turns on before it stops: from
// then on /healthz answers 503, so the load balancer takes this instance
// out, and every response whose headers are written from then on says
// Connection: close, so each client's next request opens a new connection
// (to another instance, or to this one while it still listens) instead of
// going out on a keep-alive connection the server is about to close.
// (http.Server.SetKeepAlivesEnabled(false) would close the idle
// connections at once, and a request a client had just sent on one would
// be cut.) The zero value is off; a nil *Drain is never on.
type Drain struct{ on atomic.Bool }

// Start turns the switch on.
func (d *Drain) Start() { d.on.Store(true) }

// On reports whether the server is stopping.
func (d *Drain) On() bool { return d != nil && d.on.Load() }

// drainWriter adds Connection: close to a response whose headers go out
// while the server drains. It decides when the headers are written, not
// when the request came in, so a request that was running when the drain
// began closes its connection too.
type drainWriter struct {
	http.ResponseWriter
	d     *Drain
	wrote bool
}

func (w *drainWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		if w.d.On() {
			w.Header().Set("Connection", "close")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *drainWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes on to the connection (streamed downloads).
func (w *drainWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *drainWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
