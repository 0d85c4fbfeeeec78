package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Scheduler writes the reminders deadlines owe (提醒): a unit 3 days and 1
// day before its notice's deadline and once overdue, an inspector 3 days
// before a case they hold must be concluded, the leaders a day before an
// interview report is due and once it is overdue, and the leaders' daily
// digest of cases overdue by more than OverdueDays. Each reminder is sent
// once per deadline however often the scheduler runs and however many
// instances run it: its key goes into notify_reminders, whose primary key
// refuses a second one, in the transaction that writes its outbox rows.
type Scheduler struct {
	Outbox *Outbox
	Log    *slog.Logger
}

// Run schedules due reminders every interval until ctx ends.
func (s *Scheduler) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil && s.Log != nil {
			s.Log.Warn("outbox scheduler: " + err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce writes every reminder due now that was not written before and
// returns how many reminders it wrote.
func (s *Scheduler) RunOnce(ctx context.Context) (int, error) {
	n := 0
	for _, step := range []func(context.Context) (int, error){s.notices, s.cases, s.interviews, s.digest} {
		k, err := step(ctx)
		n += k
		if err != nil {
			return n, err
		}
	}
	// Yesterday's SMS counts are no longer needed.
	day := s.Outbox.now().In(s.Outbox.loc()).AddDate(0, 0, -2).Format("2006-01-02")
	if _, err := s.Outbox.DB.ExecContext(ctx, `DELETE FROM sms_daily WHERE day < ?`, day); err != nil {
		return n, fmt.Errorf("purge sms counts: %w", err)
	}
	return n, nil
}

var errScheduled = errors.New("already scheduled")

// schedule writes reminder key and the messages build makes, once: false
// when the key was there already (or build had nobody to tell).
func (s *Scheduler) schedule(ctx context.Context, key string, build func(tx *sqlx.Tx) ([]Message, error)) (bool, error) {
	o := s.Outbox
	err := o.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		now := o.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_reminders (reminder_key, created_at) VALUES (?, ?)`, key, now); err != nil {
			if db.IsDuplicate(err) {
				return errScheduled
			}
			return err
		}
		msgs, err := build(tx)
		if err != nil {
			return err
		}
		_, err = EnqueueTx(ctx, tx, now, msgs...)
		return err
	})
	if errors.Is(err, errScheduled) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reminder %s: %w", key, err)
	}
	return true, nil
}

type dueNotice struct {
	ID       int64     `db:"id"`
	CaseID   int64     `db:"case_id"`
	UnitID   int64     `db:"unit_id"`
	Year     int       `db:"year"`
	Number   int       `db:"number"`
	Prefix   string    `db:"prefix"`
	Deadline time.Time `db:"deadline"`
	IssuedAt time.Time `db:"issued_at"`
	Title    string    `db:"title"`
}

const dueNoticesSQL = `SELECT n.id, n.case_id, n.unit_id, n.year, n.number, n.prefix, n.deadline, n.issued_at, c.title
 FROM notices n JOIN cases c ON c.id = n.case_id
 WHERE n.status = ? AND c.status IN (?, ?) AND n.deadline > ? AND n.deadline <= ? ORDER BY n.id`

// notices: the unit's reminders before and after a notice's deadline. A
// reminder whose moment had passed when the notice was issued is not sent
// (a notice with two days to go gets no "3 days left").
func (s *Scheduler) notices(ctx context.Context) (int, error) {
	o := s.Outbox
	now := o.now()
	var ns []dueNotice
	if err := o.DB.SelectContext(ctx, &ns, dueNoticesSQL, ledger.NoticeIssued, ledger.Assigned, ledger.Reopened,
		now.Add(-30*24*time.Hour), now.Add(72*time.Hour)); err != nil {
		return 0, fmt.Errorf("due notices: %w", err)
	}
	n := 0
	for _, nt := range ns {
		var rule string
		switch d := nt.Deadline.Sub(now); {
		case d < 0:
			rule = RuleUnitOverdue
		case d <= 24*time.Hour && nt.Deadline.Sub(nt.IssuedAt) > 24*time.Hour:
			rule = RuleUnitDue1
		case d <= 72*time.Hour && d > 24*time.Hour && nt.Deadline.Sub(nt.IssuedAt) > 72*time.Hour:
			rule = RuleUnitDue3
		default:
			continue
		}
		if !o.Settings.On(rule) {
			continue
		}
		ref := ledger.NoticeRef(nt.Prefix, nt.Year, nt.Number)
		key := fmt.Sprintf("%s:notice:%d", rule, nt.ID)
		ok, err := s.schedule(ctx, key, func(tx *sqlx.Tx) ([]Message, error) {
			to, err := usersOfUnit(ctx, tx, nt.UnitID)
			if err != nil {
				return nil, err
			}
			subject := "【生态环境问题台账】" + RuleLabel(rule) + "：" + ref
			body := fmt.Sprintf("%s\n\n整改通知书：%s\n问题：%s %s\n整改期限：%s\n", RuleLabel(rule), ref, ledger.CaseRef(nt.CaseID), nt.Title,
				nt.Deadline.In(o.loc()).Format("2006年1月2日"))
			body += o.link("/office/unit") + footer
			return o.toStaff(key, rule, to, subject, body, 0, nt.CaseID), nil
		})
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

const footer = "\n（本邮件由系统自动发送，请登录工作台办理，勿直接回复。）"

func (o *Outbox) link(path string) string {
	if o.Settings.PublicURL == "" {
		return ""
	}
	return "\n查看：" + o.Settings.PublicURL + path + "\n"
}

type dueCase struct {
	ID    int64     `db:"id"`
	Title string    `db:"title"`
	DueAt time.Time `db:"due_at"`
}

const dueCasesSQL = `SELECT id, title, due_at FROM cases WHERE status IN (?, ?, ?, ?) AND due_at > ? AND due_at <= ? ORDER BY id`

// cases: the inspector holding a case, 3 days before it must be concluded.
// An extended case has a new deadline and so a new reminder.
func (s *Scheduler) cases(ctx context.Context) (int, error) {
	o := s.Outbox
	if !o.Settings.On(RuleInspectorDue) {
		return 0, nil
	}
	now := o.now()
	var cs []dueCase
	if err := o.DB.SelectContext(ctx, &cs, dueCasesSQL, ledger.Open, ledger.Verifying, ledger.Assigned, ledger.Reopened,
		now, now.Add(72*time.Hour)); err != nil {
		return 0, fmt.Errorf("due cases: %w", err)
	}
	n := 0
	for _, c := range cs {
		key := fmt.Sprintf("%s:case:%d:%d", RuleInspectorDue, c.ID, c.DueAt.Unix())
		ok, err := s.schedule(ctx, key, func(tx *sqlx.Tx) ([]Message, error) {
			to, err := holders(ctx, tx, c.ID)
			if err != nil {
				return nil, err
			}
			subject := "【生态环境问题台账】" + RuleLabel(RuleInspectorDue) + "：" + ledger.CaseRef(c.ID)
			body := fmt.Sprintf("%s\n\n问题：%s %s\n办结期限：%s\n", RuleLabel(RuleInspectorDue), ledger.CaseRef(c.ID), c.Title,
				c.DueAt.In(o.loc()).Format("2006年1月2日")) + o.link(fmt.Sprintf("/office/cases/%d", c.ID)) + footer
			return o.toStaff(key, RuleInspectorDue, to, subject, body, 0, c.ID), nil
		})
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

type dueInterview struct {
	ID     int64     `db:"id"`
	Unit   string    `db:"unit"`
	HeldOn time.Time `db:"held_on"`
	DueOn  time.Time `db:"report_due_on"`
}

const dueInterviewsSQL = `SELECT i.id, u.name AS unit, i.held_on, i.report_due_on FROM interviews i JOIN units u ON u.id = i.unit_id
 WHERE i.report_received_on IS NULL AND i.report_due_on > ? AND i.report_due_on <= ? ORDER BY i.id`

// interviews: the leaders, the day before an interview's report (约谈整改
// 报告) is due, and once it is overdue.
func (s *Scheduler) interviews(ctx context.Context) (int, error) {
	o := s.Outbox
	now := o.now()
	var ivs []dueInterview
	if err := o.DB.SelectContext(ctx, &ivs, dueInterviewsSQL, now.Add(-30*24*time.Hour), now.Add(48*time.Hour)); err != nil {
		return 0, fmt.Errorf("due interviews: %w", err)
	}
	n := 0
	for _, iv := range ivs {
		var rule string
		switch d := iv.DueOn.Sub(now); {
		case d < 0:
			rule = RuleLeaderInterviewOverdue
		case d > 24*time.Hour: // the due day is tomorrow
			rule = RuleLeaderInterviewDue
		default:
			continue
		}
		if !o.Settings.On(rule) {
			continue
		}
		key := fmt.Sprintf("%s:interview:%d", rule, iv.ID)
		ok, err := s.schedule(ctx, key, func(tx *sqlx.Tx) ([]Message, error) {
			to, err := usersWithRole(ctx, tx, "leader")
			if err != nil {
				return nil, err
			}
			subject := "【生态环境问题台账】" + RuleLabel(rule) + "：" + iv.Unit
			body := fmt.Sprintf("%s\n\n被约谈单位：%s\n约谈日期：%s\n整改报告期限：%s\n", RuleLabel(rule), iv.Unit,
				iv.HeldOn.In(o.loc()).Format("2006年1月2日"), iv.DueOn.In(o.loc()).Format("2006年1月2日")) + o.link("/office/interviews") + footer
			return o.toStaff(key, rule, to, subject, body, 0, 0), nil
		})
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

type overdueCase struct {
	ID    int64     `db:"id"`
	Title string    `db:"title"`
	DueAt time.Time `db:"due_at"`
	Unit  string    `db:"unit"`
}

const overdueCasesSQL = `SELECT c.id, c.title, c.due_at, COALESCE(u.name, '') AS unit FROM cases c LEFT JOIN units u ON u.id = c.unit_id
 WHERE c.status IN (?, ?, ?, ?) AND c.due_at < ? ORDER BY c.due_at, c.id`

// digestHour is when the leaders' daily digest goes out, local time.
const digestHour = 8

// digest: one message a day to the leaders listing the cases overdue by
// more than OverdueDays (not one message per case). Nothing on a day
// without such cases.
func (s *Scheduler) digest(ctx context.Context) (int, error) {
	o := s.Outbox
	if !o.Settings.On(RuleLeaderDigest) {
		return 0, nil
	}
	now := o.now()
	local := now.In(o.loc())
	if local.Hour() < digestHour {
		return 0, nil
	}
	days := o.Settings.OverdueDays
	var cs []overdueCase
	if err := o.DB.SelectContext(ctx, &cs, overdueCasesSQL, ledger.Open, ledger.Verifying, ledger.Assigned, ledger.Reopened,
		now.AddDate(0, 0, -days)); err != nil {
		return 0, fmt.Errorf("overdue cases: %w", err)
	}
	if len(cs) == 0 {
		return 0, nil
	}
	key := fmt.Sprintf("%s:%s", RuleLeaderDigest, local.Format("2006-01-02"))
	ok, err := s.schedule(ctx, key, func(tx *sqlx.Tx) ([]Message, error) {
		to, err := usersWithRole(ctx, tx, "leader")
		if err != nil {
			return nil, err
		}
		subject := fmt.Sprintf("【生态环境问题台账】%s：%d 个问题逾期超过 %d 天", local.Format("1月2日"), len(cs), days)
		var b strings.Builder
		fmt.Fprintf(&b, "截至 %s，以下 %d 个问题逾期超过 %d 天：\n\n", local.Format("2006年1月2日 15:04"), len(cs), days)
		for i, c := range cs {
			if i == 100 {
				fmt.Fprintf(&b, "……另有 %d 个，请登录工作台查看。\n", len(cs)-i)
				break
			}
			unit := c.Unit
			if unit == "" {
				unit = "未交办"
			}
			fmt.Fprintf(&b, "%s  逾期 %d 天  %s  %s\n", ledger.CaseRef(c.ID), int(now.Sub(c.DueAt).Hours()/24), unit, c.Title)
		}
		return o.toStaff(key, RuleLeaderDigest, to, subject, b.String()+o.link("/office/cases")+footer, 0, 0), nil
	})
	if err != nil || !ok {
		return 0, err
	}
	return 1, nil
}
