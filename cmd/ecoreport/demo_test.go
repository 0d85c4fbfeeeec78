package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"ecoreport/internal/config"
	"ecoreport/internal/db/dbtest"
)

// printedPassword is the password column of the account line of user in the
// demo's output.
func printedPassword(t *testing.T, out, user string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == user {
			return f[len(f)-1]
		}
	}
	t.Fatalf("no account line for %s in:\n%s", user, out)
	return ""
}

// startOn runs the service on spec and dir as serve would with these flags.
func startOn(t *testing.T, spec, dir string) *Main {
	t.Helper()
	cfg := config.Default()
	cfg.DB, cfg.DataDir, cfg.Addr = spec, dir, "127.0.0.1:0"
	cfg.MetricsAddr = "127.0.0.1:0" // the default port may be another run's
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: io.Discard}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestDemoInOneCommand(t *testing.T) {
	_, spec := dbtest.MustOpenDBSpec(t)
	dir := t.TempDir()
	t.Setenv("ECOREPORT_ADDR", "") // restored after the test
	os.Unsetenv("ECOREPORT_ADDR")
	code, out, errOut := runCmd(t, nil, "demo", "--db", spec, "--data-dir", dir)
	if code != 0 {
		t.Fatalf("demo: %d\n%s\n%s", code, out, errOut)
	}
	t.Run("SaysHowToServeItAndWhereToLogIn", func(t *testing.T) {
		for _, want := range []string{" serve --db " + shellQuote(spec) + " --data-dir " + shellQuote(dir),
			"http://127.0.0.1:8080/office/login", "http://127.0.0.1:8080/"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("TheServiceItNamesLetsTheAdministratorIn", func(t *testing.T) {
		m := startOn(t, spec, dir)
		u, err := m.Users.Authenticate(context.Background(), "admin", printedPassword(t, out, "admin"))
		if err != nil || u.Role != "admin" {
			t.Fatalf("admin with the printed password: %v", err)
		}
		if _, err := m.Users.Authenticate(context.Background(), "wangjianguo", printedPassword(t, out, "wangjianguo")); err != nil {
			t.Fatalf("inspector with the printed password: %v", err)
		}
		var cases int
		if err := m.DB.Get(&cases, `SELECT COUNT(*) FROM cases`); err != nil || cases < 20 {
			t.Fatalf("cases on the served database: %d %v", cases, err)
		}
	})
}

func TestDemoAfterTheFirstStartKeepsItsAdministrator(t *testing.T) {
	_, spec := dbtest.MustOpenDBSpec(t)
	dir := t.TempDir()
	first := startOn(t, spec, dir)
	first.Close()
	code, out, errOut := runCmd(t, nil, "demo", "--db", spec, "--data-dir", dir)
	if code != 0 {
		t.Fatalf("demo after a first start: %d\n%s\n%s", code, out, errOut)
	}
	if want := " user passwd --db " + shellQuote(spec) + " --name admin"; !strings.Contains(out, want) {
		t.Fatalf("output does not say how to reset the kept admin's password (%q):\n%s", want, out)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite:./data/demo.db":                "sqlite:./data/demo.db",
		"mysql:eco:pw@tcp(127.0.0.1:3306)/eco": "'mysql:eco:pw@tcp(127.0.0.1:3306)/eco'",
		"/srv/my data":                         "'/srv/my data'",
		"it's":                                 `'it'\''s'`,
		"":                                     "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
