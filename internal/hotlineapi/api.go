// Package hotlineapi is the HTTP surface the 12369 hotline systems call:
// the push API (POST /api/hotline/v1/tickets) and the result API (GET
// /api/hotline/v1/tickets/{ticket_no}). Every request is signed; the bridge
// itself (package hotline) checks the signature, imports the tickets and
// reads the results. Errors have the portal API's shape,
// {"error": {"code", "message", "fields"}}, and the statuses of the one
// table (web.Errors.JSON).
package hotlineapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"ecoreport/hotline"
	"ecoreport/internal/apperr"
	"ecoreport/internal/web"
)

// DefaultMaxBody bounds a push request.
const DefaultMaxBody = 8 << 20

// API serves the push and result APIs. Set the fields and mount it with
// Register.
type API struct {
	Importer *hotline.Importer
	Feedback *hotline.Feedback
	Clients  *hotline.Clients
	Logger   *slog.Logger // slog.Default() when nil
	// MaxBody bounds a push request (default DefaultMaxBody); MaxTickets the
	// tickets in one (default hotline.DefaultMaxPushed).
	MaxBody    int64
	MaxTickets int
}

// Register mounts the routes.
func (a *API) Register(r gin.IRouter) {
	r.POST("/api/hotline/v1/tickets", a.push)
	r.GET("/api/hotline/v1/tickets/:ticket_no", a.result)
}

func (a *API) log() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// fail answers err as the JSON error body with its status from the table.
func (a *API) fail(c *gin.Context, err error) {
	web.Errors{Log: a.log(), Surface: "hotline api"}.JSON(c, err)
}

// verify reads the body (bounded) and checks the signature (version 2, or
// version 1 for a push during the transition: answered with a Deprecation
// header and logged); on failure it answers 401 and logs the client, the
// reason and the remote address (a hotline system, not a resident).
func (a *API) verify(c *gin.Context) ([]byte, string, bool) {
	max := a.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, max+1))
	if err != nil {
		a.fail(c, apperr.Errorf(apperr.EMALFORMED, "请求体无法读取"))
		return nil, "", false
	}
	if int64(len(body)) > max {
		a.fail(c, apperr.Errorf(apperr.ETOOLARGE, "请求体超过 %d MiB", max>>20))
		return nil, "", false
	}
	client := c.GetHeader(hotline.HeaderClient)
	version, err := a.Clients.VerifyRequest(c.Request.Context(), hotline.SignedRequest{
		Client: client, Timestamp: c.GetHeader(hotline.HeaderTimestamp), Nonce: c.GetHeader(hotline.HeaderNonce),
		Signature: c.GetHeader(hotline.HeaderSignature), Method: c.Request.Method, Path: signedPath(c.Request.URL), Body: body,
	})
	if err != nil {
		if apperr.Is(err, apperr.EUNAUTHORIZED) {
			a.log().Warn("hotline api: 401", "method", c.Request.Method, "path", c.Request.URL.Path,
				"client", client, "from", c.ClientIP(), "reason", apperr.Message(err))
		}
		a.fail(c, err)
		return nil, "", false
	}
	if version == 1 {
		// The transition: accepted, and said so to the caller and the log.
		c.Header("Deprecation", "true")
		c.Header("Warning", `299 - "signature v1 is deprecated; sign method, path, timestamp, nonce and body (v2)"`)
		a.log().Warn("hotline api: v1 signature (deprecated)", "method", c.Request.Method, "client", client)
	}
	return body, client, true
}

// push imports the pushed tickets and answers one result per ticket.
func (a *API) push(c *gin.Context) {
	body, client, ok := a.verify(c)
	if !ok {
		return
	}
	resp, err := a.Importer.Push(c.Request.Context(), client, body, a.MaxTickets)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, resp)
}

// result answers the feedback columns of one ticket, by name and as the
// columns and values of the feedback export.
func (a *API) result(c *gin.Context) {
	_, client, ok := a.verify(c)
	if !ok {
		return
	}
	row, err := a.Feedback.TicketFor(c.Request.Context(), c.Param("ticket_no"), "hotline:"+client)
	if err != nil {
		a.fail(c, err)
		return
	}
	cells := row.Cells(a.Feedback.Ledger.Location)
	out := gin.H{"columns": hotline.FeedbackColumns, "values": cells}
	for i, col := range hotline.FeedbackColumns {
		out[col] = cells[i]
	}
	out["ticket_no"], out["query_code"], out["ref"], out["status"] = row.TicketNo, row.TrackingCode, row.Ref, row.Status
	c.JSON(http.StatusOK, out)
}

// signedPath is the path a version 2 signature covers: as the request sent
// it (escaped), with its query.
func signedPath(u *url.URL) string {
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}
