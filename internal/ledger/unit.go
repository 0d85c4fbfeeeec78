package ledger

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
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

// Unit kinds.
const (
	UnitTown       = "town"       // 乡镇
	UnitDepartment = "department" // 县直部门
)

// AllUnits lists every unit, retired ones too, in display order: the
// administrator's list.
func (s *Service) AllUnits(ctx context.Context) ([]Unit, error) {
	var us []Unit
	if err := s.DB.SelectContext(ctx, &us, `SELECT id, kind, name, short_name, sort_order, active FROM units ORDER BY active DESC, sort_order, id`); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: all units: %w", err))
	}
	return us, nil
}

// UnitChange is what an administrator sets of a unit.
type UnitChange struct {
	Kind      string // UnitTown or UnitDepartment; only when adding
	Name      string
	ShortName string
	SortOrder int
}

// MaxUnitName is the longest unit name, in characters.
const MaxUnitName = 64

// Validate names every bad field (kind, name, short_name, sort_order) in
// Chinese; adding says whether the kind is given.
func (u *UnitChange) Validate(adding bool) error {
	f := map[string]string{}
	u.Name, u.ShortName = strings.TrimSpace(u.Name), strings.TrimSpace(u.ShortName)
	if adding && u.Kind != UnitTown && u.Kind != UnitDepartment {
		f["kind"] = "请选择乡镇或县直部门"
	}
	switch n := utf8.RuneCountInString(u.Name); {
	case n == 0:
		f["name"] = "请填写单位名称"
	case n < 2:
		f["name"] = "单位名称至少2个字"
	case n > MaxUnitName:
		f["name"] = fmt.Sprintf("单位名称不能超过%d个字", MaxUnitName)
	case CheckText(u.Name) != "" || strings.ContainsAny(u.Name, "\r\n\t"):
		f["name"] = "单位名称含有不允许的字符"
	}
	switch {
	case utf8.RuneCountInString(u.ShortName) > MaxUnitName:
		f["short_name"] = fmt.Sprintf("简称不能超过%d个字", MaxUnitName)
	case CheckText(u.ShortName) != "" || strings.ContainsAny(u.ShortName, "\r\n\t"):
		f["short_name"] = "简称含有不允许的字符"
	}
	if u.SortOrder < 0 || u.SortOrder > 9999 {
		f["sort_order"] = "排序应为0到9999之间的整数"
	}
	if len(f) > 0 {
		return apperr.Invalid(f)
	}
	return nil
}

const (
	insertUnitSQL    = `INSERT INTO units (kind, name, short_name, sort_order, active) VALUES (?, ?, ?, ?, ?)`
	updateUnitSQL    = `UPDATE units SET name = ?, short_name = ?, sort_order = ? WHERE id = ?`
	setUnitActiveSQL = `UPDATE units SET active = ? WHERE id = ? AND active = ?`
	unitByIDSQL      = `SELECT id, kind, name, short_name, sort_order, active FROM units WHERE id = ?`
)

// errUnitName is the answer to a name another unit has.
func errUnitName(name string) error {
	return &apperr.Error{Code: apperr.ECONFLICT, Message: "单位名称已被使用", Fields: map[string]string{"name": "已有名为“" + name + "”的单位"}}
}

// AddUnit adds a town or department (新增责任单位) and returns its id.
// EINVALID names bad fields, ECONFLICT (field name) a name in use.
func (s *Service) AddUnit(ctx context.Context, in UnitChange, by Actor) (int64, error) {
	if err := in.Validate(true); err != nil {
		return 0, err
	}
	var id int64
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, insertUnitSQL, in.Kind, in.Name, in.ShortName, in.SortOrder, true)
		if db.IsDuplicate(err) {
			return errUnitName(in.Name)
		}
		if err != nil {
			return fmt.Errorf("ledger: add unit: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), actorName(by), "unit.added", "unit", id,
			map[string]any{"kind": in.Kind, "name": in.Name, "short_name": in.ShortName, "sort_order": in.SortOrder})
	})
	return id, db.Classify(err)
}

// UpdateUnit renames a unit or moves it in the lists (改名、排序). Every
// complaint, case, notice and account refers to the unit by its id, so all
// of them follow the new name, old ones included. EINVALID names bad
// fields, ENOTFOUND an unknown unit, ECONFLICT (field name) a name in use.
func (s *Service) UpdateUnit(ctx context.Context, id int64, in UnitChange, by Actor) error {
	if err := in.Validate(false); err != nil {
		return err
	}
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var old Unit
		if err := tx.GetContext(ctx, &old, s.DB.ForUpdate(unitByIDSQL), id); err != nil {
			return db.NotFound(err, "单位不存在")
		}
		_, err := tx.ExecContext(ctx, updateUnitSQL, in.Name, in.ShortName, in.SortOrder, id)
		if db.IsDuplicate(err) {
			return errUnitName(in.Name)
		}
		if err != nil {
			return fmt.Errorf("ledger: update unit %d: %w", id, err)
		}
		detail := map[string]any{}
		if old.Name != in.Name {
			detail["name"] = map[string]string{"from": old.Name, "to": in.Name}
		}
		if old.ShortName != in.ShortName {
			detail["short_name"] = map[string]string{"from": old.ShortName, "to": in.ShortName}
		}
		if old.SortOrder != in.SortOrder {
			detail["sort_order"] = map[string]int{"from": old.SortOrder, "to": in.SortOrder}
		}
		if len(detail) == 0 {
			return nil
		}
		return audit.Append(ctx, tx, s.now(), actorName(by), "unit.updated", "unit", id, detail)
	}))
}

// SetUnitActive retires a unit (停用: it leaves the lists new work is
// given from, its history stays) or brings it back. ENOTFOUND for an
// unknown unit, ECONFLICT when it is already so.
func (s *Service) SetUnitActive(ctx context.Context, id int64, active bool, by Actor) error {
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var u Unit
		if err := tx.GetContext(ctx, &u, unitByIDSQL, id); err != nil {
			return db.NotFound(err, "单位不存在")
		}
		res, err := tx.ExecContext(ctx, setUnitActiveSQL, active, id, !active)
		if err != nil {
			return fmt.Errorf("ledger: unit %d active: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			if active {
				return apperr.Errorf(apperr.ECONFLICT, "%s 已在用", u.Name)
			}
			return apperr.Errorf(apperr.ECONFLICT, "%s 已停用", u.Name)
		}
		action := "unit.activated"
		if !active {
			action = "unit.deactivated"
		}
		return audit.Append(ctx, tx, s.now(), actorName(by), action, "unit", id, map[string]any{"name": u.Name})
	}))
}
