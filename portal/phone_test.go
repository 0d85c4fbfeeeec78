package portal

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"ecoreport/internal/phone"
)

// TestPhoneOneStoredForm: the same landline typed four ways comes in through
// the report form, the JSON API and Open311 and is stored the same way on
// each; a value that is no phone is refused on each with the same message.
func TestPhoneOneStoredForm(t *testing.T) {
	const stored = "0915-6321234"
	typed := []struct{ name, in string }{
		{"CountryCode", "+86 0915 632 1234"},
		{"FullWidth", "０９１５－６３２１２３４"},
		{"Parens", "(0915)6321234"},
		{"NoHyphen", "09156321234"},
	}
	v := newEnv(t, false)
	v.h.fileLimit.Limit = 1000
	o := newO311Env(t)
	for _, tt := range typed {
		t.Run("OK/Form/"+tt.name, func(t *testing.T) {
			f := v.reportForm()
			f.Set("identity", "confidential")
			f.Set("phone", tt.in)
			w := v.submit(f)
			if w.Code != http.StatusOK {
				t.Fatalf("report = %d", w.Code)
			}
			c, err := v.svc.Track(context.Background(), findCode(t, w.Body.String()))
			if err != nil {
				t.Fatal(err)
			}
			if ct, err := v.svc.Contact(c); err != nil || ct == nil || ct.Phone != stored {
				t.Fatalf("contact %+v, %v; want %s", ct, err, stored)
			}
		})
		t.Run("OK/JSON/"+tt.name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"categories": []string{"noise"}, "town": "城关镇",
				"description": "夜间施工噪声很大，持续到凌晨两点。", "identity": "confidential", "phone": tt.in})
			w := v.postJSON("/api/v1/complaints", string(b))
			var filed struct {
				TrackingCode string `json:"tracking_code"`
			}
			if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &filed) != nil {
				t.Fatalf("file = %d %s", w.Code, w.Body)
			}
			c, err := v.svc.Track(context.Background(), filed.TrackingCode)
			if err != nil {
				t.Fatal(err)
			}
			if ct, err := v.svc.Contact(c); err != nil || ct == nil || ct.Phone != stored {
				t.Fatalf("contact %+v, %v; want %s", ct, err, stored)
			}
		})
		t.Run("OK/Open311/"+tt.name, func(t *testing.T) {
			f := o.form()
			f.Set("phone", tt.in)
			c, err := o.svc.Track(context.Background(), o.fileOne(f).TrackingCode)
			if err != nil {
				t.Fatal(err)
			}
			if ct, err := o.svc.Contact(c); err != nil || ct == nil || ct.Phone != stored {
				t.Fatalf("contact %+v, %v; want %s", ct, err, stored)
			}
		})
	}

	for _, bad := range []string{"0915-12", "12345", "白天打"} {
		t.Run("ErrNotAPhone/Form/"+bad, func(t *testing.T) {
			f := v.reportForm()
			f.Set("identity", "confidential")
			f.Set("phone", bad)
			w := v.submit(f)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), phone.Invalid) ||
				!strings.Contains(w.Body.String(), `value="`+bad+`"`) {
				t.Fatalf("report = %d, want 422 with %q and the typed value kept", w.Code, phone.Invalid)
			}
		})
		t.Run("ErrNotAPhone/JSON/"+bad, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"categories": []string{"noise"}, "town": "城关镇",
				"description": "夜间施工噪声很大，持续到凌晨两点。", "identity": "confidential", "phone": bad})
			w := v.postJSON("/api/v1/complaints", string(b))
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"phone":"`+phone.Invalid+`"`) {
				t.Fatalf("file = %d %s", w.Code, w.Body)
			}
		})
		t.Run("ErrNotAPhone/Open311/"+bad, func(t *testing.T) {
			f := o.form()
			f.Set("phone", bad)
			w := o.post("/open311/v2/requests.json", f)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "phone") || !strings.Contains(w.Body.String(), phone.Invalid) {
				t.Fatalf("POST = %d %s", w.Code, w.Body)
			}
		})
	}
}
