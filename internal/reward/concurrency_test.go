package reward_test

import (
	"sync"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/reward"
)

// TestConcurrentApprovalsNeverOverspend: 50 approvers at once, 50 proposed
// rewards of 700 yuan, a budget of 10,000 yuan: exactly 14 succeed, the rest
// get EBUDGET, and committed never exceeds the total.
func TestConcurrentApprovalsNeverOverspend(t *testing.T) {
	e := newEnv(t)
	approveAtOnce(t, e, []*reward.Service{e.rewards})
}

// TestConcurrentApprovalsAcrossNodes is the same race with the approvers
// spread over three nodes of a Galera cluster (every node takes writes):
// still exactly 14 approved, the rest EBUDGET, nothing else.
func TestConcurrentApprovalsAcrossNodes(t *testing.T) {
	nodes := dbtest.MustOpenNodes(t, 3)
	e := newEnvOn(t, nodes[0])
	approveAtOnce(t, e, rewardsOn(t, e, nodes))
}

// rewardsOn gives one reward service per node, as one ecoreport instance
// on each node would have.
func rewardsOn(t *testing.T, e *env, nodes []*db.DB) []*reward.Service {
	out := []*reward.Service{e.rewards}
	for _, d := range nodes[1:] {
		_, r := servicesOn(t, d, e.clk)
		out = append(out, r)
	}
	return out
}

// approveAtOnce: 50 approvals at once, goroutine i through rs[i%len(rs)].
func approveAtOnce(t *testing.T, e *env, rs []*reward.Service) {
	t.Helper()
	const n, amount, total = 50, 70_000, 1_000_000
	must(t, e.rewards.SetBudget(ctx, 2026, total, e.admin))
	ids := make([]int64, n)
	for i := range ids {
		r, _ := e.eligible()
		must(t, e.rewards.Propose(ctx, r.ID, "general", amount, "依据", e.officer))
		ids[i] = r.ID
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			approver := e.approver
			if i%2 == 1 {
				approver = e.second
			}
			errs[i] = rs[i%len(rs)].Approve(ctx, ids[i], approver)
		}(i)
	}
	close(start)
	wg.Wait()
	ok, short := 0, 0
	for _, err := range errs {
		switch apperr.Code(err) {
		case "":
			ok++
		case apperr.EBUDGET:
			short++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if want := total / amount; ok != want || short != n-want {
		t.Fatalf("%d approved, %d EBUDGET; want %d and %d", ok, short, want, n-want)
	}
	b := e.budget(2026)
	if b.CommittedFen != int64(ok*amount) || b.CommittedFen > b.TotalFen {
		t.Fatalf("budget %+v after %d approvals", b, ok)
	}
	if got := e.count(`SELECT COUNT(*) FROM rewards WHERE status = 'approved'`); got != ok {
		t.Fatalf("%d approved rows, %d successes", got, ok)
	}
	if got := e.count(`SELECT COUNT(*) FROM rewards WHERE status = 'proposed'`); got != n-ok {
		t.Fatalf("%d still proposed", got)
	}
	if got := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'reward.approved' AND object_type = 'reward'`); got != ok {
		t.Fatalf("%d approvals audited", got)
	}
}

// TestConcurrentPaymentsPayOnce: 50 finance clerks pay the same claimed
// reward at once; exactly one succeeds, the rest get 该奖励已发放.
func TestConcurrentPaymentsPayOnce(t *testing.T) {
	e := newEnv(t)
	payAtOnce(t, e, []*reward.Service{e.rewards})
}

// TestConcurrentPaymentsAcrossNodes: the 50 clerks on three nodes; one
// payment, the rest 该奖励已发放.
func TestConcurrentPaymentsAcrossNodes(t *testing.T) {
	nodes := dbtest.MustOpenNodes(t, 3)
	e := newEnvOn(t, nodes[0])
	payAtOnce(t, e, rewardsOn(t, e, nodes))
}

// payAtOnce: 50 payments of one reward at once, goroutine i through
// rs[i%len(rs)].
func payAtOnce(t *testing.T, e *env, rs []*reward.Service) {
	t.Helper()
	const n, amount = 50, 300_000
	must(t, e.rewards.SetBudget(ctx, 2026, 1_000_000, e.admin))
	r, code := e.eligible()
	must(t, e.rewards.Propose(ctx, r.ID, "larger", amount, "依据", e.officer))
	must(t, e.rewards.Approve(ctx, r.ID, e.approver))
	must(t, e.rewards.Claim(ctx, code, goodClaim()))
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			errs[i] = rs[i%len(rs)].Pay(ctx, r.ID, reward.Bank, "NX-"+string(rune('A'+i%26)), e.clk.now(), e.finance)
		}(i)
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case apperr.Code(err) == apperr.ECONFLICT && apperr.Message(err) == "该奖励已发放":
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d payments succeeded", ok)
	}
	if b := e.budget(2026); b.PaidFen != amount || b.CommittedFen != 0 {
		t.Fatalf("budget %+v", b)
	}
	if got := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'reward.paid' AND object_type = 'reward'`); got != 1 {
		t.Fatalf("%d payments audited", got)
	}
	if got := e.count(`SELECT COUNT(*) FROM events WHERE kind = 'reward.paid'`); got != 1 {
		t.Fatalf("%d payment notes", got)
	}
}
