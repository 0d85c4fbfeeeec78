package reward_test

import (
	"sync"
	"testing"
	"time"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
)

func TestAskForARewardAfterFiling(t *testing.T) {
	t.Run("OK/BeforeVerification", func(t *testing.T) {
		e := newEnv(t)
		f, err := e.ledger.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air},
			Description: "每天夜里机器轰鸣，粉尘很大，严重影响休息。", Identity: ledger.Anonymous}, ledger.Resident)
		must(t, err)
		must(t, e.rewards.Ask(ctx, f.Complaint.ID))
		c, err := e.ledger.Complaint(ctx, f.Complaint.ID)
		must(t, err)
		if !c.WantsReward || reward.CanAsk(c) {
			t.Fatalf("wants_reward %v, can still ask %v", c.WantsReward, reward.CanAsk(c))
		}
		if e.count(`SELECT COUNT(*) FROM events WHERE complaint_id = ? AND kind = 'resident.reward_requested' AND public_note <> ''`, c.ID) != 1 {
			t.Fatal("no event the reporter sees")
		}
		wantCode(t, e.rewards.Ask(ctx, c.ID), apperr.ECONFLICT)
	})
	t.Run("OK/AfterVerificationDecidesAtOnce", func(t *testing.T) {
		e := newEnv(t)
		caseID, filed := e.verifiedCase(ledger.SourceComplaint, ledger.Substantiated, resident(false, time.Hour))
		if e.count(`SELECT COUNT(*) FROM rewards WHERE case_id = ?`, caseID) != 0 {
			t.Fatal("a reward for a reporter who did not ask")
		}
		must(t, e.rewards.Ask(ctx, filed[0].Complaint.ID))
		if r := e.rewardOfCase(caseID); r.Status != reward.Eligible || r.ComplaintID != filed[0].Complaint.ID {
			t.Fatalf("reward %+v", r)
		}
	})
	t.Run("ErrConcluded", func(t *testing.T) {
		e := newEnv(t)
		caseID, filed := e.verifiedCase(ledger.SourceComplaint, ledger.Unsubstantiated, resident(false, time.Hour))
		_ = caseID
		wantCode(t, e.rewards.Ask(ctx, filed[0].Complaint.ID), apperr.ECONFLICT)
	})
	t.Run("ErrNoComplaint", func(t *testing.T) {
		e := newEnv(t)
		wantCode(t, e.rewards.Ask(ctx, 999999), apperr.ENOTFOUND)
	})
	t.Run("OK/ParallelAsksRecordOne", func(t *testing.T) {
		e := newEnv(t)
		f, err := e.ledger.File(ctx, ledger.NewComplaint{Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air},
			Description: "每天夜里机器轰鸣，粉尘很大，严重影响休息。", Identity: ledger.Anonymous}, ledger.Resident)
		must(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = e.rewards.Ask(ctx, f.Complaint.ID) }()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !apperr.Is(err, apperr.ECONFLICT) {
				t.Fatalf("unexpected %v", err)
			}
		}
		if ok != 1 || e.count(`SELECT COUNT(*) FROM events WHERE kind = 'resident.reward_requested'`) != 1 {
			t.Fatalf("%d asks recorded", ok)
		}
	})
}
