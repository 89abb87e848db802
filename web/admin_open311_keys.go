package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/account"
)

// open311KeysPage is the keys page; Issued is the text of a key just issued, shown only in
// the answer to the request that issued it.
type open311KeysPage struct {
	Keys   []intake.Key
	Form   url.Values
	Issued string
	Key    *intake.Key
	Error  string
	Field  string
	Saved  bool
}

// Limits of the key form: the rate is requests a minute, and a limit above a thousand a
// second is no limit at all in practice but still a typo worth catching.
const (
	maxKeyRate        = 60000
	maxOrganisationLn = 200
)

func (s *Server) renderOpen311Keys(w http.ResponseWriter, r *http.Request, status int, p *open311KeysPage) {
	keys, err := s.Intake.Service.Keys(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.Keys = keys
	if p.Form == nil {
		p.Form = url.Values{}
	}
	s.renderStaffStatus(w, r, status, "admin/open311_keys.html", p)
}

func (s *Server) getOpen311Keys(w http.ResponseWriter, r *http.Request) {
	s.renderOpen311Keys(w, r, http.StatusOK, &open311KeysPage{Saved: r.URL.Query().Get("saved") != ""})
}

// keyLimit reads a non-negative whole number of requests; empty is 0, no limit.
func keyLimit(f fields, k string) (int, error) {
	if f.get(k) == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(f.get(k))
	if err != nil || n < 0 || n > maxKeyRate {
		return 0, &badField{k, "must be a whole number from 0 (no limit) to " + strconv.Itoa(maxKeyRate)}
	}
	return n, nil
}

// issueOpen311Key checks the key form and issues a key with its audit entry in one
// transaction; the pages and the API both call it. It returns the key's text, which is shown
// once and never stored.
func (s *Server) issueOpen311Key(ctx context.Context, f fields) (string, *intake.Key, error) {
	var rate, burst int
	var err error
	organisation, label := f.get("organisation"), f.get("label")
	switch {
	case organisation == "":
		return "", nil, &badField{"organisation", "is required"}
	case utf8.RuneCountInString(organisation) > maxOrganisationLn || utf8.RuneCountInString(label) > maxOrganisationLn:
		return "", nil, &badField{"organisation", "at most " + strconv.Itoa(maxOrganisationLn) + " characters (the label too)"}
	}
	if rate, err = keyLimit(f, "rate_per_minute"); err != nil {
		return "", nil, err
	}
	if burst, err = keyLimit(f, "burst"); err != nil {
		return "", nil, err
	}
	if burst > 0 && rate == 0 {
		return "", nil, &badField{"burst", "a burst needs a rate limit"}
	}
	var text string
	var key *intake.Key
	by := staffFrom(ctx)
	_, err = s.Accounts.Audited(ctx, by, func(ctx context.Context, tx bun.Tx) (account.Change, error) {
		var err error
		if text, key, err = s.Intake.Service.IssueKeyTx(ctx, tx, organisation, label, rate, burst); err != nil {
			return account.Change{}, err
		}
		// The key's text never reaches the audit trail: whoever reads the trail must not
		// be able to submit as the organisation.
		return account.Change{Action: "open311_key_issued", ObjectType: "open311_key", ObjectKey: strconv.FormatInt(key.ID, 10),
			Detail: map[string]any{"organisation": organisation, "label": label, "rate_per_minute": rate, "burst": burst}}, nil
	})
	if err != nil {
		return "", nil, err
	}
	return text, key, nil
}

// revokeOpen311Key revokes key id with its audit entry in one transaction, and at once in this
// process; intake.ErrNotFound when no live key has that id.
func (s *Server) revokeOpen311Key(ctx context.Context, id int64) error {
	by := staffFrom(ctx)
	_, err := s.Accounts.Audited(ctx, by, func(ctx context.Context, tx bun.Tx) (account.Change, error) {
		return account.Change{Action: "open311_key_revoked", ObjectType: "open311_key", ObjectKey: strconv.FormatInt(id, 10)},
			s.Intake.Service.RevokeKeyTx(ctx, tx, id)
	})
	if err != nil {
		return err
	}
	s.Intake.Service.ForgetKeys()
	return nil
}

func (s *Server) postOpen311Key(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	text, key, err := s.issueOpen311Key(r.Context(), f)
	var bf *badField
	switch {
	case errors.As(err, &bf):
		s.renderOpen311Keys(w, r, http.StatusBadRequest, &open311KeysPage{Form: url.Values(f), Error: errorText(langOf(r), err), Field: bf.field})
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	// The text is shown in this answer only: no redirect, and nothing may keep a copy.
	w.Header().Set("Cache-Control", "no-store")
	s.renderOpen311Keys(w, r, http.StatusOK, &open311KeysPage{Issued: text, Key: key})
}

func (s *Server) postOpen311KeyRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.renderOpen311Keys(w, r, http.StatusBadRequest, &open311KeysPage{Error: "id: must be a positive whole number", Field: "id"})
		return
	}
	err = s.revokeOpen311Key(r.Context(), id)
	switch {
	case errors.Is(err, intake.ErrNotFound):
		s.renderOpen311Keys(w, r, http.StatusNotFound, &open311KeysPage{Error: "id: no live key " + strconv.FormatInt(id, 10) + " (unknown or revoked already)", Field: "id"})
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/open311-keys?saved=1", http.StatusSeeOther)
}
