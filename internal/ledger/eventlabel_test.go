package ledger

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// kindLiteral matches the event kinds (and audit actions named alike) written
// as string literals in the sources.
var kindLiteral = regexp.MustCompile(`"((?:complaint|case|notice|resident|staff|reward|followup|inspection|interview|referral|retention|evidence|photo)\.[a-z_]+)"`)

// TestEventLabelCoversSources greps the module's Go sources (tests and the
// e2e tools left out) for event kinds and wants a Chinese label for each.
func TestEventLabelCoversSources(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skipf("module root not found from %s: %v", root, err)
	}
	found := map[string]string{} // kind → first file
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", "e2e", "vendor":
				return filepath.SkipDir
			}
			if strings.HasPrefix(d.Name(), ".") && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range kindLiteral.FindAllStringSubmatch(string(b), -1) {
			if _, ok := found[m[1]]; !ok {
				rel, _ := filepath.Rel(root, p)
				found[m[1]] = rel
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 20 {
		t.Fatalf("found only %d event kinds in the sources; is the walk broken?", len(found))
	}
	for kind, file := range found {
		if l := EventLabel(kind); l == kind || l == "" {
			t.Errorf("event kind %q (written in %s) has no Chinese label in eventlabel.go", kind, file)
		}
	}
}

func TestEventLabelUnknown(t *testing.T) {
	if got := EventLabel("complaint.filed"); got != "收到举报" {
		t.Errorf("EventLabel(complaint.filed) = %q", got)
	}
	if got := EventLabel("x.unknown"); got != "x.unknown" {
		t.Errorf("an unknown kind should come back as it is, got %q", got)
	}
}
