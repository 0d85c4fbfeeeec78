// Package reward is the reward workflow (举报奖励) of workflows.md: a reward
// record is created when a case is verified substantiated or partly, a reward
// officer proposes an amount within a level, a reward approver (never the
// proposer) approves it against the year's budget, the reporter claims it with
// the tracking code and finance pays it, exactly once. Unclaimed approvals
// expire and return their amount to the budget; claimant identities are
// erased some years after payment.
//
// Money is int64 fen (分) throughout, in Go and in the database. Every state
// change is a conditional UPDATE (… WHERE status = from) in one transaction
// with its budget movement and its audit entry, so concurrent requests can
// neither overspend the budget nor pay twice. The package knows nothing of
// HTTP; roles are enforced at the edge, separation of duties (approver ≠
// proposer) here.
package reward

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

// Status is where a reward stands (workflows.md).
type Status string

// Reward statuses. Excluded is ours: a reward the rules exclude (staff's own
// report, a problem the authorities already knew of), recorded with the
// reason instead of being eligible.
const (
	Eligible Status = "eligible"
	Proposed Status = "proposed"
	Approved Status = "approved"
	Rejected Status = "rejected"
	Claimed  Status = "claimed"
	Paid     Status = "paid"
	Expired  Status = "expired"
	Excluded Status = "excluded"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{Eligible, Proposed, Approved, Claimed, Paid, Rejected, Expired, Excluded}

var statusLabels = map[Status]string{
	Eligible: "待审核", Proposed: "已拟定", Approved: "已批准", Rejected: "不予奖励", Claimed: "已申领",
	Paid: "已发放", Expired: "已过期", Excluded: "不符合奖励条件",
}

// Label is the status's Chinese name.
func (s Status) Label() string { return statusLabels[s] }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := statusLabels[s]; return ok }

// Exclusion is why a case's reporter gets no reward by rule.
type Exclusion string

// Exclusions.
const (
	// ExcludedStaff: the complaint was filed by a logged-in staff user in a
	// channel where staff file their own observations (see eligibility.go).
	ExcludedStaff Exclusion = "staff"
	// ExcludedKnown: the authorities already knew of the problem: the case
	// came from an inspection, a superior's feedback or a leader's
	// instruction, or staff had reported it before the reporter.
	ExcludedKnown Exclusion = "known"
)

var exclusionNotes = map[Exclusion]string{
	ExcludedStaff: "本举报由负责查处工作的工作人员提交，按规定不予奖励。",
	ExcludedKnown: "您反映的问题在举报前已由有关部门掌握，按规定不予奖励。感谢您的监督。",
}

// PublicNote is the exclusion's reason as the reporter reads it.
func (e Exclusion) PublicNote() string { return exclusionNotes[e] }

// Method is how a reward is paid (发放方式): to a bank account, or in person
// at the office. The claimant chooses; finance records what was done.
type Method string

// Methods.
const (
	Bank     Method = "bank"
	InPerson Method = "in_person"
)

var methodLabels = map[Method]string{Bank: "银行转账", InPerson: "现场领取"}

// Label is the method's Chinese name.
func (m Method) Label() string { return methodLabels[m] }

// Valid reports whether m is a known method.
func (m Method) Valid() bool { _, ok := methodLabels[m]; return ok }

// Reward is one reward record (奖励记录). The claimant's identity is not in
// it: Identity decrypts it, audited. HasIdentity says whether it is held.
type Reward struct {
	ID               int64          `db:"id"`
	CaseID           int64          `db:"case_id"`
	ComplaintID      int64          `db:"complaint_id"`
	Status           Status         `db:"status"`
	Exclusion        Exclusion      `db:"exclusion"`
	Level            sql.NullString `db:"level"`
	AmountFen        int64          `db:"amount_fen"`
	Basis            string         `db:"basis"`
	BudgetYear       sql.NullInt64  `db:"budget_year"`
	ProposedBy       sql.NullInt64  `db:"proposed_by"`
	ProposedAt       sql.NullTime   `db:"proposed_at"`
	ApprovedBy       sql.NullInt64  `db:"approved_by"`
	ApprovedAt       sql.NullTime   `db:"approved_at"`
	ClaimDeadline    sql.NullTime   `db:"claim_deadline"`
	RejectedBy       sql.NullInt64  `db:"rejected_by"`
	RejectedAt       sql.NullTime   `db:"rejected_at"`
	RejectReason     string         `db:"reject_reason"`
	ClaimedAt        sql.NullTime   `db:"claimed_at"`
	PayeeMethod      string         `db:"payee_method"`
	HasIdentity      bool           `db:"has_identity"`
	IdentityErasedAt sql.NullTime   `db:"identity_erased_at"`
	PaidBy           sql.NullInt64  `db:"paid_by"`
	PaidAt           sql.NullTime   `db:"paid_at"`
	PaidOn           sql.NullTime   `db:"paid_on"`
	PayMethod        string         `db:"pay_method"`
	PayReference     string         `db:"pay_reference"`
	ExpiredAt        sql.NullTime   `db:"expired_at"`
	CreatedAt        time.Time      `db:"created_at"`
	UpdatedAt        time.Time      `db:"updated_at"`
}

// Ref is the reward's reference (奖励编号).
func (r *Reward) Ref() string { return Ref(r.ID) }

// Ref formats a reward id as a reference.
func Ref(id int64) string { return fmt.Sprintf("J%06d", id) }

// Yuan formats fen as yuan with two decimals: 123456 → "1234.56".
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// Service works the reward workflow. Now is injected so claim windows and
// retention are testable without sleeping.
type Service struct {
	DB     *db.DB
	Keys   *secret.Keys
	Ledger *ledger.Service
	Now    func() time.Time

	// ClaimWindowDays is how long after approval the reporter may claim
	// (default 90). The window ends at the end of that calendar day.
	ClaimWindowDays int
	// RetentionYears is how long after payment the claimant's identity and
	// payee details are kept (default 5, the keeping time of financial
	// records).
	RetentionYears int
	// Location decides the budget year and the end of a claim window
	// (default: the ledger's, else Asia/Shanghai).
	Location *time.Location
}

// NewService returns a Service with the defaults and the real clock.
func NewService(d *db.DB, keys *secret.Keys, l *ledger.Service) *Service {
	return &Service{DB: d, Keys: keys, Ledger: l, Now: time.Now, ClaimWindowDays: 90, RetentionYears: 5}
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return db.Now()
	}
	return db.UTC(s.Now())
}

func (s *Service) window() int {
	if s.ClaimWindowDays <= 0 {
		return 90
	}
	return s.ClaimWindowDays
}

func (s *Service) retention() int {
	if s.RetentionYears <= 0 {
		return 5
	}
	return s.RetentionYears
}

func (s *Service) loc() *time.Location {
	switch {
	case s.Location != nil:
		return s.Location
	case s.Ledger != nil && s.Ledger.Location != nil:
		return s.Ledger.Location
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Year is the budget year of t (local calendar year).
func (s *Service) Year(t time.Time) int { return t.In(s.loc()).Year() }

const rewardColumns = `id, case_id, complaint_id, status, exclusion, level, amount_fen, basis, budget_year, proposed_by,
 proposed_at, approved_by, approved_at, claim_deadline, rejected_by, rejected_at, reject_reason, claimed_at, payee_method,
 (claimant_enc IS NOT NULL) AS has_identity, identity_erased_at, paid_by, paid_at, paid_on, pay_method, pay_reference,
 expired_at, created_at, updated_at`

// Get returns one reward. ENOTFOUND when there is none.
func (s *Service) Get(ctx context.Context, id int64) (*Reward, error) {
	var r Reward
	if err := s.DB.GetContext(ctx, &r, `SELECT `+rewardColumns+` FROM rewards WHERE id = ?`, id); err != nil {
		return nil, db.Classify(db.NotFound(err, fmt.Sprintf("奖励记录 %s 不存在", Ref(id))))
	}
	return &r, nil
}

// lock reads a reward in tx for update: a row lock on MySQL; SQLite
// transactions begin IMMEDIATE and so already hold the only write lock.
func (s *Service) lock(ctx context.Context, tx *sqlx.Tx, where string, arg any) (*Reward, error) {
	q := s.DB.ForUpdate(`SELECT ` + rewardColumns + ` FROM rewards WHERE ` + where)
	var r Reward
	if err := tx.GetContext(ctx, &r, q, arg); err != nil {
		return nil, db.NotFound(err, "奖励记录不存在")
	}
	return &r, nil
}

// inTx runs fn in a transaction and classifies the error.
func (s *Service) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return db.Classify(s.DB.InTx(ctx, fn))
}

// staff checks that an actor is a logged-in staff user: every staff action
// records the user id, and separation of duties compares ids.
func staff(by ledger.Actor) error {
	if by.UserID == 0 {
		return apperr.Errorf(apperr.EFORBIDDEN, "须由工作人员登录后操作")
	}
	return nil
}

func conflict(r *Reward, action string) error {
	if r.Status == Paid && action == "发放" {
		return apperr.Errorf(apperr.ECONFLICT, "该奖励已发放")
	}
	return apperr.Errorf(apperr.ECONFLICT, "奖励 %s 当前为“%s”，不能%s", r.Ref(), r.Status.Label(), action)
}

// affected returns ECONFLICT unless res changed exactly one row.
func affected(res sql.Result, r *Reward, action string) error {
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return conflict(r, action)
	}
	return nil
}

// note writes a public timeline note on the rewarded complaint.
func (s *Service) note(ctx context.Context, tx *sqlx.Tx, r *Reward, kind string, by ledger.Actor, public, internal string) error {
	return s.Ledger.NoteTx(ctx, tx, r.CaseID, r.ComplaintID, kind, by, ledger.EventInput{PublicNote: public, InternalNote: internal})
}
