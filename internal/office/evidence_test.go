package office_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
	"ecoreport/internal/photo"
)

// pngBytes is a small real PNG (w×h, a gradient keyed by seed).
func pngBytes(t testing.TB, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x) + seed, uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// storedPhoto writes a photo file as the portal does and returns its name.
func (e *env) storedPhoto(seed uint8) string {
	e.t.Helper()
	name := fmt.Sprintf("%032x.png", int(seed)+1000*len(e.t.Name()))
	if err := os.WriteFile(filepath.Join(e.uploads, name), pngBytes(e.t, 8, 6, seed), 0o640); err != nil {
		e.t.Fatal(err)
	}
	return name
}

// photos gives case caseID a reporter's photo (a complaint with one photo,
// accepted into the case) and an on-site photo, both with their files, and
// returns their ids.
func (e *env) photos(caseID int64) (residentID, caseID2 int64) {
	e.t.Helper()
	cv := conversation.New(e.ledger)
	f, err := cv.File(ctx, webComplaint(), []conversation.Photo{{Name: e.storedPhoto(1), MIME: "image/png", Size: 100}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.ledger.Accept(ctx, f.Complaint.ID, caseID, ledger.Actor{Name: "fixture"}, ledger.EventInput{}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.ledger.AddOnSitePhotos(ctx, caseID, []ledger.Photo{{Name: e.storedPhoto(2), MIME: "image/png", Size: 100}}, ledger.Actor{Name: "fixture"}); err != nil {
		e.t.Fatal(err)
	}
	th, err := cv.Thread(ctx, &f.Complaint)
	if err != nil || len(th.FiledPhotos) != 1 {
		e.t.Fatalf("photos %v %v", th, err)
	}
	ps, err := e.ledger.CasePhotos(ctx, caseID)
	if err != nil || len(ps) == 0 {
		e.t.Fatalf("case photos %v %v", ps, err)
	}
	return th.FiledPhotos[0].ID, ps[len(ps)-1].ID
}

// sendFiles posts a multipart form with files (field → files) as c.
func (c *client) sendFiles(path string, fields map[string]string, files map[string][][]byte) *httptest.ResponseRecorder {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if fields["csrf"] == "" {
		mw.WriteField("csrf", c.csrf)
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for field, fs := range files {
		for i, b := range fs {
			fw, err := mw.CreateFormFile(field, fmt.Sprintf("%s-%d.png", field, i))
			if err != nil {
				c.e.t.Fatal(err)
			}
			fw.Write(b)
		}
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.e.r.ServeHTTP(w, req)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	if m := csrfRE.FindStringSubmatch(w.Body.String()); m != nil {
		c.csrf = m[1]
	}
	return w
}

// evidenceCase takes a web complaint with two photos and one added later
// through verification to a notice for 城关镇 (unit 1); it returns the case,
// the complaint and the notice.
func (e *env) evidenceCase() (int64, ledger.Complaint, *ledger.Notice) {
	e.t.Helper()
	cv := conversation.New(e.ledger)
	in := webComplaint()
	in.Description = "建材厂每天夜里11点以后开机生产，烟囱冒黑烟，气味刺鼻，机器噪声很大，周边居民无法入睡。"
	f, err := cv.File(ctx, in, []conversation.Photo{{Name: e.storedPhoto(11), MIME: "image/png", Size: 100}, {Name: e.storedPhoto(12), MIME: "image/png", Size: 100}})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cv.Add(ctx, &f.Complaint, "今晚10点半又开始冒黑烟", []conversation.Photo{{Name: e.storedPhoto(13), MIME: "image/png", Size: 100}}); err != nil {
		e.t.Fatal(err)
	}
	insp := ledger.Actor{Name: "fixture"}
	id, err := e.ledger.Accept(ctx, f.Complaint.ID, 0, insp, ledger.EventInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.ledger.StartVerification(ctx, id, insp, ledger.EventInput{}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.ledger.RecordVerification(ctx, id, ledger.Substantiated, "属实", insp, ledger.EventInput{}); err != nil {
		e.t.Fatal(err)
	}
	n, err := e.ledger.IssueNotice(ctx, ledger.NewNotice{CaseID: id, UnitID: 1, Requirements: "一、立即停止夜间生产；\n二、修复除尘设施。",
		Deadline: e.clk.now().AddDate(0, 0, 15)}, insp)
	if err != nil {
		e.t.Fatal(err)
	}
	return id, f.Complaint, n
}

// TestEvidenceCrossesHands is the issue's story in the back office: the
// inspector sees the reporter's three photos on the case page and opens one
// (audited), shares one with the unit; the unit sees the address and that
// photo only, reports with a before and an after photo (sanitised); the
// inspector sees them.
func TestEvidenceCrossesHands(t *testing.T) {
	e := newEnv(t)
	id, _, n := e.evidenceCase()
	caseURL := "/office/cases/" + strconv.FormatInt(id, 10)
	insp := e.session("inspector")

	w := insp.get(caseURL)
	mustContain(t, w, "举报时照片", "补充材料照片", "今晚10点半又开始冒黑烟", "城关镇汉江大道107号", "周边居民无法入睡")
	ids := attachmentIDs(w.Body.String())
	if len(ids) != 3 {
		t.Fatalf("%d reporter's photos on the case page, want 3:\n%s", len(ids), w.Body)
	}
	before := e.audited("inspector", "photo.viewed")
	p := insp.get("/office/attachments/" + ids[0])
	if p.Code != http.StatusOK || p.Header().Get("Content-Type") != "image/png" || p.Header().Get("Cache-Control") != "no-store" ||
		p.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("photo: %d %v", p.Code, p.Header())
	}
	if e.audited("inspector", "photo.viewed") != before+1 {
		t.Fatal("opening a photo was not audited")
	}

	// Nothing shared yet: the unit sees the place, not the photos.
	unit := e.session("unit")
	w = unit.get("/office/unit")
	mustContain(t, w, "城关镇汉江大道107号", "周边居民无法入睡", "一、立即停止夜间生产；")
	for _, pid := range ids {
		if w := unit.get("/office/attachments/" + pid); w.Code != http.StatusNotFound {
			t.Fatalf("unit opened an unshared photo: %d", w.Code)
		}
	}
	seeOther(t, insp.post(caseURL+"/share", "share", "resident:"+ids[1]), "share")
	w = unit.get("/office/unit")
	if got := attachmentIDs(w.Body.String()); len(got) != 1 || got[0] != ids[1] {
		t.Fatalf("unit sees photos %v, want [%s]", got, ids[1])
	}
	if w := unit.get("/office/attachments/" + ids[1]); w.Code != http.StatusOK {
		t.Fatalf("unit cannot open the shared photo: %d", w.Code)
	}
	// Another unit guessing ids: not found, nothing audited.
	unit2 := e.session("unit2")
	audits := e.count(`SELECT COUNT(*) FROM audit_log WHERE actor = 'unit2'`)
	for _, pid := range append(ids, "999", "0", "-1", "abc") {
		if w := unit2.get("/office/attachments/" + pid); w.Code != http.StatusNotFound {
			t.Fatalf("unit2 opened %s: %d", pid, w.Code)
		}
	}
	if e.count(`SELECT COUNT(*) FROM audit_log WHERE actor = 'unit2'`) != audits {
		t.Fatal("a refused view was audited as a view")
	}

	// The unit reports with a before and an after photo; metadata gone.
	w = unit.sendFiles("/office/notices/"+strconv.FormatInt(n.ID, 10)+"/report", map[string]string{"note": "已停止夜间生产，除尘设施已修复。"},
		map[string][][]byte{"before": {pngBytes(t, 30, 20, 5)}, "after": {jpegWithExif(t)}})
	seeOther(t, w, "report")
	ps, _ := e.ledger.CasePhotos(ctx, id)
	var kinds []string
	for _, p := range ps {
		kinds = append(kinds, string(p.Kind))
		b, err := os.ReadFile(filepath.Join(e.uploads, p.StoredName))
		if err != nil || bytes.Contains(b, []byte("Exif")) {
			t.Fatalf("stored %s: %v (metadata left: %v)", p.StoredName, err, bytes.Contains(b, []byte("Exif")))
		}
	}
	if strings.Join(kinds, ",") != "before,after" {
		t.Fatalf("report photos %v", kinds)
	}
	w = insp.get(caseURL)
	mustContain(t, w, "整改前", "整改后", "/office/case-photos/"+strconv.FormatInt(ps[0].ID, 10))
	if w := insp.get("/office/case-photos/" + strconv.FormatInt(ps[1].ID, 10)); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/jpeg" {
		t.Fatalf("report photo: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if w := unit2.get("/office/case-photos/" + strconv.FormatInt(ps[1].ID, 10)); w.Code != http.StatusNotFound {
		t.Fatalf("another unit opened a report photo: %d", w.Code)
	}
}

// attachmentIDs lists the reporter's photo ids linked on a page.
func attachmentIDs(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `href="/office/attachments/`)[1:] {
		out = append(out, part[:strings.Index(part, `"`)])
	}
	return out
}

// jpegWithExif is a real JPEG carrying an EXIF segment (APP1) that names a
// GPS position, as a phone writes it.
func jpegWithExif(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	exif := append([]byte("Exif\x00\x00GPSLatitude 33.03"), make([]byte, 16)...)
	out := append([]byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	return append(out, raw[2:]...)
}

// TestComplaintPageForTriage: a hotline ticket with an unknown town, an
// unreadable phone and a reply deadline, as triage reads it — the raw town
// marked 未识别, the warnings with their (masked) raw values, the unmapped
// columns, the deadline flagged once passed, the contact masked until the
// audited "show"; a leader reads it without the forms.
func TestComplaintPageForTriage(t *testing.T) {
	e := newEnv(t)
	due := e.clk.now().Add(-2 * time.Hour)
	f, err := e.ledger.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelHotline, SourceRef: "12369SQ2026110001", TownText: "某某新区",
		Address: "汉江大道口", Description: "夜里有人往河里倒垃圾", Identity: ledger.Confidential, CategoryText: "光污染",
		Contact: &ledger.Contact{Name: "李四", Phone: "0915-12"}, ReplyDueAt: &due,
		Warnings: []string{"未识别的乡镇：某某新区", "电话号码格式无法识别：0915-12"},
		Extra:    []ledger.Field{{Name: "承办科室", Value: "执法大队"}}}, ledger.Actor{Name: "hotline:12369"})
	if err != nil {
		t.Fatal(err)
	}
	page := "/office/complaints/" + strconv.FormatInt(f.Complaint.ID, 10)
	insp := e.session("inspector")
	w := insp.get(page)
	mustContain(t, w, "某某新区", "（未识别）", "未识别的乡镇：某某新区", "电话号码格式无法识别：****512", "承办科室", "执法大队",
		"热线办理时限", "已超期", "汉江大道口", "原文：光污染", "显示联系方式", "受理", "不予受理", "向举报人提问", "12369热线（12369）")
	mustNotContain(t, w, "0915-12", "李四", "hotline:12369")
	leader := e.session("leader")
	w = leader.get(page)
	mustContain(t, w, "某某新区", "举报人")
	mustNotContain(t, w, `action="`+page+`/accept"`, "显示联系方式", "0915-12")

	audits := e.audited("inspector", "contact.viewed")
	w = insp.post(page+"/contact", "from", "complaint")
	mustContain(t, w, "李四 0915-12", "举报件 "+f.Complaint.Ref())
	if e.audited("inspector", "contact.viewed") != audits+1 {
		t.Fatal("showing the contact was not audited")
	}
	if w := e.client().get(page); w.Code != http.StatusSeeOther {
		t.Fatalf("without a session: %d", w.Code)
	}
}

// TestAcceptIntoAClosedCase: a new complaint about a closed case's spot is
// refused with the way forward on the complaint's own page (what was typed
// kept), or explicitly reopens the case; nothing lands silently.
func TestAcceptIntoAClosedCase(t *testing.T) {
	e := newEnv(t)
	id, _, n := e.evidenceCase()
	insp := ledger.Actor{Name: "fixture"}
	if err := e.ledger.ReportRectification(ctx, n.ID, 1, "已整改", insp); err != nil {
		t.Fatal(err)
	}
	if err := e.ledger.Close(ctx, id, "经复查已整改到位，予以销号。", insp, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	again := e.file(webComplaint())
	page := "/office/complaints/" + strconv.FormatInt(again.ID, 10)
	c := e.session("inspector")
	mustContain(t, c.get(page), "近期已销号的相似问题", ledger.CaseRef(id))
	w := c.post(page+"/accept", "into", ledger.CaseRef(id), "public_note", "我们会再去看看")
	if w.Code != http.StatusConflict {
		t.Fatalf("accept into a closed case: %d", w.Code)
	}
	mustContain(t, w, "已销号，不能直接并入", "问题反弹，重新整改", `value="`+ledger.CaseRef(id)+`"`, "我们会再去看看")
	if cm, _ := e.ledger.Complaint(ctx, again.ID); cm.Status != ledger.Received || cm.CaseID.Valid {
		t.Fatalf("the complaint moved: %s %v", cm.Status, cm.CaseID)
	}
	loc := seeOther(t, c.post(page+"/accept", "into", ledger.CaseRef(id), "reopen", "1"), "reopen")
	if loc != "/office/cases/"+strconv.FormatInt(id, 10) {
		t.Fatalf("after reopening: %s", loc)
	}
	cs, _ := e.ledger.Case(ctx, id)
	if cs.Status != ledger.Reopened || cs.PublicReply != "" {
		t.Fatalf("case %s reply %q", cs.Status, cs.PublicReply)
	}
	w = c.get(loc)
	mustContain(t, w, "重新整改", "原答复已于", "退回原因：问题反弹", "退回重新整改")
}

// TestTimelinesSpeakChinese: the case's timeline names staff by their
// display names (or their role), the reporter 举报人 and jobs 系统; no
// username appears.
func TestTimelinesSpeakChinese(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint())
	insp := e.session("inspector")
	loc := seeOther(t, insp.post("/office/complaints/"+strconv.FormatInt(cm.ID, 10)+"/accept"), "accept")
	if err := e.ledger.Extend(ctx, mustID(t, loc), "系统测试", ledger.System); err != nil {
		t.Fatal(err)
	}
	timeline := func() string {
		body := insp.get(loc).Body.String()
		return body[strings.Index(body, "<h2>办理过程</h2>"):]
	}
	tl := timeline()
	for _, want := range []string{"举报人 · ", "督查人员甲 · ", "系统 · "} {
		if !strings.Contains(tl, want) {
			t.Fatalf("timeline lacks %q:\n%s", want, tl)
		}
	}
	// Without a display name, the role's name.
	if _, err := e.db.Exec(`UPDATE users SET display_name = '' WHERE username = 'inspector'`); err != nil {
		t.Fatal(err)
	}
	if tl = timeline(); !strings.Contains(tl, "督查人员 · ") {
		t.Fatalf("timeline without display names:\n%s", tl)
	}
	for _, bad := range []string{"resident", "inspector ·", "system"} {
		if strings.Contains(tl, bad) {
			t.Fatalf("timeline shows %q:\n%s", bad, tl)
		}
	}
}

// paddedPNG is a valid PNG of exactly size bytes: a small image with an
// ancillary chunk that the decoder skips (and the re-encoding drops).
func paddedPNG(t testing.TB, size int) []byte {
	t.Helper()
	img := pngBytes(t, 40, 30, 3)
	iend := len(img) - 12 // the IEND chunk: length, type, CRC
	pad := size - len(img) - 12
	if pad < 0 {
		t.Fatalf("size %d too small", size)
	}
	chunk := make([]byte, 12+pad)
	binary.BigEndian.PutUint32(chunk, uint32(pad))
	copy(chunk[4:], "zzZz")
	binary.BigEndian.PutUint32(chunk[8+pad:], crc32.ChecksumIEEE(chunk[4:8+pad]))
	out := append(append(append([]byte{}, img[:iend]...), chunk...), img[iend:]...)
	if len(out) != size {
		t.Fatalf("padded PNG is %d bytes, want %d", len(out), size)
	}
	return out
}

// TestPhotoUploadLimits: the largest photo the limit allows goes through
// (re-encoded, so far smaller), one byte more is refused under the field
// with nothing stored; a file that is not a photo is refused; without a
// session nothing is read or stored.
func TestPhotoUploadLimits(t *testing.T) {
	e := newEnv(t)
	id, _, _ := e.evidenceCase()
	path := "/office/cases/" + strconv.FormatInt(id, 10) + "/photos"
	insp := e.session("inspector")
	files := func() int {
		es, err := os.ReadDir(e.uploads)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	rows := func() int { return e.count(`SELECT COUNT(*) FROM case_photos WHERE case_id = ?`, id) }
	tests := []struct {
		name string
		body []byte
		code int
		msg  string
	}{
		{"OKLargestAllowed", paddedPNG(t, photo.MaxBytes), http.StatusSeeOther, ""},
		{"ErrOneByteMore", paddedPNG(t, photo.MaxBytes+1), http.StatusUnprocessableEntity, "照片过大（每张不超过10MB）"},
		{"ErrNotAPhoto", []byte("%PDF-1.4 not a photo"), http.StatusUnprocessableEntity, "只能上传JPEG、PNG或WebP格式的照片"},
		{"ErrNoFile", nil, http.StatusUnprocessableEntity, "请选择要上传的照片"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f0, r0 := files(), rows()
			var fs map[string][][]byte
			if tt.body != nil {
				fs = map[string][][]byte{"photos": {tt.body}}
			}
			w := insp.sendFiles(path, nil, fs)
			if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.msg) {
				t.Fatalf("%d, want %d with %q:\n%.600s", w.Code, tt.code, tt.msg, w.Body)
			}
			if tt.code != http.StatusSeeOther {
				if files() != f0 || rows() != r0 {
					t.Fatal("a refused upload left a file or a row")
				}
				return
			}
			if files() != f0+1 || rows() != r0+1 {
				t.Fatalf("files %d→%d rows %d→%d", f0, files(), r0, rows())
			}
		})
	}
	t.Run("ErrWithoutSession", func(t *testing.T) {
		f0, r0 := files(), rows()
		anon := e.client()
		anon.get("/office/login")
		w := anon.sendFiles(path, nil, map[string][][]byte{"photos": {paddedPNG(t, 2<<20)}})
		// Turned away before the body is read past the form limit: to the
		// login page, or 403 for the form it cannot read.
		if w.Code != http.StatusSeeOther && w.Code != http.StatusForbidden {
			t.Fatalf("anonymous upload: %d", w.Code)
		}
		if files() != f0 || rows() != r0 {
			t.Fatal("an anonymous upload stored something")
		}
	})
}

// TestUnitSeesDeadlinesAndSendBack: the unit page flags a notice past its
// deadline, and after a send-back says why; the case page and the list flag
// the late notice too; the notice quotes the whole problem.
func TestUnitSeesDeadlinesAndSendBack(t *testing.T) {
	e := newEnv(t)
	id, _, n := e.evidenceCase()
	mustNotContain(t, e.session("unit").get("/office/unit"), "已超期")
	e.clk.add(17 * 24 * time.Hour)
	unit, insp := e.session("unit"), e.session("inspector") // sessions of the later day
	mustContain(t, unit.get("/office/unit"), "已超期2天", "有1份整改通知书已超过整改期限")
	caseURL := "/office/cases/" + strconv.FormatInt(id, 10)
	mustContain(t, insp.get(caseURL), "整改通知书已超期", "已超期2天")
	mustContain(t, insp.get("/office/cases?notice_overdue=true"), ledger.CaseRef(id), "通知书超期2天")
	mustNotContain(t, insp.get("/office/cases?notice_overdue=true&status=closed"), ledger.CaseRef(id))
	// 我的问题 flags it for whoever holds the case; a new complaint that may
	// repeat the case flags it on its inbox row and its page.
	holder, _ := e.users.ByUsername(ctx, "inspector")
	if err := e.ledger.AssignCase(ctx, id, ledger.Assignee{}, ledger.Assignee{ID: holder.ID, Name: holder.Label()}, ledger.Actor{Name: "fixture"}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, insp.get("/office/mine"), ledger.CaseRef(id), "整改通知书已超期2天")
	c, _ := e.ledger.Case(ctx, id)
	again := webComplaint()
	again.TownID, again.Subject, again.Categories = c.TownID.Int64, c.Subject, c.Categories
	repeat := e.file(again)
	w := insp.get("/office/inbox")
	row := w.Body.String()[strings.Index(w.Body.String(), `id="c`+strconv.FormatInt(repeat.ID, 10)+`"`):]
	if row = row[:strings.Index(row, "</div>")]; !strings.Contains(row, "可能重复 1 件") || !strings.Contains(row, "其中 1 件整改通知书已超期") {
		t.Fatalf("the repeat's row:\n%s", row)
	}
	mustContain(t, insp.get("/office/complaints/"+strconv.FormatInt(repeat.ID, 10)), ledger.CaseRef(id), "整改通知书已超期2天")
	mustContain(t, insp.get("/office/notices/"+strconv.FormatInt(n.ID, 10)), "周边居民无法入睡", "城关镇汉江大道107号")

	if err := e.ledger.ReportRectification(ctx, n.ID, 1, "已整改", ledger.Actor{Name: "unit"}); err != nil {
		t.Fatal(err)
	}
	mustNotContain(t, unit.get("/office/unit"), "已超期")
	seeOther(t, insp.post(caseURL+"/reopen", "reason", "除尘设施未通电运行"), "send back")
	mustContain(t, unit.get("/office/unit"), "退回原因：除尘设施未通电运行", "报告整改完成")
}
