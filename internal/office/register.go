package office

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
	"ecoreport/internal/trackcode"
)

// handChannels are the channels staff register by hand (来访, 来信, 书记民情账).
var handChannels = []ledger.Channel{ledger.ChannelVisit, ledger.ChannelLetter, ledger.ChannelSecretary}

type registerData struct {
	Form       map[string]string
	Categories []ledger.Category
	Checked    map[ledger.Category]bool
	Channels   []ledger.Channel
	Towns      []ledger.Unit
}

type receiptData struct {
	Complaint *ledger.Complaint
	Code      string
	Town      string
}

func (h *Handler) registerForm(c *gin.Context) {
	h.renderRegister(c, http.StatusOK, map[string]string{"identity": string(ledger.Confidential)}, nil, nil)
}

func (h *Handler) renderRegister(c *gin.Context, code int, form map[string]string, checked map[ledger.Category]bool, err error) {
	towns, terr := h.Ledger.Towns(h.ctx(c))
	if terr != nil {
		h.fail(c, terr)
		return
	}
	p := page{Title: "登记来访、来信举报", Data: registerData{Form: form, Categories: ledger.AllCategories, Checked: checked,
		Channels: handChannels, Towns: towns}}
	if err != nil {
		p.Error, p.Fields = apperr.Message(err), apperr.Fields(err)
	}
	h.renderPage(c, code, "register", p)
}

// registerSubmit files a complaint brought in person, by letter or from a
// party secretary's ledger, and shows its tracking code once, on a page the
// resident can take home. The code never appears in a URL.
func (h *Handler) registerSubmit(c *gin.Context) {
	form := map[string]string{}
	for _, k := range []string{"channel", "category_text", "town_id", "address", "subject", "description", "occurred", "identity", "name", "phone", "received", "wants_reward"} {
		form[k] = strings.TrimSpace(c.PostForm(k))
	}
	checked := map[ledger.Category]bool{}
	in := ledger.NewComplaint{Channel: ledger.Channel(form["channel"]), CategoryText: form["category_text"], Address: form["address"],
		Subject: form["subject"], Description: form["description"], OccurredText: form["occurred"],
		Identity: ledger.Identity(form["identity"]), WantsReward: form["wants_reward"] != ""}
	for _, v := range c.PostFormArray("categories") {
		in.Categories = append(in.Categories, ledger.Category(v))
		checked[ledger.Category(v)] = true
	}
	bad := map[string]string{}
	if !slices.Contains(handChannels, in.Channel) {
		bad["channel"] = "请选择来访、来信或书记民情账"
	}
	if form["town_id"] != "" {
		id, err := strconv.ParseInt(form["town_id"], 10, 64)
		if err != nil {
			bad["town_id"] = "乡镇无效"
		}
		in.TownID = id
	}
	if form["received"] != "" {
		t, err := time.ParseInLocation("2006-01-02", form["received"], h.Location)
		switch {
		case err != nil:
			bad["received"] = "收到日期格式应为 2026-11-03"
		case t.After(h.now()):
			bad["received"] = "收到日期不能晚于今天"
		case h.now().Sub(t) > 366*24*time.Hour:
			bad["received"] = "收到日期不能早于一年前"
		default:
			in.ReceivedAt = t.Add(12 * time.Hour) // midday of that day: the time was not recorded
		}
	}
	if in.Identity == ledger.Confidential {
		if form["name"] == "" && form["phone"] == "" {
			bad["phone"] = "保密举报请至少留下姓名或电话；不愿留的请选择匿名"
		}
		if len([]rune(form["name"])) > 50 || len([]rune(form["phone"])) > 30 || ledger.CheckText(form["name"]+form["phone"]) != "" {
			bad["phone"] = "姓名或电话填写有误"
		} else if tel, ok := phone.Normalize(form["phone"]); !ok && tel != "" {
			bad["phone"] = phone.Invalid
		} else {
			in.Contact = &ledger.Contact{Name: form["name"], Phone: tel}
		}
	}
	if len(bad) == 0 {
		if err := in.Validate(); err != nil {
			for k, v := range apperr.Fields(err) {
				bad[k] = v
			}
		}
	}
	if len(bad) > 0 {
		h.renderRegister(c, http.StatusUnprocessableEntity, form, checked, apperr.Invalid(bad))
		return
	}
	f, err := h.Ledger.File(h.ctx(c), in, h.actor(c))
	if err != nil {
		h.renderRegister(c, httpStatus(err), form, checked, err)
		return
	}
	town := ""
	if in.TownID != 0 {
		names, _ := h.unitNames(h.ctx(c))
		town = names[in.TownID]
	}
	h.render(c, http.StatusOK, "receipt", "举报回执", receiptData{Complaint: &f.Complaint, Code: trackcode.Format(f.TrackingCode), Town: town})
}
