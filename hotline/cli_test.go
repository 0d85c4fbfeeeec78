package hotline

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ecoreport/internal/db/dbtest"
)

func TestImportCommand(t *testing.T) {
	dir := impSampleDir(t)
	d, spec := dbtest.MustOpenDBSpec(t)
	_ = spec
	im := impNew(t, d)
	good := filepath.Join(dir, "02-12369-gbk-title.csv")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("这不是工单\n1,2,3\n"), 0o600)

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		jsonObjs int
	}{
		{"ErrUsageNoFile", []string{}, ExitUsage, nil, []string{"用法"}, 0},
		{"ErrUsageBadFlag", []string{"--nope", good}, ExitUsage, nil, []string{"用法"}, 0},
		{"OK", []string{"--operator", "李四", good}, ExitOK, []string{"新导入", "拒收", "第 "}, []string{"完成"}, 0},
		{"OKJSON", []string{"--json", good}, ExitOK, []string{`"unchanged":18`, `"rejected":2`, `"stale":0`, `"seen_before":"此文件已于`}, nil, 1},
		{"OKAgainSaysSoFirst", []string{good}, ExitOK, []string{"02-12369-gbk-title.csv：此文件已于", "比台账旧"}, []string{"02-12369-gbk-title.csv：此文件已于"}, 0},
		{"ErrMissingFile", []string{"--json", good, filepath.Join(dir, "nope.csv")}, ExitFail, nil, []string{"文件无法读取", "nope.csv"}, 2},
		{"ErrUnreadable", []string{bad}, ExitFail, nil, []string{"导入失败（文件无法读取）", "未找到表头行"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := ImportCommand(context.Background(), im, tc.args, &out, &errb, false)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, &out, &errb)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &out)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errb.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, &errb)
				}
			}
			if tc.jsonObjs > 0 {
				dec := json.NewDecoder(&out)
				for i := 0; i < tc.jsonObjs; i++ {
					var obj map[string]any
					if err := dec.Decode(&obj); err != nil {
						t.Fatalf("object %d: %v", i, err)
					}
					for _, k := range []string{"file", "sha256", "imported", "updated", "unchanged", "rejected", "warnings", "rejects"} {
						if _, ok := obj[k]; !ok {
							t.Errorf("object %d lacks %q: %v", i, k, obj)
						}
					}
					if rj, ok := obj["rejects"].([]any); ok && len(rj) > 0 {
						r := rj[0].(map[string]any)
						if r["row"] == nil || r["reason"] == nil {
							t.Errorf("reject %v", r)
						}
					}
				}
			}
		})
	}
	t.Run("ErrDatabase", func(t *testing.T) {
		d2 := dbtest.MustOpenDB(t)
		im2 := impNew(t, d2)
		d2.Close()
		var out, errb bytes.Buffer
		if code := ImportCommand(context.Background(), im2, []string{good}, &out, &errb, false); code != ExitFail {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(errb.String(), "数据库出错") || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
			t.Fatalf("stderr %q", errb.String())
		}
	})
	t.Run("Terminal", func(t *testing.T) {
		var out, errb bytes.Buffer
		if code := ImportCommand(context.Background(), im, []string{good}, &out, &errb, true); code != ExitOK {
			t.Fatalf("exit %d %s", code, &errb)
		}
		if !strings.Contains(out.String(), "无变化") {
			t.Fatalf("stdout %s", &out)
		}
	})
}

func TestClientAndFeedbackCommands(t *testing.T) {
	d := dbtest.MustOpenDB(t)
	im := impNew(t, d)
	cl := &Clients{DB: d, Keys: im.Ledger.Keys}
	var out, errb bytes.Buffer
	if code := ClientCommand(context.Background(), cl, []string{"county-12345"}, &out, &errb); code != ExitOK {
		t.Fatalf("add-client: %d %s", code, &errb)
	}
	lines := strings.Split(out.String(), "\n")
	if len(lines) < 3 || len(strings.TrimSpace(lines[2])) != 64 {
		t.Fatalf("secret not printed: %q", out.String())
	}
	if code := ClientCommand(context.Background(), cl, []string{"county-12345"}, &out, &errb); code != ExitUsage {
		t.Fatalf("duplicate client: %d", code)
	}
	if code := ClientCommand(context.Background(), cl, nil, &out, &errb); code != ExitUsage {
		t.Fatalf("no name: %d", code)
	}

	fb := &Feedback{Ledger: im.Ledger, DB: d}
	file := filepath.Join(t.TempDir(), "fb.xlsx")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"ErrNoOutput", []string{"--since-last"}, ExitUsage},
		{"ErrBothModes", []string{"--since-last", "--from", "2026-11-01", "--to", "2026-11-30", "-o", file}, ExitUsage},
		{"ErrBadFormat", []string{"--since-last", "--format", "pdf", "-o", file}, ExitUsage},
		{"ErrBadDate", []string{"--from", "2026/11/01", "--to", "2026-11-30", "-o", file}, ExitUsage},
		{"OKRange", []string{"--from", "2026-11-01", "--to", "2026-11-30", "--format", "xlsx", "-o", file}, ExitOK},
		{"OKSinceLast", []string{"--since-last", "-o", file + ".csv"}, ExitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out.Reset()
			errb.Reset()
			if code := FeedbackCommand(context.Background(), fb, tc.args, &out, &errb); code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, &errb)
			}
		})
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
}
