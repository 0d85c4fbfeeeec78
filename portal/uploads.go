package portal

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/multipart"
	"os"
	"path/filepath"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/photo"
)

// cleanPhoto is a sanitised photo not yet on disk.
type cleanPhoto struct {
	data      []byte
	ext, mime string
}

// errUploadDir is what a resident sees when photos cannot be written; the
// complaint is then not filed at all, so nothing half-saved remains.
var errUploadDir = &apperr.Error{Code: apperr.EUNAVAILABLE,
	Message: "照片暂时无法保存，举报未提交。请稍后再试，或先不附照片提交。"}

// readPhotos sanitises the non-empty files of a multipart field. Problems are
// one message for the field.
func readPhotos(fhs []*multipart.FileHeader, max int) ([]cleanPhoto, string) {
	var files []*multipart.FileHeader
	for _, fh := range fhs {
		if fh != nil && fh.Size > 0 {
			files = append(files, fh)
		}
	}
	if len(files) > max {
		return nil, fmt.Sprintf("最多上传%d张照片", max)
	}
	out := make([]cleanPhoto, 0, len(files))
	for i, fh := range files {
		if fh.Size > photo.MaxBytes {
			return nil, fmt.Sprintf("第%d张照片：%s", i+1, photo.ErrTooLarge.Message)
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Sprintf("第%d张照片无法读取", i+1)
		}
		data, ext, mime, err := photo.Sanitize(f, photo.MaxBytes)
		f.Close()
		if err != nil {
			return nil, fmt.Sprintf("第%d张照片：%s", i+1, apperr.Message(err))
		}
		out = append(out, cleanPhoto{data: data, ext: ext, mime: mime})
	}
	return out, ""
}

func (h *Handler) uploadDir() string { return filepath.Join(h.deps.DataDir, "uploads") }

// saveFiles writes photos under random names. On any failure it removes what
// it wrote and returns errUploadDir (the cause is logged by the caller).
func (h *Handler) saveFiles(ps []cleanPhoto) ([]conversation.Photo, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	dir := h.uploadDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, errors.Join(errUploadDir, err)
	}
	var saved []conversation.Photo
	for _, p := range ps {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			h.removeFiles(saved)
			return nil, errors.Join(errUploadDir, err)
		}
		name := hex.EncodeToString(b[:]) + p.ext
		if err := writeFile(filepath.Join(dir, name), p.data); err != nil {
			h.removeFiles(saved)
			return nil, errors.Join(errUploadDir, err)
		}
		saved = append(saved, conversation.Photo{Name: name, MIME: p.mime, Size: int64(len(p.data))})
	}
	return saved, nil
}

func writeFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// removeFiles deletes photos whose database rows were not committed.
func (h *Handler) removeFiles(fs []conversation.Photo) {
	for _, f := range fs {
		if err := os.Remove(filepath.Join(h.uploadDir(), f.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			h.log.Error("portal: remove uncommitted upload", "err", err)
		}
	}
}

// validStoredName guards reads: only names saveFiles makes are opened.
func validStoredName(n string) bool {
	if len(n) != 36 || (n[32:] != ".jpg" && n[32:] != ".png") {
		return false
	}
	_, err := hex.DecodeString(n[:32])
	return err == nil
}
