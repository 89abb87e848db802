package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-city/hotline/routing"
)

// RoutingDeps are what the routing area needs.
type RoutingDeps struct {
	// Service keeps the dispatch rules, reviews returns, finds duplicates
	// and suggests departments.
	Service *routing.Service
}

// routingError answers like apiError and, for a rule set that does not validate, lists every
// problem so an editor can fix them all at once.
func (s *Server) routingError(w http.ResponseWriter, r *http.Request, err error) {
	var verr *routing.ValidationError
	status, body := errorStatus(err)
	if status != http.StatusBadRequest || !errors.As(err, &verr) {
		s.apiError(w, r, err)
		return
	}
	out := map[string]any{"problems": verr.Problems}
	for k, v := range body {
		out[k] = v
	}
	writeJSON(w, status, out)
}

func editorOf(r *http.Request) routing.Editor {
	st := staffFrom(r.Context())
	if st == nil {
		return routing.Editor{}
	}
	return routing.Editor{ID: st.ID, Name: st.Username}
}

// ruleID reads the {id} path parameter.
func ruleID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &badField{"id", "must be a positive whole number"}
	}
	return id, nil
}

// decodeRule reads a rule as a JSON object. Unknown fields are refused, so a misspelt
// condition is not silently ignored.
func decodeRule(w http.ResponseWriter, r *http.Request) (routing.Rule, error) {
	var rule routing.Rule
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return rule, &badField{"body", "unreadable or too large"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rule); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return rule, &badField{te.Field, fmt.Sprintf("must be %s", te.Type)}
		}
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			return rule, &badField{strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "unknown field"}
		}
		return rule, &badField{"body", "is not a JSON rule object: " + err.Error()}
	}
	return rule, nil
}

func (s *Server) getRoutingRules(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	rules, err := svc.Rules(r.Context())
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": rules})
}

func (s *Server) getRoutingRule(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	id, err := ruleID(r)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	rule, err := svc.Rule(r.Context(), id)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rule)
}

func (s *Server) postRoutingRule(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	rule, err := decodeRule(w, r)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	out, err := svc.CreateRule(r.Context(), editorOf(r), rule)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) putRoutingRule(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	id, err := ruleID(r)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	rule, err := decodeRule(w, r)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	if rule.ID != 0 && rule.ID != id {
		s.routingError(w, r, &badField{"id", fmt.Sprintf("the body's id %d is not the path's %d", rule.ID, id)})
		return
	}
	rule.ID = id
	out, err := svc.UpdateRule(r.Context(), editorOf(r), rule)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteRoutingRule(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	id, err := ruleID(r)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	out, err := svc.DeleteRule(r.Context(), editorOf(r), id)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": out.ID, "version": out.Version})
}

func (s *Server) getRoutingVersions(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	id, err := ruleID(r)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	vs, err := svc.Versions(r.Context(), id)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

// routingRequest reads a dry run's fields. at is RFC 3339 or local "2006-01-02T15:04".
func (s *Server) routingRequest(f fields) (routing.Request, error) {
	req := routing.Request{Text: f.get("text"), Category: f.get("category"), Address: f.get("address"),
		District: f.get("district"), Street: f.get("street"), Channel: f.get("channel"), Type: f.get("type"), Phone: f.get("phone")}
	if at := f.get("at"); at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02T15:04", at, s.location())
		}
		if err != nil {
			return req, &badField{"at", "must be a time like 2026-11-23T22:30 or RFC 3339"}
		}
		req.At = t
	}
	var err error
	if req.Lat, err = f.float("lat"); err != nil {
		return req, err
	}
	if req.Lon, err = f.float("lon"); err != nil {
		return req, err
	}
	return req, nil
}

func (s *Server) postRoutingDryRun(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "body"})
		return
	}
	req, err := s.routingRequest(f)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	res, err := svc.DryRun(r.Context(), req)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) getRoutingSuggest(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	text := strings.TrimSpace(r.URL.Query().Get("text"))
	if text == "" {
		s.routingError(w, r, &badField{"text", "is required"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"suggestions": svc.Suggest(text, 3), "model": svc.Cache().ModelInfo()})
}

func (s *Server) postRoutingRetrain(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	info, err := svc.Retrain(r.Context())
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) getRoutingReturns(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	q, err := svc.ReturnQueue(r.Context())
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	if q == nil {
		q = []routing.ReturnedTicket{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"returns": q})
}

func reviewInput(f fields) (routing.ReviewInput, error) {
	v, err := f.int("version")
	if err != nil {
		return routing.ReviewInput{}, err
	}
	return routing.ReviewInput{Decision: f.get("decision"), Department: f.get("department"),
		CoHandlers: f.list("co_handlers"), Note: f.get("note"), Version: v}, nil
}

func (s *Server) postRoutingReview(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "body"})
		return
	}
	in, err := reviewInput(f)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	t, err := svc.Review(r.Context(), actorFrom(r.Context()), r.PathValue("number"), in)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) getRoutingReturnStats(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	days := 30
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 3660 {
			s.routingError(w, r, &badField{"days", "must be a whole number of days from 1 to 3660"})
			return
		}
		days = n
	}
	since := s.Clock.Now().AddDate(0, 0, -days)
	stats, err := svc.ReturnStats(r.Context(), since)
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	if stats == nil {
		stats = []routing.DepartmentReturns{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"since": since, "days": days, "departments": stats})
}

func (s *Server) postTicketMerge(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "body"})
		return
	}
	t, err := s.Tickets.Merge(r.Context(), actorFrom(r.Context()), r.PathValue("number"), f.get("master"), f.get("note"))
	if err != nil {
		s.routingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"number": t.Number, "master": f.get("master"), "status": t.Status})
}
