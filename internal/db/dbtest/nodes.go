package dbtest

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"ecoreport/internal/db"
)

// EnvPeers names the variable that lists, comma-separated, the DSNs of the
// other nodes of the cluster whose first node is ECOREPORT_TEST_MYSQL_DSN
// (a Galera cluster: every node accepts writes). Tests that drive writers
// through several nodes at once run only when it is set; .ci/galera sets it.
const EnvPeers = "ECOREPORT_TEST_MYSQL_PEERS"

// Peers returns the DSNs of ECOREPORT_TEST_MYSQL_PEERS, empty when unset.
func Peers() []string {
	var out []string
	for _, p := range strings.Split(os.Getenv(EnvPeers), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// MustOpenNodes creates one fresh, migrated database on the cluster and
// returns a handle on it through each of n nodes: the first through
// ECOREPORT_TEST_MYSQL_DSN, the others through the peers in their order.
// The test is skipped unless ECOREPORT_TEST_MYSQL_DSN is set and
// ECOREPORT_TEST_MYSQL_PEERS names at least n-1 nodes. The database is
// dropped, and every handle closed, when the test ends.
//
// Each peer handle reads its own writes and the others' committed before it
// (wsrep_sync_wait=1 on Galera nodes, as ecoreport itself sets), so what a
// test prepares through one node is there on the others; the races under
// test are the writes.
func MustOpenNodes(tb testing.TB, n int) []*db.DB {
	tb.Helper()
	peers := Peers()
	if os.Getenv(EnvMySQL) == "" || len(peers) < n-1 {
		tb.Skipf("set %s and %s (%d other nodes of one cluster, e.g. bash .ci/galera -- go test ...) to run writers on several nodes", EnvMySQL, EnvPeers, n-1)
	}
	first, spec := MustOpenDBSpec(tb)
	out := []*db.DB{first}
	name := ""
	if cfg, err := mysql.ParseDSN(strings.TrimPrefix(spec, "mysql:")); err == nil {
		name = cfg.DBName
	}
	for _, p := range peers[:n-1] {
		cfg, err := mysql.ParseDSN(p)
		if err != nil {
			tb.Fatalf("%s: %q: %v", EnvPeers, p, err)
		}
		cfg.DBName = name
		if galeraNode(tb, cfg) {
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params["wsrep_sync_wait"] = "1"
		}
		d, err := db.Open(context.Background(), "mysql:"+cfg.FormatDSN())
		if err != nil {
			tb.Fatalf("open the test database through the peer %s (is it a node of the same cluster?): %v", cfg.Addr, err)
		}
		tb.Cleanup(func() { d.Close() })
		out = append(out, d)
	}
	if galeraNode(tb, mustParse(tb, os.Getenv(EnvMySQL))) {
		// The first handle too: it reads after writes made on the others.
		cfg := mustParse(tb, strings.TrimPrefix(spec, "mysql:"))
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["wsrep_sync_wait"] = "1"
		d, err := db.Open(context.Background(), "mysql:"+cfg.FormatDSN())
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { d.Close() })
		out[0] = d
	}
	return out
}

func mustParse(tb testing.TB, dsn string) *mysql.Config {
	tb.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// galeraNode tells whether the server behind cfg replicates with Galera
// (wsrep_on), without the test database: a fresh connection to no database.
func galeraNode(tb testing.TB, cfg *mysql.Config) bool {
	tb.Helper()
	c := cfg.Clone()
	c.DBName = ""
	x, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		tb.Fatal(err)
	}
	defer x.Close()
	var name, on string
	if err := x.QueryRow(`SHOW VARIABLES LIKE 'wsrep_on'`).Scan(&name, &on); err != nil {
		return false
	}
	return strings.EqualFold(on, "ON")
}
