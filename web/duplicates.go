package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/hotline-city/hotline/routing"
)

// duplicateQuery reads a duplicate search (并单候选) from the query string. description is
// accepted for text because the agent console's form, and scripts written against the first
// version of /api/v1/duplicates, name the field so.
func duplicateQuery(q fields) routing.DuplicateQuery {
	text := q.get("text")
	if text == "" {
		text = q.get("description")
	}
	return routing.DuplicateQuery{Phone: q.get("phone"), Address: q.get("address"), Category: q.get("category"),
		Text: text, Exclude: q.get("exclude")}
}

// getDuplicates answers GET /api/v1/duplicates and its alias /api/v1/routing/duplicates with
// routing's candidates: one implementation of duplicate detection for the API and the console.
func (s *Server) getDuplicates(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	f, err := queryOrBody(w, r, "phone")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	cands, err := svc.Duplicates(r.Context(), duplicateQuery(f))
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	if cands == nil {
		cands = []routing.Candidate{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"candidates": cands})
}

// consoleDuplicates are the candidates the console shows beside the registration form, from
// the form's own field names. Nothing typed yet or an unknown category give an empty
// list: the panel is a hint while the agent types, not a form to validate.
func (s *Server) consoleDuplicates(ctx context.Context, f fields) ([]routing.Candidate, error) {
	q := routing.DuplicateQuery{Phone: f.get("caller_phone"), Address: f.get("address"), Category: f.get("category"),
		Text: f.get("description")}
	if q.Phone == "" && q.Address == "" && q.Text == "" {
		return []routing.Candidate{}, nil
	}
	cands, err := s.Routing.Service.Duplicates(ctx, q)
	var fe *routing.FieldError
	if errors.As(err, &fe) {
		return []routing.Candidate{}, nil
	}
	return cands, err
}
