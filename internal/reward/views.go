package reward

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// OfCase returns the reward of a case (a case has at most one). ENOTFOUND
// when the case has none.
func (s *Service) OfCase(ctx context.Context, caseID int64) (*Reward, error) {
	var r Reward
	if err := s.DB.GetContext(ctx, &r, `SELECT `+rewardColumns+` FROM rewards WHERE case_id = ?`, caseID); err != nil {
		return nil, db.Classify(db.NotFound(err, fmt.Sprintf("问题 %s 没有奖励记录", ledger.CaseRef(caseID))))
	}
	return &r, nil
}

// OfComplaint returns the reward of a complaint (its reporter's). ENOTFOUND
// when the complaint has none.
func (s *Service) OfComplaint(ctx context.Context, complaintID int64) (*Reward, error) {
	var r Reward
	if err := s.DB.GetContext(ctx, &r, `SELECT `+rewardColumns+` FROM rewards WHERE complaint_id = ?`, complaintID); err != nil {
		return nil, db.Classify(db.NotFound(err, "该举报没有奖励记录"))
	}
	return &r, nil
}

// Totals sums a list of rewards.
type Totals struct {
	Count     int
	AmountFen int64
}

// List returns the rewards in a status ("" for all), newest first, with
// their count and amount total.
func (s *Service) List(ctx context.Context, status Status) ([]Reward, Totals, error) {
	var rs []Reward
	var err error
	switch {
	case status == "":
		err = s.DB.SelectContext(ctx, &rs, `SELECT `+rewardColumns+` FROM rewards ORDER BY id DESC`)
	case status.Valid():
		err = s.DB.SelectContext(ctx, &rs, `SELECT `+rewardColumns+` FROM rewards WHERE status = ? ORDER BY id DESC`, status)
	default:
		return nil, Totals{}, apperr.Invalid(map[string]string{"status": "状态无效"})
	}
	if err != nil {
		return nil, Totals{}, db.Classify(fmt.Errorf("reward: list %s: %w", status, err))
	}
	t := Totals{Count: len(rs)}
	for i := range rs {
		t.AmountFen += rs[i].AmountFen
	}
	return rs, t, nil
}

const paymentsSQL = `SELECT r.id, r.case_id, r.complaint_id, COALESCE(l.name, '') AS level_name, r.amount_fen, r.pay_method,
 r.pay_reference, r.paid_on, r.approved_at
 FROM rewards r LEFT JOIN reward_levels l ON l.code = r.level
 WHERE r.status = 'paid' AND r.budget_year = ? ORDER BY r.paid_on, r.id`

// PaymentsXLSX writes the payment list of a budget year for finance (奖励发放明细) as an XLSX workbook: reward, case and complaint references, level,
// amount (yuan), method, payment reference, approval and payment dates, and
// a total. Claimants' identities are not in it: each view of one goes
// through Identity, audited.
func (s *Service) PaymentsXLSX(ctx context.Context, w io.Writer, year int) error {
	rows, err := s.DB.QueryxContext(ctx, paymentsSQL, year)
	if err != nil {
		return db.Classify(fmt.Errorf("reward: payments %d: %w", year, err))
	}
	defer rows.Close()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("reward: payments xlsx: %w", err)
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return fmt.Errorf("reward: payments xlsx: %w", err)
	}
	widths := []float64{12, 12, 12, 8, 14, 12, 24, 14, 14}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("reward: payments xlsx: %w", err)
		}
	}
	header := []any{"奖励编号", "问题编号", "举报件编号", "奖励等级", "金额（元）", "发放方式", "付款凭证号", "批准日期", "发放日期"}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("reward: payments xlsx: %w", err)
	}
	n := 1
	var total int64
	loc := s.loc()
	for rows.Next() {
		var p struct {
			ID           int64        `db:"id"`
			CaseID       int64        `db:"case_id"`
			ComplaintID  int64        `db:"complaint_id"`
			LevelName    string       `db:"level_name"`
			AmountFen    int64        `db:"amount_fen"`
			PayMethod    Method       `db:"pay_method"`
			PayReference string       `db:"pay_reference"`
			PaidOn       sql.NullTime `db:"paid_on"`
			ApprovedAt   sql.NullTime `db:"approved_at"`
		}
		if err := rows.StructScan(&p); err != nil {
			return fmt.Errorf("reward: payments %d: %w", year, err)
		}
		n++
		total += p.AmountFen
		row := []any{Ref(p.ID), ledger.CaseRef(p.CaseID), ledger.ComplaintRef(p.ComplaintID), p.LevelName,
			excelize.Cell{StyleID: money, Value: float64(p.AmountFen) / 100}, p.PayMethod.Label(), p.PayReference,
			dateIn(p.ApprovedAt, loc), dateIn(p.PaidOn, loc)}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("reward: payments xlsx: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return db.Classify(fmt.Errorf("reward: payments %d: %w", year, err))
	}
	cell, _ := excelize.CoordinatesToCellName(1, n+1)
	if err := sw.SetRow(cell, []any{"合计", fmt.Sprintf("%d笔", n-1), nil, nil, excelize.Cell{StyleID: money, Value: float64(total) / 100}}); err != nil {
		return fmt.Errorf("reward: payments xlsx: %w", err)
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("reward: payments xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("reward: payments xlsx: %w", err)
	}
	return nil
}

func dateIn(t sql.NullTime, loc *time.Location) string {
	if !t.Valid {
		return ""
	}
	return t.Time.In(loc).Format("2006-01-02")
}
