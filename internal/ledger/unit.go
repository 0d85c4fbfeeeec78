package ledger

import (
	"context"
	"fmt"

	"ecoreport/internal/db"
)

// Units lists the active responsible units, towns first.
func (s *Service) Units(ctx context.Context) ([]Unit, error) {
	var us []Unit
	if err := s.DB.SelectContext(ctx, &us, `SELECT id, kind, name, short_name, sort_order, active FROM units WHERE active = ? ORDER BY sort_order, id`, true); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: units: %w", err))
	}
	return us, nil
}

// Towns lists the active towns (乡镇).
func (s *Service) Towns(ctx context.Context) ([]Unit, error) {
	us, err := s.Units(ctx)
	if err != nil {
		return nil, err
	}
	out := us[:0]
	for _, u := range us {
		if u.Kind == "town" {
			out = append(out, u)
		}
	}
	return out, nil
}

// TownByName finds a town by its full name, ok=false when unknown.
func (s *Service) TownByName(ctx context.Context, name string) (Unit, bool, error) {
	ts, err := s.Towns(ctx)
	if err != nil {
		return Unit{}, false, err
	}
	for _, t := range ts {
		if t.Name == name || (t.ShortName != "" && t.ShortName == name) {
			return t, true, nil
		}
	}
	return Unit{}, false, nil
}

// UnitNames maps every unit id, active or not (old cases name retired
// units), to its name.
func (s *Service) UnitNames(ctx context.Context) (map[int64]string, error) {
	var us []Unit
	if err := s.DB.SelectContext(ctx, &us, `SELECT id, kind, name, short_name, sort_order, active FROM units`); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: unit names: %w", err))
	}
	m := make(map[int64]string, len(us))
	for _, u := range us {
		m[u.ID] = u.Name
	}
	return m, nil
}
