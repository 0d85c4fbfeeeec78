package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/term"

	"ecoreport/hotline"
	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
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
	Flags  *flag.FlagSet // the shared flags as parsed, to repeat them in hints
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
	keys, err := loadKeys(ctx, cfg, d, log)
	if err != nil {
		d.Close()
		return nil, err
	}
	l := newLedger(cfg, d, keys)
	return &tool{DB: d, Keys: keys, Ledger: l, Reward: newReward(d, keys, l)}, nil
}

// checkpoints is the file of signed audit checkpoints beside the key.
func checkpoints(cfg *config.Config, keys *secret.Keys) *audit.CheckpointFile {
	return &audit.CheckpointFile{Path: cfg.AuditCheckpoints, Signer: audit.NewSigner(keys.AuditSeed())}
}

func (t *tool) importer(cfg *config.Config) *hotline.Importer {
	aliases, _ := cfg.Aliases() // validated with the configuration
	return &hotline.Importer{Ledger: t.Ledger, DB: t.DB, Options: hotline.Options{Location: cfg.Location, Aliases: aliases}}
}

// rejectsRetention erases the hotline's quarantined rows nobody fixed in
// time, beside the ledger's contacts.
func rejectsRetention(im *hotline.Importer) office.Eraser {
	return office.Eraser{
		What: fmt.Sprintf("待修正拒收行中的来电人信息（超过 %d 天未修正）", int(hotline.DefaultRejectRetention/(24*time.Hour))),
		Erase: func(ctx context.Context) (int, error) {
			return im.EraseExpiredRejects(ctx, hotline.DefaultRejectRetention)
		},
	}
}

func (t *tool) feedback() *hotline.Feedback {
	return &hotline.Feedback{Ledger: t.Ledger, DB: t.DB, DefaultUnit: "生态环境分局"}
}

// splitGlobal separates the flags every command shares (toolGroups:
// database, keys, hotline aliases, county) from the rest, which the hotline
// package parses. The shared names come from binding those groups, so a flag
// added to a group is shared without a second list.
func splitGlobal(args []string) (global, rest []string) {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	new(config.Config).Bind(fs, toolGroups)
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		bare, _, hasValue := strings.Cut(name, "=")
		if f := fs.Lookup(bare); a != name && f != nil {
			global = append(global, a)
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) && i+1 < len(args) {
				global = append(global, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	return global, rest
}

// helpAsked reports whether args ask for help (-h, --help) before any "--".
func helpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

// toolGroups are the shared flags of every command that opens the tool.
const toolGroups = config.WithDB | config.WithKeys | config.WithHotline | config.WithCounty

// withTool parses the shared flags and environment, opens the tool and runs
// fn. Asked for help, it prints help (the command's own usage and flags) and
// the shared flags, and opens nothing.
func withTool(ctx context.Context, name string, args []string, errOut io.Writer, help func(w io.Writer), fn func(t *tool, cfg *config.Config, rest []string) int) int {
	global, rest := splitGlobal(args)
	cfg := config.Default()
	if helpAsked(args) {
		help(errOut)
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.SetOutput(errOut)
		cfg.Bind(fs, toolGroups)
		fmt.Fprintln(errOut, "\n共用参数 (shared flags):")
		fs.PrintDefaults()
		return 0
	}
	fs, code := flags(name, "数据库、密钥参数如下；其余参数见 ecoreport "+name+" -h。", global, &cfg, toolGroups, errOut, nil)
	if code >= 0 {
		return code
	}
	t, err := openTool(ctx, &cfg, errOut)
	if err != nil {
		fmt.Fprintln(errOut, "数据库出错："+oneLine(err))
		return 1
	}
	t.Flags = fs
	defer t.DB.Close()
	return fn(t, &cfg, rest)
}

// usageText is a help function that prints fixed text.
func usageText(text string) func(w io.Writer) {
	return func(w io.Writer) { fmt.Fprintln(w, text) }
}

func runImport(ctx context.Context, args []string, out, errOut io.Writer) int {
	if os.Getenv("GOMEMLIMIT") == "" {
		// The importer streams (its live heap stays near 25 MiB whatever the
		// file's size); a soft limit keeps the collector from letting garbage
		// grow the process to several times that on a year of tickets.
		debug.SetMemoryLimit(64 << 20)
	}
	help := func(w io.Writer) { hotline.ImportCommand(ctx, nil, []string{"-h"}, io.Discard, w, false) }
	return withTool(ctx, "import", args, errOut, help, func(t *tool, cfg *config.Config, rest []string) int {
		return hotline.ImportCommand(ctx, t.importer(cfg), rest, out, errOut, isTerminal(errOut))
	})
}

func runHotline(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || (args[0] != "add-client" && args[0] != "set-callback" && args[0] != "feedback") {
		fmt.Fprintln(errOut, `用法：
  ecoreport hotline add-client [--callback-url 网址] 名称 新增一个推送接口客户端，密钥只显示一次；
                                                        给了回调地址则每次办理状态变化回调一次
  ecoreport hotline set-callback 名称 网址                设置（网址为 "" 时删除）客户端的回调地址
  ecoreport hotline feedback [--since-last | --from 日期 --to 日期] [--format csv|csv-gbk|xlsx] -o 文件
                                                        导出办理结果（回音）给热线
每个子命令的参数：ecoreport hotline 子命令 -h`)
		if len(args) > 0 && helpAsked(args[:1]) {
			return 0
		}
		return 2
	}
	sub := args[0]
	help := func(w io.Writer) {
		switch sub {
		case "add-client":
			hotline.ClientCommand(ctx, nil, []string{"-h"}, io.Discard, w)
			return
		case "set-callback":
			fmt.Fprintln(w, "用法：ecoreport hotline set-callback 名称 网址（网址为 \"\" 时删除回调地址）")
			return
		}
		hotline.FeedbackCommand(ctx, nil, []string{"-h"}, io.Discard, w)
	}
	return withTool(ctx, "hotline "+sub, args[1:], errOut, help, func(t *tool, cfg *config.Config, rest []string) int {
		if sub == "add-client" {
			return hotline.ClientCommand(ctx, &hotline.Clients{DB: t.DB, Keys: t.Keys}, rest, out, errOut)
		}
		if sub == "set-callback" {
			if len(rest) != 2 {
				fmt.Fprintln(errOut, "用法：ecoreport hotline set-callback 名称 网址")
				return 2
			}
			if err := (&hotline.Clients{DB: t.DB, Keys: t.Keys}).SetCallback(ctx, rest[0], rest[1]); err != nil {
				return userErr(err, errOut)
			}
			fmt.Fprintf(out, "已设置 %s 的回调地址：%s\n", rest[0], rest[1])
			return 0
		}
		return hotline.FeedbackCommand(ctx, t.feedback(), rest, out, errOut)
	})
}

func runOpen311(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		return partner.Command(ctx, nil, nil, out, errOut)
	}
	if helpAsked(args[:1]) {
		partner.Command(ctx, nil, nil, out, errOut)
		return 0
	}
	sub := args[0]
	help := func(w io.Writer) { partner.Command(ctx, nil, nil, io.Discard, w) }
	return withTool(ctx, "open311 "+sub, args[1:], errOut, help, func(t *tool, _ *config.Config, rest []string) int {
		return partner.Command(ctx, t.DB, append([]string{sub}, rest...), out, errOut)
	})
}

const rewardUsage = `用法：ecoreport reward expire [参数]
  将超过申领期限的已批准奖励标记为已过期并退回预算，并删除已超过保存期限的领奖人身份信息（供 cron 使用；serve 每小时也会自动执行）`

func runReward(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] != "expire" {
		fmt.Fprintln(errOut, rewardUsage)
		if len(args) > 0 && helpAsked(args[:1]) {
			return 0
		}
		return 2
	}
	return withTool(ctx, "reward expire", args[1:], errOut, usageText(rewardUsage), func(t *tool, _ *config.Config, rest []string) int {
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

const demoUsage = `用法：ecoreport demo [参数]
  向空数据库填入一个月的演示数据（各渠道、各状态的举报和问题、整改通知书、督查任务、约谈），
  建立各角色账号（含管理员 admin），打印各账号密码、启动服务的命令和登录地址。数据库已有数据时拒绝执行。`

func runDemo(ctx context.Context, args []string, out, errOut io.Writer) int {
	return withTool(ctx, "demo", args, errOut, usageText(demoUsage), func(t *tool, cfg *config.Config, rest []string) int {
		if len(rest) > 0 {
			fmt.Fprintf(errOut, "参数错误：未知参数 %q\n", rest[0])
			return 2
		}
		return demo.Command(ctx, demo.Deps{DB: t.DB, Ledger: t.Ledger,
			Setup: func(l *ledger.Service, now func() time.Time) { r := newReward(t.DB, t.Keys, l); r.Now = now }},
			demoNext(cfg, t.Flags), out, errOut)
	})
}

func runBulletin(ctx context.Context, args []string, out, errOut io.Writer) int {
	help := func(w io.Writer) { bulletin.Command(ctx, nil, []string{"-h"}, io.Discard, w) }
	return withTool(ctx, "bulletin", args, errOut, help, func(t *tool, cfg *config.Config, rest []string) int {
		return bulletin.CommandWith(ctx, t.DB, checkpoints(cfg, t.Keys), append([]string{"--title", cfg.County.BulletinTitle()}, rest...), out, errOut)
	})
}

const retentionUsage = `用法：ecoreport retention run [--years 3] [参数]
  删除办结已满期限的举报人联系方式（个人信息保护法第十九条），供 cron 使用；serve 每天也会自动执行`

func runRetention(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(errOut, retentionUsage)
		if len(args) > 0 && helpAsked(args[:1]) {
			return 0
		}
		return 2
	}
	help := func(w io.Writer) { office.RetentionCommand(ctx, nil, []string{"-h"}, io.Discard, w) }
	return withTool(ctx, "retention run", args[1:], errOut, help, func(t *tool, cfg *config.Config, rest []string) int {
		return office.RetentionCommand(ctx, t.Ledger, rest, out, errOut, rejectsRetention(t.importer(cfg)))
	})
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
