package portal

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogsHoldNoClientAddress drives every portal route, including paths that
// log errors, with a client address in RemoteAddr and X-Forwarded-For, and
// checks that no log line holds it.
func TestLogsHoldNoClientAddress(t *testing.T) {
	v := newEnv(t, false)
	code := fileOne(t, v, upload{"photos", "a.jpg", jpegWithGPS(t)})
	tok := v.token()
	v.get("/")
	v.get("/report")
	v.get("/captcha/doesnotexist.png")
	v.get("/api/v1/captcha")
	v.postJSON("/api/v1/complaints", `{"bad json`)
	v.postJSON("/api/v1/track", `{"code": "`+code+`"}`)
	v.post("/track", url.Values{"csrf": {tok}, "code": {code}})
	v.post("/track", url.Values{"csrf": {"forged"}, "code": {code}})
	v.post("/track/rate", url.Values{"csrf": {tok}, "code": {code}, "rating": {"satisfied"}})
	v.post("/report/receipt", url.Values{"csrf": {tok}, "code": {code}})
	// Error paths that log: unwritable upload directory, a failing database.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	v.h.deps.DataDir = file
	v.submit(v.reportForm(), upload{"photos", "a.jpg", jpegWithGPS(t)})
	v.postMultipart("/track/add", url.Values{"csrf": {tok}, "code": {code}}, upload{"photos", "a.jpg", jpegWithGPS(t)})
	v.db.Exec("DROP TABLE ratings")
	v.db.Exec("UPDATE complaints SET status = 'concluded'")
	v.post("/track", url.Values{"csrf": {tok}, "code": {code}})

	logs := v.log.String()
	if !strings.Contains(logs, "level=ERROR") {
		t.Fatalf("the error paths logged nothing:\n%s", logs)
	}
	if strings.Contains(logs, clientAddr) {
		t.Fatalf("client address in logs:\n%s", logs)
	}
	if strings.Contains(logs, code) || strings.Contains(logs, strings.ReplaceAll(code, "-", "")) {
		t.Fatal("tracking code in logs")
	}
}
