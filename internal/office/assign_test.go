package office_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"ecoreport/internal/ledger"
)

// userID is the id of the env's account username.
func (e *env) userID(username string) string {
	e.t.Helper()
	u, err := e.users.ByUsername(ctx, username)
	if err != nil {
		e.t.Fatal(err)
	}
	return strconv.FormatInt(u.ID, 10)
}

// TestAssignACaseAndFindItUnderMine: the admin gives a case to the
// inspector on the case page; the inspector finds it under 我的问题; the
// leader sees who holds it but no form; a reassignment is on the timeline.
func TestAssignACaseAndFindItUnderMine(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint())
	caseID, err := e.ledger.Accept(ctx, cm.ID, 0, ledger.Actor{Name: "fixture"}, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	page := "/office/cases/" + strconv.FormatInt(caseID, 10)
	admin, insp := e.session("admin"), e.session("inspector")
	mustContain(t, admin.get(page), "承办人：<strong>未指派</strong>", `action="`+page+`/assign"`, "督查人员甲")

	seeOther(t, admin.post(page+"/assign", "from", "0", "assignee", e.userID("inspector")), "assign")
	mustContain(t, admin.get(page), "已指派承办人：督查人员甲", "承办人：<strong>督查人员甲</strong>", "指派承办人", "承办人：无 → 督查人员甲")
	w := insp.get("/office/mine")
	mustContain(t, w, ledger.CaseRef(caseID), "承办的问题（1件）")

	t.Run("LeaderSeesTheHolderOnly", func(t *testing.T) {
		w := e.session("leader").get(page)
		mustContain(t, w, "承办人：<strong>督查人员甲</strong>")
		mustNotContain(t, w, `action="`+page+`/assign"`)
	})
	t.Run("ErrNotAnInspector", func(t *testing.T) {
		w := admin.post(page+"/assign", "from", e.userID("inspector"), "assignee", e.userID("unit"))
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("assign to a unit account: %d", w.Code)
		}
		mustContain(t, w, "承办人只能是在岗的督查人员或系统管理员")
	})
	t.Run("ErrStalePage", func(t *testing.T) {
		w := admin.post(page+"/assign", "from", "0", "assignee", e.userID("admin")) // the page still showed nobody
		if w.Code != http.StatusConflict {
			t.Fatalf("stale reassignment: %d", w.Code)
		}
		mustContain(t, w, "承办人已被他人改动")
	})
	t.Run("ParallelReassignmentsOneWins", func(t *testing.T) {
		var wg sync.WaitGroup
		codes := make([]int, 6)
		from := e.userID("inspector")
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				to := e.userID("admin")
				if i%2 == 1 {
					to = "0"
				}
				codes[i] = e.session("admin").post(page+"/assign", "from", from, "assignee", to).Code
			}()
		}
		wg.Wait()
		won := 0
		for _, c := range codes {
			switch c {
			case http.StatusSeeOther:
				won++
			case http.StatusConflict:
			default:
				t.Fatalf("codes %v", codes)
			}
		}
		if won != 1 || e.count(`SELECT COUNT(*) FROM events WHERE kind = 'case.reassigned'`) != 1 {
			t.Fatalf("%d won (%v)", won, codes)
		}
	})
}

// TestAssignAComplaintInTriage: on the complaint's own page an admin gives
// a complaint waiting in the inbox to the inspector and comes back to that
// page; the inbox's row names the holder, the inspector finds it under 我的
// 问题, the leader sees who holds it but no form, and once accepted the
// complaint has no holder block (its case has).
func TestAssignAComplaintInTriage(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint())
	admin := e.session("admin")
	page := "/office/complaints/" + strconv.FormatInt(cm.ID, 10)
	mustContain(t, admin.get(page), `action="`+page+`/assign"`, `name="back" value="`+page+`"`, "承办人：<strong>未指派</strong>")
	w := admin.post(page+"/assign", "from", "0", "assignee", e.userID("inspector"), "back", page)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != page {
		t.Fatalf("assign: %d %s", w.Code, w.Header().Get("Location"))
	}
	holder, _ := e.users.ByUsername(ctx, "inspector")
	mustContain(t, admin.get(page), "承办人：<strong>"+holder.Label()+"</strong>", "改派给")
	mustContain(t, admin.get("/office/inbox"), "承办人："+holder.Label())
	w = e.session("leader").get(page)
	mustContain(t, w, "承办人：<strong>"+holder.Label()+"</strong>")
	mustNotContain(t, w, `name="assignee"`)
	mustContain(t, e.session("inspector").get("/office/mine"), cm.Ref(), "分派给我的举报件（待受理，1件）")
	if _, err := e.ledger.Accept(ctx, cm.ID, 0, ledger.Actor{Name: "fixture"}, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, e.session("inspector").get("/office/mine"), "分派给我的举报件（待受理，0件）")
	mustNotContain(t, admin.get(page), `action="`+page+`/assign"`)
}

// TestShowContactOfAComplaintInTriage: a complaint without a case shows
// its contact on its own page, whichever page the form was on.
func TestShowContactOfAComplaintInTriage(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint())
	w := e.session("inspector").post("/office/complaints/" + strconv.FormatInt(cm.ID, 10) + "/contact")
	if w.Code != http.StatusOK {
		t.Fatalf("show contact: %d", w.Code)
	}
	mustContain(t, w, "举报件 "+cm.Ref(), "张三 13812345678", "受理或不予受理")
	if e.audited("inspector", "contact.viewed") != 1 {
		t.Fatal("not audited")
	}
}

// TestWorkloadForTheLeader: the leader sees what each inspector holds and
// what is overdue; inspectors and the public do not.
func TestWorkloadForTheLeader(t *testing.T) {
	e := newEnv(t)
	by := ledger.Actor{Name: "fixture"}
	insp := ledger.Assignee{ID: mustID(t, e.userID("inspector")), Name: "督查人员甲"}
	for range 2 {
		cm := e.file(webComplaint())
		id, err := e.ledger.Accept(ctx, cm.ID, 0, by, ledger.EventInput{})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.ledger.AssignCase(ctx, id, ledger.Assignee{}, insp, by); err != nil {
			t.Fatal(err)
		}
	}
	triage := e.file(webComplaint())
	if err := e.ledger.AssignComplaint(ctx, triage.ID, ledger.Assignee{}, insp, by); err != nil {
		t.Fatal(err)
	}
	e.clk.add(61 * 24 * time.Hour) // past the conclusion deadline
	w := e.session("leader").get("/office/workload")
	mustContain(t, w, "督查人员甲", `<td class="num">2</td>`, `<span class="overdue">2</span>`, `<td class="num">1</td>`)
	if w := e.session("inspector").get("/office/workload"); w.Code != http.StatusForbidden {
		t.Fatalf("an inspector sees the workload: %d", w.Code)
	}
}
