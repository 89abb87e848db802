package web

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/hotline-city/hotline/internal/org"
)

// apiOp documents one route of the staff API.
type apiOp struct {
	Method, Path, Summary string
	Fields                []string // body fields; a trailing "*" marks a required one
	Public                bool     // needs no login
}

// apiDoc documents an /api/v1 route in the OpenAPI document (/api/v1/openapi.json). Every
// route under /api/v1 must be documented: a test reads the route table from the sources and
// fails on one that is not. Call it beside the route in staffAPI's table (routes.go), e.g.
//
//	s.apiDoc("POST", "/api/v1/calls/{id}/transfer", "Transfer a call", "target*")
//
// fields are the body fields the route reads (form-encoded or JSON); "name*" is required.
// handleAPI does both at once for a route behind requireStaff.
func (s *Server) apiDoc(method, path, summary string, fields ...string) {
	st := s.staff()
	st.apiDocs = append(st.apiDocs, apiOp{Method: method, Path: path, Summary: summary, Fields: fields})
}

// apiDocPublic documents an /api/v1 route that needs no login.
func (s *Server) apiDocPublic(method, path, summary string, fields ...string) {
	st := s.staff()
	st.apiDocs = append(st.apiDocs, apiOp{Method: method, Path: path, Summary: summary, Fields: fields, Public: true})
}

// handleAPI registers an API route for staff of roles (nil: every staff role) and documents it.
func (s *Server) handleAPI(pattern string, roles org.RoleSet, summary string, h http.HandlerFunc, fields ...string) {
	method, path, _ := strings.Cut(pattern, " ")
	s.apiDoc(method, path, summary, fields...)
	s.handleStaff(pattern, roles, h)
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_]*)(\.\.\.)?\}`)

// openAPI builds the OpenAPI 3 document from what the areas documented.
func (s *Server) openAPI() map[string]any {
	paths := map[string]any{}
	ops := slices.Clone(s.staff().apiDocs)
	for _, op := range ops {
		item, _ := paths[op.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.Path] = item
		}
		o := map[string]any{
			"summary":     op.Summary,
			"operationId": operationID(op),
			"responses": map[string]any{
				"200": map[string]any{"description": "done", "content": map[string]any{"application/json": map[string]any{}}},
				"400": ref("Error", "invalid input; field names the field"),
				"401": ref("Error", "not logged in"),
				"403": ref("Error", "not allowed for your role or department, or a cross-origin request"),
				"404": ref("Error", "no such object"),
				"409": ref("Error", "not in this status, or changed by someone else"),
			},
		}
		if tag := tagOf(op.Path); tag != "" {
			o["tags"] = []string{tag}
		}
		if op.Public {
			o["security"] = []any{}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(op.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			o["parameters"] = params
		}
		if len(op.Fields) > 0 {
			props := map[string]any{}
			var required []string
			for _, f := range op.Fields {
				name, req := strings.CutSuffix(f, "*")
				props[name] = map[string]any{"type": "string"}
				if req {
					required = append(required, name)
				}
			}
			schema := map[string]any{"type": "object", "properties": props}
			if required != nil {
				schema["required"] = required
			}
			o["requestBody"] = map[string]any{"content": map[string]any{
				"application/json":                  map[string]any{"schema": schema},
				"application/x-www-form-urlencoded": map[string]any{"schema": schema},
			}}
		}
		item[strings.ToLower(op.Method)] = o
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "hotline staff API",
			"version":     s.version,
			"description": "The 12345 hotline's staff API. Log in with POST /api/v1/tokens and send Authorization: Bearer <token>; a browser session cookie works too. Every action body may be JSON or form-encoded.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "hotline_session"},
			},
			"schemas": map[string]any{
				"Error": map[string]any{"type": "object", "properties": map[string]any{
					"error": map[string]any{"type": "string"}, "field": map[string]any{"type": "string"}}},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
	}
}

func ref(schema, desc string) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{
		"schema": map[string]any{"$ref": "#/components/schemas/" + schema}}}}
}

func tagOf(path string) string {
	rest := strings.TrimPrefix(path, "/api/v1/")
	tag, _, _ := strings.Cut(rest, "/")
	return tag
}

func operationID(op apiOp) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(op.Method))
	for _, part := range strings.Split(strings.TrimPrefix(op.Path, "/api/v1/"), "/") {
		part = strings.Trim(part, "{}.")
		part = strings.NewReplacer("-", "_", ".", "_").Replace(part)
		if part == "" {
			continue
		}
		b.WriteString("_" + part)
	}
	return b.String()
}

func (s *Server) getOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openAPI())
}
