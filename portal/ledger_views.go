package portal

// What a reporter sees of the ledger, built from ledger.Service's Towns,
// Units, CaseOf and PublicTimeline.

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// townCache keeps the unit list for a minute: it changes rarely and the
// report form needs it on every request. Readers take the current snapshot
// without a lock; one request refreshes it when it is older than a minute
// (the others keep using the old one meanwhile).
type townCache struct {
	mu  sync.Mutex // held by the one refresh
	cur atomic.Pointer[townSnapshot]
}

// townSnapshot is one reading of the units, with what the pages derive from
// it. It is shared by every request: never modified once stored.
type townSnapshot struct {
	at     time.Time
	gen    uint64 // counts the readings: a prepared page of another gen is stale
	units  []ledger.Unit
	byName map[string]int64 // active towns by name
	towns  []ledger.Unit    // active towns in display order
}

func (h *Handler) townSnap(ctx context.Context) (*townSnapshot, error) {
	if s := h.towns.cur.Load(); s != nil && time.Since(s.at) < time.Minute {
		return s, nil
	}
	h.towns.mu.Lock()
	defer h.towns.mu.Unlock()
	old := h.towns.cur.Load()
	if old != nil && time.Since(old.at) < time.Minute {
		return old, nil // refreshed while this request waited
	}
	us, err := h.ledger.Units(ctx)
	if err != nil {
		return nil, err
	}
	s := &townSnapshot{at: time.Now(), units: us, byName: map[string]int64{}}
	if old != nil {
		s.gen = old.gen + 1
	}
	for _, u := range us {
		if u.Kind == "town" {
			s.byName[u.Name] = u.ID
			s.towns = append(s.towns, u)
		}
	}
	h.towns.cur.Store(s)
	return s, nil
}

func (h *Handler) units(ctx context.Context) ([]ledger.Unit, error) {
	s, err := h.townSnap(ctx)
	if err != nil {
		return nil, err
	}
	return s.units, nil
}

// townMap returns the active towns by name, and in display order (shared:
// read only).
func (h *Handler) townMap(ctx context.Context) (map[string]int64, []ledger.Unit, error) {
	s, err := h.townSnap(ctx)
	if err != nil {
		return nil, nil, err
	}
	return s.byName, s.towns, nil
}

// caseView is what a reporter sees of the case behind a complaint.
type caseView struct {
	*ledger.Case
	UnitName string // responsible unit, once assigned
}

// caseOf returns the case of a complaint, or nil when it has none yet.
func (h *Handler) caseOf(ctx context.Context, c *ledger.Complaint) (*caseView, error) {
	if !c.CaseID.Valid {
		return nil, nil
	}
	cs, err := h.ledger.CaseOf(ctx, c)
	if apperr.Is(err, apperr.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &caseView{Case: cs}
	if cs.UnitID.Valid {
		us, err := h.units(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if u.ID == cs.UnitID.Int64 {
				v.UnitName = u.Name
			}
		}
	}
	return v, nil
}

// eventView is one public timeline entry.
type eventView struct {
	CreatedAt  time.Time
	Kind       string
	ToStatus   string
	PublicNote string
}

// StatusLabel is the Chinese name of the status the event moved to.
func (e eventView) StatusLabel() string {
	if l := ledger.ComplaintStatus(e.ToStatus).Label(); l != "" {
		return l
	}
	return ledger.CaseStatus(e.ToStatus).Label()
}

func (h *Handler) timeline(ctx context.Context, c *ledger.Complaint) ([]eventView, error) {
	evs, err := h.ledger.PublicTimeline(ctx, c)
	if err != nil {
		return nil, err
	}
	return eventViews(evs), nil
}

func eventViews(evs []ledger.Event) []eventView {
	out := make([]eventView, len(evs))
	for i, e := range evs {
		out[i] = eventView{CreatedAt: e.CreatedAt, Kind: e.Kind, ToStatus: e.ToStatus, PublicNote: e.PublicNote}
	}
	return out
}

// dueOf returns the deadline a reporter should see and what it is for.
func dueOf(c *ledger.Complaint, cv *caseView) (time.Time, string) {
	switch {
	case c.Status == ledger.Received:
		return c.DecideDueAt, "受理期限"
	case cv != nil && !cv.Status.Finished() && !cv.DueAt.IsZero() &&
		c.Status != ledger.Concluded && c.Status != ledger.ComplaintDone && c.Status != ledger.Refused:
		return cv.DueAt, "办结期限"
	}
	return time.Time{}, ""
}

// townName is the canonical name of a complaint's town (所在镇): the unit's
// name when the complaint has a town; otherwise the town whose name, or
// short name, the text given contains (a hotline ticket writes
// 陕西省安康市石泉县饶峰镇 for 饶峰镇); otherwise the text as given, or
// 未填写 when there is none. A complaint registered by hand in the back
// office may carry the town's id and no text.
func (h *Handler) townName(ctx context.Context, c *ledger.Complaint) string {
	text := strings.TrimSpace(c.TownText)
	us, err := h.units(ctx)
	if err == nil {
		if c.TownID.Valid {
			for _, u := range us {
				if u.ID == c.TownID.Int64 {
					return u.Name
				}
			}
		}
		if text != "" {
			for _, u := range us {
				if u.Kind == "town" && (strings.Contains(text, u.Name) || (u.ShortName != "" && strings.HasSuffix(text, u.ShortName))) {
					return u.Name
				}
			}
		}
	}
	if text == "" {
		return "未填写"
	}
	return text
}
