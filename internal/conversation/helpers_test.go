package conversation_test

import (
	"context"
	"testing"
	"time"

	"ecoreport/internal/conversation"
	"ecoreport/internal/db/dbtest"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

var (
	ctx       = context.Background()
	inspector = ledger.Actor{Name: "inspector1"}
)

type env struct {
	t  *testing.T
	l  *ledger.Service
	cv *conversation.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.MustOpenDB(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.NewService(d, keys)
	now := time.Date(2026, 11, 3, 6, 22, 5, 0, time.UTC)
	l.Now = func() time.Time { return now }
	return &env{t: t, l: l, cv: conversation.New(l)}
}

// file files a web complaint and returns it.
func (e *env) file() *ledger.Complaint {
	e.t.Helper()
	f, err := e.l.File(ctx, ledger.NewComplaint{
		Channel: ledger.ChannelWeb, Categories: ledger.Categories{ledger.Air}, TownID: 1, Address: "城关镇汉江大道107号",
		Description: "每天夜里机器轰鸣，粉尘很大，严重影响休息。", Identity: ledger.Anonymous,
	}, ledger.Resident)
	if err != nil {
		e.t.Fatal(err)
	}
	return &f.Complaint
}

// assigned takes a complaint through acceptance and verification to a
// rectification notice; closed closes the case as well.
func (e *env) assigned() (caseID int64, cm *ledger.Complaint) {
	e.t.Helper()
	c := e.file()
	id, err := e.l.Accept(ctx, c.ID, 0, inspector, ledger.EventInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	steps := []func() error{
		func() error { return e.l.StartVerification(ctx, id, inspector, ledger.EventInput{}) },
		func() error {
			return e.l.RecordVerification(ctx, id, ledger.Substantiated, "经现场核查，问题属实。", inspector, ledger.EventInput{})
		},
		func() error {
			_, err := e.l.IssueNotice(ctx, ledger.NewNotice{CaseID: id, UnitID: 1, Requirements: "立即停止夜间生产，加装除尘设施。",
				Deadline: e.l.Now().Add(15 * 24 * time.Hour)}, inspector)
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			e.t.Fatal(err)
		}
	}
	return id, e.reload(c.ID)
}

func (e *env) closed() (caseID int64, cm *ledger.Complaint) {
	e.t.Helper()
	id, c := e.assigned()
	if err := e.l.SubmitRectification(ctx, id, ledger.Actor{Name: "unit"}, ledger.EventInput{}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.l.Close(ctx, id, "已整改到位。", inspector, ledger.EventInput{}); err != nil {
		e.t.Fatal(err)
	}
	return id, e.reload(c.ID)
}

func (e *env) reload(id int64) *ledger.Complaint {
	e.t.Helper()
	c, err := e.l.Complaint(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.l.DB.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// thread reads the reporter's view.
func (e *env) thread(c *ledger.Complaint) *conversation.Thread {
	e.t.Helper()
	th, err := e.cv.Thread(ctx, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return th
}
