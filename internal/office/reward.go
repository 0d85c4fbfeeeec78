package office

// The reward pages (举报奖励): the list by status with the budget, one
// reward's page (propose, approve, reject, pay, the claimant's identity) and
// the admin's levels and budget. The workflow, its rules and the SQL are
// internal/reward; these pages only check roles (the route table below),
// parse forms and render. Separation of duties between proposer and approver
// is the domain's (EFORBIDDEN), shown here as it comes.

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
)

// Role groups of the reward pages (security.md, README-reward.md).
var (
	// RewardReaders see the reward list, the budget and each reward; the
	// leader reads only.
	RewardReaders = []auth.Role{auth.RewardOfficer, auth.RewardApprover, auth.Finance, auth.Admin, auth.Leader}
	// RewardProposers propose (拟定) a level, amount and basis.
	RewardProposers = []auth.Role{auth.RewardOfficer}
	// RewardApprovers approve; never the proposer (the domain refuses).
	RewardApprovers = []auth.Role{auth.RewardApprover}
	// RewardRejecters decline a reward with a reason the reporter reads.
	RewardRejecters = []auth.Role{auth.RewardOfficer, auth.RewardApprover}
	// RewardPayers record payment and download the payment list.
	RewardPayers = []auth.Role{auth.Finance}
	// RewardIdentityViewers may open a claimant's identity (audited).
	RewardIdentityViewers = []auth.Role{auth.Finance, auth.RewardOfficer}
	// RewardRuleSetters edit the levels and the year's budget.
	RewardRuleSetters = []auth.Role{auth.Admin}
)

// rewardOnly answers 503 when the application did not give the back office
// a reward service (Deps.Rewards).
func rewardOnly(fn func(h *Handler, c *gin.Context)) func(h *Handler, c *gin.Context) {
	return func(h *Handler, c *gin.Context) {
		if h.Rewards == nil {
			h.fail(c, apperr.Errorf(apperr.EUNAVAILABLE, "举报奖励模块未启用"))
			return
		}
		fn(h, c)
	}
}

// --- templates -----------------------------------------------------------

// renderReward is renderPage for the reward views, which keep the flash
// message their handler set.
func (h *Handler) renderReward(c *gin.Context, code int, view string, p page) {
	if p.Flash == "" {
		p.Flash = flash(c)
	}
	h.renderPage(c, code, view, p)
}

// --- list ------------------------------------------------------------------

type rewardStatusTab struct {
	Status    reward.Status
	Label     string
	Count     int
	AmountFen int64
	Current   bool
}

type rewardRow struct {
	R         reward.Reward
	CaseRef   string
	Complaint string
	Level     string
}

type rewardListData struct {
	Status    reward.Status
	Tabs      []rewardStatusTab
	All       rewardStatusTab
	Rows      []rewardRow
	Totals    reward.Totals
	Year      int
	Budget    *reward.Budget
	NoBudget  string
	CanExport bool
}

func (h *Handler) rewardYear(c *gin.Context) int {
	if y, err := strconv.Atoi(c.Query("year")); err == nil && y >= 2000 && y <= 2200 {
		return y
	}
	return h.Rewards.Year(h.now())
}

func (h *Handler) levelNames(c *gin.Context) (map[string]string, []reward.Level, error) {
	ls, err := h.Rewards.Levels(h.ctx(c))
	if err != nil {
		return nil, nil, err
	}
	m := map[string]string{}
	for _, l := range ls {
		m[l.Code] = l.Name
	}
	return m, ls, nil
}

// rewardList is the rewards by status with count and amount per status, and
// the year's budget: total, committed (approved, not paid), paid and left.
func (h *Handler) rewardList(c *gin.Context) {
	ctx := h.ctx(c)
	st := reward.Status(c.Query("status"))
	if st != "" && !st.Valid() {
		h.fail(c, apperr.Invalid(map[string]string{"status": "状态无效"}))
		return
	}
	all, total, err := h.Rewards.List(ctx, "")
	if err != nil {
		h.fail(c, err)
		return
	}
	names, _, err := h.levelNames(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := rewardListData{Status: st, Year: h.rewardYear(c), All: rewardStatusTab{Label: "全部", Count: total.Count, AmountFen: total.AmountFen, Current: st == ""}}
	d.CanExport = User(c).Role == auth.Finance
	byStatus := map[reward.Status]*rewardStatusTab{}
	for _, s := range reward.Statuses {
		d.Tabs = append(d.Tabs, rewardStatusTab{Status: s, Label: s.Label(), Current: s == st})
	}
	for i := range d.Tabs {
		byStatus[d.Tabs[i].Status] = &d.Tabs[i]
	}
	for _, r := range all {
		if t := byStatus[r.Status]; t != nil {
			t.Count++
			t.AmountFen += r.AmountFen
		}
		if st != "" && r.Status != st {
			continue
		}
		d.Rows = append(d.Rows, rewardRow{R: r, CaseRef: ledger.CaseRef(r.CaseID), Complaint: ledger.ComplaintRef(r.ComplaintID), Level: names[r.Level.String]})
		d.Totals.Count++
		d.Totals.AmountFen += r.AmountFen
	}
	d.Budget, err = h.Rewards.Budget(ctx, d.Year)
	if apperr.Is(err, apperr.ENOTFOUND) {
		d.NoBudget, err = apperr.Message(err), nil
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderReward(c, http.StatusOK, "reward_list", page{Title: "举报奖励", Data: d})
}

// rewardPaymentsXLSX is finance's payment list of a budget year (奖励发放明细).
// It holds no claimant identities.
func (h *Handler) rewardPaymentsXLSX(c *gin.Context) {
	year := h.rewardYear(c)
	var b bytes.Buffer
	if err := h.Rewards.PaymentsXLSX(h.ctx(c), &b, year); err != nil {
		h.fail(c, err)
		return
	}
	name := fmt.Sprintf("reward-payments-%d.xlsx", year)
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b.Bytes())
}

// --- one reward -----------------------------------------------------------

type rewardDetailData struct {
	R          *reward.Reward
	Case       *ledger.Case
	CaseRef    string
	Complaint  string
	Level      string
	Levels     []reward.Level
	Names      map[int64]string
	History    []ledger.Event
	Identity   *reward.Claimant
	Form       map[string]string
	Today      string
	IsProposer bool
	PayMethod  string
}

// rewardOfCase finds the reward of the case in the URL.
func (h *Handler) rewardOfCase(c *gin.Context) (*reward.Reward, error) {
	caseID, err := idParam(c)
	if err != nil {
		return nil, err
	}
	return h.Rewards.OfCase(h.ctx(c), caseID)
}

func (h *Handler) rewardPage(c *gin.Context) {
	h.renderRewardDetail(c, http.StatusOK, "", nil, nil, nil)
}

// renderRewardDetail shows one reward: its case, amounts, who did what, the
// forms the user's role may use in the reward's status, and the public notes
// the reporter reads. identity is shown in this response only.
func (h *Handler) renderRewardDetail(c *gin.Context, code int, msg string, fields, form map[string]string, identity *reward.Claimant) {
	ctx := h.ctx(c)
	r, err := h.rewardOfCase(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := rewardDetailData{R: r, CaseRef: ledger.CaseRef(r.CaseID), Complaint: ledger.ComplaintRef(r.ComplaintID), Identity: identity,
		Form: form, Today: h.now().In(h.Location).Format("2006-01-02"), Names: map[int64]string{}}
	if d.Form == nil {
		d.Form = map[string]string{}
	}
	var names map[string]string
	if names, d.Levels, err = h.levelNames(c); err != nil {
		h.fail(c, err)
		return
	}
	d.Level = names[r.Level.String]
	if d.Case, err = h.Ledger.Case(ctx, r.CaseID); err != nil {
		h.fail(c, err)
		return
	}
	for _, id := range []sql.NullInt64{r.ProposedBy, r.ApprovedBy, r.RejectedBy, r.PaidBy} {
		if id.Valid {
			d.Names[id.Int64] = h.userName(ctx, id.Int64) // a name, never the login name
		}
	}
	d.IsProposer = r.ProposedBy.Valid && r.ProposedBy.Int64 == User(c).ID
	d.PayMethod = r.PayeeMethod
	if cm, err := h.Ledger.Complaint(ctx, r.ComplaintID); err == nil {
		evs, err := h.Ledger.PublicTimeline(ctx, cm)
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, ev := range evs {
			if strings.HasPrefix(ev.Kind, "reward.") {
				d.History = append(d.History, ev)
			}
		}
	} else {
		h.fail(c, err)
		return
	}
	h.renderReward(c, code, "reward_detail", page{Title: "举报奖励 " + r.Ref(), Error: msg, Fields: fields, Data: d})
}

// rewardAction runs one workflow step on the reward of the URL's case: on
// success back to the reward's page with a message; on a refusal the page
// again with the domain's message (e.g. 审批人不能是拟定人, 该奖励已发放) and
// what was typed.
func (h *Handler) rewardAction(c *gin.Context, okMsg string, form map[string]string, fn func(r *reward.Reward, by ledger.Actor) error) {
	r, err := h.rewardOfCase(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := fn(r, h.actor(c)); err != nil {
		code := httpStatus(err)
		if code >= 500 {
			h.fail(c, err)
			return
		}
		h.renderRewardDetail(c, code, apperr.Message(err), apperr.Fields(err), form, nil)
		return
	}
	done(c, "/office/cases/"+strconv.FormatInt(r.CaseID, 10)+"/reward", okMsg)
}

var yuanRE = regexp.MustCompile(`^[0-9]{1,10}(\.[0-9]{1,2})?$`)

// parseYuan reads an amount in yuan ("500", "1,000.5", "800元") as fen.
func parseYuan(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", "，", "", " ", "", "元", "", "¥", "", "￥", "").Replace(strings.TrimSpace(s))
	if !yuanRE.MatchString(s) {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return y*100 + f, true
}

const badYuan = "请填写金额（元，最多两位小数）"

func (h *Handler) rewardPropose(c *gin.Context) {
	form := map[string]string{"level": c.PostForm("level"), "amount": c.PostForm("amount"), "basis": c.PostForm("basis")}
	h.rewardAction(c, "奖励已拟定，待审批人审批", form, func(r *reward.Reward, by ledger.Actor) error {
		fen, ok := parseYuan(form["amount"])
		if !ok || fen <= 0 {
			return apperr.Invalid(map[string]string{"amount": badYuan})
		}
		return h.Rewards.Propose(h.ctx(c), r.ID, form["level"], fen, form["basis"], by)
	})
}

func (h *Handler) rewardApprove(c *gin.Context) {
	h.rewardAction(c, "奖励已批准，金额已计入年度预算，举报人可在查询页面申领", nil, func(r *reward.Reward, by ledger.Actor) error {
		return h.Rewards.Approve(h.ctx(c), r.ID, by)
	})
}

func (h *Handler) rewardReject(c *gin.Context) {
	form := map[string]string{"reason": c.PostForm("reason")}
	h.rewardAction(c, "已决定不予奖励，理由已告知举报人", form, func(r *reward.Reward, by ledger.Actor) error {
		return h.Rewards.Reject(h.ctx(c), r.ID, form["reason"], by)
	})
}

func (h *Handler) rewardPay(c *gin.Context) {
	form := map[string]string{"method": c.PostForm("method"), "reference": c.PostForm("reference"), "paid_on": c.PostForm("paid_on")}
	h.rewardAction(c, "已登记发放", form, func(r *reward.Reward, by ledger.Actor) error {
		var paidOn time.Time
		if s := strings.TrimSpace(form["paid_on"]); s != "" {
			t, err := time.ParseInLocation("2006-01-02", s, h.Location)
			if err != nil {
				return apperr.Invalid(map[string]string{"paid_on": "发放日期格式应为 2026-01-31"})
			}
			paidOn = t
		}
		return h.Rewards.Pay(h.ctx(c), r.ID, reward.Method(form["method"]), form["reference"], paidOn, by)
	})
}

// rewardIdentity shows the claimant's identity and payee details in this
// response only; reward.Identity writes reward.identity_viewed to the audit
// log before it returns anything.
func (h *Handler) rewardIdentity(c *gin.Context) {
	r, err := h.rewardOfCase(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	id, err := h.Rewards.Identity(h.ctx(c), r.ID, h.actor(c))
	if err != nil {
		if code := httpStatus(err); code < 500 {
			h.renderRewardDetail(c, code, apperr.Message(err), nil, nil, nil)
			return
		}
		h.fail(c, err)
		return
	}
	h.renderRewardDetail(c, http.StatusOK, "", nil, nil, id)
}

// --- levels and budget (admin) --------------------------------------------

type rewardRulesData struct {
	Levels  []reward.Level
	Year    int
	Budget  *reward.Budget
	Budgets []*reward.Budget
	Form    map[string]string
}

func (h *Handler) rewardRules(c *gin.Context) {
	h.renderRewardRules(c, http.StatusOK, "", nil, nil)
}

func (h *Handler) renderRewardRules(c *gin.Context, code int, msg string, fields, form map[string]string) {
	ctx := h.ctx(c)
	d := rewardRulesData{Year: h.rewardYear(c), Form: form}
	if d.Form == nil {
		d.Form = map[string]string{}
	}
	var err error
	if d.Levels, err = h.Rewards.Levels(ctx); err != nil {
		h.fail(c, err)
		return
	}
	for _, y := range []int{d.Year - 1, d.Year, d.Year + 1} {
		b, err := h.Rewards.Budget(ctx, y)
		if apperr.Is(err, apperr.ENOTFOUND) {
			b, err = &reward.Budget{Year: y, TotalFen: -1}, nil
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		d.Budgets = append(d.Budgets, b)
	}
	h.renderReward(c, code, "reward_rules", page{Title: "奖励等级和年度预算", Error: msg, Fields: fields, Data: d})
}

func (h *Handler) rulesResult(c *gin.Context, okMsg string, form map[string]string, err error) {
	if err != nil {
		if code := httpStatus(err); code < 500 {
			h.renderRewardRules(c, code, apperr.Message(err), apperr.Fields(err), form)
			return
		}
		h.fail(c, err)
		return
	}
	done(c, "/office/rewards/rules", okMsg)
}

func (h *Handler) rewardSetLevel(c *gin.Context) {
	code := c.PostForm("code")
	form := map[string]string{"level": code, "min": c.PostForm("min"), "max": c.PostForm("max")}
	lo, ok1 := parseYuan(form["min"])
	hi, ok2 := parseYuan(form["max"])
	if !ok1 || !ok2 {
		h.rulesResult(c, "", form, apperr.Invalid(map[string]string{"range": "金额范围须填写元数（最多两位小数）"}))
		return
	}
	h.rulesResult(c, "奖励等级已修改", form, h.Rewards.SetLevel(h.ctx(c), code, lo, hi, h.actor(c)))
}

func (h *Handler) rewardSetBudget(c *gin.Context) {
	form := map[string]string{"year": c.PostForm("year"), "total": c.PostForm("total")}
	year, err := strconv.Atoi(strings.TrimSpace(form["year"]))
	if err != nil {
		h.rulesResult(c, "", form, apperr.Invalid(map[string]string{"year": "年度无效"}))
		return
	}
	total, ok := parseYuan(form["total"])
	if !ok {
		h.rulesResult(c, "", form, apperr.Invalid(map[string]string{"total": badYuan}))
		return
	}
	h.rulesResult(c, fmt.Sprintf("%d年度奖励预算已设置为%s元", year, reward.Yuan(total)), form, h.Rewards.SetBudget(h.ctx(c), year, total, h.actor(c)))
}
