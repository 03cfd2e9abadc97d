package parts

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// moneyFiles are the Go files that handle prices, charges and stock
// quantities (issue 10: money never passes through float64).
var moneyFiles = []string{
	"model.go", "service.go", "ledger.go", "store.go",
	"../orders/parts_used.go",
	"../evidence/record.go",
	"../../api/parts.go", "../../api/parts_types.go",
}

// moneyDecls are the declarations of shared files that carry money: the
// order's quote lines and charges (the same file also holds coordinates,
// which are floats by nature).
var moneyDecls = map[string][]string{
	"../orders/model.go": {"QuoteItem", "QuoteItems", "Charges", "QuoteTotal"},
}

// floatsIn returns the positions of float32/float64 (and math/big's Float)
// in src, or only in the named top-level declarations when names is non-nil.
func floatsIn(t *testing.T, name string, src any, names []string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	var found []string
	check := func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.Ident:
				if x.Name == "float64" || x.Name == "float32" {
					found = append(found, fset.Position(x.Pos()).String())
				}
			case *ast.SelectorExpr:
				if x.Sel.Name == "ParseFloat" || x.Sel.Name == "Float" {
					found = append(found, fset.Position(x.Pos()).String())
				}
			case *ast.BasicLit:
				if x.Kind == token.FLOAT {
					found = append(found, fset.Position(x.Pos()).String())
				}
			}
			return true
		})
	}
	for _, d := range f.Decls {
		if names == nil || declares(d, names) {
			check(d)
		}
	}
	return found
}

func declares(d ast.Decl, names []string) bool {
	has := func(n string) bool {
		for _, x := range names {
			if x == n {
				return true
			}
		}
		return false
	}
	switch x := d.(type) {
	case *ast.FuncDecl:
		return has(x.Name.Name)
	case *ast.GenDecl:
		for _, s := range x.Specs {
			if ts, ok := s.(*ast.TypeSpec); ok && has(ts.Name.Name) {
				return true
			}
		}
	}
	return false
}

// TestNoFloatsInMoneyCode parses the inventory and charges code and fails
// on any float type, float literal or float parsing in it.
func TestNoFloatsInMoneyCode(t *testing.T) {
	for _, f := range moneyFiles {
		if got := floatsIn(t, filepath.FromSlash(f), nil, nil); len(got) > 0 {
			t.Errorf("%s: floats in money code at %s", f, strings.Join(got, ", "))
		}
	}
	for f, names := range moneyDecls {
		if got := floatsIn(t, filepath.FromSlash(f), nil, names); len(got) > 0 {
			t.Errorf("%s: floats in money code at %s", f, strings.Join(got, ", "))
		}
	}
}

// TestTheFloatCheckBites: the check finds a float where one is added, so a
// passing TestNoFloatsInMoneyCode means something.
func TestTheFloatCheckBites(t *testing.T) {
	for _, src := range []string{
		"package p\ntype Charges struct{ Parts float64 }\n",
		"package p\nfunc QuoteTotal() int64 { return int64(12.5) }\n",
		"package p\nimport \"strconv\"\nfunc Charges(s string) { strconv.ParseFloat(s, 64) }\n",
	} {
		if got := floatsIn(t, "synthetic.go", src, []string{"Charges", "QuoteTotal"}); len(got) == 0 {
			t.Errorf("no float found in %q", src)
		}
	}
	if got := floatsIn(t, "synthetic.go", "package p\ntype Other struct{ Lat float64 }\n", []string{"Charges"}); len(got) != 0 {
		t.Errorf("a float outside the named declarations was reported: %v", got)
	}
}
