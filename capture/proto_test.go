package capture

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// TestEveryHeaderHandled checks that the decode loop handles every header
// kind exactly once: by a case of its switch or by headerParsers, whose
// kinds fall to the switch's default (a kind with neither would call a nil
// parser). The kinds are read from proto.go's const block, in iota order,
// and the cases from decode.go.
func TestEveryHeaderHandled(t *testing.T) {
	fset := token.NewFileSet()
	protoFile, err := parser.ParseFile(fset, "proto.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, decl := range protoFile.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST || len(g.Specs) == 0 {
			continue
		}
		if first := g.Specs[0].(*ast.ValueSpec); first.Names[0].Name != "pOther" {
			continue
		}
		for _, spec := range g.Specs {
			for _, name := range spec.(*ast.ValueSpec).Names {
				kinds = append(kinds, name.Name)
			}
		}
	}
	if len(kinds) != int(pTCP)+1 {
		t.Fatalf("%d kinds in proto.go, want %d (pTCP last)", len(kinds), pTCP+1)
	}
	decodeFile, err := parser.ParseFile(fset, "decode.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	cased := map[string]bool{}
	ast.Inspect(decodeFile, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "decode" {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			if tag, ok := sw.Tag.(*ast.Ident); !ok || tag.Name != "p" {
				return true
			}
			for _, stmt := range sw.Body.List {
				for _, e := range stmt.(*ast.CaseClause).List {
					if id, ok := e.(*ast.Ident); ok {
						cased[id.Name] = true
					}
				}
			}
			return false
		})
		return false
	})
	if len(cased) == 0 {
		t.Fatal("no switch on p found in decode")
	}
	for v, name := range kinds {
		parsed := headerParsers[v] != nil
		switch {
		case cased[name] && parsed:
			t.Errorf("%s has a case in decode and a parser in headerParsers", name)
		case !cased[name] && !parsed:
			t.Errorf("%s has neither a case in decode nor a parser in headerParsers", name)
		}
	}
}
