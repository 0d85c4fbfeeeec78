package office

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/bulletin"
	"ecoreport/internal/config"
	"ecoreport/internal/ledger"
)

// The monthly bulletin (月度通报) pages register themselves in the route
// table from here.
// BulletinReaders may read and download the monthly bulletin.
var BulletinReaders = []auth.Role{auth.Admin, auth.Inspector, auth.Leader}

// BulletinRules are the ranking and interview-candidate rules the pages use.
var BulletinRules = bulletin.DefaultRules

type bulletinData struct {
	B          *bulletin.Bulletin
	TownGrids  []bulletin.Grid
	UnitGrids  []bulletin.Grid
	Channels   string // 12369热线3件、网上举报2件
	Issued     string // 2026年12月3日
	AsOf       string
	MonthParam string // 2026-11
	Prev, Next string
	XLSX       string
	User       *auth.User
	County     config.County
}

// bulletin computes the month named by ?month=YYYY-MM (default: last month)
// with the audit log's signed checkpoint of the month's end.
func (h *Handler) bulletin(c *gin.Context) (*bulletin.Bulletin, error) {
	now := h.Now()
	month := bulletin.LastMonth(now, h.Location)
	if s := c.Query("month"); s != "" {
		m, err := bulletin.ParseMonth(s, h.Location)
		if err != nil {
			return nil, apperr.Invalid(map[string]string{"month": err.Error()})
		}
		month = m
	}
	b, err := bulletin.Compute(h.ctx(c), h.DB, month, BulletinRules, now)
	if err != nil {
		return nil, err
	}
	b.Title = h.County.BulletinTitle()
	if err := b.AttachCheckpoint(h.AuditCheckpoints); err != nil {
		return nil, fmt.Errorf("office: bulletin's audit checkpoint: %w", err)
	}
	return b, nil
}

// bulletinPage shows the month's bulletin as a printable A4 page.
func (h *Handler) bulletinPage(c *gin.Context) {
	b, err := h.bulletin(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.Now().In(h.Location)
	mp := b.Month.Format("2006-01")
	var chans []string
	for _, ch := range ledger.Channels {
		if n := b.Towns.Total.ByChannel[ch]; n > 0 {
			chans = append(chans, fmt.Sprintf("%s%d件", ch.Label(), n))
		}
	}
	d := bulletinData{
		B: b, Channels: strings.Join(chans, "、"), TownGrids: bulletin.Grids("乡镇", b.Towns), UnitGrids: bulletin.Grids("责任单位", b.Units),
		Issued: now.Format("2006年1月2日"), AsOf: now.Format("2006年1月2日15时"), MonthParam: mp,
		Prev: b.Month.AddDate(0, -1, 0).Format("2006-01"), Next: b.Month.AddDate(0, 1, 0).Format("2006-01"),
		XLSX: "/office/bulletin.xlsx?month=" + url.QueryEscape(mp), User: User(c), County: h.County,
	}
	c.Header("Cache-Control", "no-store")
	h.views.Render(h.ctx(c), c.Writer, http.StatusOK, "bulletin_page", d)
}

// bulletinXLSX downloads the month's tables as a workbook.
func (h *Handler) bulletinXLSX(c *gin.Context) {
	b, err := h.bulletin(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := b.WriteXLSX(&buf); err != nil {
		h.fail(c, err)
		return
	}
	name := b.FileName()
	c.Header("Content-Disposition", `attachment; filename="bulletin-`+b.Month.Format("2006-01")+`.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}
