package portal

// The reward block of the tracking page (举报奖励) and the claim form
// (申领). The workflow is internal/reward; this file shows a complaint's
// reward as its reporter may see it and posts the claim with the tracking
// code taken from the hidden fields, like every other action of the page
// (trackAction: CSRF, the tracking rate limits, no code in any URL).

import (
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
)

// rewardView is what reward_track.html shows.
type rewardView struct {
	Has       bool // the complaint has a reward record
	Status    reward.Status
	Label     string
	Amount    string    // yuan, once approved
	Reason    string    // rejected or excluded
	Deadline  time.Time // claim deadline while approved
	CanClaim  bool      // approved, within the window, and looked up with the code
	NeedsCode bool      // approved and within the window, but looked up by hotline ticket
	Anonymous bool      // filed anonymously and asked for a reward
}

// rewardOf is the reward block of a complaint, or nil when there is nothing
// to say. Errors are logged and the block left out: the tracking page must
// not fail because of it.
func (h *Handler) rewardOf(c *gin.Context, cmp *ledger.Complaint) *rewardView {
	v := &rewardView{Anonymous: cmp.WantsReward && cmp.Identity == ledger.Anonymous}
	if h.rewards == nil {
		if v.Anonymous {
			return v
		}
		return nil
	}
	r, err := h.rewards.OfComplaint(h.ctx(c), cmp.ID)
	if apperr.Is(err, apperr.ENOTFOUND) {
		if v.Anonymous {
			return v
		}
		return nil
	}
	if err != nil {
		h.log.ErrorContext(h.ctx(c), "portal: reward status", "err", err)
		return nil
	}
	v.Has, v.Status, v.Label = true, r.Status, r.Status.Label()
	switch r.Status {
	case reward.Approved, reward.Claimed, reward.Paid, reward.Expired:
		v.Amount = reward.Yuan(r.AmountFen)
	case reward.Rejected:
		v.Reason = r.RejectReason
	case reward.Excluded:
		v.Reason = r.Exclusion.PublicNote()
	}
	if r.Status == reward.Approved && r.ClaimDeadline.Valid {
		v.Deadline = r.ClaimDeadline.Time
		open := !h.now().After(r.ClaimDeadline.Time)
		code := lookupFromForm(c).Code != ""
		v.CanClaim, v.NeedsCode = open && code, open && !code
	}
	return v
}

// trackRewardClaim is the claim form (POST /track/reward/claim): real name,
// ID number, phone and payee method, sealed by the domain. Bad fields come
// back one by one in Chinese (claim_*), under the form.
func (h *Handler) trackRewardClaim(c *gin.Context) {
	h.trackAction(c, func(cmp *ledger.Complaint) (string, map[string]string, error) {
		if h.rewards == nil {
			return "", nil, apperr.Errorf(apperr.ENOTFOUND, "该举报没有可申领的奖励")
		}
		f := c.Request.PostForm
		in := reward.ClaimInput{
			RealName: keepText(f.Get("real_name"), 60), IDNumber: keepText(f.Get("id_number"), 30), Phone: keepText(f.Get("phone"), 30),
			Method: reward.Method(keepText(f.Get("method"), 20)), BankName: keepText(f.Get("bank_name"), 120), BankAccount: keepText(f.Get("bank_account"), 60),
		}
		form := map[string]string{"claim_real_name": in.RealName, "claim_id_number": in.IDNumber, "claim_phone": in.Phone,
			"claim_method": string(in.Method), "claim_bank_name": in.BankName, "claim_bank_account": in.BankAccount}
		code := lookupFromForm(c).Code
		if code == "" {
			return "", form, apperr.Errorf(apperr.EINVALID, "申领奖励须使用查询码查询后提交")
		}
		if err := h.rewards.Claim(h.ctx(c), code, in); err != nil {
			if fs := apperr.Fields(err); fs != nil {
				return "", form, apperr.Invalid(prefix("claim_", fs))
			}
			return "", form, err
		}
		return "奖励申领信息已提交，财务部门将按您选择的方式发放。您的身份信息已加密保存，仅奖励工作人员可见。", nil, nil
	})
}

// canAskReward reports whether the tracking page offers to ask for a reward
// (the reporter did not when filing, and the complaint is not concluded).
func canAskReward(c *ledger.Complaint) bool { return reward.CanAsk(c) }

// trackRewardAsk records a reward asked for after filing (POST
// /track/reward/ask), from a page opened with the tracking code: the claim
// will need the code, so a page opened by hotline ticket cannot ask.
func (h *Handler) trackRewardAsk(c *gin.Context) {
	h.trackAction(c, func(cmp *ledger.Complaint) (string, map[string]string, error) {
		if h.rewards == nil {
			return "", nil, apperr.Errorf(apperr.ENOTFOUND, "举报奖励暂未开放")
		}
		if lookupFromForm(c).Code == "" {
			return "", nil, apperr.Errorf(apperr.EINVALID, "申请举报奖励须使用查询码查询后提交")
		}
		if err := h.rewards.Ask(h.ctx(c), cmp.ID); err != nil {
			return "", nil, err
		}
		cmp.WantsReward = true
		return "已收到您的奖励申请。问题经核查属实后，将在本页告知奖励审核结果。", nil, nil
	})
}
