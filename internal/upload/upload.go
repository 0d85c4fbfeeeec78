// Package upload keeps the files people upload (上传文件: residents' photos,
// inspectors' on-site photos, units' before and after photos) under keys,
// in one of three stores chosen by configuration (--uploads):
//
//   - dir: a local directory (DATA_DIR/uploads by default), one file per
//     key, written to a temporary file, synced and renamed into place. For
//     one instance, or several sharing one network file system.
//   - db: the same database as everything else, in upload_objects and
//     upload_chunks (1 MiB chunks, so no statement comes near MariaDB's
//     max_allowed_packet or a Galera write set's limit). Every instance sees
//     every file, and one database backup holds everything.
//   - s3: an S3-compatible object store (MinIO, Ceph RGW, Aliyun OSS,
//     Tencent COS, AWS S3), one object per key under an optional prefix.
//
// Photos are sanitised (internal/photo) before they reach a store; a store
// only keeps bytes. Keys are the random names the portal and the back office
// make (32 hex digits and .jpg or .png); a store accepts any key ValidKey
// accepts so that other kinds of files can follow.
package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
)

// Store keeps uploaded files under keys. Every method is safe for
// concurrent use.
type Store interface {
	// Put stores size (> 0) bytes read from r under key, in full or not at all:
	// a reader that ends early or fails leaves nothing under key. An
	// existing key is replaced (keys are random: a key is only ever put
	// twice by a migration or a restore, with the same bytes).
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Open reads the file under key; a missing key is an error that
	// errors.Is(err, fs.ErrNotExist) recognises.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the file under key; missing as Open.
	Stat(ctx context.Context, key string) (Object, error)
	// Delete removes the file under key; a key already gone is not an error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn for every stored file in key order; an error from fn
	// stops the walk and is returned.
	Walk(ctx context.Context, fn func(Object) error) error
	// Kind names the store: dir, db or s3.
	Kind() string
	// Where says where the files are, for messages (a path, a table, a
	// bucket), without secrets.
	Where() string
}

// Object is one stored file.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time // when it was stored (zero when the store cannot say)
}

// The kinds of store --uploads chooses from.
const (
	KindDir = "dir"
	KindDB  = "db"
	KindS3  = "s3"
)

// Kinds lists the store kinds in the order the docs give them.
var Kinds = []string{KindDir, KindDB, KindS3}

// MaxKeyLen bounds a key (the database column is VARCHAR(200)).
const MaxKeyLen = 200

// ErrBadKey is returned for a key ValidKey refuses; nothing is read or
// written.
var ErrBadKey = errors.New("upload: invalid key")

// ValidKey reports whether k can name a stored file in every store: 1 to
// MaxKeyLen characters, "/"-separated segments of lower-case letters,
// digits, '.', '_' and '-', none empty and none starting with '.' (so no
// "..", and the dir store's temporary files, which start with '.', are
// never keys). Lower case only, because a database collation or a file
// system may not tell "A" from "a".
func ValidKey(k string) bool {
	if k == "" || len(k) > MaxKeyLen {
		return false
	}
	for _, seg := range strings.Split(k, "/") {
		if seg == "" || seg[0] == '.' {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// ErrEmpty is returned by Put for a file of no bytes: no upload is empty
// (a sanitised photo never is), and some object stores refuse one.
var ErrEmpty = errors.New("upload: empty file")

// checkPut checks Put's key and size.
func checkPut(k string, size int64) error {
	if err := checkKey(k); err != nil {
		return err
	}
	if size <= 0 {
		return fmt.Errorf("%w %q", ErrEmpty, k)
	}
	return nil
}

func checkKey(k string) error {
	if !ValidKey(k) {
		return fmt.Errorf("%w %q", ErrBadKey, k)
	}
	return nil
}

// notExist is the error of a missing key.
func notExist(key string) error {
	return fmt.Errorf("upload: %s: %w", key, fs.ErrNotExist)
}

// ReadAll reads the whole file under key (photos are a few MiB at most).
func ReadAll(ctx context.Context, s Store, key string) ([]byte, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("upload: read %s: %w", key, err)
	}
	return b, nil
}

// sizedReader reads exactly size bytes from r: fewer is
// io.ErrUnexpectedEOF, more is errTooLong.
type sizedReader struct {
	r    io.Reader
	left int64
}

var errTooLong = errors.New("upload: reader has more bytes than its size")

func (s *sizedReader) Read(p []byte) (int, error) {
	if s.left == 0 {
		// All size bytes are read: the reader must end here.
		var one [1]byte
		for {
			n, err := s.r.Read(one[:])
			switch {
			case n > 0:
				return 0, errTooLong
			case errors.Is(err, io.EOF):
				return 0, io.EOF
			case err != nil:
				return 0, err
			}
		}
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	if errors.Is(err, io.EOF) && s.left > 0 {
		return n, io.ErrUnexpectedEOF
	}
	if errors.Is(err, io.EOF) {
		err = nil // the next Read checks that nothing follows
	}
	return n, err
}

// exact wraps r so that reading it to the end fails unless it has exactly
// size bytes.
func exact(r io.Reader, size int64) io.Reader { return &sizedReader{r: r, left: size} }
