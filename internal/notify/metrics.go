package notify

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the outbox's Prometheus metrics: the rows by state, read
// from the database at each scrape (so every instance reports the same,
// shared queue), and this instance's deliveries by channel and outcome.
type Metrics struct {
	outbox     *Outbox
	deliveries *prometheus.CounterVec
	rows       *prometheus.Desc
}

// NewMetrics registers the outbox metrics on reg:
//
//	ecoreport_outbox_messages{state="queued|failed|sent|dead|skipped|merged"}
//	ecoreport_outbox_deliveries_total{channel, outcome="sent|failed|dead|deferred|skipped"}
//
// queued are pending rows never tried, failed pending rows whose last try
// failed (they will be retried).
func NewMetrics(reg prometheus.Registerer, o *Outbox) *Metrics {
	m := &Metrics{
		outbox: o,
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ecoreport_outbox_deliveries_total",
			Help: "Outbox delivery attempts of this instance, by channel and outcome."}, []string{"channel", "outcome"}),
		rows: prometheus.NewDesc("ecoreport_outbox_messages", "Outbox messages by state (queued, failed, sent, dead, skipped, merged).",
			[]string{"state"}, nil),
	}
	reg.MustRegister(m.deliveries, m)
	return m
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.rows }

// Collect implements prometheus.Collector: one query per scrape.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := m.outbox.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.rows, err)
		return
	}
	for _, s := range []struct {
		name string
		n    int
	}{{"queued", st.Queued}, {"failed", st.Failed}, {"sent", st.Sent}, {"dead", st.Dead}, {"skipped", st.Skipped}, {"merged", st.Merged}} {
		ch <- prometheus.MustNewConstMetric(m.rows, prometheus.GaugeValue, float64(s.n), s.name)
	}
}
