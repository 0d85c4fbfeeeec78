package auth_test

import (
	"context"
	"testing"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/db/dbtest"
)

var ctx = context.Background()

func TestCreateUsers(t *testing.T) {
	s := auth.NewStore(dbtest.MustOpenDB(t))
	tests := []struct {
		name  string
		in    auth.NewUser
		code  string
		field string
	}{
		{"OK", auth.NewUser{Username: "inspector1", Role: auth.Inspector}, "", ""},
		{"OKUnitUser", auth.NewUser{Username: "chengguan", Role: auth.UnitUser, UnitID: 1}, "", ""},
		{"ErrDuplicate", auth.NewUser{Username: "inspector1", Role: auth.Inspector}, apperr.ECONFLICT, ""},
		{"ErrRole", auth.NewUser{Username: "x1", Role: "boss"}, apperr.EINVALID, "role"},
		{"ErrUnitMissing", auth.NewUser{Username: "x2", Role: auth.UnitUser}, apperr.EINVALID, "unit"},
		{"ErrUnitUnknown", auth.NewUser{Username: "x3", Role: auth.UnitUser, UnitID: 999}, apperr.EINVALID, "unit"},
		{"ErrName", auth.NewUser{Username: "张 三", Role: auth.Leader}, apperr.EINVALID, "name"},
		{"ErrShortPassword", auth.NewUser{Username: "x4", Role: auth.Leader, Password: "short"}, apperr.EINVALID, "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pw, err := s.Create(ctx, tt.in, "test")
			if apperr.Code(err) != tt.code || (tt.field != "" && apperr.Fields(err)[tt.field] == "") {
				t.Fatalf("err = %v (%v)", err, apperr.Fields(err))
			}
			if tt.code == "" && len(pw) < auth.MinPassword {
				t.Fatalf("generated password %q", pw)
			}
		})
	}
}

func TestName(t *testing.T) {
	s := auth.NewStore(dbtest.MustOpenDB(t))
	for _, u := range []auth.NewUser{{Username: "zhang", DisplayName: "张三", Role: auth.Inspector}, {Username: "li4", Role: auth.Inspector}} {
		u.Password = "long enough password"
		if _, err := s.Create(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		username string
		want     string
	}{
		{"OKDisplayName", "zhang", "张三"},
		{"OKUsernameWithoutDisplayName", "li4", "li4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := s.ByUsername(ctx, tt.username)
			if got, err := s.Name(ctx, u.ID); err != nil || got != tt.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
	if _, err := s.Name(ctx, 99999); apperr.Code(err) != apperr.ENOTFOUND {
		t.Fatalf("no user: %v", err)
	}
}
