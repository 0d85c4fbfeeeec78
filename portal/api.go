package portal

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
)

var errMalformed = &apperr.Error{Code: apperr.EMALFORMED, Message: "请求格式错误：需要 application/json 格式的 JSON 对象"}

// errTooLarge is a JSON body over the route's limit.
var errTooLarge = &apperr.Error{Code: apperr.ETOOLARGE, Message: "请求内容过大"}

// apiFail answers err as the JSON error body (web.Errors.JSON: status from
// the table, Retry-After, logging of internal errors).
func (h *Handler) apiFail(c *gin.Context, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = errTooLarge
	}
	h.errs.JSON(c, err)
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
