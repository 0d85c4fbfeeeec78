// Command ecoreport is the one binary of the complaint portal and 12369
// hotline bridge: serve and the commands that run beside it (migrate, user,
// import, backup, restore, …).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string, out, errOut io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "启动服务（居民门户、后台、接口）  run the HTTP service", runServe},
		{"migrate", "数据库迁移：migrate up | migrate status", runMigrate},
		{"user", "工作人员账号：user add | user passwd | user disable", runUser},
		{"import", "导入12369热线工单文件（CSV/TSV/XLSX）  import hotline ticket files", runImport},
		{"hotline", "热线对接：hotline add-client | hotline feedback", runHotline},
		{"open311", "Open311 接口密钥：open311 add-key 名称 | list-keys | revoke-key 名称", runOpen311},
		{"reward", "举报奖励：reward expire 处理过期奖励和到期身份信息（cron）", runReward},
		{"bulletin", "月度通报：bulletin --month 2026-11 -o 文件.xlsx（cron）", runBulletin},
		{"retention", "个人信息保存期限：retention run 删除到期的联系方式（cron）", runRetention},
		{"demo", "向空数据库填入一个月的演示数据并打印各角色账号", runDemo},
		{"audit", "审计日志：audit verify 校验哈希链", runAudit},
		{"search", "查找索引：search reindex 重建索引", runSearch},
		{"backup", "在线备份数据库（SQLite）、数据密钥和上传文件到一个文件：backup -o 文件.tar.gz", runBackup},
		{"restore", "从备份恢复到空的数据目录：restore 文件.tar.gz", runRestore},
		{"uploads", "上传文件存储：uploads migrate --from dir --to db|s3 | uploads sweep", runUploads},
		{"outbox", "消息发件箱：outbox list | show | retry | purge | address", runOutbox},
		{"version", "显示版本", runVersion},
		{"help", "显示帮助", nil},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the exit code: 0 success, 1
// failure, 2 bad usage.
func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, out, errOut)
		}
		usage(out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] && c.run != nil {
			return c.run(ctx, args[1:], out, errOut)
		}
	}
	fmt.Fprintf(errOut, "未知命令 %q。运行 ecoreport help 查看可用命令。\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `ecoreport — 生态环境问题举报平台与12369热线对接 (ecological complaint portal and 12369 hotline bridge)

用法 (usage): ecoreport 命令 [参数]

命令 (commands):`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, `
每个命令的参数：ecoreport 命令 -h。每个参数也可用环境变量 ECOREPORT_<参数名> 设置
（如 ECOREPORT_DB），密码类也可用 ECOREPORT_<参数名>_FILE 指向一个文件。
Every flag can also be set as ECOREPORT_<NAME>, secrets as ECOREPORT_<NAME>_FILE.`)
}

func runVersion(_ context.Context, _ []string, out, _ io.Writer) int {
	fmt.Fprintln(out, "ecoreport", version)
	return 0
}
