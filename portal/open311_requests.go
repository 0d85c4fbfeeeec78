package portal

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// o311Request is one service request as listed. It carries only what is
// safe to publish: no description, no street address or coordinates, no
// contact, no tracking code (the spec's description, lat, long, media_url
// and address_id are left out on purpose).
type o311Request struct {
	ServiceRequestID  string `xml:"service_request_id" json:"service_request_id"`
	Status            string `xml:"status" json:"status"`
	StatusNotes       string `xml:"status_notes" json:"status_notes"`
	ServiceName       string `xml:"service_name" json:"service_name"`
	ServiceCode       string `xml:"service_code" json:"service_code"`
	AgencyResponsible string `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     string `xml:"service_notice" json:"service_notice"`
	RequestedDatetime string `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   string `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  string `xml:"expected_datetime,omitempty" json:"expected_datetime,omitempty"`
	Address           string `xml:"address" json:"address"` // the town only
}

type o311Requests struct {
	XMLName  xml.Name      `xml:"service_requests"`
	Requests []o311Request `xml:"request"`
}

// o311Status is the spec's status of a complaint status.
func o311Status(s ledger.ComplaintStatus) string {
	if s.Finished() {
		return "closed"
	}
	return "open"
}

var o311RefRE = regexp.MustCompile(`^R(\d{1,18})$`)

// o311ParseRef reads a public complaint reference (R0000012); ok=false for
// anything else.
func o311ParseRef(s string) (int64, bool) {
	m := o311RefRE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, false
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	return id, err == nil && id > 0
}

func (o *Open311) parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, o311Invalid(name, "日期时间须为 RFC 3339 格式，如 2026-11-01T00:00:00+08:00")
	}
	return t, nil
}

// requests is GET requests.{fmt}: service_request_id (comma list, overrides
// the other filters), service_code, start_date, end_date (default: the last
// 90 days), status (open, closed or both), page, page_size (at most 1,000).
func (o *Open311) requests(call *o311Call) (any, error) {
	q := call.c.Request.URL.Query()
	if ids := strings.TrimSpace(q.Get("service_request_id")); ids != "" {
		var list []int64
		for _, s := range strings.Split(ids, ",") {
			if strings.TrimSpace(s) == "" {
				continue
			}
			id, ok := o311ParseRef(s)
			if !ok {
				return nil, o311Invalid("service_request_id", "编号格式应为 R 加数字，如 R0000012")
			}
			list = append(list, id)
		}
		if len(list) == 0 || len(list) > o311MaxIDsPerQuery {
			return nil, o311Invalid("service_request_id", fmt.Sprintf("一次可查询1至%d个编号", o311MaxIDsPerQuery))
		}
		return o.list(o.ctx(call), ledger.PublicFilter{IDs: list, Limit: o311MaxResults})
	}

	var f ledger.PublicFilter
	if code := strings.TrimSpace(q.Get("service_code")); code != "" {
		f.Category = ledger.Category(code)
		if !f.Category.Valid() {
			return nil, o311Invalid("service_code", "服务类型不存在，请先查询 services")
		}
	}
	var err error
	if f.From, f.To, err = o.window(q, o311DefaultWindow); err != nil {
		return nil, err
	}
	if v := strings.TrimSpace(q.Get("status")); v != "" {
		wantOpen, wantClosed := false, false
		for _, s := range strings.Split(v, ",") {
			switch strings.TrimSpace(s) {
			case "open":
				wantOpen = true
			case "closed":
				wantClosed = true
			default:
				return nil, o311Invalid("status", "只能是 open 或 closed")
			}
		}
		switch {
		case wantOpen && !wantClosed:
			f.State = ledger.OnlyOpen
		case wantClosed && !wantOpen:
			f.State = ledger.OnlyFinished
		}
	}
	if f.Offset, f.Limit, err = o311Page(q); err != nil {
		return nil, err
	}
	return o.list(o.ctx(call), f)
}

// window reads start_date and end_date (RFC 3339); end defaults to now and
// start to def before end.
func (o *Open311) window(q url.Values, def time.Duration) (start, end time.Time, err error) {
	end = o.Now()
	if v := q.Get("end_date"); v != "" {
		if end, err = o.parseTime("end_date", v); err != nil {
			return
		}
	}
	start = end.Add(-def)
	if v := q.Get("start_date"); v != "" {
		if start, err = o.parseTime("start_date", v); err != nil {
			return
		}
	}
	if end.Before(start) {
		err = o311Invalid("end_date", "不能早于 start_date")
	}
	return
}

// o311Page reads page and page_size (the paging extension) as an offset and
// a limit.
func o311Page(q url.Values) (offset, size int, err error) {
	page, size := 1, o311MaxResults
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 || page > 1_000_000 {
			return 0, 0, o311Invalid("page", "须为正整数")
		}
	}
	if v := q.Get("page_size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > o311MaxResults {
			return 0, 0, o311Invalid("page_size", fmt.Sprintf("须为1至%d的整数", o311MaxResults))
		}
	}
	return (page - 1) * size, size, nil
}

// request is GET requests/{service_request_id}.{fmt}: a list of one, as the
// spec says. 404 when there is no such request.
func (o *Open311) request(call *o311Call) (any, error) {
	id, ok := o311ParseRef(call.stem)
	if !ok {
		return nil, apperr.Errorf(apperr.ENOTFOUND, "举报编号 %s 不存在", strconv.Quote(o311Clip(call.stem, 40)))
	}
	out, err := o.list(o.ctx(call), ledger.PublicFilter{IDs: []int64{id}, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, apperr.Errorf(apperr.ENOTFOUND, "举报编号 %s 不存在", ledger.ComplaintRef(id))
	}
	return out, nil
}

// list reads the listing from the ledger and writes it as the spec's
// requests: the status note is the newest public note, or the answer itself
// once the case is finished.
func (o *Open311) list(ctx context.Context, f ledger.PublicFilter) ([]o311Request, error) {
	rows, err := o.Ledger.PublicRequests(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]o311Request, 0, len(rows))
	for _, r := range rows {
		cat := ledger.Other
		if len(r.Categories) > 0 && r.Categories[0].Valid() {
			cat = r.Categories[0]
		}
		req := o311Request{
			ServiceRequestID: ledger.ComplaintRef(r.ID), Status: o311Status(r.Status),
			ServiceName: cat.Label(), ServiceCode: string(cat), AgencyResponsible: r.UnitName.String,
			ServiceNotice: r.Status.Label(), RequestedDatetime: o.rfc3339(r.ReceivedAt), Address: r.TownName.String,
		}
		updated := r.UpdatedAt
		if n := r.LatestNote; n != nil {
			req.StatusNotes = n.PublicNote
			if n.CreatedAt.After(updated) {
				updated = n.CreatedAt
			}
		}
		// A finished case's reply is the answer itself (ledger.Case.Reply:
		// a reopened case's withdrawn reply is none).
		if a := r.Answer(); a != "" {
			req.StatusNotes = a
		}
		req.UpdatedDatetime = o.rfc3339(updated)
		switch {
		case r.Status == ledger.Received:
			req.ExpectedDatetime = o.rfc3339(r.DecideDueAt)
		case !r.Status.Finished() && r.CaseDueAt.Valid:
			req.ExpectedDatetime = o.rfc3339(r.CaseDueAt.Time)
		}
		out = append(out, req)
	}
	return out, nil
}
