package hotline

// Messages operators read are in Chinese. Errors from below (the CSV and
// XLSX readers, the JSON decoder, the database driver) speak English; they
// stay in the error chain, for errors.Is and for the technical detail a log
// or the command line shows, but never in the message itself.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

// hiddenCause is an error whose message is Chinese and whose cause, in
// English, is only unwrapped.
type hiddenCause struct {
	msg   string
	cause error
}

func (e *hiddenCause) Error() string { return e.msg }
func (e *hiddenCause) Unwrap() error { return e.cause }

// inChinese returns err when its message is already Chinese, else an error
// saying msg that keeps err as its hidden cause.
func inChinese(msg string, err error) error {
	if err == nil {
		return nil
	}
	if hasHan(err.Error()) {
		return err
	}
	return &hiddenCause{msg: msg, cause: err}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TechnicalDetail is the English detail behind an import error (a driver's
// or a reader's words), for a log line or the command line; "" when there
// is none.
func TechnicalDetail(err error) string {
	var parts []string
	for e := err; e != nil; {
		if h, ok := e.(*hiddenCause); ok {
			parts = append(parts, h.cause.Error())
			e = h.cause
			continue
		}
		u, ok := e.(interface{ Unwrap() []error })
		if ok {
			for _, x := range u.Unwrap() {
				if d := TechnicalDetail(x); d != "" {
					parts = append(parts, d)
				}
			}
			break
		}
		e = errors.Unwrap(e)
	}
	if len(parts) == 0 && err != nil && errors.Is(err, ErrDatabase) {
		return strings.ReplaceAll(err.Error(), "hotline: ", "")
	}
	return strings.Join(parts, "；")
}

// operatorMessage is err as an operator reads it, without package prefixes
// and without the words of the layers below.
func operatorMessage(err error) string {
	if errors.Is(err, ErrDatabase) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return ErrDatabase.Error() + "：导入已中止"
		}
		return ErrDatabase.Error()
	}
	msg := strings.ReplaceAll(err.Error(), "hotline: ", "")
	return strings.ReplaceAll(msg, "\n", " ")
}

// jsonMessage says in Chinese what is wrong with a pushed body.
func jsonMessage(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("第 %d 个字节处不是合法的 JSON", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "应为数组，每条工单一个对象"
		}
		return fmt.Sprintf("第 %d 个字节处应为对象（每条工单一个对象）", typ.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "JSON 不完整"
	}
	return "无法解析 JSON"
}

// FailLine is the one line that tells an operator why the import of file
// path failed and what to do: the file could not be read (and why), or the
// database failed (committed batches stay; importing again is safe). It is
// all Chinese; TechnicalDetail gives what the layers below said.
func FailLine(path string, err error) string {
	msg := operatorMessage(err)
	if errors.Is(err, ErrDatabase) {
		detail := strings.TrimPrefix(strings.TrimPrefix(msg, ErrDatabase.Error()), "：")
		if detail != "" {
			detail = "（" + detail + "）"
		}
		return fmt.Sprintf("导入失败（数据库出错）：%s%s。已提交的批次保留，数据库恢复后重新导入即可，不会重复。", path, detail)
	}
	msg = strings.TrimPrefix(msg, ErrRead.Error()+"：")
	msg = strings.TrimPrefix(msg, filepath.Base(path)+"：")
	return fmt.Sprintf("导入失败（文件无法读取）：%s：%s", path, msg)
}

var badFlagValue = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([A-Za-z0-9-]+)`)

// parseFlags parses a command's flags and, when they are wrong, says so in
// Chinese (the flag package would say "flag provided but not defined") and
// shows the usage. It returns flag.ErrHelp for -h.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	usage := fs.Usage
	fs.Usage = func() {} // Parse calls it on an error: the message comes first
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(stderr) // the usage, when shown, goes where the messages go
	if err == nil || errors.Is(err, flag.ErrHelp) {
		if err != nil && usage != nil {
			usage()
		}
		return err
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined: "):
		msg = "没有这个参数：" + strings.TrimPrefix(msg, "flag provided but not defined: ")
	case strings.HasPrefix(msg, "flag needs an argument: "):
		msg = "参数缺少取值：" + strings.TrimPrefix(msg, "flag needs an argument: ")
	case badFlagValue.MatchString(msg):
		m := badFlagValue.FindStringSubmatch(msg)
		msg = fmt.Sprintf("参数取值无效：--%s 不能取“%s”", m[2], m[1])
	default:
		msg = "参数有误"
	}
	fmt.Fprintln(stderr, "错误："+msg)
	if usage != nil {
		usage()
	}
	return err
}

// printFlags lists a command's flags in Chinese: name, value and use, and
// the default when there is one.
func printFlags(fs *flag.FlagSet, w io.Writer) {
	fs.VisitAll(func(f *flag.Flag) {
		arg := " 值"
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			arg = ""
		}
		line := fmt.Sprintf("  --%s%s\n        %s", f.Name, arg, f.Usage)
		if f.DefValue != "" && f.DefValue != "false" {
			line += "（默认：" + f.DefValue + "）"
		}
		fmt.Fprintln(w, line)
	})
}
