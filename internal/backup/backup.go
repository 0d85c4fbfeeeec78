// Package backup writes and restores one archive (备份文件, a tar.gz) of
// everything an instance cannot be rebuilt without: a consistent snapshot of
// the SQLite database, the data key (without which no encrypted contact can
// be read again), the signed audit checkpoints kept beside it, and the
// uploaded photos of a dir or s3 store (a db store's are in the database),
// with a manifest of their SHA-256 checksums. A database on a MySQL/MariaDB
// server is backed up on the server (mariadb-dump --single-transaction); its
// archive holds the key, the checkpoints and the uploads and its manifest
// says that the database is not in it. Restore puts uploads/ into the local
// directory; for a db or s3 store, uploads migrate moves them on.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/upload"
)

// Format names the layout of the archive; Restore refuses any other.
const Format = "ecoreport-backup 1"

// The names inside the archive.
const (
	DatabaseName = "database.sqlite"
	KeyName      = "ecoreport.key"
	// CheckpointsName is the file of signed audit checkpoints kept beside
	// the key: restored with the database, audit verify holds the chain to
	// them again.
	CheckpointsName = "audit-checkpoints.jsonl"
	UploadsDir      = "uploads"
	ManifestName    = "manifest.json"
	SumsName        = "SHA256SUMS" // the same checksums for sha256sum -c
)

// Manifest (清单) describes an archive: when and from what it was made, and
// the size and SHA-256 of every file in it.
type Manifest struct {
	Format        string    `json:"format"`
	CreatedAt     time.Time `json:"created_at"`
	Version       string    `json:"version"` // of the binary that wrote it
	Engine        string    `json:"engine"`  // of the database backed up
	SchemaVersion int64     `json:"schema_version"`
	Database      bool      `json:"database"` // whether database.sqlite is in the archive
	// UploadStore is the upload store backed up (dir, db, s3); the files of
	// dir and s3 are under uploads/, those of db are in the database.
	UploadStore string `json:"upload_store,omitempty"`
	Note        string `json:"note,omitempty"`
	Files       []File `json:"files"`
}

// File is one file of the archive.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Uploads counts the uploaded files in the archive.
func (m *Manifest) Uploads() int {
	n := 0
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, UploadsDir+"/") {
			n++
		}
	}
	return n
}

// Size is the total size of the files in the archive.
func (m *Manifest) Size() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// NoteServerDatabase is the manifest's note when the database was not
// copied because it lives on a server.
const NoteServerDatabase = "数据库在 MySQL/MariaDB 服务器上，不在此备份中：请同时用 mariadb-dump --single-transaction 备份数据库"

// Source is what Write reads.
type Source struct {
	DB      *db.DB
	KeyFile string // the data key
	// Uploads is the upload store: a dir or s3 store's files are copied
	// into the archive, a db store's are in the database already.
	Uploads     upload.Store
	Checkpoints string // the audit checkpoint file; skipped when it does not exist yet
	TempDir     string // where the database snapshot is written first (beside the archive)
	Version     string // of this binary
	Now         func() time.Time
}

// Write writes the archive to w: first the database snapshot, then the key,
// then the uploads, then the manifest. The snapshot comes before the
// uploads, so every photo a row of the snapshot names is in the archive (a
// photo saved later is an extra file, which does no harm). On a server
// database the archive holds the key and the uploads, and the manifest's
// Note says so.
func Write(ctx context.Context, w io.Writer, src Source) (*Manifest, error) {
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	m := &Manifest{Format: Format, CreatedAt: now().UTC().Truncate(time.Second), Version: src.Version, Engine: src.DB.Engine}
	var err error
	if m.SchemaVersion, err = src.DB.SchemaVersion(ctx); err != nil {
		return nil, fmt.Errorf("读取数据库结构版本失败：%w", err)
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	add := func(name, file string, mode int64) error {
		f, err := addFile(tw, name, file, mode, m.CreatedAt)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
		return nil
	}

	tmp, err := os.MkdirTemp(src.TempDir, ".ecoreport-backup-")
	if err != nil {
		return nil, fmt.Errorf("无法建立临时目录：%w", err)
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, DatabaseName)
	switch err := src.DB.Snapshot(ctx, snap); {
	case errors.Is(err, db.ErrServerDatabase):
		m.Note = NoteServerDatabase
	case err != nil:
		return nil, fmt.Errorf("数据库快照失败：%w", err)
	default:
		m.Database = true
		if err := add(DatabaseName, snap, 0o600); err != nil {
			return nil, err
		}
		os.Remove(snap) // the space is needed for nothing else now
	}
	if err := add(KeyName, src.KeyFile, 0o600); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("数据密钥 %s 不存在：没有它，备份中的联系方式无法解密（--key-file 是否正确？）", src.KeyFile)
		}
		return nil, err
	}
	switch f, err := addFile(tw, CheckpointsName, src.Checkpoints, 0o600, m.CreatedAt); {
	case err == nil:
		m.Files = append(m.Files, f)
	case errors.Is(err, fs.ErrNotExist) || src.Checkpoints == "":
		// no checkpoint signed yet
	default:
		return nil, err
	}
	if src.Uploads != nil {
		m.UploadStore = src.Uploads.Kind()
	}
	if src.Uploads != nil && src.Uploads.Kind() != upload.KindDB {
		err = src.Uploads.Walk(ctx, func(o upload.Object) error {
			rc, err := src.Uploads.Open(ctx, o.Key)
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed since it was listed: an upload whose filing was not committed
			}
			if err != nil {
				return err
			}
			defer rc.Close()
			f, err := addReader(tw, UploadsDir+"/"+o.Key, rc, o.Size, 0o640, m.CreatedAt)
			if err != nil {
				return err
			}
			m.Files = append(m.Files, f)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("备份上传文件（%s）失败：%w", src.Uploads.Where(), err)
		}
	}

	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := addBytes(tw, ManifestName, append(body, '\n'), m.CreatedAt); err != nil {
		return nil, err
	}
	if err := addBytes(tw, SumsName, sums(m), m.CreatedAt); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("写入备份文件失败：%w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("写入备份文件失败：%w", err)
	}
	return m, nil
}

func addFile(tw *tar.Writer, name, file string, mode int64, at time.Time) (File, error) {
	f, err := os.Open(file)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	return addReader(tw, name, f, st.Size(), mode, at)
}

// addReader writes size bytes of r as name.
func addReader(tw *tar.Writer, name string, r io.Reader, size, mode int64, at time.Time) (File, error) {
	if err := tw.WriteHeader(header(name, size, mode, at)); err != nil {
		return File{}, fmt.Errorf("写入备份文件失败：%w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(r, size))
	if err != nil {
		return File{}, fmt.Errorf("备份 %s 失败：%w", name, err)
	}
	if n != size {
		return File{}, fmt.Errorf("备份 %s 失败：文件在读取时改变了大小", name)
	}
	return File{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func addBytes(tw *tar.Writer, name string, b []byte, at time.Time) error {
	if err := tw.WriteHeader(header(name, int64(len(b)), 0o644, at)); err != nil {
		return fmt.Errorf("写入备份文件失败：%w", err)
	}
	if _, err := tw.Write(b); err != nil {
		return fmt.Errorf("写入备份文件失败：%w", err)
	}
	return nil
}

func header(name string, size, mode int64, at time.Time) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: mode, ModTime: at, Format: tar.FormatPAX}
}

// sums is the manifest's checksums in sha256sum's format.
func sums(m *Manifest) []byte {
	var b strings.Builder
	for _, f := range m.Files {
		fmt.Fprintf(&b, "%s  %s\n", f.SHA256, f.Path)
	}
	return []byte(b.String())
}

// validName reports whether name is one a backup writes: the fixed names,
// or a relative path under uploads/ with no empty, "." or ".." element.
func validName(name string) bool {
	switch name {
	case DatabaseName, KeyName, CheckpointsName, ManifestName, SumsName:
		return true
	}
	rel, ok := strings.CutPrefix(name, UploadsDir+"/")
	if !ok || rel == "" || path.Clean(rel) != rel || strings.HasPrefix(rel, "/") {
		return false
	}
	for _, el := range strings.Split(rel, "/") {
		if el == "" || el == "." || el == ".." || strings.ContainsRune(el, '\\') {
			return false
		}
	}
	return true
}

// sortedPaths lists a manifest's paths, for messages.
func sortedPaths(files map[string]File) []string {
	out := make([]string, 0, len(files))
	for p := range files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
