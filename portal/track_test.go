package portal

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ecoreport/internal/ledger"
	"ecoreport/internal/trackcode"
)

// fileOne files a complaint through the form and returns its code.
func fileOne(t *testing.T, v *env, files ...upload) string {
	t.Helper()
	w := v.submit(v.reportForm(), files...)
	if w.Code != 200 {
		t.Fatalf("file = %d\n%s", w.Code, w.Body)
	}
	return findCode(t, w.Body.String())
}

func TestTrackActions(t *testing.T) {
	v := newEnv(t, false)
	v.h.codeLimit.Limit, v.h.trackLimit.Limit = 1000, 1000
	code := fileOne(t, v)
	track := func(path string, form url.Values, files ...upload) (int, string) {
		t.Helper()
		form.Set("csrf", v.token())
		form.Set("code", code)
		w := v.postMultipart(path, form, files...)
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("%s may be cached", path)
		}
		return w.Code, w.Body.String()
	}

	t.Run("AddInformationAndPhoto", func(t *testing.T) {
		st, body := track("/track/add", url.Values{"body": {"今晚又在排，气味更大了 <i>x</i>"}}, upload{"photos", "../../x.jpg", jpegWithGPS(t)})
		if st != 200 || !strings.Contains(body, "补充材料已提交") || !strings.Contains(body, "&lt;i&gt;x&lt;/i&gt;") {
			t.Fatalf("add = %d\n%s", st, body)
		}
		if !strings.Contains(body, "举报人补充了材料（1张照片）") {
			t.Fatal("no timeline entry")
		}
		st, body = track("/track/add", url.Values{"body": {"  "}})
		if st != 422 || !strings.Contains(body, "请填写补充说明或选择照片") {
			t.Fatalf("empty add = %d", st)
		}
		st, body = track("/track/add", url.Values{"body": {"坏\x00字符"}})
		if st != 422 || !strings.Contains(body, "控制字符") {
			t.Fatalf("NUL add = %d", st)
		}
	})
	t.Run("ViewOwnPhoto", func(t *testing.T) {
		var id string
		v.db.Get(&id, "SELECT CAST(id AS CHAR) FROM attachments ORDER BY id LIMIT 1")
		form := url.Values{"csrf": {v.token()}, "code": {code}, "photo": {id}}
		w := v.post("/track/photo", form)
		if w.Code != 200 || w.Header().Get("Content-Type") != "image/jpeg" || bytes.Contains(w.Body.Bytes(), []byte("GPSSECRET")) {
			t.Fatalf("photo = %d %s", w.Code, w.Header().Get("Content-Type"))
		}
		form.Set("code", trackcode.Format(trackcode.New()))
		if w := v.post("/track/photo", form); w.Code != 404 {
			t.Fatalf("photo with another code = %d", w.Code)
		}
	})
	t.Run("ReplyNeedsAStaffQuestion", func(t *testing.T) {
		st, _ := track("/track/reply", url.Values{"body": {"是在晚上十点以后"}})
		if st != http.StatusConflict {
			t.Fatalf("reply without question = %d", st)
		}
		var cid int64
		v.db.Get(&cid, "SELECT id FROM complaints ORDER BY id LIMIT 1")
		if _, err := v.db.Exec(`INSERT INTO messages (complaint_id, direction, body, created_at) VALUES (?, 'staff', '请问排放大约在几点？', ?)`, cid, v.h.now().UTC()); err != nil {
			t.Fatal(err)
		}
		st, body := track("/track/reply", url.Values{"body": {"是在晚上十点以后"}})
		if st != 200 || !strings.Contains(body, "请问排放大约在几点？") || !strings.Contains(body, "是在晚上十点以后") {
			t.Fatalf("reply = %d", st)
		}
		st, body = track("/track/reply", url.Values{"body": {""}})
		if st != 422 || !strings.Contains(body, "回复内容为必填字段") {
			t.Fatalf("empty reply = %d", st)
		}
	})
	t.Run("RateOnlyWhenConcludedAndOnce", func(t *testing.T) {
		st, _ := track("/track/rate", url.Values{"rating": {"satisfied"}})
		if st != http.StatusConflict {
			t.Fatalf("rate before conclusion = %d", st)
		}
		if _, err := v.db.Exec(`UPDATE complaints SET status = 'concluded'`); err != nil {
			t.Fatal(err)
		}
		st, body := track("/track/rate", url.Values{"rating": {"great"}})
		if st != 422 || !strings.Contains(body, "请选择满意、基本满意或不满意") {
			t.Fatalf("bad rating = %d", st)
		}
		st, body = track("/track/rate", url.Values{"rating": {"basically"}, "comment": {"处理比较及时"}})
		if st != 200 || !strings.Contains(body, "基本满意") {
			t.Fatalf("rate = %d", st)
		}
		// The "not solved" form comes next; its choices have a legend.
		if !strings.Contains(body, "<h2>问题没有解决？</h2>") || !strings.Contains(body, "<legend>您反映的情况</legend>") {
			t.Fatalf("rate: no followup form with a legend:\n%s", body)
		}
		if n := v.count("ratings"); n != 1 {
			t.Fatalf("%d ratings", n)
		}
		if st, _ := track("/track/rate", url.Values{"rating": {"unsatisfied"}}); st != http.StatusConflict {
			t.Fatalf("second rating = %d", st)
		}
	})
	t.Run("NotSolvedRequest", func(t *testing.T) {
		st, body := track("/track/followup", url.Values{"kind": {"came_back"}, "body": {"上周又开始冒烟了"}})
		if st != 200 || !strings.Contains(body, "等待工作人员答复") {
			t.Fatalf("followup = %d", st)
		}
		if st, _ := track("/track/followup", url.Values{"kind": {"not_solved"}, "body": {"还是一样"}}); st != http.StatusConflict {
			t.Fatalf("second open followup = %d", st)
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		w := v.post("/track/followup", url.Values{"csrf": {"x"}, "code": {code}, "kind": {"not_solved"}, "body": {"x"}})
		if w.Code != http.StatusForbidden {
			t.Fatalf("forged = %d", w.Code)
		}
	})
}

func TestTrackMissesLookAlike(t *testing.T) {
	v := newEnv(t, false)
	fileOne(t, v)
	var bodies []string
	for _, code := range []string{trackcode.Format(trackcode.New()), "not a code", "'; DROP TABLE complaints; --", "<script>"} {
		w := v.post("/track", url.Values{"csrf": {v.token()}, "code": {code}})
		if w.Code != 404 {
			t.Fatalf("%q = %d", code, w.Code)
		}
		body := strings.Replace(w.Body.String(), code, "", 1)
		if strings.Contains(w.Body.String(), "<script>") {
			t.Fatal("unescaped echo")
		}
		bodies = append(bodies, strings.Split(body, `<p class="alert" role="alert">`)[1][:60])
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("misses differ: %q vs %q", b, bodies[0])
		}
	}
}

func TestTrackHotlineTicket(t *testing.T) {
	v := newEnv(t, false)
	_, err := v.svc.File(context.Background(), ledger.NewComplaint{
		Channel: ledger.ChannelHotline, SourceRef: "SX12369-2026-0001", Description: "河道有人倒垃圾",
		Identity: ledger.Confidential, Contact: &ledger.Contact{Phone: "13800005678"},
	}, ledger.Actor{Name: "hotline:test"})
	if err != nil {
		t.Fatal(err)
	}
	w := v.post("/track", url.Values{"csrf": {v.token()}, "ticket_no": {"SX12369-2026-0001"}, "phone_last4": {"5678"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "已接收") {
		t.Fatalf("ticket = %d", w.Code)
	}
	if !strings.Contains(w.Body.String(), `name="ticket_no" value="SX12369-2026-0001"`) {
		t.Fatal("ticket lookup not carried to the page's forms")
	}
	if strings.Contains(w.Body.String(), "13800005678") {
		t.Fatal("phone shown")
	}
	w = v.post("/track", url.Values{"csrf": {v.token()}, "ticket_no": {"SX12369-2026-0001"}, "phone_last4": {"0000"}})
	if w.Code != 404 {
		t.Fatalf("wrong last4 = %d", w.Code)
	}
}

func TestTrackRateLimited(t *testing.T) {
	v := newEnv(t, false)
	code := fileOne(t, v)
	tok := v.token()
	for i := 0; i < v.h.limits.CodePerMinute; i++ {
		if w := v.post("/track", url.Values{"csrf": {tok}, "code": {code}}); w.Code != 200 {
			t.Fatalf("lookup %d = %d", i, w.Code)
		}
	}
	w := v.post("/track", url.Values{"csrf": {tok}, "code": {code}})
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "秒后再试") {
		t.Fatalf("per-code limit: %d %q", w.Code, w.Header().Get("Retry-After"))
	}
	// Other codes from the same client hit the per-client limit.
	n := 0
	for ; n < 50; n++ {
		w := v.post("/track", url.Values{"csrf": {tok}, "code": {trackcode.New()}})
		if w.Code == http.StatusTooManyRequests {
			break
		}
	}
	if n+v.h.limits.CodePerMinute+1 != v.h.limits.TrackPerMinute {
		t.Fatalf("per-client limit hit after %d more", n)
	}
}
