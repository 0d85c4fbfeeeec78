package office

// Photos staff and units upload (现场照片, 整改前/整改后) and the photos the
// back office serves. They are sanitised exactly as the portal's
// (internal/photo: type sniffed, re-encoded without metadata) and kept
// beside the residents' in the upload store (internal/upload: the local
// directory, the database or object storage) under random names.
// photoFiles is the one place the back office touches those files.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/multipart"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
	"ecoreport/internal/photo"
	"ecoreport/internal/upload"
)

// cleanPhoto is a sanitised photo not yet stored.
type cleanPhoto struct {
	data      []byte
	ext, mime string
}

// readPhotos sanitises the non-empty files of a multipart field; a problem
// is one message for the field, naming the photo.
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

// errNoStore is the answer when the application gave the back office no
// upload store (Deps.Uploads).
var errNoStore = &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "照片存储未配置，请联系系统管理员"}

// errStore is what a user sees when photos cannot be written: nothing of
// the form was saved.
var errStore = &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "照片暂时无法保存，本次提交未保存，请稍后再试"}

// photoFiles keeps photo files in the upload store under random names.
type photoFiles struct{ store upload.Store }

// save stores the photos under fresh random names as kind and returns them
// for the ledger's rows. On any failure it removes what it stored.
func (f photoFiles) save(ctx context.Context, ps []cleanPhoto, kind ledger.PhotoKind) ([]ledger.Photo, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	if f.store == nil {
		return nil, errNoStore
	}
	var saved []ledger.Photo
	for _, p := range ps {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			f.remove(ctx, saved)
			return nil, errors.Join(errStore, err)
		}
		name := hex.EncodeToString(b[:]) + p.ext
		if err := f.store.Put(ctx, name, bytes.NewReader(p.data), int64(len(p.data))); err != nil {
			f.remove(ctx, saved)
			return nil, errors.Join(errStore, err)
		}
		saved = append(saved, ledger.Photo{Kind: kind, Name: name, MIME: p.mime, Size: int64(len(p.data))})
	}
	return saved, nil
}

// read returns a stored photo's bytes; only names save (or the portal)
// makes are opened.
func (f photoFiles) read(ctx context.Context, name string) ([]byte, error) {
	if f.store == nil {
		return nil, errNoStore
	}
	if !storedName(name) {
		return nil, &apperr.Error{Code: apperr.ENOTFOUND, Message: "照片不存在"}
	}
	return upload.ReadAll(ctx, f.store, name)
}

// remove deletes photos whose rows were not committed.
func (f photoFiles) remove(ctx context.Context, ps []ledger.Photo) error {
	var errs []error
	for _, p := range ps {
		if err := f.store.Delete(ctx, p.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// storedName reports whether n is a name save makes: 32 hex digits and
// .jpg or .png, nothing that could climb out of the folder.
func storedName(n string) bool {
	if len(n) != 36 || (n[32:] != ".jpg" && n[32:] != ".png") {
		return false
	}
	_, err := hex.DecodeString(n[:32])
	return err == nil
}
