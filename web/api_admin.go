package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hotline-city/hotline/intake"
)

// routesAdminAPI lists the administration's write routes under /api/v1/admin: the same changes
// as the administration pages, through the same functions, each with its audit entry.
func (s *Server) routesAdminAPI() {
	s.handleAPI("POST /api/v1/admin/departments", rolesAdmin, "Create or update a department (by code)",
		s.adminAPI("departments", s.saveDepartment), "code*", "name_zh*", "name_en", "kind*", "parent", "active")
	s.handleAPI("POST /api/v1/admin/staff", rolesAdmin, "Create or update a staff account (by username); a new password or a disabled account ends its sessions",
		s.adminAPI("staff", s.saveStaff), "username*", "display_name*", "role*", "department*", "password", "email", "active")
	s.handleAPI("POST /api/v1/admin/categories", rolesAdmin, "Create or update a category (by code)",
		s.adminAPI("catalogue", s.saveCategory), "code*", "name_zh*", "name_en", "ticket_type*", "profile*", "parent", "active")
	s.handleAPI("POST /api/v1/admin/profiles", rolesAdmin, "Create or update a deadline profile (by code)",
		s.adminAPI("catalogue", s.saveProfile), "code*", "name_zh*", "accept_hours*", "feedback_hours*", "resolve_workdays*", "callback_workdays*")
	s.handleAPI("POST /api/v1/admin/calendar", rolesAdmin, "Set a day of the working-day calendar (holiday or adjusted working day, 调休)",
		s.adminAPI("calendar", s.saveCalendarDay), "date*", "kind*", "name")
	s.handleAPI("DELETE /api/v1/admin/calendar/{date}", rolesAdmin, "Remove a day from the working-day calendar",
		s.adminAPI("calendar", s.deleteCalendarDay))
	s.handleAPI("POST /api/v1/admin/kb", rolesAdmin, "Create or update a knowledge article (by code)",
		s.adminAPI("kb", s.saveArticle), "code*", "title*", "body*", "source*", "valid_from*", "valid_until", "keywords", "category", "active")
	// The key routes exist without intake too, answering 404, so the document stays the same.
	s.handleAPI("GET /api/v1/admin/open311-keys", rolesAdmin, "Open311 API keys (never their text)", s.needIntake(s.getOpen311KeysAPI))
	s.handleAPI("POST /api/v1/admin/open311-keys", rolesAdmin, "Issue an Open311 API key; its text is in this answer only",
		s.needIntake(s.postOpen311KeyAPI), "organisation*", "label", "rate_per_minute", "burst")
	s.handleAPI("DELETE /api/v1/admin/open311-keys/{id}", rolesAdmin, "Revoke an Open311 API key at once", s.needIntake(s.deleteOpen311KeyAPI))
}

// needIntake answers 404 for h when this server has no intake area (no Open311).
func (s *Server) needIntake(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Intake.Service == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "open311 is not enabled on this server"})
			return
		}
		h(w, r)
	}
}

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
