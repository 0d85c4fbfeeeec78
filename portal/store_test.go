package portal

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ecoreport/internal/conversation"
	store "ecoreport/internal/upload"
	"ecoreport/internal/upload/uploadtest"
)

// uploadDir is the directory photos go to when Deps.Uploads is nil.
func (h *Handler) uploadDir() string { return filepath.Join(h.deps.DataDir, "uploads") }

// TestPhotosGoThroughTheStore files, shows and sweeps photos with each
// shared store: nothing is written to the local directory.
func TestPhotosGoThroughTheStore(t *testing.T) {
	for _, c := range []struct {
		name string
		make func(v *env) store.Store
	}{
		{"db", func(v *env) store.Store { return store.NewDB(v.db) }},
		{"s3", func(v *env) store.Store {
			s, err := store.NewS3(uploadtest.FakeS3(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, false)
			s := c.make(v)
			v.h.deps.Uploads = s
			code := fileOne(t, v, upload{"photos", "a.jpg", jpegWithGPS(t)})
			var name string
			if err := v.db.Get(&name, `SELECT stored_name FROM attachments`); err != nil {
				t.Fatal(err)
			}
			stored, err := store.ReadAll(ctx, s, name)
			if err != nil || bytes.Contains(stored, []byte("GPSSECRET")) || len(stored) == 0 {
				t.Fatalf("stored photo: %d bytes, %v", len(stored), err)
			}
			if _, err := os.Stat(v.h.uploadDir()); !os.IsNotExist(err) {
				t.Fatalf("the local directory was used: %v", err)
			}
			w := v.post("/track/photo", url.Values{"csrf": {v.token()}, "code": {code}, "photo": {"1"}})
			if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), stored) {
				t.Fatalf("tracking photo: %d, %d bytes", w.Code, w.Body.Len())
			}

			// A held photo whose hour is over goes from the store too.
			tok := conversation.NewHeldToken()
			held := newStoredName(".jpg")
			if _, err := v.h.conv.Hold(ctx, tok, []conversation.HeldPhoto{{Name: held, MIME: "image/jpeg", Size: 2, Width: 1, Height: 1}}); err != nil {
				t.Fatal(err)
			}
			if err := v.h.saveFile(ctx, held, []byte{0xFF, 0xD8}); err != nil {
				t.Fatal(err)
			}
			later := time.Now().Add(conversation.HeldTTL + time.Minute)
			v.svc.Now = func() time.Time { return later }
			if n, err := v.h.SweepHeld(ctx); err != nil || n != 1 {
				t.Fatalf("swept %d, %v", n, err)
			}
			if _, err := s.Stat(ctx, held); err == nil {
				t.Fatal("the swept photo is still in the store")
			}
			if _, err := s.Stat(ctx, name); err != nil {
				t.Fatalf("the filed photo went with the sweep: %v", err)
			}
		})
	}
}
