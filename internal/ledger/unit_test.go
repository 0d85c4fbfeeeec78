package ledger_test

import "testing"

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
