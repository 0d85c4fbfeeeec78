package portal

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/conversation"
)

func TestReportFlowEndToEnd(t *testing.T) {
	v := newEnv(t, true)
	f := v.reportForm()
	w := v.submit(f, upload{"photos", "IMG_0001.jpg", jpegWithGPS(t)})
	if w.Code != http.StatusOK {
		t.Fatalf("POST /report = %d\n%s", w.Code, w.Body)
	}
	body := w.Body.String()
	code := findCode(t, body)
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control = %q", cc)
	}
	for _, want := range []string{"系统不保存明文", "<svg class=\"qr\"", "匿名举报", "城关镇", "大气、噪声"} {
		if !strings.Contains(body, want) {
			t.Fatalf("receipt lacks %q", want)
		}
	}
	if v.count("complaints") != 1 || v.count("attachments") != 1 {
		t.Fatalf("complaints %d attachments %d", v.count("complaints"), v.count("attachments"))
	}
	// The stored photo has no metadata and a random name.
	entries, _ := os.ReadDir(v.h.uploadDir())
	if len(entries) != 1 || !validStoredName(entries[0].Name()) {
		t.Fatalf("uploads: %v", entries)
	}
	stored, _ := os.ReadFile(filepath.Join(v.h.uploadDir(), entries[0].Name()))
	if bytes.Contains(stored, []byte("Exif")) || bytes.Contains(stored, []byte("GPSSECRET")) {
		t.Fatal("stored photo keeps its Exif/GPS data")
	}

	// Printable receipt by POST.
	w = v.post("/report/receipt", url.Values{"csrf": {v.token()}, "code": {code}, "download": {"1"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), code) ||
		!strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("receipt download = %d %q", w.Code, w.Header().Get("Content-Disposition"))
	}

	// Track with the code typed sloppily.
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	w = v.post("/track", url.Values{"csrf": {v.token()}, "code": {typed}})
	if w.Code != http.StatusOK {
		t.Fatalf("POST /track = %d\n%s", w.Code, w.Body)
	}
	tb := w.Body.String()
	for _, want := range []string{"已接收", "受理期限", "您的举报已收到", "查看照片"} {
		if !strings.Contains(tb, want) {
			t.Fatalf("track page lacks %q", want)
		}
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatal("track page may be cached")
	}
	if v.count("audit_log") == 0 {
		t.Fatal("no audit entry")
	}
}

func TestReportValidation(t *testing.T) {
	v := newEnv(t, true)
	jpg := jpegWithGPS(t)
	huge := strings.Repeat("污", 10<<20/3)
	tests := []struct {
		name   string
		edit   func(f url.Values)
		files  []upload
		status int
		want   string // in the response (a field message, or the escaped text)
		stored bool
	}{
		{"OK/Plain", func(f url.Values) {}, nil, 200, "查询码", true},
		{"OK/Script", func(f url.Values) {
			f.Set("description", "<script>alert('x')</script> 工厂夜里偷排废水")
			f.Set("subject", "<b>厂</b>")
		}, nil, 200, "&lt;b&gt;厂&lt;/b&gt;", true},
		{"OK/SQLMeta", func(f url.Values) { f.Set("description", "' OR 1=1 -- ; DROP TABLE complaints; 河边倒垃圾") }, nil, 200, "&#39; OR 1=1 --", true},
		{"OK/Emoji", func(f url.Values) { f.Set("description", "🏭💨🏭💨 烟囱一直冒黑烟，味道很大 😷") }, nil, 200, "🏭💨", true},
		{"OK/GB18030Only", func(f url.Values) { f.Set("description", "𠀀𪚥𰻞𰻞面馆后厨油烟直排，䶮䶵附近") }, nil, 200, "𰻞𰻞面馆", true},
		{"OK/PathTrickFileName", func(f url.Values) {}, []upload{{"photos", "../../etc/passwd", jpg}}, 200, "照片</dt><dd>1张", true},
		{"ErrDescriptionShort", func(f url.Values) { f.Set("description", "太短了") }, nil, 422, "问题描述至少10个字", false},
		{"ErrDescriptionMissing", func(f url.Values) { f.Set("description", "   ") }, nil, 422, "请描述发生了什么", false},
		{"ErrTenMBField", func(f url.Values) { f.Set("description", huge) }, nil, 422, "问题描述不能超过2000个字", false},
		{"Err5000CharWord", func(f url.Values) { f.Set("description", strings.Repeat("a", 5000)) }, nil, 422, "问题描述不能超过2000个字", false},
		{"ErrInvalidUTF8", func(f url.Values) { f.Set("description", "工厂排放\xff\xfe废气已经很久了") }, nil, 422, "编码错误", false},
		{"ErrNUL", func(f url.Values) { f.Set("address", "东街\x00十二号") }, nil, 422, "控制字符", false},
		{"ErrNoCategory", func(f url.Values) { f.Del("categories") }, nil, 422, "请至少选择一种污染类型", false},
		{"ErrBadCategory", func(f url.Values) { f["categories"] = []string{"air", "nuclear"} }, nil, 422, "污染类型无效", false},
		{"ErrTownUnknown", func(f url.Values) { f.Set("town", "北京市") }, nil, 422, "请从列表中选择问题所在的镇", false},
		{"ErrIdentity", func(f url.Values) { f.Set("identity", "public") }, nil, 422, "请选择匿名或保密", false},
		{"ErrConfidentialNoPhone", func(f url.Values) { f.Set("identity", "confidential") }, nil, 422, "选择保密时请留下联系电话", false},
		{"ErrConfidentialBadPhone", func(f url.Values) { f.Set("identity", "confidential"); f.Set("phone", "12345") }, nil, 422, "请填写正确的手机号", false},
		{"OK/Confidential", func(f url.Values) { f.Set("identity", "confidential"); f.Set("phone", "138 0000 1234") }, nil, 200, "保密", true},
		{"ErrPhotoNotImage", func(f url.Values) {}, []upload{{"photos", "photo.jpg", []byte("<html><script>alert(1)</script></html>")}}, 422, "只能上传JPEG、PNG或WebP格式的照片", false},
		{"ErrTooManyPhotos", func(f url.Values) {}, []upload{{"photos", "1.jpg", jpg}, {"photos", "2.jpg", jpg}, {"photos", "3.jpg", jpg},
			{"photos", "4.jpg", jpg}, {"photos", "5.jpg", jpg}, {"photos", "6.jpg", jpg}, {"photos", "7.jpg", jpg}}, 422, "最多上传6张照片", false},
		{"ErrCaptchaWrong", func(f url.Values) { f.Set("captcha_solution", "abc") }, nil, 422, "验证码错误或已过期", false},
		{"ErrCaptchaMissing", func(f url.Values) { f.Del("captcha_id"); f.Del("captcha_solution") }, nil, 422, "验证码错误或已过期", false},
		{"ErrHoneypot", func(f url.Values) { f.Set("website", "http://spam.example") }, nil, 422, "提交失败", false},
		{"ErrCSRF", func(f url.Values) { f.Set("csrf", "forged") }, nil, 403, "页面已过期", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v.h.fileLimit.Limit = 1000
			v.h.captchaLimit.Limit = 1000
			before := v.count("complaints")
			f := v.reportForm()
			tt.edit(f)
			w := v.submit(f, tt.files...)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d\n%s", w.Code, tt.status, truncateRunes(w.Body.String(), 3000))
			}
			body := w.Body.String()
			if !strings.Contains(body, tt.want) {
				t.Fatalf("response lacks %q:\n%s", tt.want, truncateRunes(body, 3000))
			}
			if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>厂") {
				t.Fatal("unescaped HTML in the response")
			}
			after := v.count("complaints")
			if tt.stored != (after == before+1) {
				t.Fatalf("complaints %d → %d, stored=%v", before, after, tt.stored)
			}
			if !tt.stored {
				// The form keeps what was typed and offers a fresh captcha.
				if !strings.Contains(body, "城关镇东街12号附近") && tt.name != "ErrNUL" {
					t.Fatal("typed address lost")
				}
				if len(body) > 200_000 {
					t.Fatalf("echoed %d bytes back", len(body))
				}
			}
		})
	}
	// Stored text comes back unchanged (bound parameters, utf8mb4).
	var descs []string
	if err := v.db.Select(&descs, "SELECT description FROM complaints ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(descs, "\n")
	for _, want := range []string{"<script>alert('x')</script>", "' OR 1=1 --", "🏭💨", "𠀀𪚥𰻞𰻞面馆"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("stored descriptions lack %q", want)
		}
	}
	// Only random names in uploads, nothing escaped the directory.
	entries, _ := os.ReadDir(v.h.uploadDir())
	for _, e := range entries {
		if !validStoredName(e.Name()) {
			t.Fatalf("stored name %q", e.Name())
		}
	}
	var ids []string
	v.db.Select(&ids, "SELECT stored_name FROM attachments")
	if len(ids) != len(entries) {
		t.Fatalf("%d rows, %d files", len(ids), len(entries))
	}
}

func TestReportCaptchaReloadKeepsInput(t *testing.T) {
	v := newEnv(t, true)
	f := v.reportForm()
	old := f.Get("captcha_id")
	f.Set("action", "reload_captcha")
	w := v.submit(f)
	if w.Code != 200 {
		t.Fatalf("reload = %d", w.Code)
	}
	id := find(t, captchaRE, w.Body.String())
	if id == old || !strings.Contains(w.Body.String(), "城关镇东街12号附近") {
		t.Fatal("reload did not give a new captcha with the input kept")
	}
	if v.count("complaints") != 0 {
		t.Fatal("reload filed a complaint")
	}
	w = v.get("/captcha/" + id + ".png")
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("image = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	w = v.get("/captcha/" + id + ".wav")
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "RIFF") {
		t.Fatalf("audio = %d", w.Code)
	}
	if w := v.get("/captcha/AAAAAAAAAAAAAAAAAAAA.png"); w.Code != 404 {
		t.Fatalf("unknown captcha = %d", w.Code)
	}
}

func TestReportCaptchaOff(t *testing.T) {
	v := newEnv(t, false)
	if !strings.Contains(v.log.String(), "验证码已关闭") {
		t.Fatal("no start-up warning")
	}
	f := v.reportForm()
	if f.Get("captcha_id") != "" {
		t.Fatal("captcha shown while off")
	}
	if w := v.submit(f); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	f = v.reportForm()
	f.Set("website", "x")
	if w := v.submit(f); w.Code != 422 {
		t.Fatalf("honeypot with captcha off: %d", w.Code)
	}
}

func TestReportRateLimited(t *testing.T) {
	v := newEnv(t, false)
	v.h.limits.FilePerHour = 2
	v.h.setLimiters()
	for i := 0; i < 2; i++ {
		if w := v.submit(v.reportForm()); w.Code != 200 {
			t.Fatalf("filing %d = %d", i, w.Code)
		}
	}
	w := v.submit(v.reportForm())
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("third filing = %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if !regexp.MustCompile(`请\d+分钟后再试`).MatchString(w.Body.String()) {
		t.Fatal("429 page does not say when to retry")
	}
	if v.count("complaints") != 2 {
		t.Fatal("rate-limited filing stored")
	}
}

func TestReportUploadDirUnwritable(t *testing.T) {
	v := newEnv(t, false)
	file := filepath.Join(t.TempDir(), "not-a-dir")
	os.WriteFile(file, []byte("x"), 0o600)
	v.h.deps.DataDir = file
	w := v.submit(v.reportForm(), upload{"photos", "a.jpg", jpegWithGPS(t)})
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "照片暂时无法保存") {
		t.Fatalf("status %d\n%s", w.Code, w.Body)
	}
	if v.count("complaints") != 0 || v.count("attachments") != 0 {
		t.Fatal("something was saved")
	}
}

func TestReportFailedCommitKeepsPhotosHeldUntilTheyExpire(t *testing.T) {
	v := newEnv(t, false)
	if _, err := v.db.Exec("DROP TABLE attachments"); err != nil {
		t.Fatal(err)
	}
	w := v.submit(v.reportForm(), upload{"photos", "a.jpg", jpegWithGPS(t)})
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "系统错误") {
		t.Fatalf("status %d", w.Code)
	}
	if n := v.count("complaints"); n != 0 {
		t.Fatalf("%d complaints after a failed commit", n)
	}
	// The photo is not an orphan: a held row points at it, and the form
	// offers it again.
	entries, _ := os.ReadDir(v.h.uploadDir())
	if len(entries) != 1 || v.count("held_photos") != 1 || !strings.Contains(w.Body.String(), `name="keep_photo"`) {
		t.Fatalf("files %v, held rows %d", entries, v.count("held_photos"))
	}
	// Once its hour is over the sweep removes file and row.
	later := time.Now().Add(conversation.HeldTTL + time.Minute)
	v.svc.Now = func() time.Time { return later }
	if n, err := v.h.SweepHeld(context.Background()); err != nil || n != 1 {
		t.Fatalf("swept %d, %v", n, err)
	}
	entries, _ = os.ReadDir(v.h.uploadDir())
	if len(entries) != 0 || v.count("held_photos") != 0 {
		t.Fatalf("after the sweep: files %v, held rows %d", entries, v.count("held_photos"))
	}
}

func TestPagesRender(t *testing.T) {
	v := newEnv(t, true)
	for _, p := range []string{"/", "/report", "/track"} {
		w := v.get(p)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "12369") {
			t.Fatalf("GET %s = %d", p, w.Code)
		}
		if strings.Contains(w.Body.String(), "style=") || strings.Contains(w.Body.String(), "<script>") {
			t.Fatalf("%s has inline style or script (CSP)", p)
		}
	}
	css := regexp.MustCompile(`href="(/static/portal.css\?v=[0-9a-f]+)"`).FindStringSubmatch(v.get("/").Body.String())
	if css == nil {
		t.Fatal("no hashed css link")
	}
	v.h.assets.Register(v.e) // the application mounts the assets once for every surface
	w := v.get(css[1])
	if w.Code != 200 || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("css = %d %s", w.Code, w.Header().Get("Cache-Control"))
	}
	if w := v.get("/static/../go.mod"); w.Code != 404 {
		t.Fatalf("path trick = %d", w.Code)
	}
}
