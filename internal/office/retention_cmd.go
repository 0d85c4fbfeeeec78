package office

// Retention (个人信息保护法 第十九条) for the command line and for serve. The
// work is ledger.EraseExpiredContacts; these helpers only parse and report.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"ecoreport/internal/ledger"
)

// DefaultRetentionYears is how long contact details are kept after a case
// is concluded.
const DefaultRetentionYears = 3

// RetentionPeriod is years back from now as a duration (calendar years, so
// leap days count).
func RetentionPeriod(now time.Time, years int) time.Duration {
	return now.Sub(now.AddDate(-years, 0, 0))
}

// RetentionCommand runs `ecoreport retention run [--years 3]` once on l and
// returns the exit code: 0 done, 1 failed, 2 bad usage. The caller opens
// the database and builds the ledger service.
func RetentionCommand(ctx context.Context, l *ledger.Service, args []string, out, errOut io.Writer) int {
	if len(args) > 0 && args[0] == "run" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("retention run", flag.ContinueOnError)
	fs.SetOutput(errOut)
	years := fs.Int("years", DefaultRetentionYears, "问题办结（销号、不属实办结、不予受理）满多少年后删除举报人联系方式")
	fs.Usage = func() {
		fmt.Fprintln(errOut, "用法：ecoreport retention run [--years 3]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *years < 1 {
		fmt.Fprintln(errOut, "--years 至少为 1")
		return 2
	}
	n, err := l.EraseExpiredContacts(ctx, RetentionPeriod(l.Now(), *years))
	if err != nil {
		fmt.Fprintf(errOut, "删除过期联系方式失败（已删除 %d 件）：%v\n", n, err)
		return 1
	}
	fmt.Fprintf(out, "已删除 %d 件举报的联系方式（办结满 %d 年）。\n", n, *years)
	return 0
}

// RetentionJob erases expired contacts now and then every interval until
// ctx ends (for serve's background jobs); failures are reported through
// warn and retried at the next tick.
func RetentionJob(ctx context.Context, l *ledger.Service, every time.Duration, years int, warn func(string, ...any)) {
	if years < 1 {
		years = DefaultRetentionYears
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := l.EraseExpiredContacts(ctx, RetentionPeriod(l.Now(), years)); err != nil && ctx.Err() == nil {
			warn("retention: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
