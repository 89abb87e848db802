package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-city/hotline/intake"
)

// The Open311 GeoReport v2 API under /open311/v2: every method in JSON and XML, errors in the
// spec's form with its statuses (400 bad request, 403 api_key, 404 no such resource).

const open311Base = "/open311/v2"

// open311MaxBody bounds a POST: 4,000 characters of description, percent-encoded, and the rest.
const open311MaxBody = 256 << 10

// open311File splits "services.json" into its resource and format; ok is false for a format
// the API does not speak.
func open311File(file string) (name, format string, ok bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return file, "json", false
	}
	name, format = file[:i], file[i+1:]
	return name, format, format == "json" || format == "xml"
}

func (s *Server) open311Write(w http.ResponseWriter, format string, status int, v any) {
	b, err := intake.Render(format, v)
	if err != nil {
		s.log.Error("open311 encode", "err", err)
		status = http.StatusBadRequest
		b, _ = intake.Render(format, intake.ErrorList{Errors: []intake.Error{{Code: 400, Description: "general service error"}}})
	}
	h := w.Header()
	h.Set("Content-Type", intake.ContentType(format))
	// Reading is public and meant for other sites' apps; posting needs an api_key, not a cookie.
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) open311Fail(w http.ResponseWriter, format string, status int, desc string) {
	s.open311Write(w, format, status, intake.ErrorList{Errors: []intake.Error{{Code: status, Description: desc}}})
}

// open311Error renders errorStatus's answer in the spec's error list, one entry per bad field.
// Open311 answers a rate limit as the spec's 403, and anything else as its general error.
func (s *Server) open311Error(w http.ResponseWriter, r *http.Request, format string, err error) {
	status, body := errorStatus(err)
	var fes intake.FieldErrors
	switch {
	case errors.As(err, &fes):
		list := intake.ErrorList{}
		for _, f := range fes {
			list.Errors = append(list.Errors, intake.Error{Code: 400, Description: f.Field + ": " + f.Msg})
		}
		s.open311Write(w, format, http.StatusBadRequest, list)
	case errors.Is(err, intake.ErrKey):
		s.open311Fail(w, format, status, err.Error()+" -- can't proceed with create_request")
	case status == http.StatusTooManyRequests:
		s.open311Fail(w, format, http.StatusForbidden, err.Error())
	case status == http.StatusBadRequest || status == http.StatusNotFound:
		s.open311Fail(w, format, status, body["error"])
	case status == http.StatusUnprocessableEntity:
		s.open311Fail(w, format, status, "Idempotency-Key: already used for a different request ("+body["error"]+"): send a new key for a new request")
	case isOutage(err):
		// Not a 4xx: clients take those as final. Whether a request that met the outage was
		// written is unknown to the client; its idempotency key makes the retry safe.
		s.log.ErrorContext(r.Context(), "open311: outage", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", retryAfter)
		s.open311Fail(w, format, http.StatusServiceUnavailable, "service unavailable: try again shortly")
	default:
		s.log.ErrorContext(r.Context(), "open311", "path", r.URL.Path, "err", err)
		s.open311Fail(w, format, http.StatusInternalServerError, "general service error: the request could not be processed")
	}
}

func (s *Server) open311Get(w http.ResponseWriter, r *http.Request) {
	name, format, ok := open311File(r.PathValue("file"))
	if !ok {
		s.open311Fail(w, "json", http.StatusBadRequest, "unsupported format: use .json or .xml")
		return
	}
	ctx := r.Context()
	switch name {
	case "discovery":
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		s.open311Write(w, format, http.StatusOK, intake.Discovery{
			Changeset:  open311Changeset,
			Contact:    "12345 政务服务便民热线中心 — 拨打 12345",
			KeyService: "API keys are issued to organisations by the 12345 centre's administrators (联系12345热线中心申请).",
			Endpoints: []intake.Endpoint{{Specification: intake.Spec, URL: scheme + "://" + r.Host + open311Base,
				Changeset: open311Changeset, Type: "production", Formats: []string{"text/xml", "application/json"}}},
		})
	case "services":
		cat, err := s.Intake.Service.Catalogue(ctx)
		if err != nil {
			s.open311Error(w, r, format, err)
			return
		}
		s.open311Write(w, format, http.StatusOK, cat.ServiceList())
	case "requests":
		f, err := intake.ParseRequestFilter(r.URL.Query(), s.Intake.Service.Now())
		if err != nil {
			s.open311Error(w, r, format, err)
			return
		}
		reqs, err := s.Intake.Service.Requests(ctx, f)
		if err != nil {
			s.open311Error(w, r, format, err)
			return
		}
		s.open311Write(w, format, http.StatusOK, intake.RequestList{Requests: reqs})
	default:
		s.open311Fail(w, format, http.StatusNotFound, "no resource "+strconv.Quote(name)+": see discovery."+format)
	}
}

// open311Changeset is when the API's shape last changed.
const open311Changeset = "2026-11-22T00:00:00+08:00"

func (s *Server) open311ServiceDefinition(w http.ResponseWriter, r *http.Request) {
	code, format, ok := open311File(r.PathValue("file"))
	if !ok {
		s.open311Fail(w, "json", http.StatusBadRequest, "unsupported format: use .json or .xml")
		return
	}
	cat, err := s.Intake.Service.Catalogue(r.Context())
	if err != nil {
		s.open311Error(w, r, format, err)
		return
	}
	si := cat.Service(code)
	if si == nil {
		s.open311Fail(w, format, http.StatusNotFound, "service_code "+strconv.Quote(code)+" not found")
		return
	}
	s.open311Write(w, format, http.StatusOK, si.Definition())
}

func (s *Server) open311Request(w http.ResponseWriter, r *http.Request) {
	id, format, ok := open311File(r.PathValue("file"))
	if !ok {
		s.open311Fail(w, "json", http.StatusBadRequest, "unsupported format: use .json or .xml")
		return
	}
	req, err := s.Intake.Service.Request(r.Context(), id)
	if errors.Is(err, intake.ErrNotFound) {
		s.open311Fail(w, format, http.StatusNotFound, "service_request_id "+strconv.Quote(id)+" not found")
		return
	} else if err != nil {
		s.open311Error(w, r, format, err)
		return
	}
	s.open311Write(w, format, http.StatusOK, intake.RequestList{Requests: []intake.Request{*req}})
}

// open311Token answers GET tokens/{token}: requests are created in real time and answered with
// their service_request_id, so no token is ever issued.
func (s *Server) open311Token(w http.ResponseWriter, r *http.Request) {
	tok, format, ok := open311File(r.PathValue("file"))
	if !ok {
		s.open311Fail(w, "json", http.StatusBadRequest, "unsupported format: use .json or .xml")
		return
	}
	s.open311Fail(w, format, http.StatusNotFound, "token "+strconv.Quote(tok)+" not found: this server answers POST requests with the service_request_id at once")
}

func (s *Server) open311Post(w http.ResponseWriter, r *http.Request) {
	name, format, ok := open311File(r.PathValue("file"))
	if !ok {
		s.open311Fail(w, "json", http.StatusBadRequest, "unsupported format: use .json or .xml")
		return
	}
	if name != "requests" {
		s.open311Fail(w, format, http.StatusNotFound, "no resource "+strconv.Quote(name)+" to POST to: use requests."+format)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, open311MaxBody)
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(open311MaxBody)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.open311Fail(w, format, http.StatusBadRequest, "request body is larger than 256 KB")
			return
		}
		s.open311Fail(w, format, http.StatusBadRequest, "request body is not a valid application/x-www-form-urlencoded form")
		return
	}
	svc := s.Intake.Service
	key, err := svc.Authenticate(r.Context(), r.Form.Get("api_key"))
	if err != nil {
		s.open311Error(w, r, format, err)
		return
	}
	if ok, wait := svc.AllowKey(key); !ok {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.open311Fail(w, format, http.StatusForbidden, "api_key rate limit exceeded: retry after "+strconv.Itoa(secs)+" s")
		return
	}
	sub, _ := intake.DecodeRequest(r.Form)
	sub.Key = key
	sub.ClientAddr = clientAddr(r)
	if idem := strings.TrimSpace(r.Header.Get("Idempotency-Key")); idem != "" {
		if len(idem) > 200 {
			s.open311Fail(w, format, http.StatusBadRequest, "Idempotency-Key: at most 200 characters")
			return
		}
		sub.IdempotencyKey = "open311:" + strconv.FormatInt(key.ID, 10) + ":" + idem
	}
	rec, err := svc.Submit(r.Context(), sub)
	if err != nil {
		s.open311Error(w, r, format, err)
		return
	}
	var account *string
	if sub.AccountID != "" {
		account = &sub.AccountID
	}
	s.open311Write(w, format, http.StatusOK, intake.CreatedList{Requests: []intake.Created{{ID: rec.Number, ServiceNotice: rec.Notice, AccountID: account}}})
}
