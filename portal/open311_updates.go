package portal

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
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

type o311UpdateRow struct {
	EventID         int64                  `db:"event_id"`
	ComplaintID     int64                  `db:"complaint_id"`
	ComplaintStatus ledger.ComplaintStatus `db:"complaint_status"`
	Kind            string                 `db:"kind"`
	ToStatus        string                 `db:"to_status"`
	PublicNote      string                 `db:"public_note"`
	CreatedAt       time.Time              `db:"created_at"`
}

const o311UpdatesSQL = `SELECT e.id AS event_id, c.id AS complaint_id, c.status AS complaint_status, e.kind, e.to_status, e.public_note, e.created_at
FROM events e JOIN complaints c ON c.id = e.complaint_id
WHERE e.created_at >= ? AND e.created_at <= ? AND e.public_note <> '' AND e.kind IN (?)
UNION ALL
SELECT e.id AS event_id, c.id AS complaint_id, c.status AS complaint_status, e.kind, e.to_status, e.public_note, e.created_at
FROM events e JOIN complaints c ON c.case_id = e.case_id
WHERE e.complaint_id IS NULL AND e.created_at >= ? AND e.created_at <= ? AND e.public_note <> '' AND e.kind IN (?)
ORDER BY event_id, complaint_id LIMIT ? OFFSET ?`

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
	kinds := make([]any, len(o311PublicKinds))
	for i, k := range o311PublicKinds {
		kinds[i] = k
	}
	s, e := db.UTC(start), db.UTC(end)
	query, args, err := sqlx.In(o311UpdatesSQL, s, e, kinds, s, e, kinds, size, offset)
	if err != nil {
		return nil, err
	}
	var rows []o311UpdateRow
	if err := o.DB.SelectContext(o.ctx(call), &rows, o.DB.Rebind(query), args...); err != nil {
		return nil, db.Classify(fmt.Errorf("open311: updates: %w", err))
	}
	out := make([]o311Update, 0, len(rows))
	for _, r := range rows {
		out = append(out, o311Update{
			UpdateID: strconv.FormatInt(r.EventID, 10), ServiceRequestID: ledger.ComplaintRef(r.ComplaintID),
			Status: o311Status(o311StatusAt(r)), UpdatedDatetime: o.rfc3339(r.CreatedAt), Description: r.PublicNote,
		})
	}
	return out, nil
}

// o311StatusAt is the complaint's status right after the event: the event's
// target status (a case status maps to what its complaints show), or the
// current status for events that changed none.
func o311StatusAt(r o311UpdateRow) ledger.ComplaintStatus {
	switch {
	case r.ToStatus == "":
		return r.ComplaintStatus
	case strings.HasPrefix(r.Kind, "case."):
		return ledger.ComplaintStatusFor(ledger.CaseStatus(r.ToStatus))
	}
	return ledger.ComplaintStatus(r.ToStatus)
}
