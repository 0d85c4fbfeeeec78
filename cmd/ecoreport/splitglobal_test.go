package main

import (
	"reflect"
	"testing"
)

// The hotline and bulletin commands take the shared flags anywhere among
// their own; every flag of the shared groups is recognised, with its value,
// and nothing else is taken from the command.
func TestSharedFlagsAreSplitFromTheCommandsOwn(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		global, rest []string
	}{
		{"value in the next argument", []string{"--db", "sqlite:x.db", "import", "f.csv"},
			[]string{"--db", "sqlite:x.db"}, []string{"import", "f.csv"}},
		{"value after =", []string{"import", "-db=sqlite:x.db", "f.csv"},
			[]string{"-db=sqlite:x.db"}, []string{"import", "f.csv"}},
		{"the audit checkpoints file", []string{"--month", "2026-11", "--audit-checkpoints", "/srv/cp.jsonl"},
			[]string{"--audit-checkpoints", "/srv/cp.jsonl"}, []string{"--month", "2026-11"}},
		{"a boolean takes no value", []string{"--log-json", "import", "f.csv"},
			[]string{"--log-json"}, []string{"import", "f.csv"}},
		{"county flags", []string{"--county", "石泉县", "--notice-prefix=石环督整", "x"},
			[]string{"--county", "石泉县", "--notice-prefix=石环督整"}, []string{"x"}},
		{"the command's own flags stay", []string{"--dry-run", "--unit", "城关镇"},
			nil, []string{"--dry-run", "--unit", "城关镇"}},
		{"a bare word that looks like a flag name stays", []string{"db", "tz"},
			nil, []string{"db", "tz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			global, rest := splitGlobal(tt.args)
			if !reflect.DeepEqual(global, tt.global) || !reflect.DeepEqual(rest, tt.rest) {
				t.Errorf("splitGlobal(%q) = %q, %q; want %q, %q", tt.args, global, rest, tt.global, tt.rest)
			}
		})
	}
}
