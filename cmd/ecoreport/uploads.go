package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"ecoreport/internal/config"
	"ecoreport/internal/conversation"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/upload"
)

// openUploads opens the upload store of kind (dir, db or s3) with the
// settings of cfg; an s3 store is reached once, so that a wrong endpoint,
// key or bucket fails at start rather than at the first photo.
func openUploads(ctx context.Context, cfg *config.Config, d *db.DB, kind string) (upload.Store, error) {
	u := &cfg.Uploads
	switch kind {
	case upload.KindDir:
		dir := u.Dir
		if dir == "" {
			dir = filepath.Join(cfg.DataDir, "uploads")
		}
		return upload.NewDir(dir), nil
	case upload.KindDB:
		return upload.NewDB(d), nil
	case upload.KindS3:
		if err := u.CheckS3(); err != nil {
			return nil, err
		}
		s, err := upload.NewS3(upload.S3Options{Endpoint: u.S3Endpoint, Bucket: u.S3Bucket, Prefix: u.S3Prefix,
			AccessKey: u.S3AccessKey, SecretKey: u.S3SecretKey, Region: u.S3Region, Insecure: u.S3Insecure, PathStyle: u.S3PathStyle})
		if err != nil {
			return nil, fmt.Errorf("配置错误 --s3-*：%w", err)
		}
		if err := s.Check(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("配置错误：上传存储只能是 dir、db 或 s3，而不是 %q", kind)
}

// referenced answers whether any table names an upload: the reporters'
// photos (filed and held) and the case photos.
func referenced(d *db.DB) func(ctx context.Context, key string) (bool, error) {
	l := ledger.NewService(d, nil)
	conv := conversation.New(l)
	return func(ctx context.Context, key string) (bool, error) {
		if ok, err := conv.NamesPhoto(ctx, key); ok || err != nil {
			return ok, err
		}
		return l.NamesPhoto(ctx, key)
	}
}

func runUploads(ctx context.Context, args []string, out, errOut io.Writer) int {
	const use = "用法：ecoreport uploads migrate --from dir --to db|s3 [参数]   把已有的上传文件复制到另一种存储并逐个核对\n" +
		"      ecoreport uploads sweep [--delete] [参数]               列出（--delete 时删除）没有任何记录引用的上传文件"
	if len(args) == 0 || (args[0] != "migrate" && args[0] != "sweep") {
		fmt.Fprintln(errOut, use)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	if args[0] == "migrate" {
		return runUploadsMigrate(ctx, args[1:], out, errOut)
	}
	return runUploadsSweep(ctx, args[1:], out, errOut)
}

func runUploadsMigrate(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg := config.Default()
	from, to := upload.KindDir, ""
	if _, code := flags("uploads migrate --from dir --to db|s3 [参数]",
		"把 --from 存储中的每个上传文件复制到 --to 存储，复制后读回核对 SHA-256；目标中已有且内容相同的文件跳过，可反复运行。\n"+
			"源存储中的文件不删除。迁移后以 --uploads 目标存储 重启服务；迁移期间服务可以继续运行，重启前再运行一次以复制新上传的文件。",
		args, &cfg, config.WithDB|config.WithKeys|config.WithUploads, errOut, func(fs *flag.FlagSet) {
			fs.StringVar(&from, "from", from, "源存储：dir | db | s3 (source store)")
			fs.StringVar(&to, "to", to, "目标存储：dir | db | s3 (target store)")
		}); code >= 0 {
		return code
	}
	switch {
	case !slices.Contains(upload.Kinds, from):
		fmt.Fprintf(errOut, "参数错误 --from：只能是 dir、db 或 s3，而不是 %q\n", from)
		return 2
	case !slices.Contains(upload.Kinds, to):
		fmt.Fprintf(errOut, "参数错误 --to：只能是 dir、db 或 s3，而不是 %q\n", to)
		return 2
	case from == to:
		fmt.Fprintln(errOut, "参数错误 --to：与 --from 相同，无需迁移")
		return 2
	}
	d, err := openDB(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	defer d.Close()
	if (from == upload.KindDB || to == upload.KindDB) && !schemaCurrent(ctx, d, errOut) {
		return 1
	}
	src, err := openUploads(ctx, &cfg, d, from)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	dst, err := openUploads(ctx, &cfg, d, to)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	fmt.Fprintf(out, "从 %s（%s）迁移到 %s（%s）……\n", from, src.Where(), to, dst.Where())
	last := time.Now()
	r, err := upload.Migrate(ctx, src, dst, func(r upload.MigrateReport) {
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			fmt.Fprintf(out, "  已处理 %d 个文件……\n", r.Copied+r.Already+r.Vanished+len(r.Failed))
		}
	})
	fmt.Fprintf(out, "复制并核对 %d 个（%s），目标中已有相同内容 %d 个，复制前已被删除 %d 个，失败 %d 个。\n",
		r.Copied, mib(r.Bytes), r.Already, r.Vanished, len(r.Failed))
	for _, f := range r.Failed {
		fmt.Fprintln(errOut, "  失败："+f)
	}
	if err != nil {
		fmt.Fprintln(errOut, "迁移未完成："+oneLine(err)+"；排除原因后再次运行即可，已复制的不会重复复制。")
		return 1
	}
	fmt.Fprintf(out, "源存储中的文件均未删除。下一步 (next)：以 --uploads %s 重启服务；确认照片都能打开后，可自行删除或归档 %s。\n", to, src.Where())
	return 0
}

func runUploadsSweep(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg := config.Default()
	var del bool
	age := 24 * time.Hour
	if _, code := flags("uploads sweep [--delete] [参数]",
		"列出 --uploads 存储中没有任何记录（举报照片、保留的照片、问题照片）引用、且早于 --older-than 的文件；给出 --delete 才删除。",
		args, &cfg, config.WithDB|config.WithKeys|config.WithUploads, errOut, func(fs *flag.FlagSet) {
			fs.BoolVar(&del, "delete", false, "删除列出的文件；不给则只列出 (remove the orphans)")
			fs.DurationVar(&age, "older-than", age, "只处理存入早于这么久的文件，至少 1h (only files older than this)")
		}); code >= 0 {
		return code
	}
	if age < time.Hour {
		fmt.Fprintln(errOut, "参数错误 --older-than：至少 1h（刚上传的照片可能还没有记录）")
		return 2
	}
	d, err := openDB(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	defer d.Close()
	if !schemaCurrent(ctx, d, errOut) {
		return 1
	}
	s, err := openUploads(ctx, &cfg, d, cfg.Uploads.Store)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	r, err := upload.Sweep(ctx, s, referenced(d), time.Now().Add(-age), del)
	for _, o := range r.Orphans {
		fmt.Fprintf(out, "  %s  %s  %s\n", o.Key, mib(o.Size), o.Modified.In(cfg.Location).Format("2006-01-02 15:04"))
	}
	if err != nil {
		fmt.Fprintln(errOut, "清理中止："+oneLine(err))
		return 1
	}
	what := "未删除（加 --delete 删除）"
	if del {
		what = fmt.Sprintf("已删除 %d 个", r.Removed)
	}
	fmt.Fprintf(out, "%s：检查 %d 个文件，无记录引用 %d 个，%s；无引用但太新而未处理 %d 个。\n", s.Where(), r.Checked, len(r.Orphans), what, r.Young)
	if d, ok := s.(*upload.Dir); ok {
		if tmp, err := d.TempFiles(); err == nil && len(tmp) > 0 {
			fmt.Fprintf(out, "另有 %d 个中断写入留下的临时文件（%s），可在服务停止时删除。\n", len(tmp), strings.Join(tmp, "、"))
		}
	}
	return 0
}

// schemaCurrent says so when the database is behind its migrations (the
// upload tables and the tables that name photos must be there).
func schemaCurrent(ctx context.Context, d *db.DB, errOut io.Writer) bool {
	n, err := d.Pending(ctx)
	if err != nil {
		fmt.Fprintln(errOut, "无法读取数据库迁移状态："+oneLine(err))
		return false
	}
	if n > 0 {
		fmt.Fprintf(errOut, "数据库结构落后 %d 个迁移：请先运行 ecoreport migrate up\n", n)
		return false
	}
	return true
}
