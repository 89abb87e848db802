package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Rectifications (差评整改): what a named citizen's 不满意 obliges a department to put right.
// The department sees its own and gives proof (text and a file); the centre sees every one
// and accepts the proof or sends it back; an overdue one is marked, and the sweep escalates it.

// rectifyRoles may see the list: the centre, the departments and the leadership.
var rectifyRoles = org.RoleSet{org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAdmin, org.RoleLeader, org.RoleHandler, org.RoleHead}

func rectifyFilter(r *http.Request) tickets.RectifyFilter {
	q := r.URL.Query()
	return tickets.RectifyFilter{Status: q.Get("status"), Overdue: q.Get("overdue") == "1" || q.Get("overdue") == "true"}
}

func (s *Server) getRectificationsAPI(w http.ResponseWriter, r *http.Request) {
	rs, err := s.Tickets.Rectifications(r.Context(), actorFrom(r.Context()), rectifyFilter(r))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if rs == nil {
		rs = []tickets.Rectification{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rectifications": rs})
}

// rectifyID reads the {id} of the path; a bad one is a rectification that does not exist.
func rectifyID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &badField{"id", "must be a rectification's number"}
	}
	return id, nil
}

// submitProof reads the proof and its files and hands them to the service.
func (s *Server) submitProof(ctx context.Context, w http.ResponseWriter, r *http.Request) (*tickets.Rectification, error) {
	id, err := rectifyID(r)
	if err != nil {
		return nil, err
	}
	f, err := readFieldsLimit(w, r, maxAttachBody)
	if err != nil {
		return nil, &badField{"body", err.Error()}
	}
	files, err := readUploads(r)
	if err != nil {
		return nil, &badField{"attachments", err.Error()}
	}
	return s.Tickets.SubmitRectification(ctx, actorFrom(ctx), id, f.get("proof"), files)
}

// decide reads the centre's decision: decision=accept or refuse, with a note.
func (s *Server) decide(ctx context.Context, w http.ResponseWriter, r *http.Request) (*tickets.Rectification, error) {
	id, err := rectifyID(r)
	if err != nil {
		return nil, err
	}
	f, err := readFields(w, r)
	if err != nil {
		return nil, &badField{"body", err.Error()}
	}
	var accept bool
	switch f.get("decision") {
	case "accept":
		accept = true
	case "refuse":
	default:
		return nil, &badField{"decision", "must be accept or refuse"}
	}
	return s.Tickets.DecideRectification(ctx, actorFrom(ctx), id, accept, f.get("note"))
}

func (s *Server) postRectifyProofAPI(w http.ResponseWriter, r *http.Request) {
	rx, err := s.submitProof(r.Context(), w, r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rx)
}

func (s *Server) postRectifyDecideAPI(w http.ResponseWriter, r *http.Request) {
	rx, err := s.decide(r.Context(), w, r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rx)
}

type rectifyPage struct {
	List      []tickets.Rectification
	Overdue   bool
	CanProve  bool // a department's staff: the proof form
	CanDecide bool
	Done      string
}

func (s *Server) getRectifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := rectifyFilter(r)
	rs, err := s.Tickets.Rectifications(ctx, actorFrom(ctx), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	role := staffFrom(ctx).Role
	s.renderStaff(w, r, "staff/rectifications.html", &rectifyPage{List: rs, Overdue: f.Overdue,
		CanProve: org.DepartmentStaff.Has(role), CanDecide: org.Centre.Has(role), Done: r.URL.Query().Get("done")})
}

// rectifyForm runs a page's form and goes back to the list, or shows why it was refused.
func (s *Server) rectifyForm(do func(context.Context, http.ResponseWriter, *http.Request) (*tickets.Rectification, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rx, err := do(r.Context(), w, r)
		if err != nil {
			status, _ := errorStatus(err)
			if status == http.StatusInternalServerError {
				s.serverError(w, r, err)
				return
			}
			s.refuseErr(w, r, status, err)
			return
		}
		http.Redirect(w, r, "/rectifications?done="+url.QueryEscape(strconv.FormatInt(rx.ID, 10)), http.StatusSeeOther)
	}
}
