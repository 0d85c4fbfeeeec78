package reward_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
)

const day = 24 * time.Hour

func TestWholePathEligibleToPaid(t *testing.T) {
	e := newEnv(t)
	r, code := e.eligible()
	if r.Status != reward.Eligible {
		t.Fatalf("status %s", r.Status)
	}
	p, err := e.rewards.Status(ctx, code)
	must(t, err)
	if p.Label != "待审核" || p.AmountFen != 0 || p.CanClaim {
		t.Fatalf("public %+v", p)
	}
	must(t, e.rewards.SetBudget(ctx, 2026, 1_000_000, e.admin))
	must(t, e.rewards.Propose(ctx, r.ID, "general", 50_000, "线索具体，查实违法排污", e.officer))
	must(t, e.rewards.Approve(ctx, r.ID, e.approver))
	if b := e.budget(2026); b.CommittedFen != 50_000 || b.PaidFen != 0 || b.LeftFen != 950_000 {
		t.Fatalf("budget after approve %+v", b)
	}
	p, err = e.rewards.Status(ctx, code)
	must(t, err)
	if p.Status != reward.Approved || p.AmountFen != 50_000 || !p.CanClaim || p.ClaimDeadline == nil {
		t.Fatalf("public %+v", p)
	}
	// Window: 90 days after 3 March (Shanghai), to the end of that day.
	if got := p.ClaimDeadline.In(e.ledger.Location).Format("2006-01-02 15:04"); got != "2026-06-01 23:59" {
		t.Fatalf("deadline %s", got)
	}

	e.clk.add(10 * day)
	must(t, e.rewards.Claim(ctx, code, goodClaim()))
	wantCode(t, e.rewards.Claim(ctx, code, goodClaim()), apperr.ECONFLICT)
	r = e.get(r.ID)
	if r.Status != reward.Claimed || !r.HasIdentity || r.PayeeMethod != "bank" {
		t.Fatalf("after claim %+v", r)
	}
	// Sealed at rest: neither the name nor the ID number is in the row.
	var enc string
	must(t, e.db.Get(&enc, `SELECT claimant_enc FROM rewards WHERE id = ?`, r.ID))
	if strings.Contains(enc, "张三") || strings.Contains(enc, "61090220000229456") {
		t.Fatal("identity stored in clear")
	}
	wantCode(t, func() error { _, err := e.rewards.Identity(ctx, r.ID, ledger.Actor{Name: "x"}); return err }(), apperr.EFORBIDDEN)
	id, err := e.rewards.Identity(ctx, r.ID, e.finance)
	must(t, err)
	if id.RealName != "张三" || id.IDNumber != "61090220000229456X" || id.Phone != "13812345678" || id.BankAccount != "6228480123456789012" {
		t.Fatalf("identity %+v", id)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'reward.identity_viewed' AND actor = 'finance1'`); n != 1 {
		t.Fatalf("identity views audited %d", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%张三%' OR detail LIKE '%6109022000%'`); n != 0 {
		t.Fatal("identity in the audit log")
	}

	paidOn := e.clk.now()
	must(t, e.rewards.Pay(ctx, r.ID, reward.Bank, "NX20260313-001", paidOn, e.finance))
	err = e.rewards.Pay(ctx, r.ID, reward.Bank, "NX20260313-002", paidOn, e.finance)
	wantCode(t, err, apperr.ECONFLICT)
	if apperr.Message(err) != "该奖励已发放" {
		t.Fatalf("message %q", apperr.Message(err))
	}
	r = e.get(r.ID)
	if r.Status != reward.Paid || r.PayReference != "NX20260313-001" {
		t.Fatalf("after pay %+v", r)
	}
	if b := e.budget(2026); b.CommittedFen != 0 || b.PaidFen != 50_000 || b.LeftFen != 950_000 {
		t.Fatalf("budget after pay %+v", b)
	}
	p, _ = e.rewards.Status(ctx, code)
	if p.Label != "已发放" || p.AmountFen != 50_000 {
		t.Fatalf("public %+v", p)
	}
	// The reporter's timeline tells the story in public notes.
	c, err := e.ledger.Track(ctx, code)
	must(t, err)
	evs, err := e.ledger.PublicTimeline(ctx, c)
	must(t, err)
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	for _, k := range []string{"reward.eligible", "reward.approved", "reward.claimed", "reward.paid"} {
		if !strings.Contains(strings.Join(kinds, " "), k) {
			t.Fatalf("public timeline lacks %s: %v", k, kinds)
		}
	}

	// The finance export lists the payment and its total.
	var buf bytes.Buffer
	must(t, e.rewards.PaymentsXLSX(ctx, &buf, 2026))
	f, err := excelize.OpenReader(&buf)
	must(t, err)
	rows, err := f.GetRows(f.GetSheetName(0))
	must(t, err)
	if len(rows) != 3 || rows[1][0] != r.Ref() || rows[1][6] != "NX20260313-001" || rows[2][0] != "合计" || !strings.Contains(rows[1][4], "500") {
		t.Fatalf("xlsx rows %q", rows)
	}

	list, tot, err := e.rewards.List(ctx, reward.Paid)
	must(t, err)
	if len(list) != 1 || tot.Count != 1 || tot.AmountFen != 50_000 {
		t.Fatalf("list %v %+v", list, tot)
	}

	// Retention: nothing erased before five years, everything but the money trail after.
	e.clk.add(5*365*day - 10*day)
	n, err := e.rewards.EraseDue(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("erased %d too early", n)
	}
	e.clk.add(20 * day)
	n, err = e.rewards.EraseDue(ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("erased %d", n)
	}
	r = e.get(r.ID)
	if r.HasIdentity || !r.IdentityErasedAt.Valid || r.AmountFen != 50_000 || r.PayReference != "NX20260313-001" || !r.PaidOn.Valid {
		t.Fatalf("after erase %+v", r)
	}
	_, err = e.rewards.Identity(ctx, r.ID, e.finance)
	wantCode(t, err, apperr.ENOTFOUND)
}

func TestReject(t *testing.T) {
	e := newEnv(t)
	r, code := e.eligible()
	wantCode(t, e.rewards.Reject(ctx, r.ID, "  ", e.officer), apperr.EINVALID)
	must(t, e.rewards.Propose(ctx, r.ID, "general", 30_000, "依据", e.officer))
	must(t, e.rewards.Reject(ctx, r.ID, "举报内容与查处结果关联不大", e.approver))
	p, err := e.rewards.Status(ctx, code)
	must(t, err)
	if p.Status != reward.Rejected || p.Label != "不予奖励" || p.Reason != "举报内容与查处结果关联不大" || p.AmountFen != 0 {
		t.Fatalf("public %+v", p)
	}
	wantCode(t, e.rewards.Propose(ctx, r.ID, "general", 30_000, "依据", e.officer), apperr.ECONFLICT)
	wantCode(t, e.rewards.Approve(ctx, r.ID, e.approver), apperr.ECONFLICT)
	wantCode(t, e.rewards.Reject(ctx, r.ID, "again", e.approver), apperr.ECONFLICT)
	wantCode(t, e.rewards.Claim(ctx, code, goodClaim()), apperr.ECONFLICT)
}

func TestClaimWindowAndExpiry(t *testing.T) {
	e := newEnv(t)
	must(t, e.rewards.SetBudget(ctx, 2026, 1_000_000, e.admin))
	late, lateCode := e.eligible()
	onTime, onTimeCode := e.eligible()
	for _, r := range []*reward.Reward{late, onTime} {
		must(t, e.rewards.Propose(ctx, r.ID, "larger", 200_000, "线索重要", e.officer))
		must(t, e.rewards.Approve(ctx, r.ID, e.approver))
	}
	if b := e.budget(2026); b.CommittedFen != 400_000 {
		t.Fatalf("committed %d", b.CommittedFen)
	}
	e.clk.add(89 * day)
	must(t, e.rewards.Claim(ctx, onTimeCode, goodClaim()))
	e.clk.add(2 * day) // past 1 June 23:59 Shanghai
	err := e.rewards.Claim(ctx, lateCode, goodClaim())
	wantCode(t, err, apperr.ECONFLICT)
	if !strings.Contains(apperr.Message(err), "截止") {
		t.Fatalf("message %q", apperr.Message(err))
	}
	if p, _ := e.rewards.Status(ctx, lateCode); p.CanClaim {
		t.Fatal("claimable after the window")
	}
	n, err := e.rewards.ExpireDue(ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("expired %d", n)
	}
	if r := e.get(late.ID); r.Status != reward.Expired || !r.ExpiredAt.Valid {
		t.Fatalf("late %+v", r)
	}
	if r := e.get(onTime.ID); r.Status != reward.Claimed {
		t.Fatalf("on time %+v", r)
	}
	if b := e.budget(2026); b.CommittedFen != 200_000 || b.LeftFen != 800_000 {
		t.Fatalf("budget after expiry %+v", b)
	}
	if n, _ := e.rewards.ExpireDue(ctx); n != 0 {
		t.Fatalf("expired twice: %d", n)
	}
	wantCode(t, e.rewards.Claim(ctx, lateCode, goodClaim()), apperr.ECONFLICT)
	// The claimed one is still paid from last year's commitment in a new year.
	e.clk.add(300 * day)
	must(t, e.rewards.Pay(ctx, onTime.ID, reward.InPerson, "XJ-0001", e.clk.now(), e.finance))
	if b := e.budget(2026); b.CommittedFen != 0 || b.PaidFen != 200_000 {
		t.Fatalf("budget after late pay %+v", b)
	}
}

func TestSeparationOfDuties(t *testing.T) {
	e := newEnv(t)
	must(t, e.rewards.SetBudget(ctx, 2026, 1_000_000, e.admin))
	r, _ := e.eligible()
	must(t, e.rewards.Propose(ctx, r.ID, "general", 50_000, "依据", e.approver))
	t.Run("ErrProposerApproves", func(t *testing.T) {
		wantCode(t, e.rewards.Approve(ctx, r.ID, e.approver), apperr.EFORBIDDEN)
		if got := e.get(r.ID); got.Status != reward.Proposed {
			t.Fatalf("status %s", got.Status)
		}
		if b := e.budget(2026); b.CommittedFen != 0 {
			t.Fatalf("committed %d", b.CommittedFen)
		}
	})
	t.Run("ErrNoUser", func(t *testing.T) {
		wantCode(t, e.rewards.Approve(ctx, r.ID, ledger.Actor{Name: "anonymous"}), apperr.EFORBIDDEN)
	})
	t.Run("RevisionMovesTheDuty", func(t *testing.T) {
		must(t, e.rewards.Propose(ctx, r.ID, "general", 60_000, "修改后的依据", e.officer))
		wantCode(t, e.rewards.Approve(ctx, r.ID, e.officer), apperr.EFORBIDDEN)
	})
	t.Run("OK", func(t *testing.T) {
		must(t, e.rewards.Approve(ctx, r.ID, e.approver))
		if got := e.get(r.ID); got.ApprovedBy.Int64 != e.approver.UserID || got.ProposedBy.Int64 != e.officer.UserID || got.AmountFen != 60_000 {
			t.Fatalf("reward %+v", got)
		}
	})
	t.Run("ErrNotClaimedYet", func(t *testing.T) {
		wantCode(t, e.rewards.Pay(ctx, r.ID, reward.Bank, "X1", e.clk.now(), e.finance), apperr.ECONFLICT)
	})
}

func TestProposeAmountWithinLevel(t *testing.T) {
	e := newEnv(t)
	r, _ := e.eligible()
	for _, tc := range []struct {
		name  string
		level string
		fen   int64
		basis string
		code  string
	}{
		{"ErrBelowGeneral", "general", 19_999, "依据", apperr.EINVALID},
		{"ErrAboveGeneral", "general", 100_001, "依据", apperr.EINVALID},
		{"ErrAboveMajor", "major", 1_000_001, "依据", apperr.EINVALID},
		{"ErrZero", "larger", 0, "依据", apperr.EINVALID},
		{"ErrUnknownLevel", "huge", 50_000, "依据", apperr.EINVALID},
		{"ErrNoBasis", "general", 50_000, " ", apperr.EINVALID},
		{"OKGeneralMin", "general", 20_000, "依据", ""},
		{"OKLargerBoundary", "larger", 100_000, "依据", ""},
		{"OKMajorMax", "major", 1_000_000, "依据", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.rewards.Propose(ctx, r.ID, tc.level, tc.fen, tc.basis, e.officer)
			wantCode(t, err, tc.code)
			if tc.code == apperr.EINVALID && apperr.Fields(err) == nil {
				t.Fatal("no field named")
			}
		})
	}
	// The admin narrows 重大; an approval re-checks the level.
	must(t, e.rewards.SetBudget(ctx, 2026, 10_000_000, e.admin))
	must(t, e.rewards.SetLevel(ctx, "major", 500_000, 800_000, e.admin))
	wantCode(t, e.rewards.Approve(ctx, r.ID, e.approver), apperr.EINVALID)
	wantCode(t, e.rewards.SetLevel(ctx, "major", 800_000, 500_000, e.admin), apperr.EINVALID)
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('reward.level_set', 'reward.budget_set')`); n != 2 {
		t.Fatalf("rule changes audited %d", n)
	}
}

func TestBudgetRules(t *testing.T) {
	e := newEnv(t)
	_, err := e.rewards.Budget(ctx, 2026)
	wantCode(t, err, apperr.ENOTFOUND)
	r, _ := e.eligible()
	must(t, e.rewards.Propose(ctx, r.ID, "general", 50_000, "依据", e.officer))
	t.Run("ErrNoBudget", func(t *testing.T) {
		wantCode(t, e.rewards.Approve(ctx, r.ID, e.approver), apperr.EBUDGET)
		if got := e.get(r.ID); got.Status != reward.Proposed {
			t.Fatalf("status %s", got.Status)
		}
	})
	t.Run("ErrBudgetExceeded", func(t *testing.T) {
		must(t, e.rewards.SetBudget(ctx, 2026, 49_999, e.admin))
		wantCode(t, e.rewards.Approve(ctx, r.ID, e.approver), apperr.EBUDGET)
	})
	t.Run("OK", func(t *testing.T) {
		must(t, e.rewards.SetBudget(ctx, 2026, 50_000, e.admin))
		must(t, e.rewards.Approve(ctx, r.ID, e.approver))
	})
	t.Run("ErrTotalBelowCommitted", func(t *testing.T) {
		wantCode(t, e.rewards.SetBudget(ctx, 2026, 40_000, e.admin), apperr.EINVALID)
		if b := e.budget(2026); b.TotalFen != 50_000 || b.LeftFen != 0 {
			t.Fatalf("budget %+v", b)
		}
	})
}

func TestIDNumberCheckDigit(t *testing.T) {
	today := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, id string
		ok       bool
	}{
		{"OKCheckX", "11010519491231002X", true},
		{"OKLowerX", "11010519491231002x", true},
		{"OKLeapDay", "61090220000229456X", true},
		{"OKDigit", "610924198503121235", true},
		{"OKSpaces", " 440304199912310015 ", true},
		{"ErrBadCheckDigit", "610924198503121236", false},
		{"ErrXWhereDigitBelongs", "61092419850312123X", false},
		{"ErrTooShort", "61092419850312123", false},
		{"ErrTooLong", "6109241985031212350", false},
		{"ErrFifteenDigitOldForm", "610924850312123", false},
		{"ErrLetters", "61092419850312A235", false},
		{"ErrNoSuchDate", withCheck("61092419850230123"), false},
		{"ErrNotLeapYear", withCheck("61090219000229456"), false},
		{"ErrFutureBirth", withCheck("61092420270101001"), false},
		{"ErrBefore1900", withCheck("61092418991231001"), false},
		{"ErrEmpty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, msg := reward.CheckIDNumber(tc.id, today)
			if (msg == "") != tc.ok {
				t.Fatalf("CheckIDNumber(%q) = %q", tc.id, msg)
			}
		})
	}
}

// withCheck appends the GB 11643 check character, so that a test can make
// a number that is wrong only in its date.
func withCheck(s17 string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(s17[i]-'0') * w[i]
	}
	return s17 + string("10X98765432"[sum%11])
}

func TestClaimValidation(t *testing.T) {
	e := newEnv(t)
	must(t, e.rewards.SetBudget(ctx, 2026, 1_000_000, e.admin))
	r, code := e.eligible()
	must(t, e.rewards.Propose(ctx, r.ID, "general", 50_000, "依据", e.officer))
	must(t, e.rewards.Approve(ctx, r.ID, e.approver))
	for _, tc := range []struct {
		name  string
		edit  func(*reward.ClaimInput)
		field string
	}{
		{"ErrName", func(c *reward.ClaimInput) { c.RealName = "" }, "real_name"},
		{"ErrIDCheck", func(c *reward.ClaimInput) { c.IDNumber = "610924198503121236" }, "id_number"},
		{"ErrPhone", func(c *reward.ClaimInput) { c.Phone = "12345" }, "phone"},
		{"ErrPhonePrefix", func(c *reward.ClaimInput) { c.Phone = "12812345678" }, "phone"},
		{"ErrMethod", func(c *reward.ClaimInput) { c.Method = "cash" }, "method"},
		{"ErrBankAccount", func(c *reward.ClaimInput) { c.BankAccount = "abc" }, "bank_account"},
		{"ErrBankName", func(c *reward.ClaimInput) { c.BankName = "" }, "bank_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := goodClaim()
			tc.edit(&in)
			err := e.rewards.Claim(ctx, code, in)
			wantCode(t, err, apperr.EINVALID)
			if apperr.Fields(err)[tc.field] == "" {
				t.Fatalf("fields %v", apperr.Fields(err))
			}
		})
	}
	t.Run("ErrUnknownCode", func(t *testing.T) {
		wantCode(t, e.rewards.Claim(ctx, "0000-0000-0000-0000", goodClaim()), apperr.ENOTFOUND)
	})
	if got := e.get(r.ID); got.Status != reward.Approved || got.HasIdentity {
		t.Fatalf("changed by bad claims: %+v", got)
	}
	t.Run("OKInPersonLandline", func(t *testing.T) {
		in := goodClaim()
		in.Method, in.Phone, in.BankName, in.BankAccount = reward.InPerson, "0915-6321234", "", ""
		must(t, e.rewards.Claim(ctx, code, in))
	})
}

// TestOfCaseAndComplaint finds a reward from the pages' side: by the case
// (the office) and by the reporter's complaint (the portal).
func TestOfCaseAndComplaint(t *testing.T) {
	e := newEnv(t)
	caseID, filed := e.verifiedCase(ledger.SourceComplaint, ledger.Substantiated, resident(true, time.Hour))
	want := e.rewardOfCase(caseID)
	tests := []struct {
		name string
		get  func() (*reward.Reward, error)
		code string
	}{
		{"OKOfCase", func() (*reward.Reward, error) { return e.rewards.OfCase(ctx, caseID) }, ""},
		{"OKOfComplaint", func() (*reward.Reward, error) { return e.rewards.OfComplaint(ctx, filed[0].Complaint.ID) }, ""},
		{"ErrNoSuchCase", func() (*reward.Reward, error) { return e.rewards.OfCase(ctx, caseID+100) }, apperr.ENOTFOUND},
		{"ErrNoSuchComplaint", func() (*reward.Reward, error) { return e.rewards.OfComplaint(ctx, 99999) }, apperr.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.get()
			if apperr.Code(err) != tt.code || (tt.code == "" && r.ID != want.ID) {
				t.Fatalf("got %+v, %v", r, err)
			}
		})
	}
}
