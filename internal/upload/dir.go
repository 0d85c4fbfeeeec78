package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Dir keeps each file under its key in a local directory: the layout
// DATA_DIR/uploads has always had (flat names), so an existing install
// keeps working unchanged.
type Dir struct {
	Path string
}

// NewDir is the store of the directory path; it is made (0750) on the
// first Put.
func NewDir(path string) *Dir { return &Dir{Path: path} }

// tempPrefix starts the name of a file being written; Walk skips such
// names and ValidKey refuses them.
const tempPrefix = ".put-"

func (d *Dir) Kind() string  { return KindDir }
func (d *Dir) Where() string { return d.Path }

func (d *Dir) file(key string) string { return filepath.Join(d.Path, filepath.FromSlash(key)) }

// Put writes to a temporary file beside the destination, syncs it, renames
// it into place and syncs the directory: a crash leaves the old file or the
// new one, never half of one.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkPut(key, size); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dst := d.file(key)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	tmp := f.Name()
	_, err = io.Copy(f, exact(r, size))
	if err == nil {
		err = f.Chmod(0o640)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("upload: put %s: %w", key, err)
	}
	syncDir(dir)
	return nil
}

func (d *Dir) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(d.file(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notExist(key)
	}
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	return f, nil
}

func (d *Dir) Stat(ctx context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	st, err := os.Stat(d.file(key))
	if errors.Is(err, fs.ErrNotExist) {
		return Object{}, notExist(key)
	}
	if err != nil {
		return Object{}, fmt.Errorf("upload: %w", err)
	}
	return Object{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := os.Remove(d.file(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("upload: %w", err)
	}
	return nil
}

// Walk lists the directory in key order. Temporary files of a Put (names
// starting with ".put-") are skipped; any other file that is not a key, or
// is not a regular file, is an error naming it: nothing in the directory is
// passed over quietly by a backup or a migration.
func (d *Dir) Walk(ctx context.Context, fn func(Object) error) error {
	var objs []Object
	err := filepath.WalkDir(d.Path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == d.Path && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		if strings.HasPrefix(e.Name(), tempPrefix) {
			return nil
		}
		rel, err := filepath.Rel(d.Path, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !e.Type().IsRegular() || !ValidKey(key) {
			return fmt.Errorf("上传目录中的 %s 不是本系统写入的文件（不是普通文件或名称不符）", p)
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted since it was listed
		}
		if err != nil {
			return err
		}
		objs = append(objs, Object{Key: key, Size: info.Size(), Modified: info.ModTime()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("upload: 读取上传目录 %s 失败：%w", d.Path, err)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	for _, o := range objs {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// TempFiles lists the temporary files interrupted Puts left behind, for
// the sweep.
func (d *Dir) TempFiles() ([]string, error) {
	var out []string
	err := filepath.WalkDir(d.Path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == d.Path && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if !e.IsDir() && strings.HasPrefix(e.Name(), tempPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// syncDir makes a rename in dir durable; an error is not fatal (some file
// systems cannot sync a directory).
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}
