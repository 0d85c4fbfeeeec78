package portal

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/conversation"
	"ecoreport/internal/reward"
)

// portraitJPEG is what a phone held upright saves: a landscape frame of
// w×h (red in its top-left corner) and EXIF orientation 6, at quality 95.
func portraitJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(40 + 150*x/w), uint8(90 + (x*y)%60), uint8(60 + 100*y/h), 255}
			if x < w/6 && y < h/6 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	be := binary.BigEndian
	tiff.WriteString("MM")
	for _, x := range []any{uint16(42), uint32(8), uint16(1), uint16(0x0112), uint16(3), uint32(1), uint16(6), uint16(0), uint32(0)} {
		binary.Write(&tiff, be, x)
	}
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	raw := b.Bytes()
	out := append([]byte{}, raw[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, raw[2:]...)
}

var (
	tokenRE   = regexp.MustCompile(`name="photo_token" value="([^"]*)"`)
	keepRE    = regexp.MustCompile(`name="keep_photo" value="(\d+)" checked`)
	summaryRE = regexp.MustCompile(`(?s)<div class="error-summary".*?</div>`)
)

func TestAWrongCaptchaAndThreeFieldErrorsShowAllFourAndKeepThePhotos(t *testing.T) {
	v := newEnv(t, true)
	f := v.reportForm()
	f.Set("captcha_solution", "000000x")
	f.Del("categories")
	f.Set("description", "太短")
	f.Set("town", "")
	w := v.submit(f, upload{"photos", "a.jpg", jpegWithGPS(t)}, upload{"photos", "b.jpg", portraitJPEG(t, 60, 40)})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	sum := summaryRE.FindString(body)
	for _, want := range []string{"修改以下4项", `href="#cat-air"`, `href="#town"`, `href="#description"`, `href="#captcha_solution"`,
		"请至少选择一种污染类型", "问题描述至少10个字", "验证码错误或已过期"} {
		if !strings.Contains(sum, want) {
			t.Fatalf("the error summary lacks %q:\n%s", want, sum)
		}
	}
	if !strings.Contains(sum, "autofocus") && !strings.Contains(body, `id="error-summary" tabindex="-1" autofocus`) {
		t.Fatal("the summary does not take the focus")
	}
	for _, id := range []string{"town", "description", "captcha_solution"} {
		if !strings.Contains(body, `aria-invalid="true" aria-describedby="`+id+`-error"`) || !strings.Contains(body, `id="`+id+`-error"`) {
			t.Fatalf("%s is not tied to its message", id)
		}
	}
	tok := find(t, tokenRE, body)
	keep := keepRE.FindAllStringSubmatch(body, -1)
	if len(keep) != 2 || !strings.Contains(body, "已为您保留的照片") {
		t.Fatalf("held photos on the form: %v", keep)
	}
	if v.count("complaints") != 0 || v.count("held_photos") != 2 {
		t.Fatalf("complaints %d, held %d", v.count("complaints"), v.count("held_photos"))
	}

	// Fixed and sent again without choosing the photos: both are filed.
	f = v.reportForm()
	f.Set("photo_token", tok)
	f["keep_photo"] = []string{keep[0][1], keep[1][1]}
	w = v.submit(f)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "照片</dt><dd>2张") {
		t.Fatalf("the second try: %d\n%s", w.Code, w.Body)
	}
	if v.count("attachments") != 2 || v.count("held_photos") != 0 {
		t.Fatalf("attachments %d, held %d", v.count("attachments"), v.count("held_photos"))
	}
}

func TestTheReceiptSurvivesARefreshAndThenSaysWhereTheCodeWas(t *testing.T) {
	v := newEnv(t, true)
	post := v.postMultipart("/report", v.reportForm())
	if post.Code != http.StatusSeeOther || post.Header().Get("Location") != receiptPath {
		t.Fatalf("POST /report = %d → %q", post.Code, post.Header().Get("Location"))
	}
	ck := v.jar[receiptCookie]
	if ck == nil || !ck.HttpOnly || ck.Path != receiptPath || ck.MaxAge <= 0 || ck.MaxAge > int(conversation.ReceiptTTL/time.Second) {
		t.Fatalf("receipt cookie %+v", ck)
	}
	first := v.get(receiptPath)
	code := findCode(t, first.Body.String())
	if strings.Contains(ck.Value, strings.ReplaceAll(code, "-", "")) {
		t.Fatal("the receipt token holds the code")
	}
	for i := 0; i < 3; i++ {
		w := v.get(receiptPath)
		if w.Code != http.StatusOK || findCode(t, w.Body.String()) != code || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("refresh %d: %d", i, w.Code)
		}
	}
	if v.count("complaints") != 1 {
		t.Fatal("a refresh filed again")
	}
	logs := v.log.String()
	if strings.Contains(logs, code) || strings.Contains(logs, strings.ReplaceAll(code, "-", "")) || strings.Contains(logs, ck.Value) {
		t.Fatal("the code or the receipt token is in the log")
	}
	// Half an hour later the page says where the code was.
	later := time.Now().Add(conversation.ReceiptTTL + time.Minute)
	v.svc.Now = func() time.Time { return later }
	w := v.get(receiptPath)
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "回执已不再显示") || codeRE.MatchString(w.Body.String()) {
		t.Fatalf("expired receipt: %d", w.Code)
	}
	// A forged token is the same page.
	v.jar[receiptCookie] = &http.Cookie{Name: receiptCookie, Value: strings.Repeat("A", 43)}
	if w := v.get(receiptPath); w.Code != http.StatusGone {
		t.Fatalf("forged receipt token: %d", w.Code)
	}
}

func TestAPortraitPhotoIsStoredUprightAndSmaller(t *testing.T) {
	v := newEnv(t, false)
	raw := portraitJPEG(t, 640, 480)
	if w := v.submit(v.reportForm(), upload{"photos", "IMG_0002.jpg", raw}); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	entries, _ := os.ReadDir(v.h.uploadDir())
	if len(entries) != 1 {
		t.Fatalf("uploads %v", entries)
	}
	stored, _ := os.ReadFile(filepath.Join(v.h.uploadDir(), entries[0].Name()))
	img, err := jpeg.Decode(bytes.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 480 || b.Dy() != 640 {
		t.Fatalf("stored %v, want 480×640 (upright)", b)
	}
	if r, g, b, _ := img.At(480-10, 10).RGBA(); r>>8 < 200 || g>>8 > 60 || b>>8 > 60 {
		t.Fatal("the red corner is not at the top right: the photo was not turned")
	}
	if len(stored) >= len(raw) {
		t.Fatalf("stored %d bytes for %d sent", len(stored), len(raw))
	}
}

func TestTwelveHonestFilingsFromOneAddressWithMistakesAreNotRefused(t *testing.T) {
	v := newEnv(t, true)
	for i := 0; i < 12; i++ {
		switch i % 4 {
		case 1: // a field forgotten first
			f := v.reportForm()
			f.Set("description", "短")
			if w := v.submit(f); w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("filing %d, the mistake: %d", i, w.Code)
			}
		case 2: // the captcha mistyped first
			f := v.reportForm()
			f.Set("captcha_solution", "12")
			if w := v.submit(f); w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("filing %d, the mistake: %d", i, w.Code)
			}
		}
		if w := v.submit(v.reportForm()); w.Code != http.StatusOK {
			t.Fatalf("honest filing %d refused: %d\n%s", i+1, w.Code, truncateRunes(w.Body.String(), 2000))
		}
	}
	if v.count("complaints") != 12 {
		t.Fatalf("%d filed", v.count("complaints"))
	}
}

func TestWrongCaptchasAreLimitedOnTheirOwn(t *testing.T) {
	v := newEnv(t, true)
	v.h.limits.CaptchaFailHour = 3
	v.h.setLimiters()
	for i := 0; i < 3; i++ {
		f := v.reportForm()
		f.Set("captcha_solution", "1")
		if w := v.submit(f); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("wrong captcha %d: %d", i, w.Code)
		}
	}
	w := v.submit(v.reportForm())
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after three wrong captchas: %d", w.Code)
	}
	// Validation errors alone never fill the filing limit.
	v.h.limits.FilePerHour, v.h.limits.CaptchaFailHour = 2, 1000
	v.h.setLimiters()
	for i := 0; i < 10; i++ {
		f := v.reportForm()
		f.Del("categories")
		v.submit(f)
	}
	for i := 0; i < 2; i++ {
		if w := v.submit(v.reportForm()); w.Code != http.StatusOK {
			t.Fatalf("filing %d after ten sent back: %d", i, w.Code)
		}
	}
}

func TestHeldPhotoTokensUnderAttack(t *testing.T) {
	v := newEnv(t, false)
	f := v.reportForm()
	f.Set("description", "短")
	w := v.submit(f, upload{"photos", "a.jpg", jpegWithGPS(t)})
	tok := find(t, tokenRE, w.Body.String())
	t.Run("ParallelSubmitsFileThePhotoOnce", func(t *testing.T) {
		var wg sync.WaitGroup
		codes := make([]int, 6)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f := v.reportForm()
				f.Set("photo_token", tok)
				f.Set("keep_photo", "1")
				codes[i] = v.postMultipart("/report", f).Code
			}()
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			if c == http.StatusSeeOther {
				ok++
			}
		}
		if ok != 1 || v.count("attachments") != 1 {
			t.Fatalf("statuses %v, attachments %d: the held photo must be filed exactly once", codes, v.count("attachments"))
		}
	})
	t.Run("ForgedOrUsedTokenFilesNoPhoto", func(t *testing.T) {
		for _, forged := range []string{tok, strings.Repeat("x", 43), "../../etc/passwd", ""} {
			f := v.reportForm()
			f.Set("photo_token", forged)
			f.Set("keep_photo", "1")
			w := v.submit(f)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "之前保留的照片已过期") {
				t.Fatalf("token %q: %d", forged, w.Code)
			}
		}
		if v.count("attachments") != 1 {
			t.Fatal("a forged token attached a photo")
		}
	})
}

func TestTheDecompressionBombIsRefusedWithoutDecoding(t *testing.T) {
	v := newEnv(t, false)
	bomb := bombPNG(t, 7070)
	start := time.Now()
	w := v.submit(v.reportForm(), upload{"photos", "bomb.png", bomb})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "照片尺寸过大") {
		t.Fatalf("status %d", w.Code)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
	// Six of them in one addition: refused one by one, none decoded.
	code := fileOne(t, v)
	form := url.Values{"csrf": {v.token()}, "code": {code}, "body": {"补充"}}
	var bombs []upload
	for i := 0; i < 6; i++ {
		bombs = append(bombs, upload{"photos", "bomb.png", bomb})
	}
	start = time.Now()
	w = v.postMultipart("/track/add", form, bombs...)
	if w.Code != http.StatusUnprocessableEntity || time.Since(start) > 3*time.Second {
		t.Fatalf("six bombs: %d in %v", w.Code, time.Since(start))
	}
}

func TestTrackingPageNumbersPhotosWithinTheComplaint(t *testing.T) {
	v := newEnv(t, false)
	v.h.codeLimit.Limit, v.h.trackLimit.Limit = 1000, 1000
	fileOne(t, v, upload{"photos", "x.jpg", jpegWithGPS(t)}, upload{"photos", "y.jpg", jpegWithGPS(t)}) // someone else's two
	code := fileOne(t, v, upload{"photos", "a.jpg", jpegWithGPS(t)})
	w := v.post("/track", url.Values{"csrf": {v.token()}, "code": {code}})
	body := w.Body.String()
	if !strings.Contains(body, "查看照片 1") || strings.Contains(body, "查看照片 3") || !strings.Contains(body, `name="photo" value="1"`) {
		t.Fatalf("photo numbering:\n%s", body)
	}
	w = v.post("/track/photo", url.Values{"csrf": {v.token()}, "code": {code}, "photo": {"1"}})
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/jpeg" {
		t.Fatalf("photo 1: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if w := v.post("/track/photo", url.Values{"csrf": {v.token()}, "code": {code}, "photo": {"3"}}); w.Code != http.StatusNotFound {
		t.Fatalf("someone else's photo by number: %d", w.Code)
	}
}

// bombPNG is issue 20's decompression bomb: a 16-bit RGBA PNG of side×side
// black pixels, a few hundred kilobytes that decode to side² × 8 bytes.
func bombPNG(tb testing.TB, side int) []byte {
	tb.Helper()
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	row := make([]byte, 1+side*8)
	for y := 0; y < side; y++ {
		zw.Write(row)
	}
	zw.Close()
	var out bytes.Buffer
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(side))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(side))
	ihdr[8], ihdr[9] = 16, 6
	chunk("IHDR", ihdr)
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

func TestHelpStatesTheConfiguredRewardLevels(t *testing.T) {
	v := newEnv(t, false)
	v.h.rewards = reward.NewService(v.db, v.h.keys, v.svc)
	w := v.get("/help")
	body := w.Body.String()
	for _, want := range []string{"隐私说明", "查询码丢失后任何人都无法找回", "奖励标准", "一般", "<td>200</td>", "<td>1000</td>", "90天内"} {
		if !strings.Contains(body, want) {
			t.Fatalf("/help lacks %q", want)
		}
	}
	for _, p := range []string{"/", "/report"} {
		if b := v.get(p).Body.String(); !strings.Contains(b, `href="/help"`) || !strings.Contains(b, `href="/stats"`) {
			t.Fatalf("%s does not link /help and /stats", p)
		}
	}
}

func TestAReporterAsksForARewardFromTheTrackingPage(t *testing.T) {
	v := newEnv(t, false)
	v.h.codeLimit.Limit, v.h.trackLimit.Limit = 1000, 1000
	v.h.rewards = reward.NewService(v.db, v.h.keys, v.svc)
	code := fileOne(t, v) // filed without asking for a reward
	body := v.post("/track", url.Values{"csrf": {v.token()}, "code": {code}}).Body.String()
	if !strings.Contains(body, `action="/track/reward/ask"`) {
		t.Fatal("the tracking page does not offer to ask for a reward")
	}
	w := v.post("/track/reward/ask", url.Values{"csrf": {v.token()}, "code": {code}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "已收到您的奖励申请") || strings.Contains(w.Body.String(), `action="/track/reward/ask"`) {
		t.Fatalf("ask: %d\n%s", w.Code, w.Body)
	}
	if w := v.post("/track/reward/ask", url.Values{"csrf": {v.token()}, "code": {code}}); w.Code != http.StatusConflict {
		t.Fatalf("asking twice: %d", w.Code)
	}
}

func TestAProcessKilledBetweenHoldingAndWritingLeavesNothingForLong(t *testing.T) {
	v := newEnv(t, false)
	// What a kill -9 after the held rows' commit and before the files leaves:
	// rows whose files never came.
	tok := conversation.NewHeldToken()
	if _, err := v.h.conv.Hold(context.Background(), tok, []conversation.HeldPhoto{
		{Name: newStoredName(".jpg"), MIME: "image/jpeg", Size: 10, Width: 1, Height: 1},
		{Name: newStoredName(".jpg"), MIME: "image/jpeg", Size: 10, Width: 1, Height: 1},
	}); err != nil {
		t.Fatal(err)
	}
	// A partial file of one of them, as a kill during the write leaves it.
	var name string
	if err := v.db.Get(&name, `SELECT stored_name FROM held_photos ORDER BY seq LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(v.h.uploadDir(), 0o750)
	os.WriteFile(filepath.Join(v.h.uploadDir(), name), []byte{0xFF, 0xD8}, 0o640)
	later := time.Now().Add(conversation.HeldTTL + time.Minute)
	v.svc.Now = func() time.Time { return later }
	if n, err := v.h.SweepHeld(context.Background()); err != nil || n != 2 {
		t.Fatalf("swept %d, %v", n, err)
	}
	entries, _ := os.ReadDir(v.h.uploadDir())
	if len(entries) != 0 || v.count("held_photos") != 0 {
		t.Fatalf("left: files %v, rows %d", entries, v.count("held_photos"))
	}
}
