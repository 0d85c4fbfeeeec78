package reward_test

import (
	"testing"
	"time"

	"ecoreport/internal/ledger"
	"ecoreport/internal/reward"
)

func TestEligibility(t *testing.T) {
	e := newEnv(t)
	h := time.Hour
	t.Run("EarliestWantedRewardWins", func(t *testing.T) {
		// The first complaint asked for nothing; the second and third did.
		caseID, filed := e.verifiedCase(ledger.SourceComplaint, ledger.Substantiated,
			resident(true, 1*h), resident(false, 5*h), resident(true, 3*h))
		r := e.rewardOfCase(caseID)
		if r.Status != reward.Eligible || r.ComplaintID != filed[2].Complaint.ID {
			t.Fatalf("reward %+v, want complaint %d", r, filed[2].Complaint.ID)
		}
		// The later one is told where the reward went; the one who asked for nothing is not.
		if n := e.count(`SELECT COUNT(*) FROM events WHERE kind = 'reward.not_first' AND complaint_id = ? AND public_note <> ''`, filed[0].Complaint.ID); n != 1 {
			t.Fatalf("later duplicate notes %d", n)
		}
		if n := e.count(`SELECT COUNT(*) FROM events WHERE kind LIKE 'reward.%' AND complaint_id = ?`, filed[1].Complaint.ID); n != 0 {
			t.Fatalf("notes to a reporter who wanted nothing: %d", n)
		}
		// Recording the verification again changes nothing.
		if err := e.ledger.RecordVerification(ctx, caseID, ledger.Partly, "部分属实", e.inspect, ledger.EventInput{}); err != nil {
			t.Fatal(err)
		}
		if n := e.count(`SELECT COUNT(*) FROM rewards WHERE case_id = ?`, caseID); n != 1 {
			t.Fatalf("rewards %d", n)
		}
		if n := e.count(`SELECT COUNT(*) FROM events WHERE kind = 'reward.not_first' AND case_id = ?`, caseID); n != 1 {
			t.Fatalf("duplicate notes after re-verification %d", n)
		}
	})
	t.Run("PartlyCounts", func(t *testing.T) {
		caseID, _ := e.verifiedCase(ledger.SourceComplaint, ledger.Partly, resident(true, h))
		if r := e.rewardOfCase(caseID); r.Status != reward.Eligible {
			t.Fatalf("status %s", r.Status)
		}
	})
	t.Run("NoneForUnsubstantiated", func(t *testing.T) {
		caseID, _ := e.verifiedCase(ledger.SourceComplaint, ledger.Unsubstantiated, resident(true, h))
		if n := e.count(`SELECT COUNT(*) FROM rewards WHERE case_id = ?`, caseID); n != 0 {
			t.Fatalf("rewards %d", n)
		}
	})
	t.Run("NoneWhenNobodyAsked", func(t *testing.T) {
		caseID, _ := e.verifiedCase(ledger.SourceComplaint, ledger.Substantiated, resident(false, h))
		if n := e.count(`SELECT COUNT(*) FROM rewards WHERE case_id = ?`, caseID); n != 0 {
			t.Fatalf("rewards %d", n)
		}
	})
	for _, tc := range []struct {
		name   string
		source ledger.CaseSource
		cs     func() []complaint
		want   reward.Exclusion
	}{
		{"ExcludedInspection", ledger.SourceInspection, func() []complaint { return []complaint{resident(true, h)} }, reward.ExcludedKnown},
		{"ExcludedSuperior", ledger.SourceSuperior, func() []complaint { return []complaint{resident(true, h)} }, reward.ExcludedKnown},
		{"ExcludedLeader", ledger.SourceLeader, func() []complaint { return []complaint{resident(true, h)} }, reward.ExcludedKnown},
		{"ExcludedStaffOwnReport", ledger.SourceComplaint, func() []complaint {
			return []complaint{{channel: ledger.ChannelWeb, wants: true, by: e.officer, ago: h}}
		}, reward.ExcludedStaff},
		{"ExcludedSecretaryLog", ledger.SourceComplaint, func() []complaint {
			return []complaint{{channel: ledger.ChannelSecretary, wants: true, by: e.inspect, ago: h}}
		}, reward.ExcludedStaff},
		{"ExcludedStaffKnewFirst", ledger.SourceComplaint, func() []complaint {
			return []complaint{{channel: ledger.ChannelWeb, by: e.inspect, ago: 2 * h}, resident(true, h)}
		}, reward.ExcludedKnown},
		{"EligibleVisitTypedByStaff", ledger.SourceComplaint, func() []complaint {
			return []complaint{{channel: ledger.ChannelVisit, wants: true, by: e.inspect, ago: h}}
		}, ""},
		{"EligibleLetterTypedByStaff", ledger.SourceComplaint, func() []complaint {
			return []complaint{{channel: ledger.ChannelLetter, wants: true, by: e.inspect, ago: h}}
		}, ""},
		{"EligibleHotlineImport", ledger.SourceComplaint, func() []complaint {
			return []complaint{{channel: ledger.ChannelWeb, wants: true, by: ledger.Actor{Name: "hotline:operator"}, ago: h}}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caseID, filed := e.verifiedCase(tc.source, ledger.Substantiated, tc.cs()...)
			r := e.rewardOfCase(caseID)
			want := reward.Eligible
			if tc.want != "" {
				want = reward.Excluded
			}
			if r.Status != want || r.Exclusion != tc.want {
				t.Fatalf("reward %s/%s, want %s/%s", r.Status, r.Exclusion, want, tc.want)
			}
			if tc.want != "" {
				p, err := e.rewards.Status(ctx, filed[len(filed)-1].TrackingCode)
				if err != nil {
					t.Fatal(err)
				}
				if p.Reason == "" || p.Label != "不符合奖励条件" {
					t.Fatalf("public %+v", p)
				}
				if err := e.rewards.Propose(ctx, r.ID, "general", 50_000, "依据", e.officer); err == nil {
					t.Fatal("proposed an excluded reward")
				}
			}
		})
	}
}
