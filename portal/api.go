package portal

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
)

// apiError is the body of every API error.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

var errMalformed = &apperr.Error{Code: apperr.EINVALID, Message: "请求格式错误：需要 application/json 格式的 JSON 对象"}

// apiFail writes err as JSON with its status; malformed bodies are 400.
func (h *Handler) apiFail(c *gin.Context, err error, wait time.Duration) {
	st := status(err)
	if errors.Is(err, errMalformed) {
		st = http.StatusBadRequest
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		st, err = http.StatusRequestEntityTooLarge, &apperr.Error{Code: apperr.EINVALID, Message: "请求内容过大"}
	}
	if wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
	h.logErr(c, "api", err)
	c.JSON(st, apiError{Error: apiErrorBody{Code: apperr.Code(err), Message: msgOf(err), Fields: apperr.Fields(err)}})
}

// decodeJSON reads one JSON object (within the route's body limit).
func decodeJSON(c *gin.Context, v any) error {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "application/json" {
		return errMalformed
	}
	dec := json.NewDecoder(c.Request.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errMalformed
	}
	if dec.More() {
		return errMalformed
	}
	return nil
}
