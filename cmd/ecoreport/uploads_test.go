package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/upload"
)

// TestUploadsMigrateAndSweep moves an install's photos from the directory
// into the database, twice (the second copies nothing), then sweeps: the
// file no table names is only listed until --delete, and not even then
// while it is young.
func TestUploadsMigrateAndSweep(t *testing.T) {
	ctx := context.Background()
	d, spec := dbtest.MustOpenDBSpec(t)
	data := t.TempDir()
	dir := filepath.Join(data, "uploads")
	os.MkdirAll(dir, 0o750)
	const name = "0123456789abcdef0123456789abcdef.jpg"
	os.WriteFile(filepath.Join(dir, name), []byte("a photo"), 0o640)
	cmd := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, append(args, "--db", spec, "--data-dir", data), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := cmd("uploads", "migrate", "--from", "dir", "--to", "db"); code != 0 || !strings.Contains(out, "复制并核对 1 个") {
		t.Fatalf("migrate: %d\n%s", code, out)
	}
	if b, err := upload.ReadAll(ctx, upload.NewDB(d), name); err != nil || string(b) != "a photo" {
		t.Fatalf("in the database: %q %v", b, err)
	}
	if code, out := cmd("uploads", "migrate", "--from", "dir", "--to", "db"); code != 0 || !strings.Contains(out, "复制并核对 0 个") || !strings.Contains(out, "相同内容 1 个") {
		t.Fatalf("second migrate: %d\n%s", code, out)
	}
	if code, out := cmd("uploads", "migrate", "--from", "db", "--to", "db"); code != 2 {
		t.Fatalf("same store: %d\n%s", code, out)
	}
	// No table names the photo, but it is younger than a day: left alone.
	if code, out := cmd("uploads", "sweep", "--uploads", "db", "--delete"); code != 0 || !strings.Contains(out, "无引用但太新而未处理 1 个") {
		t.Fatalf("sweep young: %d\n%s", code, out)
	}
	if _, err := upload.NewDB(d).Stat(ctx, name); err != nil {
		t.Fatalf("a young file was swept: %v", err)
	}
}
