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
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ecoreport/internal/db"
)

// Target is where Restore puts an archive's files.
type Target struct {
	DBFile      string // the SQLite file; "" when the database is on a server
	KeyFile     string
	Checkpoints string // the audit checkpoint file (beside the key)
	Uploads     string // the local uploads directory the archive's uploads/ go to
	// Force moves what is already there aside (NAME.before-restore-TIME)
	// instead of refusing. Nothing is deleted.
	Force bool
	Now   func() time.Time
}

// Result is what Restore did.
type Result struct {
	Manifest   *Manifest
	MovedAside []string // what Force moved out of the way, where it is now
}

// ErrNotEmpty is returned when the target already holds a database, a key or
// uploads and Force is not set; nothing was changed.
var ErrNotEmpty = errors.New("目标位置已有数据，未做任何改动：恢复只写入空的数据目录（确要替换时加 --force，原有文件会改名保留）")

// maxManifest bounds the manifest read into memory.
const maxManifest = 64 << 20

// Restore reads an archive written by Write and puts its files in place:
// every file is first written beside its destination and checked against
// the manifest's size and SHA-256, and only when the whole archive checks out
// are the key, the uploads and then the database moved into place (each
// without replacing anything that appeared meanwhile). A target that already
// has a database, a key or uploads is refused with ErrNotEmpty unless Force.
// An archive whose database is SQLite cannot be restored onto a server
// database, and one without a database not onto a SQLite file.
func Restore(ctx context.Context, r io.Reader, t Target) (*Result, error) {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	present := t.present()
	if len(present) > 0 && !t.Force {
		return nil, fmt.Errorf("%w（已有：%s）", ErrNotEmpty, strings.Join(present, "、"))
	}
	st := &stage{t: t}
	defer st.cleanup()
	m, err := st.read(ctx, r)
	if err != nil {
		return nil, err
	}
	res := &Result{Manifest: m}
	if len(present) > 0 {
		stamp := now().UTC().Format("20060102T150405Z")
		for _, p := range present {
			to := p + ".before-restore-" + stamp
			if err := os.Rename(p, to); err != nil {
				return res, fmt.Errorf("无法把原有的 %s 改名保留：%w", p, err)
			}
			res.MovedAside = append(res.MovedAside, to)
		}
	}
	if err := st.install(); err != nil {
		return res, err
	}
	return res, nil
}

// present lists what the target already holds: the database file and its
// WAL files, the key, a non-empty uploads directory.
func (t Target) present() []string {
	var out []string
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }
	if t.DBFile != "" {
		for _, p := range append([]string{t.DBFile}, db.SidecarFiles(t.DBFile)...) {
			if exists(p) {
				out = append(out, p)
			}
		}
	}
	if exists(t.KeyFile) {
		out = append(out, t.KeyFile)
	}
	if t.Checkpoints != "" && exists(t.Checkpoints) {
		out = append(out, t.Checkpoints)
	}
	if es, err := os.ReadDir(t.Uploads); err == nil && len(es) > 0 {
		out = append(out, t.Uploads)
	}
	return out
}

// stage holds the archive's files written beside their destinations.
type stage struct {
	t         Target
	db, key   string // staged files
	cps       string // staged checkpoint file
	uploads   string // staged directory
	installed []string
}

func (s *stage) cleanup() {
	for _, p := range []string{s.db, s.key, s.cps, s.uploads} {
		if p != "" {
			os.RemoveAll(p)
		}
	}
}

// read writes every file of the archive to its staging place and checks
// the whole against the manifest.
func (s *stage) read(ctx context.Context, r io.Reader) (*Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("不是 ecoreport 备份文件（无法解压）：%w", err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]File{}
	var m *Manifest
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("备份文件已损坏：%w", err)
		}
		if h.Typeflag != tar.TypeReg || !validName(h.Name) {
			return nil, fmt.Errorf("备份文件中有不应出现的项目 %q，已拒绝", h.Name)
		}
		if _, dup := seen[h.Name]; dup || (h.Name == ManifestName && m != nil) {
			return nil, fmt.Errorf("备份文件中 %s 出现了两次，已拒绝", h.Name)
		}
		switch h.Name {
		case ManifestName:
			b, err := io.ReadAll(io.LimitReader(tr, maxManifest))
			if err != nil {
				return nil, fmt.Errorf("备份文件已损坏：%w", err)
			}
			m = &Manifest{}
			if err := json.Unmarshal(b, m); err != nil || m.Format != Format {
				return nil, fmt.Errorf("不是可识别的 ecoreport 备份（清单格式 %q）", m.Format)
			}
			continue
		case SumsName:
			continue // the manifest's checksums again, for people
		}
		dst, err := s.place(h.Name)
		if err != nil {
			return nil, err
		}
		f, err := writeStaged(dst, tr, h.Name)
		if err != nil {
			return nil, err
		}
		seen[h.Name] = f
	}
	if m == nil {
		return nil, errors.New("备份文件不完整：没有清单 manifest.json（写入时中断？）")
	}
	want := map[string]File{}
	for _, f := range m.Files {
		want[f.Path] = f
	}
	for _, p := range sortedPaths(want) {
		got, ok := seen[p]
		switch {
		case !ok:
			return nil, fmt.Errorf("备份文件不完整：缺少 %s", p)
		case got.Size != want[p].Size || got.SHA256 != want[p].SHA256:
			return nil, fmt.Errorf("备份文件已损坏：%s 的校验和与清单不符", p)
		}
	}
	for _, p := range sortedPaths(seen) {
		if _, ok := want[p]; !ok {
			return nil, fmt.Errorf("备份文件中的 %s 不在清单中，已拒绝", p)
		}
	}
	if _, ok := seen[KeyName]; !ok {
		return nil, errors.New("备份文件中没有数据密钥，无法恢复")
	}
	switch {
	case m.Database && s.t.DBFile == "":
		return nil, errors.New("备份中是 SQLite 数据库，而 --db 指向数据库服务器：请以 --db sqlite:路径 恢复")
	case !m.Database && s.t.DBFile != "":
		return nil, errors.New("备份中没有数据库（备份时数据库在 MySQL/MariaDB 服务器上）：请先用 mariadb-dump 的备份恢复数据库，再以 --db mysql:… 恢复密钥和上传文件")
	case m.Database && s.db == "":
		return nil, fmt.Errorf("备份文件不完整：缺少 %s", DatabaseName)
	}
	return m, nil
}

// place returns where the archive's file name is staged, creating the
// staging place beside its destination (so moving it in is a rename).
func (s *stage) place(name string) (string, error) {
	temp := func(dst string) (string, error) {
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return "", fmt.Errorf("无法建立目录 %s：%w", filepath.Dir(dst), err)
		}
		f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".restore-")
		if err != nil {
			return "", fmt.Errorf("无法写入 %s：%w", filepath.Dir(dst), err)
		}
		f.Close()
		return f.Name(), nil
	}
	var err error
	switch name {
	case DatabaseName:
		if s.t.DBFile == "" {
			return "", errors.New("备份中是 SQLite 数据库，而 --db 指向数据库服务器：请以 --db sqlite:路径 恢复")
		}
		s.db, err = temp(s.t.DBFile)
		return s.db, err
	case KeyName:
		s.key, err = temp(s.t.KeyFile)
		return s.key, err
	case CheckpointsName:
		if s.t.Checkpoints == "" {
			return "", errors.New("备份中有审计检查点文件，但没有给出它的恢复位置")
		}
		s.cps, err = temp(s.t.Checkpoints)
		return s.cps, err
	}
	if s.uploads == "" {
		parent := filepath.Dir(s.t.Uploads)
		if err := os.MkdirAll(parent, 0o750); err != nil {
			return "", fmt.Errorf("无法建立目录 %s：%w", parent, err)
		}
		if s.uploads, err = os.MkdirTemp(parent, "."+filepath.Base(s.t.Uploads)+".restore-"); err != nil {
			return "", fmt.Errorf("无法写入 %s：%w", parent, err)
		}
		if err := os.Chmod(s.uploads, 0o750); err != nil { // as the portal makes it
			return "", err
		}
	}
	rel := strings.TrimPrefix(name, UploadsDir+"/")
	dst := filepath.Join(s.uploads, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", err
	}
	return dst, nil
}

// writeStaged copies one archive entry to dst, synced, and returns its size
// and checksum.
func writeStaged(dst string, r io.Reader, name string) (File, error) {
	mode := os.FileMode(0o640)
	if name == KeyName || name == DatabaseName || name == CheckpointsName {
		mode = 0o600
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return File{}, fmt.Errorf("无法写入 %s：%w", dst, err)
	}
	var h hash.Hash = sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst, mode)
	}
	if err != nil {
		return File{}, fmt.Errorf("恢复 %s 失败：%w", name, err)
	}
	return File{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// install moves the staged files into place: the key, the uploads, then
// the database, each refusing to replace what appeared since the check. On
// failure what it installed is taken back out.
func (s *stage) install() error {
	err := s.installAll()
	if err != nil {
		for i := len(s.installed) - 1; i >= 0; i-- {
			os.RemoveAll(s.installed[i])
		}
	}
	return err
}

func (s *stage) installAll() error {
	if err := s.link(&s.key, s.t.KeyFile); err != nil {
		return err
	}
	if s.cps != "" {
		if err := s.link(&s.cps, s.t.Checkpoints); err != nil {
			return err
		}
	}
	if s.uploads != "" {
		os.Remove(s.t.Uploads) // an empty directory is no conflict; a full one stays and fails below
		if err := os.Rename(s.uploads, s.t.Uploads); err != nil {
			return fmt.Errorf("无法放入上传目录 %s（已有内容？）：%w", s.t.Uploads, err)
		}
		s.installed = append(s.installed, s.t.Uploads)
		s.uploads = ""
		syncDir(filepath.Dir(s.t.Uploads))
	}
	if s.db != "" {
		if err := s.link(&s.db, s.t.DBFile); err != nil {
			return err
		}
	}
	return nil
}

// link puts the staged file *staged at dst without replacing a file that is
// there: a hard link fails when dst exists. Where links are not supported
// it falls back to a rename after checking dst is absent.
func (s *stage) link(staged *string, dst string) error {
	err := os.Link(*staged, dst)
	switch {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w（%s 在恢复过程中出现了）", ErrNotEmpty, dst)
	case err != nil:
		if _, lerr := os.Lstat(dst); lerr == nil {
			return fmt.Errorf("%w（%s 在恢复过程中出现了）", ErrNotEmpty, dst)
		}
		if err := os.Rename(*staged, dst); err != nil {
			return fmt.Errorf("无法放入 %s：%w", dst, err)
		}
	default:
		os.Remove(*staged)
	}
	*staged = ""
	s.installed = append(s.installed, dst)
	syncDir(filepath.Dir(dst))
	return nil
}

// syncDir makes a rename in dir durable; errors are not fatal.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
