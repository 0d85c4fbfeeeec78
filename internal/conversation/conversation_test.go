package conversation_test

import (
	"errors"
	"sync"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/conversation"
	"ecoreport/internal/ledger"
)

// TestEventsNameTheComplaintOnly checks the promise of the package: every
// action of a reporter or staff is a complaint event, never a case event, so
// reporters of merged complaints do not see each other.
func TestEventsNameTheComplaintOnly(t *testing.T) {
	e := newEnv(t)
	_, c := e.closed()
	if err := e.cv.Add(ctx, e.file(), "补充", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cv.Ask(ctx, c.ID, "请问具体几点？", inspector); err != nil {
		t.Fatal(err)
	}
	if err := e.cv.Reply(ctx, c, "晚上十点以后", 0); err != nil {
		t.Fatal(err)
	}
	if err := e.cv.Rate(ctx, c, conversation.Satisfied, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.cv.RequestFollowup(ctx, c, conversation.FollowupCameBack, "又开工了"); err != nil {
		t.Fatal(err)
	}
	kinds := []any{conversation.KindAddition, conversation.KindStaffMessage, conversation.KindReply, conversation.KindRating, conversation.KindFollowup}
	if n := e.count(`SELECT COUNT(*) FROM events WHERE kind IN (?, ?, ?, ?, ?) AND case_id IS NULL AND complaint_id IS NOT NULL`, kinds...); n != 5 {
		t.Fatalf("%d complaint-only events, want 5", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action IN (?, ?, ?, ?, ?)`, kinds...); n != 5 {
		t.Fatalf("%d audit entries, want 5", n)
	}
}

func TestAdditions(t *testing.T) {
	e := newEnv(t)
	e.cv.Limits.MaxAdditions = 2
	photos := []conversation.Photo{{Name: "0123456789abcdef0123456789abcdef.jpg", MIME: "image/jpeg", Size: 10}}
	filed, err := e.cv.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air}, TownID: 1,
		Description: "每天夜里机器轰鸣，粉尘很大，严重影响休息。", Identity: ledger.Anonymous}, photos)
	if err != nil {
		t.Fatal(err)
	}
	c := &filed.Complaint
	tests := []struct {
		name   string
		c      *ledger.Complaint
		photos []conversation.Photo
		want   string
	}{
		{"OKText", c, nil, ""},
		{"OKWithPhoto", c, []conversation.Photo{{Name: "fedcba9876543210fedcba9876543210.png", MIME: "image/png", Size: 20}}, ""},
		{"ErrLimit", c, nil, apperr.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.cv.Add(ctx, tt.c, "又看到黑烟", tt.photos); apperr.Code(err) != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	th := e.thread(c)
	if len(th.FiledPhotos) != 1 || len(th.Additions) != 2 || len(th.Additions[1].Photos) != 1 || !th.CanAdd {
		t.Fatalf("thread %+v", th)
	}
	if a, err := e.cv.Attachment(ctx, c.ID, th.FiledPhotos[0].ID); err != nil || a.StoredName != photos[0].Name {
		t.Fatalf("attachment %+v %v", a, err)
	}
	other := e.file()
	if _, err := e.cv.Attachment(ctx, other.ID, th.FiledPhotos[0].ID); !apperr.Is(err, apperr.ENOTFOUND) {
		t.Fatalf("another complaint's photo: %v", err)
	}
	t.Run("ErrFinished", func(t *testing.T) {
		_, done := e.closed()
		if err := e.cv.Add(ctx, done, "还有", nil); !apperr.Is(err, apperr.ECONFLICT) || e.thread(done).CanAdd {
			t.Fatalf("added to a finished complaint: %v", err)
		}
	})
}

func TestMessages(t *testing.T) {
	e := newEnv(t)
	e.cv.Limits.MaxQuestions, e.cv.Limits.MaxReplies = 2, 1
	c := e.file()
	if err := e.cv.Reply(ctx, c, "我想补充", 0); !apperr.Is(err, apperr.ECONFLICT) || e.thread(c).CanReply {
		t.Fatalf("reply before a question: %v", err)
	}
	asks := []struct {
		name, body, want string
	}{
		{"ErrEmpty", "  ", apperr.EINVALID},
		{"ErrControl", "在吗\x00", apperr.EINVALID},
		{"ErrTooLong", string(make([]rune, conversation.MaxQuestionRunes+1)), apperr.EINVALID},
		{"OK", "请问排放大约在几点？", ""},
		{"OKSecond", "是哪个厂？", ""},
		{"ErrTooMany", "还有吗？", apperr.ECONFLICT},
	}
	for _, tt := range asks {
		t.Run("Ask"+tt.name, func(t *testing.T) {
			if _, err := e.cv.Ask(ctx, c.ID, tt.body, ledger.Actor{Name: "insp"}); apperr.Code(err) != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := e.cv.Ask(ctx, 99999, "在吗", inspector); !apperr.Is(err, apperr.ENOTFOUND) {
		t.Fatalf("no complaint: %v", err)
	}
	th := e.thread(c)
	if !th.CanReply || len(th.Messages) != 2 || !th.Messages[0].FromStaff() || th.Messages[0].Author.Valid {
		t.Fatalf("thread %+v", th.Messages)
	}
	if err := e.cv.Reply(ctx, c, "晚上十点", 99999); !apperr.Is(err, apperr.EINVALID) || apperr.Fields(err)["reply_to"] == "" {
		t.Fatalf("reply to no question: %v", err)
	}
	if err := e.cv.Reply(ctx, c, "晚上十点", th.Messages[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.cv.Reply(ctx, c, "还有一点", 0); !apperr.Is(err, apperr.ECONFLICT) {
		t.Fatalf("over the reply limit: %v", err)
	}
}

func TestRating(t *testing.T) {
	e := newEnv(t)
	_, working := e.assigned()
	if err := e.cv.Rate(ctx, working, conversation.Satisfied, ""); !apperr.Is(err, apperr.ECONFLICT) || e.thread(working).CanRate {
		t.Fatalf("rated before the reply: %v", err)
	}
	_, c := e.closed()
	if !e.thread(c).CanRate {
		t.Fatal("cannot rate a finished complaint")
	}
	if err := e.cv.Rate(ctx, c, "great", ""); !apperr.Is(err, apperr.EINVALID) {
		t.Fatalf("unknown rating: %v", err)
	}
	// Parallel ratings: the unique key keeps one.
	errs := make([]error, 6)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = e.cv.Rate(ctx, c, conversation.Basically, "还行") }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, conversation.ErrRatedTwice) {
			t.Fatalf("unexpected: %v", err)
		}
	}
	th := e.thread(c)
	if ok != 1 || th.Rating == nil || th.Rating.Label() != "基本满意" || th.CanRate {
		t.Fatalf("%d ratings stored, thread %+v", ok, th.Rating)
	}
	if _, err := e.cv.Rating(ctx, working.ID); !apperr.Is(err, apperr.ENOTFOUND) {
		t.Fatalf("no rating: %v", err)
	}
}

func TestRequestFollowup(t *testing.T) {
	e := newEnv(t)
	_, working := e.assigned()
	if err := e.cv.RequestFollowup(ctx, working, conversation.FollowupNotSolved, "没解决"); !apperr.Is(err, apperr.ECONFLICT) {
		t.Fatalf("before the reply: %v", err)
	}
	_, c := e.closed()
	if err := e.cv.RequestFollowup(ctx, c, "whatever", "没解决"); !apperr.Is(err, apperr.EINVALID) {
		t.Fatalf("unknown kind: %v", err)
	}
	if err := e.cv.RequestFollowup(ctx, c, conversation.FollowupNotSolved, "夜里又开工了"); err != nil {
		t.Fatal(err)
	}
	if err := e.cv.RequestFollowup(ctx, c, conversation.FollowupCameBack, "又来了"); !apperr.Is(err, apperr.ECONFLICT) {
		t.Fatalf("second while open: %v", err)
	}
	th := e.thread(c)
	if len(th.Followups) != 1 || th.Followups[0].Label() != "问题未解决" || th.CanFollowup {
		t.Fatalf("thread %+v", th.Followups)
	}
}

// TestAnswerFollowup is staff's side: the answer reaches the reporter's
// timeline, and with reopen the closed case goes back in the same
// transaction; a refused answer changes nothing.
func TestAnswerFollowup(t *testing.T) {
	tests := []struct {
		name       string
		closed     bool
		answer     string
		reopen     bool
		wantCode   string
		wantStatus ledger.CaseStatus
	}{
		{"OK", true, "已安排回访，请继续监督。", false, "", ledger.Closed},
		{"OKReopen", true, "已责成重新整改。", true, "", ledger.Reopened},
		{"ErrEmptyAnswer", true, " ", false, apperr.EINVALID, ledger.Closed},
		{"ErrReopenNotClosed", false, "正在整改。", true, apperr.ECONFLICT, ledger.Assigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var id int64
			var cm *ledger.Complaint
			if tt.closed {
				id, cm = e.closed()
			} else {
				id, cm = e.assigned()
			}
			// The portal refuses a request before the reply; staff may
			// still have one to answer on a case reopened since.
			if _, err := e.l.DB.Exec(`INSERT INTO followup_requests (complaint_id, kind, body, status, answer, created_at) VALUES (?, ?, ?, 'open', '', ?)`,
				cm.ID, conversation.FollowupNotSolved, "夜里又开工了", e.l.Now()); err != nil {
				t.Fatal(err)
			}
			open, err := e.cv.OpenFollowups(ctx)
			if err != nil || len(open) != 1 || open[0].ComplaintID != cm.ID || open[0].CanReopen() != tt.closed {
				t.Fatalf("open followups %+v %v", open, err)
			}
			err = e.cv.AnswerFollowup(ctx, cm.ID, tt.answer, tt.reopen, inspector)
			if apperr.Code(err) != tt.wantCode {
				t.Fatalf("err = %v, want %q", err, tt.wantCode)
			}
			if c, _ := e.l.Case(ctx, id); c.Status != tt.wantStatus {
				t.Fatalf("case %s, want %s", c.Status, tt.wantStatus)
			}
			open, _ = e.cv.OpenFollowups(ctx)
			if err != nil {
				if len(open) != 1 || e.count(`SELECT COUNT(*) FROM events WHERE kind = ?`, conversation.KindFollowupAnswer) != 0 {
					t.Fatal("a refused answer changed something")
				}
				return
			}
			if len(open) != 0 {
				t.Fatalf("still open: %+v", open)
			}
			tl, _ := e.l.PublicTimeline(ctx, e.reload(cm.ID))
			found := false
			for _, ev := range tl {
				if ev.Kind == conversation.KindFollowupAnswer && ev.PublicNote == "工作人员答复您反映的“问题未解决”："+tt.answer {
					found = true
				}
			}
			if !found {
				t.Fatalf("public timeline lacks the answer: %+v", tl)
			}
			fs, _ := e.cv.FollowupsOfCase(ctx, id)
			if len(fs) != 1 || fs[0].Status != conversation.FollowupAnswered || fs[0].Answer != tt.answer || !fs[0].AnsweredAt.Valid {
				t.Fatalf("followup %+v", fs)
			}
			if err := e.cv.AnswerFollowup(ctx, cm.ID, "again", false, inspector); !apperr.Is(err, apperr.ECONFLICT) {
				t.Fatalf("second answer: %v", err)
			}
		})
	}
}

func TestOfCase(t *testing.T) {
	e := newEnv(t)
	id, c := e.closed()
	if _, err := e.cv.Ask(ctx, c.ID, "请问具体几点？", inspector); err != nil {
		t.Fatal(err)
	}
	cs, err := e.cv.OfCase(ctx, id)
	if err != nil || len(cs) != 1 || cs[0].Complaint.ID != c.ID || len(cs[0].Messages) != 1 {
		t.Fatalf("conversations %+v %v", cs, err)
	}
	if _, err := e.cv.OfCase(ctx, 99999); !apperr.Is(err, apperr.ENOTFOUND) {
		t.Fatalf("no case: %v", err)
	}
}
