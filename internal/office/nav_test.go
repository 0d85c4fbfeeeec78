package office_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestNavFromRouteTable: the header's links come from the route table's
// navigation entries, each shown to the roles its route lets in, in the
// table's order; the page's own entry is marked current.
func TestNavFromRouteTable(t *testing.T) {
	e := newEnv(t)
	all := []string{"待处理举报", "问题台账", "查找", "回头看", "督查巡查", "约谈", "移送线索"}
	for _, tt := range []struct {
		role string
		want []string
	}{
		{"admin", append(append([]string{"我的问题"}, all...), "登记来访来信", "12369热线工单", "举报奖励", "月度通报", "承办统计", "消息发件箱", "系统管理")},
		{"inspector", append(append([]string{"我的问题"}, all...), "登记来访来信", "月度通报")},
		{"leader", append(all[:7:7], "举报奖励", "月度通报", "承办统计")},
		{"operator", []string{"登记来访来信", "12369热线工单", "消息发件箱"}},
		{"unit", []string{"查找", "本单位整改通知书"}},
		{"reward_officer", []string{"举报奖励"}},
		{"reward_approver", []string{"举报奖励"}},
		{"finance", []string{"举报奖励"}},
	} {
		t.Run(tt.role, func(t *testing.T) {
			body := e.session(tt.role).get("/office/password").Body.String()
			nav := regexp.MustCompile(`(?s)<nav aria-label="工作台">(.*?)</nav>`).FindStringSubmatch(body)
			if nav == nil {
				t.Fatalf("no navigation:\n%s", body)
			}
			var got []string
			for _, m := range regexp.MustCompile(`<a href="(/office/[^"]*)"[^>]*>([^<]+)</a>`).FindAllStringSubmatch(nav[1], -1) {
				got = append(got, m[2])
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("nav %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("Current", func(t *testing.T) {
		body := e.session("inspector").get("/office/cases").Body.String()
		if !strings.Contains(body, `<a href="/office/cases" aria-current="page">问题台账</a>`) || strings.Count(body, `aria-current="page"`) != 1 {
			t.Fatalf("current entry:\n%s", body)
		}
	})
	t.Run("Anonymous", func(t *testing.T) {
		if body := e.client().get("/office/login").Body.String(); strings.Contains(body, "<nav") {
			t.Fatalf("navigation before login:\n%s", body)
		}
	})
}
