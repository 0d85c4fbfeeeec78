package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"ecoreport/internal/inspection"
	"ecoreport/internal/ledger"
)

// story is one complaint and what the task force did with it.
type story struct {
	f        *filler
	in       ledger.NewComplaint
	by       ledger.Actor
	p        problem
	town     ledger.Unit
	received time.Time

	complaintID, caseID, noticeID int64
	acceptAt                      time.Time // when its acceptance is scheduled
}

var channelCycle = []ledger.Channel{ledger.ChannelWeb, ledger.ChannelHotline, ledger.ChannelWeb, ledger.ChannelHotline, ledger.ChannelAPI,
	ledger.ChannelVisit, ledger.ChannelHotline, ledger.ChannelWeb, ledger.ChannelLetter, ledger.ChannelSecretary}

func (f *filler) nextChannel() ledger.Channel {
	f.seq++
	return channelCycle[f.seq%len(channelCycle)]
}

func (f *filler) phone() string {
	return fmt.Sprintf("1%d%d%08d", 3+f.r.IntN(6), f.r.IntN(10), f.r.IntN(100000000))
}

func (f *filler) town(id int64) ledger.Unit {
	for _, t := range f.towns {
		if t.ID == id {
			return t
		}
	}
	return f.towns[f.r.IntN(len(f.towns))]
}

// complaint schedules the filing of a complaint about problem pi in town
// (0: any) received daysAgo days ago through ch.
func (f *filler) complaint(ch ledger.Channel, pi int, townID int64, daysAgo int) *story {
	p := problems[pi%len(problems)]
	t := f.town(townID)
	short := t.ShortName
	if short == "" {
		short = t.Name
	}
	s := &story{f: f, p: p, town: t}
	s.received = f.anyHour(daysAgo)
	in := ledger.NewComplaint{Channel: ch, Categories: p.cats, CategoryText: p.catText, TownID: t.ID, TownText: t.Name,
		Address: fmt.Sprintf(p.place, t.Name), Subject: fmt.Sprintf(p.subject, short), Description: p.desc,
		OccurredText: "近期", Identity: ledger.Confidential}
	contact := &ledger.Contact{Name: surnames[f.r.IntN(len(surnames))] + "先生", Phone: f.phone()}
	if f.r.IntN(2) == 0 {
		contact.Name = strings.Replace(contact.Name, "先生", "女士", 1)
	}
	switch ch {
	case ledger.ChannelWeb:
		s.by = ledger.Resident
		in.WantsReward = f.r.IntN(3) == 0
		if f.r.IntN(3) == 0 {
			in.Identity = ledger.Anonymous
		}
	case ledger.ChannelAPI:
		s.by = ledger.Actor{Name: "open311:石泉环保微信小程序"}
		if f.r.IntN(2) == 0 {
			in.Identity = ledger.Anonymous
		}
	case ledger.ChannelHotline:
		s.by = ledger.Actor{Name: "hotline:12369"}
		f.tickets++
		in.SourceRef = fmt.Sprintf("SN12369%s%04d", s.received.In(f.loc).Format("20060102"), 100+f.tickets)
		due := s.received.Add(10 * 24 * time.Hour)
		in.ReplyDueAt = &due
		in.Description = "来电人反映：" + p.desc
		in.LookupPhone = contact.Phone
	case ledger.ChannelVisit, ledger.ChannelLetter, ledger.ChannelSecretary:
		s.by = f.staff["zhaomin"]
		if ch == ledger.ChannelSecretary {
			in.Description = t.Name + "党委书记民情账记录：" + p.desc
		}
		if ch == ledger.ChannelLetter {
			// A letter is registered the working day after it arrived.
			in.ReceivedAt = s.received
			s.received = s.received.Add(18 * time.Hour)
		}
	}
	if in.Identity == ledger.Confidential {
		in.Contact = contact
	}
	s.in = in
	f.at(s.received, "file "+string(ch), func(ctx context.Context) error {
		filed, err := f.l.File(ctx, s.in, s.by)
		s.complaintID = filed.Complaint.ID
		return err
	})
	return s
}

// fixed returns working-hour times the given numbers of days after the
// complaint came in.
func (s *story) fixed(days ...int) []time.Time {
	r := s.received.In(s.f.loc)
	out := make([]time.Time, len(days))
	prev := s.received
	for i, d := range days {
		t := time.Date(r.Year(), r.Month(), r.Day()+d, 9, 0, 0, 0, s.f.loc).Add(time.Duration(s.f.r.IntN(7*60)) * time.Minute)
		if !t.After(prev) {
			t = prev.Add(30 * time.Minute)
		}
		out[i], prev = t, t
	}
	return out
}

// plan returns n working-hour times after the complaint came in.
func (s *story) plan(n int) []time.Time { return s.f.steps(s.received, n) }

func (s *story) accept(t time.Time) {
	s.acceptAt = t
	s.f.at(t, "accept", func(ctx context.Context) error {
		var err error
		s.caseID, err = s.f.l.Accept(ctx, s.complaintID, 0, s.f.inspector(), ledger.EventInput{})
		return err
	})
}

func (s *story) refuse(t time.Time, reason ledger.RefuseReason, note string) {
	s.f.at(t, "refuse", func(ctx context.Context) error {
		return s.f.l.Refuse(ctx, s.complaintID, reason, s.f.inspector(), ledger.EventInput{PublicNote: note})
	})
}

func (s *story) startVerification(t time.Time) {
	s.f.at(t, "start verification", func(ctx context.Context) error {
		return s.f.l.StartVerification(ctx, s.caseID, s.f.inspector(), ledger.EventInput{InternalNote: "安排督查组现场核查（四不两直）。"})
	})
}

func (s *story) verify(t time.Time, v ledger.Verification) {
	reply := map[ledger.Verification]string{
		ledger.Substantiated: "经现场核查，反映的问题属实，已责令责任单位限期整改。",
		ledger.Partly:        "经现场核查，反映的问题部分属实，已要求责任单位对存在的问题限期整改。",
		ledger.Unsubstantiated: "经现场核查，未发现反映的问题，企业各项污染防治设施运行正常。" +
			"我们将加强日常巡查，如再发现问题欢迎继续反映。",
	}[v]
	s.f.at(t, "verify", func(ctx context.Context) error {
		return s.f.l.RecordVerification(ctx, s.caseID, v, reply, s.f.inspector(),
			ledger.EventInput{InternalNote: "现场核查：" + s.p.desc})
	})
}

func (s *story) notice(t time.Time, unitID int64, days int) {
	s.f.at(t, "issue notice", func(ctx context.Context) error {
		n, err := s.f.l.IssueNotice(ctx, ledger.NewNotice{CaseID: s.caseID, UnitID: unitID, Deadline: s.f.clk.t.Add(time.Duration(days) * 24 * time.Hour),
			Requirements: "针对“" + s.in.Subject + "”" + s.p.catText + "问题：\n一、立即采取有效措施，停止污染环境的行为；\n" +
				"二、查明原因，明确整改责任人和整改措施；\n三、在整改期限内完成整改，并将整改情况及整改前后照片报县生态环境督查巡查工作专班。"}, s.f.inspector())
		if n != nil {
			s.noticeID = n.ID
		}
		return err
	})
}

// report is the unit user's answer to the notice (unit: its username).
func (s *story) report(t time.Time, unit string, unitID int64) {
	s.f.at(t, "report rectification", func(ctx context.Context) error {
		return s.f.l.ReportRectification(ctx, s.noticeID, unitID, "已按通知书要求完成整改："+s.p.catText+
			"问题已整治到位，建立了日常巡查台账，整改前后照片已存档备查。", s.f.staff[unit])
	})
}

func (s *story) close(t time.Time) {
	s.f.at(t, "close", func(ctx context.Context) error {
		return s.f.l.Close(ctx, s.caseID, "经现场验收，"+s.in.Subject+"的"+s.p.catText+"问题已整改到位，予以销号。感谢您对生态环境保护工作的支持。",
			s.f.inspector(), ledger.EventInput{})
	})
}

func (s *story) reopen(t time.Time, reason string) {
	s.f.at(t, "reopen", func(ctx context.Context) error {
		return s.f.l.Reopen(ctx, s.caseID, reason, s.f.inspector(), ledger.EventInput{})
	})
}

// noticeUnit is who a notice for s goes to: the town, or the department in
// charge of the kind of problem.
func (s *story) noticeUnit() int64 {
	switch s.p.catText {
	case "施工噪声", "建筑垃圾":
		return 23 // 住建局
	case "餐饮油烟", "垃圾清运":
		return 28 // 城市管理执法局
	case "越界开采":
		return 22 // 自然资源局
	}
	return s.town.ID
}

// script writes the month: which complaints come in, through which channel,
// and how far each gets.
func (f *filler) script() {
	pi := 0
	next := func() int { pi += 7; return pi } // walk the problems in a scattered order
	pick := func(lo, hi int) int { return lo + f.r.IntN(hi-lo+1) }

	// Waiting in the inbox: some new, three past the 15-day decision limit.
	for _, d := range []int{0, 0, 1, 1, 2, 3, 5, 17, 21, 26} {
		f.complaint(f.nextChannel(), next(), 0, d)
	}
	// Refused, one story per refusal text.
	for _, rf := range refusals {
		s := f.complaint(f.nextChannel(), 0, 0, pick(3, 28))
		s.in.Categories, s.in.CategoryText, s.in.Description, s.in.Subject = rf.cats, rf.catText, rf.desc, ""
		if s.in.Channel == ledger.ChannelHotline {
			s.in.Description = "来电人反映：" + rf.desc
		}
		s.refuse(s.plan(1)[0], rf.reason, rf.note)
	}
	// Accepted, not yet verified (case open).
	for i := 0; i < 9; i++ {
		s := f.complaint(f.nextChannel(), next(), 0, pick(2, 12))
		s.accept(s.plan(1)[0])
	}
	// Being verified; two carried over from two months ago are past the
	// 60-day limit, one has its limit extended.
	verifying := []*story{}
	for i, d := range []int{4, 6, 9, 11, 14, 75, 80} {
		s := f.complaint(f.nextChannel(), next(), 0, d)
		ts := s.plan(2)
		if d > 60 {
			ts = s.fixed(2, 5)
		}
		s.accept(ts[0])
		s.startVerification(ts[1])
		if i == 3 {
			f.at(ts[1].Add(2*time.Hour), "extend", func(ctx context.Context) error {
				return f.l.Extend(ctx, s.caseID, "涉及多个部门职责，需联合核查，申请延期。", f.inspector())
			})
		}
		verifying = append(verifying, s)
	}
	// Verified unsubstantiated (dismissed, concluded with a reply).
	for i := 0; i < 7; i++ {
		s := f.complaint(f.nextChannel(), next(), 0, pick(6, 27))
		ts := s.plan(3)
		s.accept(ts[0])
		s.startVerification(ts[1])
		s.verify(ts[2], ledger.Unsubstantiated)
	}
	// Assigned to a unit that has not answered yet; three with deadlines
	// that have passed.
	assigned := []*story{}
	for i := 0; i < 9; i++ {
		d, days := pick(8, 26), 20
		if i < 3 {
			d, days = pick(20, 28), 7
		}
		s := f.complaint(f.nextChannel(), next(), 0, d)
		ts := s.plan(4)
		if i < 3 {
			ts = s.fixed(1, 2, 4, 5)
		}
		s.accept(ts[0])
		s.startVerification(ts[1])
		v := ledger.Substantiated
		if i%3 == 2 {
			v = ledger.Partly
		}
		s.verify(ts[2], v)
		s.notice(ts[3], s.noticeUnit(), days)
		assigned = append(assigned, s)
	}
	// The units with accounts answer: submitted (waiting for acceptance),
	// closed, and two reopened.
	type unitUser struct {
		name   string
		unit   int64
		town   int64
		probPI []int
	}
	uu := []unitUser{{"chengguan", 1, 1, []int{0, 4, 8, 18}}, {"chihe", 5, 5, []int{2, 5, 15, 16}}, {"zhujian", 23, 0, []int{1, 19}}}
	worked := func(i, minDays, steps int) (*story, []time.Time, unitUser) {
		u := uu[i%len(uu)]
		s := f.complaint(f.nextChannel(), u.probPI[i%len(u.probPI)], u.town, pick(minDays, 29))
		return s, s.plan(steps), u
	}
	for i := 0; i < 5; i++ { // submitted
		s, ts, u := worked(i, 12, 5)
		s.accept(ts[0])
		s.startVerification(ts[1])
		s.verify(ts[2], ledger.Substantiated)
		s.notice(ts[3], u.unit, 15)
		s.report(ts[4], u.name, u.unit)
	}
	closed := []*story{}
	for i := 0; i < 11; i++ { // closed, with a revisit date
		s, ts, u := worked(i+1, 16, 6)
		s.accept(ts[0])
		s.startVerification(ts[1])
		s.verify(ts[2], []ledger.Verification{ledger.Substantiated, ledger.Partly}[i%2])
		s.notice(ts[3], u.unit, 10)
		s.report(ts[4], u.name, u.unit)
		s.close(ts[5])
		closed = append(closed, s)
	}
	{ // sent back at acceptance
		s, ts, u := worked(0, 20, 6)
		s.accept(ts[0])
		s.startVerification(ts[1])
		s.verify(ts[2], ledger.Substantiated)
		s.notice(ts[3], u.unit, 10)
		s.report(ts[4], u.name, u.unit)
		s.reopen(ts[5], "验收不合格：现场复查发现堆场仍有约三分之一未苫盖，喷淋设施未通电运行。")
	}
	{ // closed, then came back (a resident complained again)
		s, ts, u := worked(1, 24, 7)
		s.accept(ts[0])
		s.startVerification(ts[1])
		s.verify(ts[2], ledger.Substantiated)
		s.notice(ts[3], u.unit, 7)
		s.report(ts[4], u.name, u.unit)
		s.close(ts[5])
		s.reopen(ts[6], "回头看：群众再次反映夜间偷排，现场检查发现排污口已恢复使用，问题反弹。")
	}
	// Repeat complaints: more people about the same problem, merged into
	// its case at acceptance (群众反复投诉).
	parents := []*story{assigned[0], assigned[0], assigned[1], assigned[4], verifying[5], verifying[2], closed[0], assigned[6]}
	for i, p := range parents {
		s := f.complaint(f.nextChannel(), 0, p.town.ID, 0)
		s.p = p.p
		s.in.Categories, s.in.CategoryText, s.in.Subject, s.in.Address = p.p.cats, p.p.catText, "", ""
		s.in.Description = "又有人反映：" + p.p.desc
		if s.in.Channel == ledger.ChannelHotline {
			s.in.Description = "来电人再次反映：" + p.p.desc
		}
		s.in.Subject = fmt.Sprintf(p.p.subject, shortName(p.town))
		// Received some days after the parent; accepted a day later.
		f.repeatAfter(s, p, i)
	}
	// Two complaints about one problem that became two cases, merged later.
	{
		a := f.complaint(ledger.ChannelWeb, 9, 7, 13)
		b := f.complaint(ledger.ChannelHotline, 9, 7, 11)
		ta := a.plan(2)
		a.accept(ta[0])
		tb := b.plan(1)
		if !tb[0].After(ta[0]) {
			tb[0] = ta[0].Add(time.Hour)
		}
		b.accept(tb[0])
		f.at(tb[0].Add(26*time.Hour), "merge", func(ctx context.Context) error {
			return f.l.Merge(ctx, b.caseID, a.caseID, f.inspector())
		})
		a.startVerification(tb[0].Add(27 * time.Hour))
	}
	f.inspectionWork(assigned)
}

func shortName(u ledger.Unit) string {
	if u.ShortName != "" {
		return u.ShortName
	}
	return u.Name
}

// repeatAfter times a repeat complaint after its parent was accepted and
// attaches it to the parent's case.
func (f *filler) repeatAfter(s, parent *story, i int) {
	// Received some days after the parent was accepted, before today.
	recv := parent.acceptAt.Add(time.Duration(1+i%4)*24*time.Hour + time.Duration(f.r.IntN(600))*time.Minute)
	if limit := f.end.Add(-30 * time.Hour); recv.After(limit) {
		recv = limit
	}
	// Move the filing scheduled by complaint (the last act) to recv.
	last := &f.acts[len(f.acts)-1]
	last.at = recv
	s.received = recv
	at := recv.Add(time.Duration(20+f.r.IntN(6)) * time.Hour)
	if min := parent.acceptAt.Add(2 * time.Hour); at.Before(min) {
		at = min
	}
	f.at(at, "accept repeat", func(ctx context.Context) error {
		var err error
		s.caseID, err = f.l.Accept(ctx, s.complaintID, parent.caseID, f.inspector(),
			ledger.EventInput{PublicNote: "您反映的问题已有其他群众反映并在办理中，已并入同一问题一并处理。"})
		return err
	})
}

// inspectionWork writes the inspection tasks and their findings, a
// superior inspection's case, three interviews and two referrals.
func (f *filler) inspectionWork(assigned []*story) {
	wang, li := f.staff["wangjianguo"], f.staff["lifang"]
	year := f.end.In(f.loc).Year()
	var task1, task2 int64
	var found [3]int64
	f.at(f.day(22), "plan task", func(ctx context.Context) error {
		var err error
		task1, err = f.insp.CreateTask(ctx, inspection.NewTask{Kind: inspection.Routine, Theme: "汛期后涉水企业例行督查（四不两直）",
			Area: []string{"城关镇", "池河镇", "喜河镇"}, Team: []string{"王建国", "李芳", "陈刚（生态环境分局）"},
			StartOn: f.day(20), EndOn: f.day(17)}, wang)
		return err
	})
	findings := []struct {
		daysAgo int
		f       inspection.Finding
	}{
		{20, inspection.Finding{Title: "砂石厂堆场未苫盖、无喷淋", Categories: ledger.Categories{ledger.Air}, TownID: 1, Subject: "城关镇某砂石加工厂",
			Description: "砂石堆场约2000平方米未苫盖，破碎车间未封闭，现场无喷淋降尘设施。"}},
		{19, inspection.Finding{Title: "洗砂废水未经沉淀直排汉江支流", Categories: ledger.Categories{ledger.Water}, TownID: 5, Subject: "池河镇某洗砂场",
			Description: "沉淀池淤满未清掏，洗砂废水经暗管直排河道，排口下游约300米水体浑浊。"}},
		{18, inspection.Finding{Title: "集镇垃圾收集点满溢、周边焚烧痕迹", Categories: ledger.Categories{ledger.Waste, ledger.Air}, TownID: 7, Subject: "喜河镇集镇垃圾收集点",
			Description: "垃圾收集点满溢未及时清运，旁边空地有焚烧垃圾的痕迹。"}},
	}
	for i, fd := range findings {
		i, fd := i, fd
		f.at(f.day(fd.daysAgo), "record finding", func(ctx context.Context) error {
			var err error
			found[i], err = f.insp.RecordFinding(ctx, task1, fd.f, li)
			return err
		})
	}
	// Finding 1 goes the whole way; finding 2 is assigned and referred.
	f.at(f.day(17), "verify findings", func(ctx context.Context) error {
		for _, id := range found[:2] {
			if err := f.l.StartVerification(ctx, id, wang, ledger.EventInput{}); err != nil {
				return err
			}
			if err := f.l.RecordVerification(ctx, id, ledger.Substantiated, "督查发现的问题经核实属实，已责令限期整改。", wang, ledger.EventInput{}); err != nil {
				return err
			}
		}
		return nil
	})
	notices := [2]int64{}
	f.at(f.day(16), "notices for findings", func(ctx context.Context) error {
		for i, u := range []int64{1, 5} {
			n, err := f.l.IssueNotice(ctx, ledger.NewNotice{CaseID: found[i], UnitID: u, Deadline: f.clk.t.Add(10 * 24 * time.Hour),
				Requirements: "一、立即整改督查发现的问题；\n二、举一反三，排查辖区同类问题；\n三、整改完成后报送整改报告及佐证材料。"}, wang)
			if err != nil {
				return err
			}
			notices[i] = n.ID
		}
		return f.insp.SetTaskStatus(ctx, task1, inspection.Done, wang)
	})
	f.at(f.day(9), "unit reports finding 1", func(ctx context.Context) error {
		return f.l.ReportRectification(ctx, notices[0], 1, "堆场已全部苫盖，破碎车间已封闭，新增喷淋设施3套，照片已存档。", f.staff["chengguan"])
	})
	f.at(f.day(7), "close finding 1", func(ctx context.Context) error {
		return f.l.Close(ctx, found[0], "经现场验收，督查发现的扬尘问题已整改到位，予以销号。", li, ledger.EventInput{})
	})
	// A special patrol under way, and a routine inspection planned.
	f.at(f.day(6), "plan patrol", func(ctx context.Context) error {
		var err error
		task2, err = f.insp.CreateTask(ctx, inspection.NewTask{Kind: inspection.Special, Theme: "秦岭生态环境保护专项巡查",
			Area: []string{"后柳镇", "中池镇", "曾溪镇"}, Team: []string{"李芳", "县林业局 杨帆", "县自然资源局 郑伟"},
			StartOn: f.day(4), EndOn: f.end.Add(4 * 24 * time.Hour)}, li)
		return err
	})
	f.at(f.day(2), "patrol finding", func(ctx context.Context) error {
		_, err := f.insp.RecordFinding(ctx, task2, inspection.Finding{Title: "秦岭保护区内违规修建农家乐", Categories: ledger.Categories{ledger.Ecology},
			TownID: 10, Subject: "中池镇某农家乐", Description: "在秦岭一般保护区内未经审批开挖山体修建农家乐，破坏植被约600平方米。"}, li)
		return err
	})
	f.at(f.day(1), "plan next inspection", func(ctx context.Context) error {
		_, err := f.insp.CreateTask(ctx, inspection.NewTask{Kind: inspection.Routine, Theme: "城区餐饮油烟例行督查",
			Area: []string{"城关镇"}, Team: []string{"王建国", "县城市管理执法局 冯磊"},
			StartOn: f.end.Add(5 * 24 * time.Hour), EndOn: f.end.Add(6 * 24 * time.Hour)}, wang)
		return err
	})
	// A problem handed down by the provincial inspection.
	var sup int64
	f.at(f.day(12), "superior", func(ctx context.Context) error {
		var err error
		sup, err = f.insp.RegisterSuperior(ctx, inspection.SuperiorFeedback{Body: inspection.ProvinceInspection,
			Reference: fmt.Sprintf("陕环督交〔%d〕第5批", year), Title: "池河镇某石材厂未批先建、粉尘污染",
			Categories: ledger.Categories{ledger.Air, ledger.Noise}, TownID: 5, Subject: "池河镇某石材厂",
			Description: "省生态环境保护督察组转办群众信访件：石材厂未办理环评手续即投产，切割粉尘和噪声扰民。"}, wang)
		if err != nil {
			return err
		}
		if err := f.l.StartVerification(ctx, sup, wang, ledger.EventInput{}); err != nil {
			return err
		}
		return f.l.RecordVerification(ctx, sup, ledger.Substantiated, "经核查，该石材厂未批先建属实，已责令停产整改。", wang, ledger.EventInput{})
	})
	f.at(f.day(11), "superior notice", func(ctx context.Context) error {
		_, err := f.l.IssueNotice(ctx, ledger.NewNotice{CaseID: sup, UnitID: 5, Deadline: f.clk.t.Add(20 * 24 * time.Hour),
			Requirements: "一、督促企业立即停产；\n二、依法补办环评手续，未取得手续前不得恢复生产；\n三、整改情况按省督察要求按期报送。"}, wang)
		return err
	})
	// Interviews: one answered on time, one overdue, one pending.
	var iv1 int64
	f.at(f.day(10), "interview 池河镇", func(ctx context.Context) error {
		var err error
		iv1, err = f.insp.RecordInterview(ctx, inspection.NewInterview{UnitID: 5, HeldOn: f.clk.t, Leader: "县委副书记 陈志刚",
			Problems: "辖区洗砂废水直排、石材厂未批先建等问题群众反复投诉，省督察交办问题整改推进缓慢。", CaseIDs: []int64{found[1], sup}}, wang)
		return err
	})
	f.at(f.day(5), "interview report", func(ctx context.Context) error {
		return f.insp.RecordReport(ctx, iv1, f.clk.t, li)
	})
	f.at(f.day(15), "interview 喜河镇", func(ctx context.Context) error {
		_, err := f.insp.RecordInterview(ctx, inspection.NewInterview{UnitID: 7, HeldOn: f.clk.t, Leader: "县政府副县长 刘强",
			Problems: "集镇垃圾清运不及时、露天焚烧垃圾问题多次被督查发现，整改逾期。", CaseIDs: []int64{found[2]}}, wang)
		return err
	})
	f.at(f.day(2), "interview 住建局", func(ctx context.Context) error {
		var ids []int64
		for _, s := range assigned {
			if s.noticeUnit() == 23 && s.caseID != 0 {
				ids = append(ids, s.caseID)
			}
		}
		_, err := f.insp.RecordInterview(ctx, inspection.NewInterview{UnitID: 23, HeldOn: f.clk.t, Leader: "县委常委 何敏",
			Problems: "建筑工地夜间施工噪声、渣土偷倒问题群众反复投诉，整改通知书逾期未报。", CaseIDs: ids}, li)
		return err
	})
	// Referrals: the discharge to law enforcement (answered), a repeat
	// problem to the discipline commission (waiting).
	var ref1 int64
	f.at(f.day(8), "referral", func(ctx context.Context) error {
		var err error
		ref1, err = f.insp.RecordReferral(ctx, inspection.NewReferral{CaseID: found[1], Recipient: inspection.ToEnforcement, ReferredOn: f.clk.t,
			Reference: fmt.Sprintf("石环督移〔%d〕1号", year)}, wang)
		return err
	})
	f.at(f.day(2), "referral outcome", func(ctx context.Context) error {
		return f.insp.UpdateOutcome(ctx, ref1, "县生态环境分局已立案查处，责令立即停止违法排污，拟处罚款8万元。", wang)
	})
	f.at(f.day(4), "referral 2", func(ctx context.Context) error {
		_, err := f.insp.RecordReferral(ctx, inspection.NewReferral{CaseID: assigned[0].caseID, Recipient: inspection.ToDiscipline, ReferredOn: f.clk.t,
			Reference: fmt.Sprintf("石环督移〔%d〕2号", year)}, li)
		return err
	})
}
