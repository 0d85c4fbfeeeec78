package portal

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
)

// The help page (/help, 帮助): how to report, the tracking code, following a
// report, what is kept and who sees it (the privacy notice), and the reward
// rules with the amounts of the configured levels. docs/guide-zh.md holds
// the same words for whoever prints or forwards them.

// helpView is the help page's data: the figures it quotes come from the
// running configuration, not from the text.
type helpView struct {
	AcceptDays, ConcludeDays int
	ClaimDays                int
	HeldMinutes              int
	ReceiptMinutes           int
	MaxPhotos                int
	Levels                   []helpLevel
	RetentionYears           int
}

// helpLevel is one reward level as the page states it.
type helpLevel struct {
	Name     string
	Min, Max string // yuan
}

// help shows the help page. A failure to read the reward levels leaves the
// amounts out (logged), never the page.
func (h *Handler) help(c *gin.Context) {
	v := helpView{
		AcceptDays: h.ledger.Limits.AcceptDays, ConcludeDays: h.ledger.Limits.ConcludeDays,
		HeldMinutes: int(conversation.HeldTTL / time.Minute), ReceiptMinutes: int(conversation.ReceiptTTL / time.Minute),
		MaxPhotos: h.limits.MaxPhotos, ClaimDays: 90, RetentionYears: int(ledger.DefaultRetention / (365 * 24 * time.Hour)),
	}
	if h.rewards != nil {
		if h.rewards.ClaimWindowDays > 0 {
			v.ClaimDays = h.rewards.ClaimWindowDays
		}
		ls, err := h.rewards.Levels(h.ctx(c))
		if err != nil {
			h.logErr(c, "reward levels", err)
		}
		for _, l := range ls {
			v.Levels = append(v.Levels, helpLevel{Name: l.Name, Min: wholeYuan(l.MinFen), Max: wholeYuan(l.MaxFen)})
		}
	}
	// private: the response may set the CSRF cookie (every portal page does
	// on a first visit), which a shared cache must never hand to others.
	c.Header("Cache-Control", "private, max-age=600")
	h.render(c, http.StatusOK, "help", page{Title: "帮助与隐私说明", Nav: "help", V: v})
}

// wholeYuan writes an amount in yuan without the fen when there are none
// (1000, not 1000.00): the rules are stated in whole yuan.
func wholeYuan(fen int64) string {
	if fen%100 == 0 {
		return strconv.FormatInt(fen/100, 10)
	}
	return reward.Yuan(fen)
}
