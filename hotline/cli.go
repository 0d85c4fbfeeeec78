package hotline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"ecoreport/internal/apperr"
)

// Exit codes of the commands.
const (
	ExitOK    = 0 // done (rejected rows included)
	ExitFail  = 1 // a file could not be read or the database failed
	ExitUsage = 2 // bad usage
)

// importJSON is the --json object printed per file.
type importJSON struct {
	File      string `json:"file"`
	SHA256    string `json:"sha256"`
	Imported  int    `json:"imported"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Stale     int    `json:"stale"`
	Rejected  int    `json:"rejected"`
	Warnings  int    `json:"warnings"`
	// Previous is the batch of the earlier import of the same file, 0
	// when none; SeenBefore says so in Chinese.
	Previous   int64            `json:"previous_batch,omitempty"`
	SeenBefore string           `json:"seen_before,omitempty"`
	Rejects    []importJSONRow  `json:"rejects"`
	StaleRows  []importJSONRow  `json:"stale_rows,omitempty"`
	New        []importJSONCode `json:"imported_tickets,omitempty"`
	Error      string           `json:"error,omitempty"`
}

type importJSONRow struct {
	Row      int    `json:"row"`
	TicketNo string `json:"ticket_no,omitempty"`
	Column   string `json:"column,omitempty"`
	Reason   string `json:"reason"`
}

type importJSONCode struct {
	TicketNo     string `json:"ticket_no"`
	TrackingCode string `json:"tracking_code"`
}

// ImportCommand runs `ecoreport import [--json] [--operator NAME] FILE...`:
// each file in turn, a progress bar on a terminal (plain lines otherwise),
// then a summary table; with --json one JSON object per file on stdout.
// It returns 0 when every file was read (rejected rows included), 1 when a
// file could not be read or the database failed (one line says which), 2 for
// bad usage.
func ImportCommand(ctx context.Context, im *Importer, args []string, stdout, stderr io.Writer, isTerminal bool) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "每个文件输出一行 JSON 结果（便于脚本处理）")
	operator := fs.String("operator", defaultOperator(), "操作员姓名，记入导入记录")
	index := fs.String("index", "later", "新导入工单的查找索引：later 由服务在后台补录（导入更快），now 导入完成后立即编入")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "用法：ecoreport import [--json] [--operator 姓名] [--index later|now] 文件...")
		fmt.Fprintln(stderr, "导入 12369 热线工单导出文件（CSV、TSV 或 XLSX）。")
		printFlags(fs, stderr)
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "错误：请给出至少一个要导入的文件")
		fs.Usage()
		return ExitUsage
	}
	if strings.TrimSpace(*operator) == "" {
		fmt.Fprintln(stderr, "错误：--operator 不能为空")
		return ExitUsage
	}
	if *index != "later" && *index != "now" {
		fmt.Fprintln(stderr, "错误：--index 只能是 later 或 now")
		return ExitUsage
	}
	im.IndexLater = *index == "later"
	code := ExitOK
	var receipts []*Receipt
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, path := range files {
		rc, err := importOne(ctx, im, path, *operator, stderr, isTerminal && !*asJSON, !*asJSON)
		if err != nil {
			code = ExitFail
			line := FailLine(path, err)
			if d := TechnicalDetail(err); d != "" {
				line += "（技术细节：" + d + "）"
			}
			fmt.Fprintln(stderr, line)
		}
		if *asJSON {
			enc.Encode(jsonOf(path, rc, err, im.location()))
			continue
		}
		if rc != nil && err == nil {
			receipts = append(receipts, rc)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if !*asJSON && len(receipts) > 0 {
		printSummary(stdout, receipts, im.location())
	}
	if im.IndexLater {
		if n, err := im.Ledger.Backlog(ctx); err == nil && n > 0 {
			fmt.Fprintf(stderr, "查找索引：%d 件举报件待编入，服务运行时在后台补录（也可运行 ecoreport search catch-up）。\n", n)
		}
	}
	return code
}

func defaultOperator() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "cli"
}

func jsonOf(path string, rc *Receipt, err error, loc *time.Location) importJSON {
	out := importJSON{File: path, Rejects: []importJSONRow{}}
	if rc != nil {
		out.SHA256, out.Imported, out.Updated, out.Unchanged, out.Stale, out.Rejected, out.Warnings =
			rc.SHA256, rc.Imported, rc.Updated, rc.Unchanged, rc.Stale, rc.Rejected, rc.Warnings
		if rc.Previous != nil {
			out.Previous, out.SeenBefore = rc.Previous.ID, rc.SeenBefore(loc)
		}
		for _, r := range rc.Rejects {
			out.Rejects = append(out.Rejects, importJSONRow{Row: r.Row, TicketNo: r.TicketNo, Column: r.Column, Reason: r.Reason})
		}
		for _, r := range rc.Rows {
			switch r.Outcome {
			case OutcomeImported:
				out.New = append(out.New, importJSONCode{TicketNo: r.TicketNo, TrackingCode: r.TrackingCode})
			case OutcomeStale:
				out.StaleRows = append(out.StaleRows, importJSONRow{Row: r.Row, TicketNo: r.TicketNo, Reason: r.Note})
			}
		}
	}
	if err != nil {
		out.Error = FailLine(path, err)
	}
	return out
}

// countingReader counts the bytes read, for the progress bar.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// importOne imports one file. When tell is set and the file was imported
// before (its SHA-256 is on record), it says so on stderr before it reads a
// row.
func importOne(ctx context.Context, im *Importer, path, operator string, stderr io.Writer, bar, tell bool) (*Receipt, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w：%w", ErrRead, err)
	}
	defer f.Close()
	if tell {
		h := sha256.New()
		if _, err := io.Copy(h, f); err == nil {
			if b, err := im.SeenFile(ctx, hex.EncodeToString(h.Sum(nil))); err == nil {
				fmt.Fprintf(stderr, "%s：%s\n", filepath.Base(path), b.seenLine(im.location()))
			}
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("%w：%w", ErrRead, err)
		}
	}
	var size int64 = -1
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	cr := &countingReader{r: f}
	start := time.Now()
	name := filepath.Base(path)
	var progress func(int)
	var pb *progressbar.ProgressBar
	if bar {
		pb = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		progress = func(rows int) {
			rate := float64(rows) / time.Since(start).Seconds()
			pb.Describe(fmt.Sprintf("%s：%d 行（%.0f 行/秒）", name, rows, rate))
			_ = pb.Set64(cr.n)
		}
	} else {
		last := time.Time{}
		progress = func(rows int) {
			if time.Since(last) < 2*time.Second {
				return
			}
			last = time.Now()
			rate := float64(rows) / time.Since(start).Seconds()
			line := fmt.Sprintf("%s：已处理 %d 行，%.0f 行/秒", name, rows, rate)
			if size > 0 && cr.n > 0 {
				done := float64(cr.n) / float64(size)
				eta := time.Duration(float64(time.Since(start)) * (1 - done) / done).Round(time.Second)
				line += fmt.Sprintf("，约 %.0f%%，预计还需 %s", done*100, eta)
			}
			fmt.Fprintln(stderr, line)
		}
	}
	rc, err := im.Import(ctx, cr, name, operator, progress)
	if pb != nil {
		_ = pb.Finish()
	}
	if rc != nil {
		rc.File = path
	}
	if err == nil && !bar {
		fmt.Fprintf(stderr, "%s：完成，%d 行，用时 %s\n", name, rc.Total(), time.Since(start).Round(time.Millisecond))
	}
	return rc, err
}

// maxStaleListed bounds the stale rows the summary lists per file.
const maxStaleListed = 50

func printSummary(w io.Writer, rcs []*Receipt, loc *time.Location) {
	for _, rc := range rcs {
		if line := rc.SeenBefore(loc); line != "" {
			fmt.Fprintf(w, "%s：%s\n", rc.File, line)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "文件\t新导入\t已更新\t无变化\t比台账旧\t拒收\t警告\tSHA-256\t批次")
	for _, rc := range rcs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s…\t%d\n", rc.File, rc.Imported, rc.Updated, rc.Unchanged, rc.Stale, rc.Rejected,
			rc.Warnings, rc.SHA256[:min(12, len(rc.SHA256))], rc.BatchID)
	}
	tw.Flush()
	for _, rc := range rcs {
		if rc.Stale == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s 中比台账旧的行（较早导出的版本，台账保留较新的版本，未作改动）：\n", rc.File)
		n := 0
		for _, r := range rc.Rows {
			if r.Outcome != OutcomeStale {
				continue
			}
			if n++; n > maxStaleListed {
				fmt.Fprintf(w, "  ……共 %d 行，完整列表见 --json 输出\n", rc.Stale)
				break
			}
			fmt.Fprintf(w, "  第 %d 行  %s  %s\n", r.Row, r.TicketNo, r.Note)
		}
	}
	for _, rc := range rcs {
		if len(rc.Rejects) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s 的拒收行（已放入待修正列表，可在后台修正后导入）：\n", rc.File)
		for _, r := range rc.Rejects {
			fmt.Fprintf(w, "  第 %d 行  %s\n", r.Row, r.Reason)
		}
	}
	for _, rc := range rcs {
		var n int
		for _, r := range rc.Rows {
			if r.Outcome == OutcomeImported {
				n++
			}
		}
		if n == 0 || n > 50 {
			continue // many new tickets: their codes are in --json output
		}
		fmt.Fprintf(w, "\n%s 新导入工单的查询码（请告知来电人）：\n", rc.File)
		for _, r := range rc.Rows {
			if r.Outcome == OutcomeImported {
				fmt.Fprintf(w, "  %s  %s\n", r.TicketNo, r.TrackingCode)
			}
		}
	}
}

// ClientCommand runs `ecoreport hotline add-client NAME`: it creates a
// hotline system allowed to push and prints its secret once.
func ClientCommand(ctx context.Context, cl *Clients, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("add-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	callback := fs.String("callback-url", "", "办理状态变化时回调此地址（签名同推送接口）；不给则只能拉取或导出回音")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "用法：ecoreport hotline add-client [--callback-url 网址] 名称")
		fmt.Fprintln(stderr, "登记一个可以推送工单的热线系统，并显示其签名密钥（只显示这一次）。")
		printFlags(fs, stderr)
	}
	parse := func(a []string) (int, bool) {
		if err := parseFlags(fs, a, stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return ExitOK, false
			}
			return ExitUsage, false
		}
		return 0, true
	}
	if code, ok := parse(args); !ok {
		return code
	}
	rest := fs.Args()
	if len(rest) > 1 { // flags after the name
		first := rest[0]
		if code, ok := parse(rest[1:]); !ok {
			return code
		}
		rest = append([]string{first}, fs.Args()...)
	}
	if len(rest) != 1 {
		fs.Usage()
		return ExitUsage
	}
	name := rest[0]
	if m := CheckCallbackURL(*callback); m != "" {
		fmt.Fprintln(stderr, "错误 --callback-url："+m)
		return ExitUsage
	}
	sec, err := cl.Add(ctx, name)
	if err == nil && *callback != "" {
		err = cl.SetCallback(ctx, name, *callback)
	}
	switch {
	case apperr.Is(err, apperr.EINVALID), apperr.Is(err, apperr.ECONFLICT):
		fmt.Fprintln(stderr, "错误："+apperr.Message(err))
		return ExitUsage
	case err != nil:
		fmt.Fprintf(stderr, "失败（数据库出错，技术细节：%s）\n", strings.ReplaceAll(err.Error(), "hotline: ", ""))
		return ExitFail
	}
	fmt.Fprintf(stdout, "已登记推送客户端：%s\n密钥（只显示这一次，请妥善交给对方系统）：\n%s\n", name, sec)
	fmt.Fprintf(stdout, "请求头：%s: %s，%s: Unix 秒，%s: 每次请求新生成的随机串（16 至 64 位），%s: hex(HMAC-SHA256(密钥, 签名串))\n",
		HeaderClient, name, HeaderTimestamp, HeaderNonce, HeaderSignature)
	fmt.Fprintf(stdout, "签名串（以换行连接）：%s、请求方法、请求路径、时间戳、随机串、请求体的 SHA-256（十六进制）\n", SignatureV2)
	if *callback != "" {
		fmt.Fprintf(stdout, "回调地址：%s（每次办理状态变化回调一次，签名方式相同，X-Delivery-Id 相同者为同一条，只处理一次）\n", *callback)
	}
	return ExitOK
}

// FeedbackCommand runs `ecoreport hotline feedback [--since-last | --from D
// --to D] [--format csv|csv-gbk|xlsx] -o FILE`. Dates are YYYY-MM-DD in the
// ledger's time zone; --to is inclusive.
func FeedbackCommand(ctx context.Context, fb *Feedback, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.Bool("since-last", false, "只导出上次（--since-last）导出以来办理情况有变化的工单")
	from := fs.String("from", "", "开始日期 YYYY-MM-DD（含）")
	to := fs.String("to", "", "结束日期 YYYY-MM-DD（含）")
	format := fs.String("format", FormatCSV, "格式：csv（UTF-8 带 BOM）、csv-gbk 或 xlsx")
	out := fs.String("o", "", "输出文件")
	operator := fs.String("operator", defaultOperator(), "操作员姓名")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "用法：ecoreport hotline feedback [--since-last | --from 日期 --to 日期] [--format csv|csv-gbk|xlsx] -o 文件")
		fmt.Fprintln(stderr, "导出热线工单的办理结果（回音），列：", strings.Join(FeedbackColumns, "、"))
		printFlags(fs, stderr)
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "错误："+msg)
		fs.Usage()
		return ExitUsage
	}
	if fs.NArg() != 0 {
		return usage("多余的参数：" + strings.Join(fs.Args(), " "))
	}
	if *out == "" {
		return usage("请用 -o 指定输出文件")
	}
	q := FeedbackQuery{SinceLast: *since, Format: *format}
	switch *format {
	case FormatCSV, FormatCSVGBK, FormatXLSX:
	default:
		return usage("--format 只能是 csv、csv-gbk 或 xlsx")
	}
	loc := fb.Ledger.Location
	if *since {
		if *from != "" || *to != "" {
			return usage("--since-last 不能与 --from/--to 同时使用")
		}
	} else {
		if *from == "" || *to == "" {
			return usage("请给出 --since-last，或同时给出 --from 和 --to")
		}
		f, err1 := time.ParseInLocation("2006-01-02", *from, loc)
		t, err2 := time.ParseInLocation("2006-01-02", *to, loc)
		if err1 != nil || err2 != nil {
			return usage("日期格式应为 YYYY-MM-DD")
		}
		q.From, q.To = f, t.AddDate(0, 0, 1)
		if !q.From.Before(q.To) {
			return usage("--to 不能早于 --from")
		}
	}
	tmp := *out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		fmt.Fprintf(stderr, "失败（无法写文件 %s，技术细节：%v）\n", tmp, err)
		return ExitFail
	}
	n, err := fb.Export(ctx, f, q, *operator)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, *out)
	}
	if err != nil {
		os.Remove(tmp)
		switch {
		case apperr.Code(err) == apperr.EINVALID || apperr.Code(err) == apperr.ENOTFOUND:
			fmt.Fprintln(stderr, "失败："+apperr.Message(err))
		default:
			fmt.Fprintf(stderr, "失败（数据库出错或无法写文件，技术细节：%s），未生成文件\n", strings.ReplaceAll(err.Error(), "hotline: ", ""))
		}
		return ExitFail
	}
	fmt.Fprintf(stdout, "已导出 %d 条工单的办理结果到 %s\n", n, *out)
	return ExitOK
}
