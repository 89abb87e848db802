package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sourceRoutes reads the route table from the package's sources: every string literal pattern
// given to mux.Handle, mux.HandleFunc, handleStaff or handleAPI.
func sourceRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch sel.Sel.Name {
			case "Handle", "HandleFunc", "handleStaff", "handleAPI":
			default:
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				p, _ := strconv.Unquote(lit.Value)
				out = append(out, p)
			}
			return true
		})
	}
	return out
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	doc := e.do(nil, "GET", "/api/v1/openapi.json", nil, nil)
	if doc.Status != 200 {
		t.Fatalf("openapi.json: %d", doc.Status)
	}
	m := doc.json(t)
	if v, _ := m["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi version %q", v)
	}
	paths := m["paths"].(map[string]any)
	routes := sourceRoutes(t)
	if len(routes) < 20 {
		t.Fatalf("read only %d routes from the sources", len(routes))
	}
	n := 0
	for _, p := range routes {
		method, path, ok := strings.Cut(p, " ")
		if !ok || !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		n++
		item, _ := paths[path].(map[string]any)
		if item == nil || item[strings.ToLower(method)] == nil {
			t.Errorf("route %q is not described in /api/v1/openapi.json: add s.apiDoc or use s.handleAPI", p)
		}
	}
	if n < 20 {
		t.Fatalf("only %d API routes found", n)
	}
	// Every described operation exists.
	registered := map[string]bool{}
	for _, p := range routes {
		registered[p] = true
	}
	for path, item := range paths {
		for method := range item.(map[string]any) {
			if !registered[strings.ToUpper(method)+" "+path] {
				t.Errorf("described %s %s has no route", method, path)
			}
		}
	}
}
