package db_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoEngineBranchesOutsideDB keeps the dialect differences in this
// package: no other non-test file names db.MySQL or db.SQLite, or compares
// an Engine field with "mysql" or "sqlite". Code that needs an engine's SQL
// asks a DB method (ForUpdate, SecondsBetween, SetForeignKeys, Embedded).
func TestNoEngineBranchesOutsideDB(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var found []string
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			switch e.Name() {
			case "node_modules", ".git", "testdata":
				return filepath.SkipDir
			}
			if rel, _ := filepath.Rel(root, path); rel == filepath.Join("internal", "db") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dbName := ""
		for _, im := range f.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); p == "ecoreport/internal/db" {
				dbName = "db"
				if im.Name != nil {
					dbName = im.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && dbName != "" && id.Name == dbName && (x.Sel.Name == "MySQL" || x.Sel.Name == "SQLite") {
					found = append(found, fset.Position(x.Pos()).String()+": "+dbName+"."+x.Sel.Name)
				}
			case *ast.BinaryExpr:
				if (x.Op == token.EQL || x.Op == token.NEQ) && (isEngine(x.X) && isEngineName(x.Y) || isEngine(x.Y) && isEngineName(x.X)) {
					found = append(found, fset.Position(x.Pos()).String()+": Engine compared with an engine name")
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Fatalf("engine branches outside internal/db:\n%s", strings.Join(found, "\n"))
	}
}

func isEngine(e ast.Expr) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && s.Sel.Name == "Engine"
}

func isEngineName(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.STRING && (l.Value == `"mysql"` || l.Value == `"sqlite"`)
}
