package db

import (
	"context"
	"testing"
	"time"
)

// TestMigration00102FillsTheProblemText: cases and notices written before
// 00100/00101 get their full problem text and address from the complaint
// (or the inspection finding) that opened them, and their notices quote it.
func TestMigration00102FillsTheProblemText(t *testing.T) {
	ctx := context.Background()
	d, bare := openAtVersion(t, 99)
	now := time.Date(2026, 9, 13, 0, 48, 0, 0, time.UTC)
	for id, c := range []struct{ source, title string }{{"complaint", "某砂石厂：每天夜里…"}, {"inspection", "河道旁非法堆放"}, {"leader", "领导交办：扬尘"}} {
		if _, err := bare.Exec(`INSERT INTO cases (id, status, source, title, verification_note, public_reply, opened_at, due_at, updated_at)
			VALUES (?, 'open', ?, ?, '', '', ?, ?, ?)`, id+1, c.source, c.title, now, now, now); err != nil {
			t.Fatal(err)
		}
	}
	for i, desc := range []string{"第二个人又反映：夜里还在生产。", "每天夜里机器轰鸣，粉尘很大，严重影响休息，已持续一个月。"} {
		at := now.Add(time.Duration(1-i) * time.Hour) // the second row was received first
		if _, err := bare.Exec(`INSERT INTO complaints (tracking_mac, channel, status, description, address, identity, case_id,
			received_at, decide_due_at, extra, updated_at) VALUES (?, 'web', 'rectifying', ?, ?, 'anonymous', 1, ?, ?, '', ?)`,
			"mac"+string(rune('a'+i)), desc, "城关镇汉江大道"+string(rune('1'+i))+"号", at, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bare.Exec(`INSERT INTO inspection_tasks (id, kind, theme, start_on, end_on, status, created_at, updated_at)
		VALUES (1, 'routine', '例行督查', ?, ?, 'in_progress', ?, ?)`, now, now, now, now); err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Exec(`INSERT INTO inspection_findings (task_id, case_id, description, created_at) VALUES (1, 2, '河道旁堆放建筑垃圾约200立方米。', ?)`, now); err != nil {
		t.Fatal(err)
	}
	for i, c := range []int{1, 3} {
		if _, err := bare.Exec(`INSERT INTO notices (case_id, year, number, unit_id, requirements, deadline, issued_at, status)
			VALUES (?, 2026, ?, 1, '整改', ?, ?, 'issued')`, c, i+1, now, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := upTo(ctx, d, 102); err != nil {
		t.Fatal(err)
	}
	want := map[int]string{
		1: "每天夜里机器轰鸣，粉尘很大，严重影响休息，已持续一个月。|城关镇汉江大道2号",
		2: "河道旁堆放建筑垃圾约200立方米。|",
		3: "|",
	}
	for id, w := range want {
		var desc, addr string
		if err := d.QueryRow(`SELECT description, address FROM cases WHERE id = ?`, id).Scan(&desc, &addr); err != nil {
			t.Fatal(err)
		}
		if desc+"|"+addr != w {
			t.Fatalf("case %d: %q|%q, want %q", id, desc, addr, w)
		}
	}
	var problems []string
	if err := d.Select(&problems, `SELECT problem FROM notices ORDER BY case_id`); err != nil {
		t.Fatal(err)
	}
	if len(problems) != 2 || problems[0] != "每天夜里机器轰鸣，粉尘很大，严重影响休息，已持续一个月。" || problems[1] != "领导交办：扬尘" {
		t.Fatalf("notice problems %q", problems)
	}
}
