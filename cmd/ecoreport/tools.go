package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"ecoreport/hotline"
	"ecoreport/internal/apperr"
	"ecoreport/internal/bulletin"
	"ecoreport/internal/config"
	"ecoreport/internal/db"
	"ecoreport/internal/demo"
	"ecoreport/internal/ledger"
	"ecoreport/internal/office"
	"ecoreport/internal/partner"
	"ecoreport/internal/reward"
	"ecoreport/internal/secret"
)

func apperrFields(err error) map[string]string { return apperr.Fields(err) }

// tool is what a command-line subcommand works with.
type tool struct {
	DB     *db.DB
	Keys   *secret.Keys
	Ledger *ledger.Service
	Reward *reward.Service
}

// openTool opens the database and the data key for a subcommand: SQLite is
// migrated as serve would; MySQL must be up to date.
func openTool(ctx context.Context, cfg *config.Config, errOut io.Writer) (*tool, error) {
	d, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg, errOut)
	if err := ensureSchema(ctx, d, d.Embedded() || cfg.Migrate, log); err != nil {
		d.Close()
		return nil, err
	}
	keys, err := loadKeys(cfg, log)
	if err != nil {
		d.Close()
		return nil, err
	}
	l := newLedger(cfg, d, keys)
	return &tool{DB: d, Keys: keys, Ledger: l, Reward: newReward(d, keys, l)}, nil
}

func (t *tool) importer(cfg *config.Config) *hotline.Importer {
	aliases, _ := cfg.Aliases() // validated with the configuration
	return &hotline.Importer{Ledger: t.Ledger, DB: t.DB, Options: hotline.Options{Location: cfg.Location, Aliases: aliases}}
}

func (t *tool) feedback() *hotline.Feedback {
	return &hotline.Feedback{Ledger: t.Ledger, DB: t.DB, DefaultUnit: "生态环境分局"}
}

// splitGlobal separates the flags every command shares (database, keys,
// hotline aliases) from the rest, which the hotline package parses.
func splitGlobal(args []string) (global, rest []string) {
	names := map[string]bool{"db": true, "tz": true, "log-json": true, "data-dir": true, "key-file": true, "hotline-aliases": true,
		"county": true, "task-force": true, "notice-prefix": true, "hotline-number": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := a
		name = strings.TrimLeft(name, "-")
		bare, _, hasValue := strings.Cut(name, "=")
		if a != name && names[bare] {
			global = append(global, a)
			if !hasValue && bare != "log-json" && i+1 < len(args) {
				global = append(global, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	return global, rest
}

// withTool parses the shared flags and environment, opens the tool and runs fn.
func withTool(ctx context.Context, name string, args []string, errOut io.Writer, fn func(t *tool, cfg *config.Config, rest []string) int) int {
	global, rest := splitGlobal(args)
	cfg := config.Default()
	if _, code := flags(name, "数据库、密钥参数如下；其余参数见 ecoreport "+name+" -h。", global, &cfg, config.WithDB|config.WithKeys|config.WithHotline|config.WithCounty, errOut, nil); code >= 0 {
		return code
	}
	t, err := openTool(ctx, &cfg, errOut)
	if err != nil {
		fmt.Fprintln(errOut, "数据库出错："+oneLine(err))
		return 1
	}
	defer t.DB.Close()
	return fn(t, &cfg, rest)
}

func runImport(ctx context.Context, args []string, out, errOut io.Writer) int {
	if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
		fmt.Fprintln(errOut, "共用参数：--db --data-dir --key-file --tz --hotline-aliases（见 ecoreport serve -h）")
		return hotline.ImportCommand(ctx, nil, []string{"-h"}, out, errOut, false)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// The importer streams (its live heap stays near 25 MiB whatever the
		// file's size); a soft limit keeps the collector from letting garbage
		// grow the process to several times that on a year of tickets.
		debug.SetMemoryLimit(64 << 20)
	}
	return withTool(ctx, "import", args, errOut, func(t *tool, cfg *config.Config, rest []string) int {
		return hotline.ImportCommand(ctx, t.importer(cfg), rest, out, errOut, isTerminal(errOut))
	})
}

func runHotline(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || (args[0] != "add-client" && args[0] != "feedback") {
		fmt.Fprintln(errOut, `用法：
  ecoreport hotline add-client 名称                      新增一个推送接口客户端，密钥只显示一次
  ecoreport hotline feedback [--since-last | --from 日期 --to 日期] [--format csv|csv-gbk|xlsx] -o 文件
                                                        导出办理结果（回音）给热线`)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	sub := args[0]
	return withTool(ctx, "hotline "+sub, args[1:], errOut, func(t *tool, cfg *config.Config, rest []string) int {
		if sub == "add-client" {
			return hotline.ClientCommand(ctx, &hotline.Clients{DB: t.DB, Keys: t.Keys}, rest, out, errOut)
		}
		return hotline.FeedbackCommand(ctx, t.feedback(), rest, out, errOut)
	})
}

func runOpen311(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		return partner.Command(ctx, nil, nil, out, errOut)
	}
	if args[0] == "-h" || args[0] == "--help" {
		partner.Command(ctx, nil, nil, out, errOut)
		return 0
	}
	sub := args[0]
	return withTool(ctx, "open311 "+sub, args[1:], errOut, func(t *tool, _ *config.Config, rest []string) int {
		return partner.Command(ctx, t.DB, append([]string{sub}, rest...), out, errOut)
	})
}

func runReward(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] != "expire" {
		fmt.Fprintln(errOut, `用法：ecoreport reward expire [--db ...]
  将超过申领期限的已批准奖励标记为已过期并退回预算，并删除已超过保存期限的领奖人身份信息（供 cron 使用）`)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	return withTool(ctx, "reward expire", args[1:], errOut, func(t *tool, _ *config.Config, rest []string) int {
		if len(rest) > 0 {
			fmt.Fprintf(errOut, "参数错误：未知参数 %q\n", rest[0])
			return 2
		}
		n, err := t.Reward.ExpireDue(ctx)
		if err != nil {
			fmt.Fprintln(errOut, "数据库出错："+oneLine(err))
			return 1
		}
		e, err := t.Reward.EraseDue(ctx)
		if err != nil {
			fmt.Fprintln(errOut, "数据库出错："+oneLine(err))
			return 1
		}
		fmt.Fprintf(out, "已过期 %d 笔奖励（金额退回预算）；删除 %d 位领奖人的身份信息。\n", n, e)
		return 0
	})
}

func runDemo(ctx context.Context, args []string, out, errOut io.Writer) int {
	if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
		fmt.Fprintln(errOut, "用法：ecoreport demo [--db ...] [--data-dir ...]\n  向空数据库填入一个月的演示数据（各渠道、各状态的举报和问题、整改通知书、督查任务、约谈、各角色账号），打印各账号密码。数据库已有数据时拒绝执行。")
		return 0
	}
	return withTool(ctx, "demo", args, errOut, func(t *tool, _ *config.Config, rest []string) int {
		if len(rest) > 0 {
			fmt.Fprintf(errOut, "参数错误：未知参数 %q\n", rest[0])
			return 2
		}
		return demo.Command(ctx, demo.Deps{DB: t.DB, Ledger: t.Ledger,
			Setup: func(l *ledger.Service, now func() time.Time) { r := newReward(t.DB, t.Keys, l); r.Now = now }}, out, errOut)
	})
}

func runBulletin(ctx context.Context, args []string, out, errOut io.Writer) int {
	if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
		return bulletin.Command(ctx, nil, []string{"-h"}, out, errOut)
	}
	return withTool(ctx, "bulletin", args, errOut, func(t *tool, cfg *config.Config, rest []string) int {
		return bulletin.Command(ctx, t.DB, append([]string{"--title", cfg.County.BulletinTitle()}, rest...), out, errOut)
	})
}

func runRetention(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(errOut, "用法：ecoreport retention run [--years 3] [--db ...]\n  删除办结已满期限的举报人联系方式（个人信息保护法第十九条），供 cron 使用；serve 每天也会自动执行")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	return withTool(ctx, "retention run", args[1:], errOut, func(t *tool, _ *config.Config, rest []string) int {
		return office.RetentionCommand(ctx, t.Ledger, rest, out, errOut)
	})
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
