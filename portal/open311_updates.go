package portal

import (
	"encoding/xml"
	"strconv"
	"time"

	"ecoreport/internal/ledger"
)

// o311Update is one entry of the updates feed (the servicerequestupdates
// extension, as mySociety's FixMyStreet Open311 extensions name it): a
// public timeline event of a request. A case event reaches every complaint
// of the case, so one update_id may appear once per service_request_id.
type o311Update struct {
	UpdateID         string `xml:"update_id" json:"update_id"`
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Status           string `xml:"status" json:"status"`
	UpdatedDatetime  string `xml:"updated_datetime" json:"updated_datetime"`
	Description      string `xml:"description" json:"description"` // the public note
}

type o311Updates struct {
	XMLName xml.Name     `xml:"service_requests_updates"`
	Updates []o311Update `xml:"request_update"`
}

// updates is GET servicerequestupdates.{fmt}?start_date&end_date (RFC 3339;
// default the last 24 hours), oldest first, at most 1,000 a page (page,
// page_size).
func (o *Open311) updates(call *o311Call) (any, error) {
	q := call.c.Request.URL.Query()
	start, end, err := o.window(q, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	if end.Sub(start) > o311DefaultWindow {
		return nil, o311Invalid("start_date", "与 end_date 相隔不能超过90天")
	}
	offset, size, err := o311Page(q)
	if err != nil {
		return nil, err
	}
	rows, err := o.Ledger.PublicUpdates(o.ctx(call), start, end, offset, size)
	if err != nil {
		return nil, err
	}
	out := make([]o311Update, 0, len(rows))
	for _, r := range rows {
		out = append(out, o311Update{
			UpdateID: strconv.FormatInt(r.EventID, 10), ServiceRequestID: ledger.ComplaintRef(r.ComplaintID),
			Status: o311Status(r.StatusAfter()), UpdatedDatetime: o.rfc3339(r.CreatedAt), Description: r.PublicNote,
		})
	}
	return out, nil
}
