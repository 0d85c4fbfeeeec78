package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
)

func appendN(t *testing.T, d *db.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		err := d.InTx(ctx, func(tx *sqlx.Tx) error {
			return audit.Append(ctx, tx, db.Now(), "inspector1", "case.verify", "case", i, map[string]any{"i": i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestChainSealsAndVerifies(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	appendN(t, d, 7)
	r, err := audit.Verify(ctx, d)
	if err != nil || r.Unsealed != 7 || r.Sealed != 0 {
		t.Fatalf("before seal: %+v %v", r, err)
	}
	if err := audit.SealAll(ctx, d); err != nil {
		t.Fatal(err)
	}
	appendN(t, d, 3)
	if err := audit.SealAll(ctx, d); err != nil {
		t.Fatal(err)
	}
	r, err = audit.Verify(ctx, d)
	if err != nil || r.BrokenAt != 0 || r.Sealed != 10 || r.Unsealed != 0 {
		t.Fatalf("after seal: %+v %v", r, err)
	}
}

func TestVerifyNamesFirstBrokenEntry(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
		wantAt int64
	}{
		{"ErrChangedDetail", `UPDATE audit_log SET detail = '{"i":99}' WHERE seq = 4`, 4},
		{"ErrChangedActor", `UPDATE audit_log SET actor = 'someone' WHERE seq = 2`, 2},
		{"ErrDeleted", `DELETE FROM audit_log WHERE seq = 3`, 3},
		{"ErrRelinked", `UPDATE audit_log SET prev_hash = 'x' WHERE seq = 5`, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dbtest.MustOpenDB(t)
			ctx := context.Background()
			appendN(t, d, 6)
			if err := audit.SealAll(ctx, d); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Exec(tt.tamper); err != nil {
				t.Fatal(err)
			}
			r, err := audit.Verify(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if r.BrokenAt != tt.wantAt {
				t.Fatalf("BrokenAt = %d, want %d (%s)", r.BrokenAt, tt.wantAt, r)
			}
		})
	}
}

func TestConcurrentWritersAndSealersKeepOneChain(t *testing.T) {
	writeAndSealAtOnce(t, []*db.DB{dbtest.MustOpenDB(t)})
}

// TestConcurrentWritersAndSealersAcrossNodes: the writers and the sealers
// spread over three nodes of a Galera cluster; one chain, verified on
// every node.
func TestConcurrentWritersAndSealersAcrossNodes(t *testing.T) {
	writeAndSealAtOnce(t, dbtest.MustOpenNodes(t, 3))
}

// writeAndSealAtOnce: 8 writers of 20 entries and 3 sealers of 20 rounds,
// writer and sealer i on nodes[i%len(nodes)]; then the chain holds all 160
// entries sealed and unbroken, seen from every node.
func writeAndSealAtOnce(t *testing.T, nodes []*db.DB) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		d := nodes[w%len(nodes)]
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				err := d.InTx(ctx, func(tx *sqlx.Tx) error {
					return audit.Append(ctx, tx, time.Now(), fmt.Sprint("w", w), "test", "x", i, nil)
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	for s := 0; s < 3; s++ {
		wg.Add(1)
		d := nodes[s%len(nodes)]
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if err := audit.SealAll(ctx, d); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := audit.SealAll(ctx, nodes[0]); err != nil {
		t.Fatal(err)
	}
	for i, d := range nodes {
		r, err := audit.Verify(ctx, d)
		if err != nil || r.BrokenAt != 0 || r.Sealed != 160 {
			t.Fatalf("node %d: %+v %v", i+1, r, err)
		}
	}
}

func TestListFiltersAndPages(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	for i := range 250 {
		actor, action, obj := "inspector1", "case.verify", "case"
		if i%10 == 0 {
			actor, action, obj = "admin_%", "user.disabled", "user"
		}
		if err := audit.Append(ctx, d, t0.Add(time.Duration(i)*time.Minute), actor, action, obj, i%7, nil); err != nil {
			t.Fatal(err)
		}
	}
	all := func(f audit.Filter) []audit.Entry {
		t.Helper()
		var out []audit.Entry
		for {
			es, next, err := audit.List(ctx, d, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) > audit.PageSize {
				t.Fatalf("a page of %d", len(es))
			}
			out = append(out, es...)
			if next == 0 {
				return out
			}
			f.Before = next
		}
	}
	for _, tc := range []struct {
		name string
		f    audit.Filter
		want int
	}{
		{"Everything", audit.Filter{}, 250},
		{"ActorPrefix", audit.Filter{Actor: "admin"}, 25},
		{"ActorWithLikeCharacters", audit.Filter{Actor: "admin_%"}, 25},
		{"NoActorLikeThat", audit.Filter{Actor: "admin_%x"}, 0},
		{"PercentMatchesOnlyItself", audit.Filter{Actor: "%"}, 0},
		{"ActionPrefix", audit.Filter{Action: "user."}, 25},
		{"Object", audit.Filter{ObjectType: "case", ObjectID: "3"}, 32},
		{"Dates", audit.Filter{From: t0.Add(100 * time.Minute), To: t0.Add(110 * time.Minute)}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := all(tc.f)
			if len(es) != tc.want {
				t.Fatalf("%d entries, want %d", len(es), tc.want)
			}
			for i := 1; i < len(es); i++ {
				if es[i].ID >= es[i-1].ID {
					t.Fatal("not newest first")
				}
			}
		})
	}
}

// The sealer chains many entries per UPDATE: the chain holds across the
// statements of one transaction and across transactions, and a tampered
// entry in the middle of a statement's range is still found.
func TestBatchSealingVerifies(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{1, 249, 250, 251, 1234} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := dbtest.MustOpenDB(t)
			recs := make([]audit.Record, n)
			for i := range recs {
				recs[i] = audit.Record{At: time.Date(2026, 11, 3, 6, 0, 0, i*1000, time.UTC), Actor: "resident", Action: "complaint.filed",
					ObjectType: "complaint", ObjectID: i + 1, Detail: map[string]any{"to": "received"}}
			}
			if err := audit.AppendMany(ctx, d, recs); err != nil {
				t.Fatal(err)
			}
			if err := audit.SealAll(ctx, d); err != nil {
				t.Fatal(err)
			}
			r, err := audit.Verify(ctx, d)
			if err != nil || r.BrokenAt != 0 || r.Sealed != int64(n) || r.Unsealed != 0 {
				t.Fatalf("verify %+v, %v", r, err)
			}
			mid := int64(n/2 + 1)
			if _, err := d.Exec(`UPDATE audit_log SET actor = 'mallory' WHERE seq = ?`, mid); err != nil {
				t.Fatal(err)
			}
			if r, err := audit.Verify(ctx, d); err != nil || r.BrokenAt != mid {
				t.Fatalf("tampered entry %d: verify %+v, %v", mid, r, err)
			}
		})
	}
}
