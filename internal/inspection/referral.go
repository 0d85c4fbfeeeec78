package inspection

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Recipient is who a clue is referred to (移送对象).
type Recipient string

// Recipients.
const (
	ToEnforcement Recipient = "enforcement" // 行政执法机关
	ToDiscipline  Recipient = "discipline"  // 纪检监察机关
	ToJudiciary   Recipient = "judiciary"   // 司法机关
)

// Recipients lists them in display order.
var Recipients = []Recipient{ToEnforcement, ToDiscipline, ToJudiciary}

var recipientLabels = map[Recipient]string{ToEnforcement: "行政执法", ToDiscipline: "纪检监察", ToJudiciary: "司法机关"}

// Label is the recipient's Chinese name.
func (r Recipient) Label() string { return recipientLabels[r] }

// Valid reports whether r is known.
func (r Recipient) Valid() bool { _, ok := recipientLabels[r]; return ok }

// Referral is a clue referral (移送线索): which case's clues went to whom,
// when, under what reference, and what came of it (editable later).
type Referral struct {
	ID         int64         `db:"id"`
	CaseID     int64         `db:"case_id"`
	Recipient  Recipient     `db:"recipient"`
	ReferredOn time.Time     `db:"referred_on"`
	Reference  string        `db:"reference"`
	Outcome    string        `db:"outcome"`
	CreatedBy  sql.NullInt64 `db:"created_by"`
	CreatedAt  time.Time     `db:"created_at"`
	UpdatedAt  time.Time     `db:"updated_at"`
}

// Ref is the referral's reference in the system.
func (r *Referral) Ref() string { return fmt.Sprintf("YS%04d", r.ID) }

// CaseRef is the referred case's reference.
func (r *Referral) CaseRef() string { return ledger.CaseRef(r.CaseID) }

// NewReferral is what it takes to record a referral.
type NewReferral struct {
	CaseID     int64
	Recipient  Recipient
	ReferredOn time.Time
	Reference  string // the transfer letter's number (移送文号)
	Outcome    string // usually empty at first
}

// Validate names every bad field in Chinese; now bounds the date.
func (n *NewReferral) Validate(now time.Time) error {
	f := map[string]string{}
	if n.CaseID == 0 {
		f["case_id"] = "请填写移送的问题编号"
	}
	if !n.Recipient.Valid() {
		f["recipient"] = "请选择移送对象（行政执法/纪检监察/司法机关）"
	}
	switch {
	case n.ReferredOn.IsZero():
		f["referred_on"] = "请填写移送日期"
	case n.ReferredOn.After(now.Add(24 * time.Hour)):
		f["referred_on"] = "移送日期不能晚于今天"
	}
	if m := checkText(n.Reference, false, 100, ""); m != "" {
		f["reference"] = m
	}
	if m := checkText(n.Outcome, false, 2000, ""); m != "" {
		f["outcome"] = m
	}
	return invalid(f)
}

const (
	referralColumns   = `id, case_id, recipient, referred_on, reference, outcome, created_by, created_at, updated_at`
	insertReferralSQL = `INSERT INTO referrals (case_id, recipient, referred_on, reference, outcome, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	updateOutcomeSQL  = `UPDATE referrals SET outcome = ?, updated_at = ? WHERE id = ?`
)

// RecordReferral records that a case's clues were referred; the case's
// timeline gets an internal note. Returns the id; EINVALID for bad fields or
// an unknown case.
func (s *Service) RecordReferral(ctx context.Context, in NewReferral, by ledger.Actor) (int64, error) {
	now := s.now()
	if err := in.Validate(now); err != nil {
		return 0, err
	}
	on := dayStart(in.ReferredOn, s.loc())
	var id int64
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		ok, err := s.caseExists(ctx, tx, in.CaseID)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Invalid(map[string]string{"case_id": "问题 " + ledger.CaseRef(in.CaseID) + " 不存在"})
		}
		res, err := tx.ExecContext(ctx, insertReferralSQL, in.CaseID, in.Recipient, on, strings.TrimSpace(in.Reference),
			strings.TrimSpace(in.Outcome), actorID(by), now, now)
		if err != nil {
			return fmt.Errorf("inspection: record referral: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("inspection: record referral: %w", err)
		}
		note := "问题线索已移送" + in.Recipient.Label() + "（" + on.In(s.loc()).Format("2006年1月2日")
		if r := strings.TrimSpace(in.Reference); r != "" {
			note += "，" + r
		}
		note += "）。"
		if err := s.Ledger.NoteTx(ctx, tx, in.CaseID, 0, "referral.sent", by, ledger.EventInput{InternalNote: note}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, actorName(by), "referral.recorded", "referral", id,
			map[string]any{"case": in.CaseID, "recipient": in.Recipient})
	})
	return id, db.Classify(err)
}

// UpdateOutcome records (or corrects) what came of a referral. EINVALID for
// an empty or bad outcome, ENOTFOUND for an unknown referral.
func (s *Service) UpdateOutcome(ctx context.Context, id int64, outcome string, by ledger.Actor) error {
	if m := checkText(outcome, true, 2000, "请填写办理结果"); m != "" {
		return apperr.Invalid(map[string]string{"outcome": m})
	}
	outcome = strings.TrimSpace(outcome)
	now := s.now()
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var r Referral
		if err := tx.GetContext(ctx, &r, `SELECT `+referralColumns+` FROM referrals WHERE id = ?`, id); err != nil {
			return db.NotFound(err, "移送记录不存在")
		}
		if _, err := tx.ExecContext(ctx, updateOutcomeSQL, outcome, now, id); err != nil {
			return fmt.Errorf("inspection: referral %d outcome: %w", id, err)
		}
		if err := s.Ledger.NoteTx(ctx, tx, r.CaseID, 0, "referral.outcome", by, ledger.EventInput{
			InternalNote: "移送" + r.Recipient.Label() + "的线索办理结果：" + outcome}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, actorName(by), "referral.outcome", "referral", id,
			map[string]any{"case": r.CaseID, "previous": r.Outcome != ""})
	}))
}

// Referral returns one referral. ENOTFOUND when there is none.
func (s *Service) Referral(ctx context.Context, id int64) (*Referral, error) {
	var r Referral
	if err := s.DB.GetContext(ctx, &r, `SELECT `+referralColumns+` FROM referrals WHERE id = ?`, id); err != nil {
		return nil, db.Classify(db.NotFound(err, "移送记录不存在"))
	}
	return &r, nil
}

// Referrals lists referrals, latest first; of one case when caseID is not 0.
func (s *Service) Referrals(ctx context.Context, caseID int64) ([]Referral, error) {
	var rs []Referral
	var err error
	if caseID != 0 {
		err = s.DB.SelectContext(ctx, &rs, `SELECT `+referralColumns+` FROM referrals WHERE case_id = ? ORDER BY referred_on DESC, id DESC`, caseID)
	} else {
		err = s.DB.SelectContext(ctx, &rs, `SELECT `+referralColumns+` FROM referrals ORDER BY referred_on DESC, id DESC`)
	}
	if err != nil {
		return nil, db.Classify(fmt.Errorf("inspection: referrals: %w", err))
	}
	return rs, nil
}
