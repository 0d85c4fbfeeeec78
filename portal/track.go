package portal

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
	"ecoreport/internal/trackcode"
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
// Every miss is ledger.ErrNoSuchCode.
func (h *Handler) lookup(c *gin.Context, in lookupInput) (*ledger.Complaint, time.Duration, error) {
	if wait, err := h.allow(h.trackLimit, h.clientKey(c, "track")); err != nil {
		return nil, wait, err
	}
	code := strings.TrimSpace(in.Code)
	if code == "" && strings.TrimSpace(in.TicketNo) == "" {
		return nil, 0, apperr.Invalid(map[string]string{"code": "请输入查询码，或热线工单编号和手机号后四位"})
	}
	key := "ticket:" + strings.TrimSpace(in.TicketNo)
	if code != "" {
		if n, err := trackcode.Normalize(code); err == nil {
			key = "code:" + n
		} else {
			key = "code:" + strings.ToUpper(code)
		}
	}
	if wait, err := h.allow(h.codeLimit, h.hasher.Key("lookup", key, h.now())); err != nil {
		return nil, wait, err
	}
	var cmp *ledger.Complaint
	var err error
	if code != "" {
		cmp, err = h.ledger.Track(h.ctx(c), code)
	} else {
		cmp, err = h.ledger.TrackTicket(h.ctx(c), in.TicketNo, strings.TrimSpace(in.Last4))
	}
	return cmp, 0, err
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

func (h *Handler) renderTrackForm(c *gin.Context, in lookupInput, err error, wait time.Duration) {
	if wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
	h.logErr(c, "track", err)
	h.render(c, status(err), "track_form", page{Title: "查询进度", Nav: "track", Error: msgOf(err),
		V: trackFormView{In: in, Errors: apperr.Fields(err)}})
}

// trackShow answers the lookup form with the tracking page.
func (h *Handler) trackShow(c *gin.Context) {
	if err := parseForm(c); err != nil {
		h.renderTrackForm(c, lookupInput{}, err, 0)
		return
	}
	in := lookupFromForm(c)
	if !h.checkCSRF(c) {
		h.renderTrackForm(c, in, errCSRF, 0)
		return
	}
	cmp, wait, err := h.lookup(c, in)
	if err != nil {
		h.renderTrackForm(c, in, err, wait)
		return
	}
	h.renderTrack(c, http.StatusOK, in, cmp, "", nil, nil)
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
	FiledPhotos  []attachment
	Additions    []addition
	Messages     []message
	CanReply     bool
	CanAdd       bool
	Rating       *rating
	CanRate      bool
	Followups    []followup
	CanFollowup  bool
	Errors       map[string]string
	Form         map[string]string // what was typed into a failing sub-form
	Verification string
	Reward       *rewardView // reward_track.html
}

func (h *Handler) renderTrack(c *gin.Context, code int, in lookupInput, cmp *ledger.Complaint, notice string, fields map[string]string, form map[string]string) {
	ctx := h.ctx(c)
	v := trackView{Lookup: in, C: cmp, StatusLabel: cmp.Status.Label(), Errors: fields, Form: form}
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
	if fail(func() (e error) { v.Case, e = h.caseOf(ctx, cmp); return }()) ||
		fail(func() (e error) { v.Events, e = h.timeline(ctx, cmp); return }()) ||
		fail(func() (e error) { v.Messages, e = h.messages(ctx, cmp.ID); return }()) ||
		fail(func() (e error) { v.Rating, e = h.rating(ctx, cmp.ID); return }()) ||
		fail(func() (e error) { v.Followups, e = h.followups(ctx, cmp.ID); return }()) {
		h.renderError(c, err, 0)
		return
	}
	photos, err := h.attachments(ctx, cmp.ID)
	if err == nil {
		v.Additions, v.FiledPhotos, err = h.additions(ctx, cmp.ID, photos)
	}
	if err != nil {
		h.renderError(c, err, 0)
		return
	}
	v.Due, v.DueLabel = dueOf(cmp, v.Case)
	v.Reward = h.rewardOf(c, cmp)
	if v.Case != nil {
		v.Verification = v.Case.Verification.Label()
	}
	for _, m := range v.Messages {
		if m.Direction == FromStaff {
			v.CanReply = true
		}
	}
	v.CanAdd = cmp.Status != ledger.ComplaintDone && cmp.Status != ledger.Refused
	v.CanRate = canRate(cmp) && v.Rating == nil
	v.CanFollowup = canFollowup(cmp)
	for _, f := range v.Followups {
		if f.Status == "open" {
			v.CanFollowup = false
		}
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
		h.renderTrackForm(c, in, perr, 0)
		return
	}
	if !h.checkCSRF(c) {
		h.renderTrackForm(c, in, errCSRF, 0)
		return
	}
	cmp, wait, err := h.lookup(c, in)
	if err != nil {
		h.renderTrackForm(c, in, err, wait)
		return
	}
	if perr != nil {
		h.renderTrack(c, http.StatusRequestEntityTooLarge, in, cmp, "", apperr.Fields(perr), nil)
		return
	}
	notice, form, err := act(cmp)
	if err != nil {
		fields := apperr.Fields(err)
		if fields == nil {
			h.logErr(c, "track action", err)
			fields = map[string]string{"action": msgOf(err)}
		}
		h.renderTrack(c, status(err), in, cmp, "", fields, form)
		return
	}
	h.renderTrack(c, http.StatusOK, in, cmp, notice, nil, nil)
}
