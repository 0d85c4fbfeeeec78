package portal

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/jpeg"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

const clientAddr = "203.0.113.77"

type env struct {
	t   *testing.T
	h   *Handler
	e   *gin.Engine
	db  *db.DB
	svc *ledger.Service
	log *bytes.Buffer
	jar map[string]*http.Cookie
}

func newEnv(t *testing.T, captchaOn bool) *env {
	t.Helper()
	gin.SetMode(gin.TestMode)
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := ledger.NewService(d, keys)
	buf := &bytes.Buffer{}
	logger := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := New(Deps{Ledger: svc, DB: d, Keys: keys, Captcha: captchaOn, DataDir: t.TempDir(), Logger: logger})
	e := gin.New()
	h.Register(e)
	return &env{t: t, h: h, e: e, db: d, svc: svc, log: buf, jar: map[string]*http.Cookie{}}
}

func (v *env) do(req *http.Request) *httptest.ResponseRecorder {
	req.RemoteAddr = clientAddr + ":5555"
	req.Header.Set("X-Forwarded-For", clientAddr)
	req.Header.Set("X-Real-IP", clientAddr)
	for _, c := range v.jar {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	v.e.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		v.jar[c.Name] = c
	}
	return w
}

func (v *env) get(path string) *httptest.ResponseRecorder {
	return v.do(httptest.NewRequest(http.MethodGet, path, nil))
}

func (v *env) post(path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(req)
}

type upload struct {
	field, name string
	data        []byte
}

func (v *env) postMultipart(path string, form url.Values, files ...upload) *httptest.ResponseRecorder {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range form {
		for _, x := range vs {
			mw.WriteField(k, x)
		}
	}
	for _, f := range files {
		w, _ := mw.CreateFormFile(f.field, f.name)
		w.Write(f.data)
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return v.do(req)
}

func (v *env) postJSON(path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return v.do(req)
}

var (
	csrfRE    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	captchaRE = regexp.MustCompile(`name="captcha_id" value="([^"]+)"`)
	// codeRE finds the tracking code on the receipt, shown as four groups
	// that each stay on one line (<span class="grp">ABCD-</span>…).
	codeRE = regexp.MustCompile(`<p class="code" id="code"><span class="grp">([0-9A-Z]{4}-)</span><span class="grp">([0-9A-Z]{4}-)</span><span class="grp">([0-9A-Z]{4}-)</span><span class="grp">([0-9A-Z]{4})</span></p>`)
)

// findCode returns the tracking code shown on a receipt, XXXX-XXXX-XXXX-XXXX.
func findCode(t *testing.T, body string) string {
	t.Helper()
	m := codeRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s not found in:\n%s", codeRE, body)
	}
	return strings.Join(m[1:], "")
}

func find(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s not found in:\n%s", re, body)
	}
	return m[1]
}

// reportForm opens the report page and returns a form pre-filled with a
// valid filing (CSRF token and solved captcha included).
func (v *env) reportForm() url.Values {
	v.t.Helper()
	w := v.get("/report")
	if w.Code != http.StatusOK {
		v.t.Fatalf("GET /report = %d", w.Code)
	}
	body := w.Body.String()
	f := url.Values{
		"csrf":        {find(v.t, csrfRE, body)},
		"categories":  {"air", "noise"},
		"town":        {"城关镇"},
		"address":     {"城关镇东街12号附近"},
		"subject":     {"某某建材厂"},
		"description": {"工厂每天夜里排放黑烟，气味刺鼻，附近居民无法开窗。"},
		"identity":    {"anonymous"},
		"action":      {"submit"},
	}
	if m := captchaRE.FindStringSubmatch(body); m != nil {
		f.Set("captcha_id", m[1])
		f.Set("captcha_solution", v.h.captcha.Answer(context.Background(), m[1]))
	}
	return f
}

func (v *env) token() string {
	v.t.Helper()
	return find(v.t, csrfRE, v.get("/track").Body.String())
}

func (v *env) count(table string) int {
	v.t.Helper()
	var n int
	if err := v.db.Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
		v.t.Fatal(err)
	}
	return n
}

// jpegWithGPS returns a JPEG with a hand-built APP1 Exif segment holding a
// GPS IFD and a serial-like marker string.
func jpegWithGPS(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, nil); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	le := binary.LittleEndian
	tiff.WriteString("II")
	for _, x := range []any{uint16(42), uint32(8), uint16(1), uint16(0x8825), uint16(4), uint32(1), uint32(26), uint32(0),
		uint16(1), uint16(1), uint16(2), uint32(2)} {
		binary.Write(&tiff, le, x)
	}
	tiff.WriteString("N\x00\x00\x00")
	binary.Write(&tiff, le, uint32(0))
	tiff.WriteString("GPSSECRET-32.7N-108.2E")
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	b := plain.Bytes()
	out := append([]byte{}, b[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, b[2:]...)
}

// submit posts the report form and, when it answers with the redirect to
// the receipt page, follows it as a browser does (GET, with the cookies).
func (v *env) submit(form url.Values, files ...upload) *httptest.ResponseRecorder {
	v.t.Helper()
	w := v.postMultipart("/report", form, files...)
	if w.Code != http.StatusSeeOther {
		return w
	}
	if loc := w.Header().Get("Location"); loc != receiptPath {
		v.t.Fatalf("redirected to %q, want %s", loc, receiptPath)
	}
	return v.get(receiptPath)
}
