package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"ecoreport/internal/backup"
	"ecoreport/internal/config"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

func runBackup(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg := config.Default()
	var file string
	_, code := flags("backup [-o 文件] [参数]",
		"在线备份：数据库的一致快照（SQLite）、数据密钥、审计检查点和上传的照片（dir、s3 存储；db 存储的照片在数据库中），写成一个 tar.gz 文件，附清单和校验和。服务不必停止。\n"+
			"MySQL/MariaDB 的数据库不在其中（请用 mariadb-dump --single-transaction 备份），文件中只有密钥和上传文件。",
		args, &cfg, config.WithDB|config.WithKeys|config.WithUploads, errOut, func(fs *flag.FlagSet) {
			fs.StringVar(&file, "o", "", "备份文件；缺省为 ecoreport-backup-日期-时间.tar.gz (output file)")
		})
	if code >= 0 {
		return code
	}
	if file == "" {
		file = "ecoreport-backup-" + time.Now().In(cfg.Location).Format("20060102-150405") + ".tar.gz"
	}
	if _, err := os.Lstat(file); err == nil {
		fmt.Fprintf(errOut, "参数错误 -o：%s 已存在，不会覆盖\n", file)
		return 2
	}
	d, err := openDB(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	defer d.Close()
	// The key must be the one the data was sealed with: an archive pairing
	// the database with another key would restore contacts nobody can read.
	keys, err := secret.Load(cfg.KeyFile)
	if err == nil {
		err = ledger.NewService(d, keys).CheckKey(ctx)
	}
	if err != nil {
		fmt.Fprintln(errOut, "备份失败："+oneLine(err))
		return 1
	}

	dir := filepath.Dir(file)
	tmp, err := os.CreateTemp(dir, ".ecoreport-backup-*.tar.gz")
	if err != nil {
		fmt.Fprintf(errOut, "无法写入 %s：%v\n", dir, err)
		return 1
	}
	defer os.Remove(tmp.Name())
	store, err := openUploads(ctx, &cfg, d, cfg.Uploads.Store)
	if err != nil {
		fmt.Fprintln(errOut, "备份失败："+oneLine(err))
		return 1
	}
	m, err := backup.Write(ctx, tmp, backup.Source{DB: d, KeyFile: cfg.KeyFile, Checkpoints: cfg.AuditCheckpoints, Uploads: store, TempDir: dir, Version: version})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = placeNew(tmp.Name(), file)
	}
	if err != nil {
		fmt.Fprintln(errOut, "备份失败："+oneLine(err))
		return 1
	}
	what := "数据库快照、数据密钥"
	if !m.Database {
		what = "数据密钥"
	}
	if m.UploadStore == "db" {
		fmt.Fprintf(out, "已备份到 %s：%s（共 %s，数据库结构版本 %d）；上传文件在数据库中（--uploads db），随数据库一同备份。\n", file, what, mib(m.Size()), m.SchemaVersion)
	} else {
		fmt.Fprintf(out, "已备份到 %s：%s和 %d 个上传文件（%s，共 %s，数据库结构版本 %d）。\n", file, what, m.Uploads(), store.Where(), mib(m.Size()), m.SchemaVersion)
	}
	fmt.Fprintln(out, "此文件含数据密钥，能解密全部联系方式：请像保管密钥一样保管它（加密存放、异地保存、限制访问）。")
	if !m.Database {
		fmt.Fprintln(errOut, "注意："+backup.NoteServerDatabase+"（见 docs/deployment.md）。")
	}
	return 0
}

func runRestore(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg := config.Default()
	var force bool
	fs, code := flags("restore [--force] 备份文件 [参数]",
		"把 ecoreport backup 写的备份恢复到空的数据目录：先逐个核对校验和，全部无误后才放入数据库（SQLite）、数据密钥和上传文件。\n"+
			"请先停止服务。目标位置已有数据时拒绝执行，除非给出 --force（原有文件改名为 名称.before-restore-时间 保留）。",
		args, &cfg, config.WithDB|config.WithKeys|config.WithUploads, errOut, func(fs *flag.FlagSet) {
			fs.BoolVar(&force, "force", false, "目标已有数据时，把原有文件改名保留后再恢复 (move existing files aside and restore)")
		})
	if code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(errOut, "用法：ecoreport restore [--force] 备份文件 [--db ...] [--data-dir ...]")
		return 2
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(errOut, "无法读取备份文件：%v\n", err)
		return 1
	}
	defer f.Close()
	dbFile, _ := db.File(cfg.DB)
	res, err := backup.Restore(ctx, f, backup.Target{DBFile: dbFile, KeyFile: cfg.KeyFile, Checkpoints: cfg.AuditCheckpoints, Uploads: uploadsDir(&cfg), Force: force})
	if res != nil {
		for _, p := range res.MovedAside {
			fmt.Fprintf(out, "原有的文件已改名保留：%s\n", p)
		}
	}
	if err != nil {
		fmt.Fprintln(errOut, "恢复失败："+oneLine(err))
		return 1
	}
	m := res.Manifest
	fmt.Fprintf(out, "已从 %s 恢复（备份于 %s，程序版本 %s，数据库结构版本 %d）：\n", fs.Arg(0),
		m.CreatedAt.In(cfg.Location).Format("2006-01-02 15:04:05"), m.Version, m.SchemaVersion)
	if m.Database {
		fmt.Fprintf(out, "  数据库    %s\n", dbFile)
	}
	fmt.Fprintf(out, "  数据密钥  %s\n  上传文件  %d 个，%s\n", cfg.KeyFile, m.Uploads(), uploadsDir(&cfg))
	if !m.Database {
		fmt.Fprintln(out, "备份中没有数据库：请确认已用 mariadb-dump 的备份恢复了数据库（见 docs/deployment.md）。")
	}
	if m.Uploads() > 0 && cfg.Uploads.Store != "dir" {
		fmt.Fprintf(out, "上传文件已恢复到本机目录 %s；服务使用 --uploads %s，请再运行 %s uploads migrate --from dir --to %s 把它们放入该存储。\n",
			uploadsDir(&cfg), cfg.Uploads.Store, self(), cfg.Uploads.Store)
	}
	_, dataFlags := keyFlags(&cfg, fs)
	fmt.Fprintf(out, "下一步 (next)：\n  %s serve%s\n", self(), dataFlags)
	return 0
}

// uploadsDir is the local uploads directory of cfg (the dir store's).
func uploadsDir(cfg *config.Config) string {
	if cfg.Uploads.Dir != "" {
		return cfg.Uploads.Dir
	}
	return filepath.Join(cfg.DataDir, "uploads")
}

// placeNew moves the finished file tmp to dst without replacing a file that
// appeared there meanwhile (a hard link fails on an existing name).
func placeNew(tmp, dst string) error {
	err := os.Link(tmp, dst)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s 已存在，不会覆盖", dst)
	}
	if err != nil { // no hard links on this file system
		if _, lerr := os.Lstat(dst); lerr == nil {
			return fmt.Errorf("%s 已存在，不会覆盖", dst)
		}
		return os.Rename(tmp, dst)
	}
	return nil
}

func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
