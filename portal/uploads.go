package portal

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"path/filepath"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/photo"
	store "ecoreport/internal/upload" // "upload" names a test helper here
)

// Photos of the report form and of additions go one way: each new file is
// sanitised (internal/photo), held under the form's token (rows first, then
// files), and the filing takes the held photos the resident kept in its own
// transaction. A form sent back for a field to fix shows the held photos
// with a box to untick, so nobody chooses them twice, with or without
// JavaScript. The files are written by saveFile and removed by removeFile
// only, into the upload store the application gives (internal/upload: a
// directory, the database or object storage shared by every instance).

// errUploadDir is what a resident sees when photos cannot be written; the
// complaint is then not filed at all, so nothing half-saved remains.
var errUploadDir = &apperr.Error{Code: apperr.EUNAVAILABLE,
	Message: "照片暂时无法保存，举报未提交。请稍后再试，或先不附照片提交。"}

// uploads is the store the photos go to (Deps.Uploads; the directory
// DataDir/uploads when none was given).
func (h *Handler) uploads() store.Store {
	if h.deps.Uploads != nil {
		return h.deps.Uploads
	}
	return store.NewDir(filepath.Join(h.deps.DataDir, "uploads"))
}

// saveFile stores one sanitised photo under name, in full or not at all.
func (h *Handler) saveFile(ctx context.Context, name string, data []byte) error {
	return h.uploads().Put(ctx, name, bytes.NewReader(data), int64(len(data)))
}

// removeFile deletes one stored photo; a file already gone is not an error.
func (h *Handler) removeFile(ctx context.Context, name string) error {
	if !validStoredName(name) {
		return fmt.Errorf("portal: refusing to remove %q", name)
	}
	return h.uploads().Delete(ctx, name)
}

// readFile reads one stored photo.
func (h *Handler) readFile(ctx context.Context, name string) ([]byte, error) {
	return store.ReadAll(ctx, h.uploads(), name)
}

// newStoredName is a random file name with the photo's extension.
func newStoredName(ext string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:]) + ext
}

// validStoredName guards reads and removals: only names newStoredName makes.
func validStoredName(n string) bool {
	if len(n) != 36 || (n[32:] != ".jpg" && n[32:] != ".png") {
		return false
	}
	_, err := hex.DecodeString(n[:32])
	return err == nil
}

// SweepHeld removes held photos whose token expired (files and rows); the
// application runs it on start and every few minutes.
func (h *Handler) SweepHeld(ctx context.Context) (int, error) {
	return h.conv.SweepHeld(ctx, func(name string) error { return h.removeFile(ctx, name) })
}

// heldView is one held photo as the form lists it.
type heldView struct {
	N    int // 1, 2, 3 … as the form shows them
	Seq  int
	Kind string // JPEG, PNG
	Size string // 380 KB
	Dims string // 4032×3024
}

// photoSet is what a form holds of its photos after a request: the token
// (a hidden field), the held photos it keeps, and a message for the photos
// field when something was refused.
type photoSet struct {
	Token string
	Held  []heldView
	Keep  []int // the seqs to file
	Msg   string
	Busy  bool // a photo found no room in the pool in time (503)
}

// collectPhotos reads the form's photo token, the held photos still ticked
// (keep_photo) and the new files of field, sanitises and holds the new ones
// under the token (a fresh one when the form has none) and lets the
// unticked ones go. A problem with a photo is a message, not an error, so
// that every other field is still checked; err is for the store failing.
func (h *Handler) collectPhotos(c *gin.Context, field string) (photoSet, error) {
	ctx := h.ctx(c)
	form := c.Request.PostForm
	ps := photoSet{Token: form.Get("photo_token")}
	if !conversation.ValidHeldToken(ps.Token) {
		ps.Token = ""
	}
	var live []conversation.HeldPhoto
	if ps.Token != "" {
		var err error
		if live, err = h.conv.Held(ctx, ps.Token); err != nil {
			return ps, err
		}
	}
	keep := map[int]bool{}
	for _, s := range conversation.HeldSeqs(form["keep_photo"]) {
		keep[s] = true
	}
	var kept []conversation.HeldPhoto
	var drop []int
	for _, p := range live {
		if keep[p.Seq] {
			kept = append(kept, p)
		} else {
			drop = append(drop, p.Seq)
		}
	}
	if err := h.conv.Release(ctx, ps.Token, drop); err != nil {
		return ps, err
	}
	if len(live) == 0 && len(form["keep_photo"]) > 0 {
		ps.Msg = "之前保留的照片已过期，请重新选择照片"
	}

	var files []*multipart.FileHeader
	if mf := c.Request.MultipartForm; mf != nil {
		for _, fh := range mf.File[field] {
			if fh != nil && fh.Size > 0 {
				files = append(files, fh)
			}
		}
	}
	switch {
	case len(kept)+len(files) > h.limits.MaxPhotos:
		ps.Msg = fmt.Sprintf("最多上传%d张照片", h.limits.MaxPhotos)
		files = nil
	case len(files) > 0:
		clean, msg, busy := h.cleanPhotos(c, files, len(kept))
		ps.Msg, ps.Busy = msg, busy
		if len(clean) > 0 {
			if ps.Token == "" {
				ps.Token = conversation.NewHeldToken()
			}
			held, err := h.hold(ctx, ps.Token, clean)
			kept = append(kept, held...)
			if err != nil {
				ps.list(kept)
				return ps, err
			}
		}
	}
	ps.list(kept)
	return ps, nil
}

// list sets the photos the form shows and files.
func (ps *photoSet) list(kept []conversation.HeldPhoto) {
	ps.Keep, ps.Held = nil, nil
	for i, p := range kept {
		ps.Keep = append(ps.Keep, p.Seq)
		ps.Held = append(ps.Held, heldView{N: i + 1, Seq: p.Seq, Kind: kindLabel(p.MIME), Size: sizeText(p.Size),
			Dims: fmt.Sprintf("%d×%d", p.Width, p.Height)})
	}
}

// cleanPhotos sanitises files in turn (the first already kept photos are
// numbered before them), within the client's photo limit and one request's
// pixel budget. It stops at the first refused photo and says which.
func (h *Handler) cleanPhotos(c *gin.Context, files []*multipart.FileHeader, before int) ([]photo.Clean, string, bool) {
	key := h.clientKey(c, "photo")
	batch := &photo.Batch{}
	var out []photo.Clean
	for i, fh := range files {
		n := before + i + 1
		if fh.Size > photo.MaxBytes {
			return out, fmt.Sprintf("第%d张照片：%s", n, photo.ErrTooLarge.Message), false
		}
		if ok, wait := h.photoLimit.Allow(key); !ok {
			return out, fmt.Sprintf("第%d张照片：上传照片过于频繁，请%s后再试", n, waitText(wait)), false
		}
		f, err := fh.Open()
		if err != nil {
			return out, fmt.Sprintf("第%d张照片无法读取", n), false
		}
		cp, err := h.photos.Sanitize(h.ctx(c), f, photo.MaxBytes, batch)
		f.Close()
		if err != nil {
			return out, fmt.Sprintf("第%d张照片：%s", n, apperr.Message(err)), apperr.Is(err, apperr.EUNAVAILABLE)
		}
		out = append(out, cp)
	}
	return out, "", false
}

// hold records clean photos under token and writes their files: rows
// first, so a process killed before a file is written leaves a row that
// expires. A file that cannot be written lets its rows go and is
// errUploadDir (the cause is logged).
func (h *Handler) hold(ctx context.Context, token string, clean []photo.Clean) ([]conversation.HeldPhoto, error) {
	rows := make([]conversation.HeldPhoto, len(clean))
	for i, cp := range clean {
		rows[i] = conversation.HeldPhoto{Name: newStoredName(cp.Ext), MIME: cp.MIME, Size: int64(len(cp.Data)), Width: cp.Width, Height: cp.Height}
	}
	live, err := h.conv.Hold(ctx, token, rows)
	if err != nil {
		return nil, err
	}
	byName := map[string]conversation.HeldPhoto{}
	for _, p := range live {
		byName[p.Name] = p
	}
	var added []conversation.HeldPhoto
	for i, cp := range clean {
		p := byName[rows[i].Name]
		if err := h.saveFile(ctx, p.Name, cp.Data); err != nil {
			h.log.ErrorContext(ctx, "portal: save photo", "err", err)
			seqs := []int{}
			for _, a := range append(added, p) {
				seqs = append(seqs, a.Seq)
			}
			for _, a := range added {
				_ = h.removeFile(ctx, a.Name)
			}
			if rerr := h.conv.Release(ctx, token, seqs); rerr != nil {
				h.log.ErrorContext(ctx, "portal: release held photos", "err", rerr)
			}
			return nil, errUploadDir
		}
		added = append(added, p)
	}
	return added, nil
}

func kindLabel(mime string) string {
	if mime == "image/png" {
		return "PNG"
	}
	return "JPEG"
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", max(1, (n+512)>>10))
}
