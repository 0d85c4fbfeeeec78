package inspection

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// SuperiorBody is who handed a problem down (交办来源).
type SuperiorBody string

// Superior bodies.
const (
	CentralInspection  SuperiorBody = "central"  // 中央生态环境保护督察
	ProvinceInspection SuperiorBody = "province" // 省生态环境保护督察
	CityInspection     SuperiorBody = "city"     // 市生态环境保护督察
	AuditFeedback      SuperiorBody = "audit"    // 审计反馈
)

// SuperiorBodies lists the bodies in display order.
var SuperiorBodies = []SuperiorBody{CentralInspection, ProvinceInspection, CityInspection, AuditFeedback}

var superiorLabels = map[SuperiorBody]string{
	CentralInspection: "中央生态环境保护督察", ProvinceInspection: "省生态环境保护督察",
	CityInspection: "市生态环境保护督察", AuditFeedback: "审计反馈",
}

// Label is the body's Chinese name.
func (b SuperiorBody) Label() string { return superiorLabels[b] }

// Valid reports whether b is known.
func (b SuperiorBody) Valid() bool { _, ok := superiorLabels[b]; return ok }

// SuperiorFeedback is a problem handed down by a superior inspection or an
// audit (中央/省/市督察、审计反馈), registered by hand as a case with source
// superior. Reference is the batch or document number (交办批次/文号).
type SuperiorFeedback struct {
	Body        SuperiorBody
	Reference   string
	Title       string
	Categories  ledger.Categories
	TownID      int64
	Subject     string
	Description string
}

// Validate names every bad field in Chinese.
func (f *SuperiorFeedback) Validate() error {
	m := map[string]string{}
	if !f.Body.Valid() {
		m["body"] = "请选择交办来源（中央/省/市督察或审计）"
	}
	if x := checkText(f.Reference, false, 100, ""); x != "" {
		m["reference"] = x
	}
	if x := checkText(f.Title, true, 200, "请填写问题概述"); x != "" {
		m["title"] = x
	}
	for _, c := range f.Categories {
		if !c.Valid() {
			m["categories"] = "污染类型无效：" + string(c)
		}
	}
	if x := checkText(f.Subject, false, 200, ""); x != "" {
		m["subject"] = x
	}
	if x := checkText(f.Description, false, 2000, ""); x != "" {
		m["description"] = x
	}
	return invalid(m)
}

// SourceDetail is what the case records as its source: the body and the
// reference, e.g. "省生态环境保护督察 陕督反馈〔2026〕3号".
func (f *SuperiorFeedback) SourceDetail() string {
	d := f.Body.Label()
	if r := strings.TrimSpace(f.Reference); r != "" {
		d += " " + r
	}
	return d
}

// RegisterSuperior opens a case with source superior for a problem handed
// down by a superior inspection or audit; the case records which body (and
// reference) in source_detail. The case is opened with ledger.OpenCaseTx so
// that the description, when given, goes on the timeline as an internal note
// in the same transaction. Returns the case id;
// EINVALID for bad fields.
func (s *Service) RegisterSuperior(ctx context.Context, in SuperiorFeedback, by ledger.Actor) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	nc := ledger.NewCase{Source: ledger.SourceSuperior, SourceDetail: in.SourceDetail(), Title: strings.TrimSpace(in.Title),
		Description: in.Description, Categories: in.Categories, TownID: in.TownID, Subject: strings.TrimSpace(in.Subject)}
	desc := strings.TrimSpace(in.Description)
	var id int64
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if in.TownID != 0 {
			ok, err := s.unitExists(ctx, tx, in.TownID, "town")
			if err != nil {
				return err
			}
			if !ok {
				return apperr.Invalid(map[string]string{"town_id": "乡镇不存在"})
			}
		}
		var err error
		if id, err = s.Ledger.OpenCaseTx(ctx, tx, nc, by); err != nil {
			return err
		}
		if desc == "" {
			return nil
		}
		return s.Ledger.NoteTx(ctx, tx, id, 0, "superior.registered", by,
			ledger.EventInput{InternalNote: in.SourceDetail() + " 交办：" + desc})
	})
	return id, db.Classify(err)
}
