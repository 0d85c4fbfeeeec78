package ledger_test

import (
	"strings"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// TestUnitNamesIncludeRetiredUnits: an old case still names its unit after
// the unit is retired.
func TestUnitNamesIncludeRetiredUnits(t *testing.T) {
	s, _ := newService(t)
	if _, err := s.DB.Exec(`UPDATE units SET active = ? WHERE id = 2`, false); err != nil {
		t.Fatal(err)
	}
	active, err := s.Units(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names, err := s.UnitNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(active)+1 || names[2] == "" || names[1] == "" {
		t.Fatalf("%d names for %d active units: %v", len(names), len(active), names)
	}
}

func TestAddRenameAndRetireUnits(t *testing.T) {
	s, _ := newService(t)
	admin := ledger.Actor{Name: "admin"}
	f := fileOne(t, s, webComplaint()) // town 1, 城关镇
	t.Run("ErrFields", func(t *testing.T) {
		for _, tc := range []struct {
			in    ledger.UnitChange
			field string
		}{
			{ledger.UnitChange{Kind: "village", Name: "某村"}, "kind"},
			{ledger.UnitChange{Kind: ledger.UnitTown, Name: " "}, "name"},
			{ledger.UnitChange{Kind: ledger.UnitTown, Name: "镇"}, "name"},
			{ledger.UnitChange{Kind: ledger.UnitTown, Name: strings.Repeat("镇", 65)}, "name"},
			{ledger.UnitChange{Kind: ledger.UnitTown, Name: "新\n镇"}, "name"},
			{ledger.UnitChange{Kind: ledger.UnitTown, Name: "新镇", SortOrder: -1}, "sort_order"},
			{ledger.UnitChange{Kind: ledger.UnitTown, Name: "新镇", ShortName: "\x00"}, "short_name"},
		} {
			if _, err := s.AddUnit(ctx, tc.in, admin); !apperr.Is(err, apperr.EINVALID) || apperr.Fields(err)[tc.field] == "" {
				t.Errorf("%+v: %v", tc.in, err)
			}
		}
	})
	t.Run("ErrNameInUse", func(t *testing.T) {
		_, err := s.AddUnit(ctx, ledger.UnitChange{Kind: ledger.UnitTown, Name: "饶峰镇"}, admin)
		if !apperr.Is(err, apperr.ECONFLICT) || apperr.Fields(err)["name"] == "" {
			t.Fatalf("err = %v", err)
		}
	})
	id, err := s.AddUnit(ctx, ledger.UnitChange{Kind: ledger.UnitTown, Name: "新城街道", ShortName: "新城", SortOrder: 12}, admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("RenameKeepsOldComplaintsPointingAtIt", func(t *testing.T) {
		if err := s.UpdateUnit(ctx, 1, ledger.UnitChange{Name: "城关街道", ShortName: "城关", SortOrder: 1}, admin); err != nil {
			t.Fatal(err)
		}
		c, _ := s.Complaint(ctx, f.Complaint.ID)
		names, _ := s.UnitNames(ctx)
		if c.TownID.Int64 != 1 || names[1] != "城关街道" {
			t.Fatalf("complaint town %v named %q", c.TownID, names[1])
		}
		if u, ok, _ := s.TownByName(ctx, "城关街道"); !ok || u.ID != 1 {
			t.Fatal("the new name is not found")
		}
		if n := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action = 'unit.updated' AND object_id = '1'`); n != 1 {
			t.Fatalf("%d audit entries", n)
		}
	})
	t.Run("ParallelRenamesToOneNameOneWins", func(t *testing.T) {
		errs := make(chan error, 2)
		for _, u := range []int64{2, 3} {
			go func() { errs <- s.UpdateUnit(ctx, u, ledger.UnitChange{Name: "合并镇"}, admin) }()
		}
		a, b := <-errs, <-errs
		if (a == nil) == (b == nil) || !(apperr.Is(a, apperr.ECONFLICT) || apperr.Is(b, apperr.ECONFLICT)) {
			t.Fatalf("errors %v, %v", a, b)
		}
	})
	t.Run("RetireAndBringBack", func(t *testing.T) {
		if err := s.SetUnitActive(ctx, id, false, admin); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUnitActive(ctx, id, false, admin); !apperr.Is(err, apperr.ECONFLICT) {
			t.Fatalf("retire twice: %v", err)
		}
		towns, _ := s.Towns(ctx)
		for _, u := range towns {
			if u.ID == id {
				t.Fatal("a retired town is still offered")
			}
		}
		all, _ := s.AllUnits(ctx)
		if all[len(all)-1].ID != id || all[len(all)-1].Active {
			t.Fatalf("retired units come last: %+v", all[len(all)-1])
		}
		if err := s.SetUnitActive(ctx, id, true, admin); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUnitActive(ctx, 999, true, admin); !apperr.Is(err, apperr.ENOTFOUND) {
			t.Fatalf("unknown unit: %v", err)
		}
	})
}
