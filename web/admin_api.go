package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hotline-city/hotline/intake"
)

// adminAPI is the API handler of an administrative change: the change's audit record as JSON,
// or the error with the field it names. Path values ({date}) count as fields.
func (s *Server) adminAPI(tab string, change adminChange) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := readFields(w, r)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		if d := r.PathValue("date"); d != "" {
			f["date"] = []string{d}
		}
		rec, err := s.applyAdminChange(r.Context(), tab, f, r, change)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"action": rec.action, "object_type": rec.objType, "key": rec.key, "detail": rec.detail})
	}
}

func (s *Server) getOpen311KeysAPI(w http.ResponseWriter, r *http.Request) {
	keys, err := s.Intake.Service.Keys(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		out[i] = open311KeyJSON(&k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

func (s *Server) postOpen311KeyAPI(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	text, key, err := s.issueOpen311Key(r.Context(), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{"key": open311KeyJSON(key), "api_key": text})
}

func (s *Server) deleteOpen311KeyAPI(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.apiError(w, r, &badField{"id", "must be a positive whole number"})
		return
	}
	err = s.revokeOpen311Key(r.Context(), id)
	if errors.Is(err, intake.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no live key " + strconv.FormatInt(id, 10) + " (unknown or revoked already)", "field": "id"})
		return
	} else if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"revoked": id})
}

// open311KeyJSON is a key as the API shows it, in the API's snake_case.
func open311KeyJSON(k *intake.Key) map[string]any {
	return map[string]any{"id": k.ID, "organisation": k.Organisation, "label": k.Label, "rate_per_minute": k.RatePerMinute,
		"burst": k.Burst, "created_at": k.CreatedAt, "revoked_at": k.RevokedAt}
}
