package main

import (
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"ecoreport/internal/config"
)

// The documentation is read by people who cannot see the code: these tests
// keep README.md and docs/ true to it.

const repoRoot = "../.."

// mdTable is one Markdown table and the heading it stands under.
type mdTable struct {
	heading string
	rows    [][]string // cells of the body rows, trimmed
}

var escapedPipe = regexp.MustCompile(`\\\|`)

// tables returns the tables of a Markdown text, skipping fenced code.
func tables(text string) []mdTable {
	var out []mdTable
	heading, fenced := "", false
	var cur *mdTable
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") {
			fenced = !fenced
		}
		if fenced {
			continue
		}
		if strings.HasPrefix(t, "#") {
			heading = strings.TrimSpace(strings.TrimLeft(t, "#"))
		}
		if !strings.HasPrefix(t, "|") {
			cur = nil
			continue
		}
		cells := strings.Split(escapedPipe.ReplaceAllString(strings.Trim(t, "|"), "\x00"), "|")
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(strings.TrimSpace(c), "\x00", "|")
		}
		if cur == nil {
			out = append(out, mdTable{heading: heading})
			cur = &out[len(out)-1]
			continue // the header row
		}
		if strings.Trim(strings.Join(cells, ""), "-: ") == "" {
			continue // the separator row
		}
		cur.rows = append(cur.rows, cells)
	}
	return out
}

var backticked = regexp.MustCompile("`([^`]+)`")

// codes returns the `…` spans of a cell.
func codes(cell string) []string {
	var out []string
	for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// helpFlag is a flag as `ecoreport CMD -h` prints it.
type helpFlag struct {
	name, def string
}

var (
	helpFlagLine = regexp.MustCompile(`^  -(\S+)`)
	helpDefault  = regexp.MustCompile(`\(default "?(.*?)"?\)$`)
)

// helpFlags runs `ecoreport words... -h` and reads the flags it lists.
func helpFlags(t *testing.T, words string) map[string]helpFlag {
	t.Helper()
	code, out, errOut := runCmd(t, nil, append(strings.Fields(words), "-h")...)
	if code != 0 {
		t.Errorf("`ecoreport %s -h` exits %d: %s", words, code, errOut)
	}
	flags := map[string]helpFlag{}
	lines := strings.Split(out+errOut, "\n")
	for i, l := range lines {
		m := helpFlagLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		f := helpFlag{name: m[1]}
		if i+1 < len(lines) && !helpFlagLine.MatchString(lines[i+1]) {
			if d := helpDefault.FindStringSubmatch(strings.TrimSpace(lines[i+1])); d != nil {
				f.def = d[1]
			}
		}
		flags[f.name] = f
	}
	return flags
}

func rowsOf(ts []mdTable) [][]string {
	var out [][]string
	for _, t := range ts {
		out = append(out, t.rows...)
	}
	return out
}

func dashless(s string) string { return strings.TrimLeft(s, "-") }

// TestConfigurationListsEveryFlag compares docs/configuration.md with what
// every command's -h prints: the flags of each command exactly, a row
// explaining every flag, the environment variable and the default of each.
func TestConfigurationListsEveryFlag(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // -h must open nothing: nothing may appear here
	t.Setenv("USER", "") // the default operator name is then "cli"
	const doc = "docs/configuration.md"

	var perCommand, shared, own []mdTable
	for _, tb := range tables(string(b)) {
		switch {
		case tb.heading == "The flags of each command":
			perCommand = append(perCommand, tb)
		case tb.heading == "Shared flags":
			shared = append(shared, tb)
		case tb.heading == "The own flags of the commands":
			own = append(own, tb)
		}
	}
	if len(perCommand) == 0 || len(shared) == 0 || len(own) == 0 {
		t.Fatalf("%s: expected the tables under “Shared flags”, “The flags of each command” and “The own flags of the commands”", doc)
	}

	// What each command really takes.
	real := map[string]map[string]helpFlag{}
	documented := map[string]bool{}
	for _, row := range rowsOf(perCommand) {
		var listed []string
		for _, c := range codes(row[1]) {
			listed = append(listed, dashless(c))
		}
		for _, cmd := range codes(row[0]) {
			documented[strings.Fields(cmd)[0]] = true
			flags := helpFlags(t, cmd)
			real[cmd] = flags
			for name := range flags {
				if !slices.Contains(listed, name) {
					t.Errorf("%s: `ecoreport %s -h` has --%s, which the row of `%s` under “The flags of each command” lacks", doc, cmd, name, cmd)
				}
			}
			for _, name := range listed {
				if _, ok := flags[name]; !ok {
					t.Errorf("%s: the row of `%s` lists --%s, which `ecoreport %s -h` does not have", doc, cmd, name, cmd)
				}
			}
		}
	}
	for _, c := range commands() {
		if c.name != "help" && !documented[c.name] {
			t.Errorf("%s: the command `%s` has no row under “The flags of each command”", doc, c.name)
		}
	}

	// A row explains every flag, with its variable and default.
	explained := map[string]bool{} // "cmd --flag", or "* --flag" for shared ones
	checkDefault := func(where, cmd, name, cell string) {
		f, ok := real[cmd][name]
		if ok && f.def != "" && !strings.Contains(cell, "`"+f.def+"`") {
			t.Errorf("%s: %s says the default of --%s is %q; `ecoreport %s -h` says %q", doc, where, name, cell, cmd, f.def)
		}
	}
	for _, row := range rowsOf(shared) {
		{
			name := dashless(strings.Trim(row[0], "`"))
			explained["* "+name] = true
			if want := "`" + config.EnvName(name) + "`"; row[1] != want {
				t.Errorf("%s: the variable of --%s is %s, not %s", doc, name, want, row[1])
			}
			for _, cmd := range slices.Sorted(maps.Keys(real)) {
				if _, ok := real[cmd][name]; ok {
					checkDefault("the shared table", cmd, name, row[2])
					break // one command is enough: they share the flag
				}
			}
		}
	}
	for _, row := range rowsOf(own) {
		for _, cmd := range codes(row[0]) {
			for _, f := range codes(row[1]) {
				name := dashless(f)
				explained[cmd+" "+name] = true
				if _, ok := real[cmd][name]; !ok {
					t.Errorf("%s: “The own flags of the commands” explains --%s of `%s`, which `ecoreport %s -h` does not have", doc, name, cmd, cmd)
				}
				checkDefault("“The own flags of the commands”", cmd, name, row[2])
			}
		}
	}
	for cmd, flags := range real {
		for name := range flags {
			if !explained["* "+name] && !explained[cmd+" "+name] {
				t.Errorf("%s: no row explains --%s of `%s` (add it to “The own flags of the commands”, or to “Shared flags”)", doc, name, cmd)
			}
		}
	}

	if left, _ := os.ReadDir("."); len(left) > 0 {
		t.Errorf("`-h` of some command created %s", left[0].Name())
	}
}

// docFiles are README.md and every Markdown file under docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join(repoRoot, "README.md")}
	err := filepath.WalkDir(filepath.Join(repoRoot, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var (
	mdLink     = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	htmlLink   = regexp.MustCompile(`(?:src|href)="([^"]+)"`)
	autoLink   = regexp.MustCompile(`<(https?://[^>\s]+)>`)
	inlineCode = regexp.MustCompile("`[^`]*`")
)

// links returns the link targets of a Markdown text, outside code.
func links(text string) []string {
	var out []string
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		line = inlineCode.ReplaceAllString(line, "")
		for _, re := range []*regexp.Regexp{mdLink, htmlLink, autoLink} {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// anchors are the fragment names GitHub gives a Markdown file's headings:
// lower case, punctuation dropped (letters of every script, digits, spaces,
// "-" and "_" kept), spaces as "-", repeats numbered -1, -2, ….
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case unicode.IsLetter(r) || unicode.IsNumber(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		slug := b.String()
		for i, s := 1, slug; ; i++ {
			if !out[s] {
				out[s] = true
				break
			}
			s = slug + "-" + strconv.Itoa(i)
		}
	}
	return out
}

// TestDocsLinksResolve: every relative link of README.md and docs/ names a
// file of the repository and, with a #fragment, a heading of that file (or,
// in the file itself, its own heading); nothing links outside the
// repository except to the local service (127.0.0.1, localhost).
func TestDocsLinksResolve(t *testing.T) {
	for _, file := range docFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repoRoot, file)
		for _, target := range links(string(b)) {
			u, err := url.Parse(target)
			if err != nil {
				t.Errorf("%s: link %q does not parse", rel, target)
				continue
			}
			if u.Scheme != "" {
				if (u.Scheme == "http" || u.Scheme == "https") && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost") {
					continue
				}
				t.Errorf("%s: %s links outside the repository; say what the reader needs in the docs", rel, target)
				continue
			}
			dest := file
			if u.Path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(u.Path))
				if inside, _ := filepath.Rel(repoRoot, dest); strings.HasPrefix(inside, "..") {
					t.Errorf("%s: %s points outside the repository", rel, target)
					continue
				}
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: %s does not exist", rel, target)
					continue
				}
			}
			if u.Fragment != "" && strings.HasSuffix(dest, ".md") {
				db, _ := os.ReadFile(dest)
				if !anchors(string(db))[u.Fragment] {
					t.Errorf("%s: %s: no heading with the anchor #%s", rel, target, u.Fragment)
				}
			}
		}
	}
}

// TestReadmeWarnsAboutTheSilentFirstBuild: a first build prints nothing for
// minutes, and a newcomer must know that before thinking it hangs.
func TestReadmeWarnsAboutTheSilentFirstBuild(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, "couple of minutes") || !strings.Contains(s, "prints nothing") {
		t.Fatal("README.md does not say that the first build takes a couple of minutes and prints nothing")
	}
}

func TestAnchorsAreGitHubs(t *testing.T) {
	got := anchors("# Backup and restore\n## nginx in front, with TLS\n```\n# not a heading\n```\n### Demo data — `ecoreport demo`\n## 工作人员\n## Routes\n## Routes\n")
	for _, want := range []string{"backup-and-restore", "nginx-in-front-with-tls", "demo-data--ecoreport-demo", "工作人员", "routes", "routes-1"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a line in a code block counted as a heading")
	}
}
