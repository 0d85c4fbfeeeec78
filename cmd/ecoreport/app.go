package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"ecoreport/internal/config"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
	"ecoreport/internal/secret"
)

// flags parses a subcommand's flags and environment into cfg. It returns an
// exit code ≥ 0 when the command should stop (help shown, or bad usage).
func flags(name, summary string, args []string, cfg *config.Config, groups int, errOut io.Writer, extra func(fs *flag.FlagSet)) (*flag.FlagSet, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	cfg.Bind(fs, groups)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(errOut, "用法 (usage): ecoreport %s\n\n%s\n\n参数 (flags):\n", name, summary)
		fs.PrintDefaults()
	}
	if err := parseInterspersed(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return fs, 0
		}
		return fs, 2
	}
	if err := config.ApplyEnv(fs, os.LookupEnv); err != nil {
		fmt.Fprintln(errOut, err)
		return fs, 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(errOut, err)
		return fs, 2
	}
	return fs, -1
}

// parseInterspersed parses flags wherever they stand among the arguments,
// so `restore FILE --db …` reads --db as `restore --db … FILE` does; after
// "--" everything is an argument. fs.Args() are the arguments afterwards.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		left := fs.Args()
		if used := len(rest) - len(left); used > 0 && rest[used-1] == "--" {
			pos = append(pos, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		pos, rest = append(pos, left[0]), left[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// openDB opens the database and, when migrate is set, applies migrations.
// Errors are one line for people.
func openDB(ctx context.Context, cfg *config.Config) (*db.DB, error) {
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ensureSchema migrates SQLite by itself (the first start just works) and, on
// MySQL, refuses a schema that is behind unless told to migrate.
func ensureSchema(ctx context.Context, d *db.DB, migrate bool, log *slog.Logger) error {
	pending, err := d.Pending(ctx)
	if err != nil {
		return fmt.Errorf("无法读取数据库迁移状态：%w", err)
	}
	if pending == 0 {
		return nil
	}
	if !d.Embedded() && !migrate {
		return fmt.Errorf("数据库结构落后 %d 个迁移：请先运行 ecoreport migrate up，或以 --migrate 启动", pending)
	}
	n, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	log.Info("数据库迁移完成 (migrations applied)", "count", n)
	return nil
}

// loadKeys loads or creates the data key, checks that it opens the contacts
// in d, and says so when it was created.
func loadKeys(ctx context.Context, cfg *config.Config, d *db.DB, log *slog.Logger) (*secret.Keys, error) {
	k, created, err := secret.LoadOrCreate(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	if err := checkKey(ctx, cfg, ledger.NewService(d, k), created); err != nil {
		return nil, err
	}
	if created {
		log.Warn("已生成新的数据密钥，请妥善备份；丢失后已加密的联系方式将无法解密 (generated a new data key: back it up)", "key_file", cfg.KeyFile)
	}
	return k, nil
}

// checkKey stops a start whose data key does not open the contacts already
// in the database, rather than seal new contacts with a second key. A key
// that was just generated (the file was missing) is removed again, so the
// next start fails the same way until the right key is back.
func checkKey(ctx context.Context, cfg *config.Config, l *ledger.Service, created bool) error {
	err := l.CheckKey(ctx)
	if !errors.Is(err, ledger.ErrWrongKey) {
		return err
	}
	if created {
		os.Remove(cfg.KeyFile)
		return fmt.Errorf("数据密钥 %s 不存在，而数据库中已有用原密钥加密的联系方式：请从备份恢复密钥文件，或用 --key-file 指向它（未生成新密钥）", cfg.KeyFile)
	}
	return fmt.Errorf("数据密钥 %s 与数据库不匹配，无法解密库中的联系方式：--key-file 是否指向本实例的密钥？", cfg.KeyFile)
}

func newLedger(cfg *config.Config, d *db.DB, keys *secret.Keys) *ledger.Service {
	s := ledger.NewService(d, keys)
	s.Location = cfg.Location
	s.Limits = ledger.Limits{AcceptDays: cfg.AcceptDays, ConcludeDays: cfg.ConcludeDays, ExtensionDays: cfg.ExtensionDays, RevisitDays: cfg.RevisitDays}
	s.NoticePrefix = cfg.County.NoticePrefix
	return s
}

// newReward builds the reward workflow and hangs its eligibility check on
// the ledger's verification, so a verified case and its reward record
// commit together.
func newReward(d *db.DB, keys *secret.Keys, l *ledger.Service) *reward.Service {
	r := reward.NewService(d, keys, l)
	r.Location = l.Location
	l.OnVerified = append(l.OnVerified, r.Hook())
	return r
}
