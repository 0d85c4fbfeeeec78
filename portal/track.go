package portal

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
	"ecoreport/internal/trackcode"
	"ecoreport/internal/web"
)

// lookupInput is how a reporter identifies a complaint: the tracking code, or
// a hotline ticket number with the last four digits of the caller's phone.
// On the tracking page it rides along in hidden POST fields, never in a URL.
type lookupInput struct {
	Code     string `json:"code"`
	TicketNo string `json:"ticket_no"`
	Last4    string `json:"phone_last4"`
}

func lookupFromForm(c *gin.Context) lookupInput {
	f := c.Request.PostForm
	return lookupInput{Code: keepText(f.Get("code"), 64), TicketNo: keepText(f.Get("ticket_no"), 64), Last4: keepText(f.Get("phone_last4"), 8)}
}

// lookup finds the complaint after the client and per-code rate limits.
// Every miss is ledger.ErrNoSuchCode for a code, ledger.ErrNoSuchTicket for a
// ticket number; the per-ticket limit counts the number as the ledger
// compares it (any case, any width), and the ledger's own count of failures
// per ticket, shared by every instance, locks the ticket after too many.
func (h *Handler) lookup(c *gin.Context, in lookupInput) (*ledger.Complaint, error) {
	cmp, _, err := h.lookupAs(c, in, false)
	return cmp, err
}

// lookupTimeline is lookup with the complaint's public timeline; by code,
// both come in one query (ledger.TrackTimeline).
func (h *Handler) lookupTimeline(c *gin.Context, in lookupInput) (*ledger.Complaint, []eventView, error) {
	return h.lookupAs(c, in, true)
}

func (h *Handler) lookupAs(c *gin.Context, in lookupInput, timeline bool) (*ledger.Complaint, []eventView, error) {
	if err := h.allow(h.trackLimit, h.clientKey(c, "track")); err != nil {
		return nil, nil, err
	}
	code := strings.TrimSpace(in.Code)
	if code == "" && strings.TrimSpace(in.TicketNo) == "" {
		return nil, nil, apperr.Invalid(map[string]string{"code": "请输入查询码，或热线工单编号和手机号后四位"})
	}
	key := "ticket:" + ledger.CanonicalTicketNo(in.TicketNo)
	if code != "" {
		if n, err := trackcode.Normalize(code); err == nil {
			key = "code:" + n
		} else {
			key = "code:" + strings.ToUpper(code)
		}
	}
	if err := h.allow(h.codeLimit, h.hasher.Key("lookup", key, h.now())); err != nil {
		return nil, nil, err
	}
	ctx := h.ctx(c)
	switch {
	case code != "" && timeline:
		cmp, evs, err := h.ledger.TrackTimeline(ctx, code)
		if err != nil {
			return nil, nil, err
		}
		return cmp, eventViews(evs), nil
	case code != "":
		cmp, err := h.ledger.Track(ctx, code)
		return cmp, nil, err
	}
	cmp, err := h.ledger.TrackTicket(ctx, in.TicketNo, strings.TrimSpace(in.Last4))
	if err != nil || !timeline {
		return cmp, nil, err
	}
	evs, err := h.timeline(ctx, cmp)
	if err != nil {
		return nil, nil, err
	}
	return cmp, evs, nil
}

// trackFormView is the lookup form's data.
type trackFormView struct {
	In     lookupInput
	Errors map[string]string
}

// trackForm shows the lookup form.
func (h *Handler) trackForm(c *gin.Context) {
	h.render(c, http.StatusOK, "track_form", page{Title: "查询进度", Nav: "track", V: trackFormView{}})
}

// renderTrackForm answers a failed lookup with the form again, what was
// typed and the problem (web.Errors.HTML decides status and Retry-After).
func (h *Handler) renderTrackForm(c *gin.Context, in lookupInput, err error) {
	h.errs.HTML(c, err, func(p web.Problem) {
		h.render(c, p.Status, "track_form", page{Title: "查询进度", Nav: "track", Error: p.Message,
			V: trackFormView{In: in, Errors: p.Fields}})
	})
}

// trackShow answers the lookup form with the tracking page.
func (h *Handler) trackShow(c *gin.Context) {
	if err := parseForm(c); err != nil {
		h.renderTrackForm(c, lookupInput{}, err)
		return
	}
	in := lookupFromForm(c)
	if !h.checkCSRF(c) {
		h.renderTrackForm(c, in, errCSRF)
		return
	}
	cmp, evs, err := h.lookupTimeline(c, in)
	if err != nil {
		h.renderTrackForm(c, in, err)
		return
	}
	h.renderTrackEvents(c, http.StatusOK, in, cmp, evs, "", nil, nil)
}

// trackView is the tracking page's data.
type trackView struct {
	Lookup       lookupInput
	C            *ledger.Complaint
	StatusLabel  string
	Case         *caseView
	Due          time.Time
	DueLabel     string
	Events       []eventView
	FiledPhotos  []conversation.Attachment
	Additions    []conversation.Addition
	Messages     []conversation.Message
	CanReply     bool
	CanAdd       bool
	Rating       *conversation.Rating
	CanRate      bool
	Followups    []conversation.Followup
	CanFollowup  bool
	Errors       map[string]string
	Form         map[string]string // what was typed into a failing sub-form
	Verification string
	Reward       *rewardView // reward_track.html
	Town         string      // the town's canonical name
	PhotoNo      map[int64]int
	AddPhotos    photoSet // photos the addition form holds
	CanAskReward bool     // the reporter did not ask for a reward and still may
}

func (h *Handler) renderTrack(c *gin.Context, code int, in lookupInput, cmp *ledger.Complaint, notice string, fields map[string]string, form map[string]string) {
	evs, err := h.timeline(h.ctx(c), cmp)
	if err != nil {
		h.renderError(c, err)
		return
	}
	h.renderTrackEvents(c, code, in, cmp, evs, notice, fields, form)
}

// renderTrackEvents is renderTrack with the public timeline already read.
func (h *Handler) renderTrackEvents(c *gin.Context, code int, in lookupInput, cmp *ledger.Complaint, evs []eventView, notice string, fields map[string]string, form map[string]string) {
	ctx := h.ctx(c)
	v := trackView{Lookup: in, C: cmp, StatusLabel: cmp.Status.Label(), Errors: fields, Form: form, Events: evs}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	var err error
	fail := func(e error) bool {
		if e != nil {
			err = e
		}
		return e != nil
	}
	var th *conversation.Thread
	if fail(func() (e error) { v.Case, e = h.caseOf(ctx, cmp); return }()) ||
		fail(func() (e error) { th, e = h.conv.Thread(ctx, cmp); return }()) {
		h.renderError(c, err)
		return
	}
	v.FiledPhotos, v.Additions, v.Messages, v.Rating, v.Followups = th.FiledPhotos, th.Additions, th.Messages, th.Rating, th.Followups
	v.PhotoNo = photoNumbers(th)
	v.Town = h.townName(ctx, cmp)
	if ps, ok := c.Get(heldKey); ok {
		v.AddPhotos = ps.(photoSet)
	}
	v.CanAskReward = canAskReward(cmp)
	v.CanReply, v.CanAdd, v.CanRate, v.CanFollowup = th.CanReply, th.CanAdd, th.CanRate, th.CanFollowup
	v.Due, v.DueLabel = dueOf(cmp, v.Case)
	v.Reward = h.rewardOf(c, cmp)
	if v.Case != nil {
		v.Verification = v.Case.Verification.Label()
	}
	msg := ""
	if len(fields) > 0 {
		msg = apperr.Invalid(fields).Message
	}
	h.render(c, code, "track", page{Title: "办理进度", Nav: "track", Notice: notice, Error: msg, V: v})
}

// trackAction runs one action of the tracking page: parse, CSRF, look the
// complaint up again from the hidden fields, act, and show the page again.
func (h *Handler) trackAction(c *gin.Context, act func(cmp *ledger.Complaint) (notice string, form map[string]string, err error)) {
	perr := parseForm(c)
	if c.Request.MultipartForm != nil {
		defer c.Request.MultipartForm.RemoveAll()
	}
	in := lookupFromForm(c)
	if perr != nil && len(in.Code)+len(in.TicketNo) == 0 {
		h.renderTrackForm(c, in, perr)
		return
	}
	if !h.checkCSRF(c) {
		h.renderTrackForm(c, in, errCSRF)
		return
	}
	cmp, err := h.lookup(c, in)
	if err != nil {
		h.renderTrackForm(c, in, err)
		return
	}
	var form map[string]string
	notice := ""
	if err = perr; err == nil {
		notice, form, err = act(cmp)
	}
	if err != nil {
		// The tracking page again, the problem under the sub-form it
		// concerns (or as the page's alert) and what was typed kept.
		h.errs.HTML(c, err, func(p web.Problem) {
			fields := p.Fields
			if fields == nil {
				fields = map[string]string{"action": p.Message}
			}
			h.renderTrack(c, p.Status, in, cmp, "", fields, form)
		})
		return
	}
	h.renderTrack(c, http.StatusOK, in, cmp, notice, nil, nil)
}

// photoNumbers numbers a complaint's photos 1, 2, 3 … in the order they
// came (those of the report first, then each addition's): a reporter's
// photo 1 is their first, whatever the site holds.
func photoNumbers(th *conversation.Thread) map[int64]int {
	ids := []int64{}
	for _, a := range th.FiledPhotos {
		ids = append(ids, a.ID)
	}
	for _, ad := range th.Additions {
		for _, a := range ad.Photos {
			ids = append(ids, a.ID)
		}
	}
	slices.Sort(ids)
	out := make(map[int64]int, len(ids))
	for i, id := range ids {
		out[id] = i + 1
	}
	return out
}
