package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"ecoreport/internal/audit"
	"ecoreport/internal/auth"
	"ecoreport/internal/config"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

func runMigrate(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg := config.Default()
	var sub string
	if len(args) > 0 && (args[0] == "up" || args[0] == "status") {
		sub, args = args[0], args[1:]
	}
	fs, code := flags("migrate up|status [参数]", "up：执行全部未完成的数据库迁移；status：列出迁移及其状态。", args, &cfg, config.WithDB, errOut, nil)
	if code >= 0 {
		return code
	}
	if sub == "" && fs.NArg() == 1 {
		sub = fs.Arg(0)
	}
	if sub != "up" && sub != "status" {
		fmt.Fprintln(errOut, "用法：ecoreport migrate up|status [--db ...]")
		return 2
	}
	d, err := openDB(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	defer d.Close()
	if sub == "up" {
		n, err := d.Migrate(ctx)
		if err != nil {
			fmt.Fprintln(errOut, oneLine(err))
			return 1
		}
		fmt.Fprintf(out, "已执行 %d 个迁移，数据库结构为最新。\n", n)
		if k, err := ledger.NewService(d, nil).IndexIfEmpty(ctx); err != nil {
			fmt.Fprintln(errOut, "建立查找索引失败："+oneLine(err))
			return 1
		} else if k > 0 {
			fmt.Fprintf(out, "已为 %d 件现有的举报件和问题建立查找索引。\n", k)
		}
		return 0
	}
	st, err := d.Migrations(ctx)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "版本\t文件\t状态")
	for _, s := range st {
		state := "未执行 pending"
		if s.Applied {
			state = "已执行 applied"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, s.Name, state)
	}
	tw.Flush()
	return 0
}

func runUser(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || (args[0] != "add" && args[0] != "passwd" && args[0] != "disable") {
		fmt.Fprintln(errOut, `用法：
  ecoreport user add --name 用户名 --role 角色 [--display-name 姓名] [--unit 单位名称] [--password 密码]
  ecoreport user passwd --name 用户名 [--password 密码]
  ecoreport user disable --name 用户名
角色 (roles): admin operator inspector unit reward_officer reward_approver finance leader`)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	sub := args[0]
	cfg := config.Default()
	var name, display, role, unit, password string
	_, code := flags("user "+sub+" [参数]", "管理工作人员账号。不给 --password 时生成随机密码并只显示一次。", args[1:], &cfg, config.WithDB, errOut, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "用户名（登录名）(username)")
		if sub != "disable" {
			fs.StringVar(&password, "password", "", "密码；不给则生成 (password; generated when empty)")
		}
		if sub == "add" {
			fs.StringVar(&role, "role", "", "角色 (role): admin operator inspector unit reward_officer reward_approver finance leader")
			fs.StringVar(&unit, "unit", "", "所属单位名称，责任单位账号必填，如 城关镇 (unit name, for role unit)")
			fs.StringVar(&display, "display-name", "", "姓名，显示在办理过程中，如 王建国 (the name timelines show; the role's name when empty)")
		}
	})
	if code >= 0 {
		return code
	}
	if name == "" {
		fmt.Fprintln(errOut, "参数错误 --name：请给出用户名")
		return 2
	}
	d, err := openDB(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	defer d.Close()
	if err := ensureSchema(ctx, d, d.Embedded(), newLogger(&cfg, io.Discard)); err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	users := auth.NewStore(d)
	by := "cli:" + currentUser()
	switch sub {
	case "add":
		var unitID int64
		if unit != "" {
			us, err := ledger.NewService(d, nil).Units(ctx)
			if err != nil {
				fmt.Fprintln(errOut, oneLine(err))
				return 1
			}
			for _, u := range us {
				if u.Name == unit || (u.ShortName != "" && u.ShortName == unit) {
					unitID = u.ID
				}
			}
			if unitID == 0 {
				fmt.Fprintf(errOut, "参数错误 --unit：没有名为 %q 的单位\n", unit)
				return 2
			}
		}
		pw, err := users.Create(ctx, auth.NewUser{Username: name, DisplayName: display, Role: auth.Role(role), UnitID: unitID, Password: password}, by)
		if err != nil {
			return userErr(err, errOut)
		}
		fmt.Fprintf(out, "已创建用户 %s（%s）\n", name, auth.Role(role).Label())
		if password == "" {
			fmt.Fprintf(out, "密码：%s （只显示这一次）\n", pw)
		}
	case "passwd":
		pw, err := users.SetPassword(ctx, name, password, by)
		if err != nil {
			return userErr(err, errOut)
		}
		fmt.Fprintf(out, "已重设用户 %s 的密码\n", name)
		if password == "" {
			fmt.Fprintf(out, "新密码：%s （只显示这一次）\n", pw)
		}
	case "disable":
		if err := users.Disable(ctx, name, by); err != nil {
			return userErr(err, errOut)
		}
		fmt.Fprintf(out, "已停用用户 %s\n", name)
	}
	return 0
}

func userErr(err error, errOut io.Writer) int {
	if f := apperrFields(err); len(f) > 0 {
		for k, v := range f {
			fmt.Fprintf(errOut, "参数错误 --%s：%s\n", k, v)
		}
		return 2
	}
	fmt.Fprintln(errOut, oneLine(err))
	return 1
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

func runAudit(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(errOut, "用法：ecoreport audit verify [--db ...] [--key-file ...]   校验审计日志哈希链及签名检查点，指出第一条被改动的记录")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	cfg := config.Default()
	if _, code := flags("audit verify [参数]", "对照签名检查点校验审计日志哈希链，再封存尚未入链的记录并再次校验；链完整时写入新的检查点。", args[1:], &cfg, config.WithDB|config.WithKeys, errOut, nil); code >= 0 {
		return code
	}
	d, err := openDB(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	defer d.Close()
	var cpf *audit.CheckpointFile
	if keys, err := secret.Load(cfg.KeyFile); err == nil {
		cpf = checkpoints(&cfg, keys)
	} else {
		fmt.Fprintln(errOut, "注意：没有数据密钥（"+cfg.KeyFile+"），只校验哈希链，不对照签名检查点")
	}
	var cps []audit.Checkpoint
	if cpf != nil {
		if cps, err = cpf.Read(); err != nil {
			fmt.Fprintln(errOut, "审计检查点文件无法验证："+oneLine(err))
			return 1
		}
	}
	// First the chain as it is: an entry taken out of it must show as a
	// break before the sealing below could chain it again.
	r, err := audit.VerifyAgainst(ctx, d, cps)
	if err == nil && r.BrokenAt == 0 {
		if err = audit.SealAll(ctx, d); err != nil {
			fmt.Fprintln(errOut, "封存审计记录失败："+oneLine(err))
			return 1
		}
		r, err = audit.VerifyAgainst(ctx, d, cps)
	}
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	fmt.Fprintln(out, r.String())
	if r.BrokenAt != 0 {
		return 1
	}
	if cpf != nil && r.Sealed > 0 {
		c, err := (&audit.Checkpointer{DB: d, File: cpf}).Write(ctx)
		if err != nil {
			fmt.Fprintln(errOut, "写入审计检查点失败："+oneLine(err))
			return 1
		}
		fmt.Fprintf(out, "已写入签名检查点：%d 条，末条哈希 %s（%s）\n", c.Length, c.Head, cpf.Path)
	}
	return 0
}

func runSearch(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || (args[0] != "reindex" && args[0] != "catch-up") {
		fmt.Fprintln(errOut, `用法：ecoreport search reindex [--db ...]   按现有的举报件和问题重建查找索引
      ecoreport search catch-up [--db ...]  补录导入后待编入查找索引的举报件`)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	cfg := config.Default()
	usage, about := "search reindex [参数]", "按现有的举报件和问题重建查找索引（用于不经本程序写入的数据，如压测生成的台账）。"
	if args[0] == "catch-up" {
		usage, about = "search catch-up [参数]", "把导入后待编入查找索引的举报件编入索引（服务运行时在后台自动进行）。"
	}
	if _, code := flags(usage, about, args[1:], &cfg, config.WithDB, errOut, nil); code >= 0 {
		return code
	}
	d, err := openDB(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	defer d.Close()
	if err := ensureSchema(ctx, d, d.Embedded(), newLogger(&cfg, io.Discard)); err != nil {
		fmt.Fprintln(errOut, oneLine(err))
		return 1
	}
	if args[0] == "catch-up" {
		n, err := ledger.NewService(d, nil).CatchUp(ctx)
		if err != nil {
			fmt.Fprintln(errOut, "补录查找索引失败："+oneLine(err))
			return 1
		}
		fmt.Fprintf(out, "已补录查找索引：%d 件举报件。\n", n)
		return 0
	}
	n, err := ledger.NewService(d, nil).Reindex(ctx)
	if err != nil {
		fmt.Fprintln(errOut, "重建查找索引失败："+oneLine(err))
		return 1
	}
	fmt.Fprintf(out, "已重建查找索引：%d 件举报件和问题。\n", n)
	return 0
}
