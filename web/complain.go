package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hotline-city/hotline/intake"
)

// complainMaxBody bounds the form: five photos of 5 MB and the text around them.
const complainMaxBody = intake.MaxPhotos*intake.MaxPhotoBytes + 1<<20

// complainFields are the form's text fields, kept and shown again when something is wrong.
var complainFields = []string{"category", "description", "address", "name", "phone", "email", "consent"}

func (s *Server) complainPage(w http.ResponseWriter, r *http.Request) (*intakePage, *intake.Catalogue, error) {
	p := s.newIntakePage(w, r)
	cat, err := s.Intake.Service.Catalogue(r.Context())
	if err != nil {
		return nil, nil, err
	}
	p.Groups = cat.Groups()
	p.Token = s.Intake.Service.FormToken()
	return p, cat, nil
}

// complainAttr is one question (Open311 attribute) of the chosen category as the form asks it.
type complainAttr struct {
	Name     string // the form field, attribute[code]
	ID       string
	Label    string
	Hint     string
	Type     string // the Open311 datatype
	Variable bool   // false: a note to read, not a question
	Required bool
	Value    string
	Choices  []complainChoice
}

type complainChoice struct {
	Key, Name string
	Selected  bool
}

// chooseCategory shows the questions of the category in p.Values with the answers given, and
// whether it needs an address, so the citizen sees both before submitting.
func (p *intakePage) chooseCategory(cat *intake.Catalogue, answers map[string][]string) {
	si := cat.Service(strings.TrimSpace(p.Values["category"]))
	if si == nil {
		return
	}
	p.LocationRequired = si.LocationRequired
	for _, a := range si.Attributes {
		vals := answers[a.Code]
		ca := complainAttr{Name: "attribute[" + a.Code + "]", ID: "attr-" + a.Code, Label: a.Description, Hint: a.DatatypeDescription,
			Type: a.Datatype, Variable: a.Variable, Required: a.Required && a.Variable}
		if len(vals) > 0 {
			ca.Value = vals[0]
		}
		for _, v := range a.Values {
			ca.Choices = append(ca.Choices, complainChoice{Key: v.Key, Name: v.Name, Selected: slices.Contains(vals, v.Key)})
		}
		p.Attrs = append(p.Attrs, ca)
	}
}

func (s *Server) getComplain(w http.ResponseWriter, r *http.Request) {
	p, cat, err := s.complainPage(w, r)
	if err != nil {
		s.intakeServerError(w, r, err)
		return
	}
	p.Values["category"] = r.URL.Query().Get("category")
	p.chooseCategory(cat, nil)
	s.renderIntake(w, r, "complain", http.StatusOK, p)
}

// getComplainFields answers the questions of ?category= alone, which the form's script puts in
// place when the citizen changes the category.
func (s *Server) getComplainFields(w http.ResponseWriter, r *http.Request) {
	p, cat, err := s.complainPage(w, r)
	if err != nil {
		s.intakeServerError(w, r, err)
		return
	}
	p.Values["category"] = r.URL.Query().Get("category")
	p.chooseCategory(cat, nil)
	w.Header().Set("Content-Security-Policy", intakeCSP)
	s.execute(w, r, http.StatusOK, "public/complain.html", "category-fields", p)
}

// complainErrorField maps the submission's field names to the form's: an attribute's error
// goes on its own question.
func complainErrorField(f string) string {
	switch {
	case f == "service_code":
		return "category"
	case f == "address_string" || f == "address_id" || f == "lat" || f == "long":
		return "address"
	case f == "first_name" || f == "last_name":
		return "name"
	case strings.HasPrefix(f, "attribute["):
		return strings.TrimSuffix(f, "[]")
	}
	return f
}

// complainLayouts are the ways a date and time arrives from the form: a datetime-local input,
// or typed where the browser has none.
var complainLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"}

// complainAnswers are the answers to the questions of si as a submission carries them: answers
// to another category's questions (the form before the category changed) are left out, and a
// date and time as the form sends it is read in the centre's zone.
func complainAnswers(si *intake.ServiceInfo, answers map[string][]string, loc *time.Location) map[string][]string {
	if si == nil {
		return nil
	}
	out := map[string][]string{}
	for _, a := range si.Attributes {
		vals, ok := answers[a.Code]
		if !ok {
			continue
		}
		if a.Datatype == "datetime" {
			vals = slices.Clone(vals)
			for i, v := range vals {
				for _, l := range complainLayouts {
					if t, err := time.ParseInLocation(l, strings.TrimSpace(v), loc); err == nil {
						vals[i] = t.Format(time.RFC3339)
						break
					}
				}
			}
		}
		out[a.Code] = vals
	}
	return out
}

func (s *Server) postComplain(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, complainMaxBody)
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		p, _, perr := s.complainPage(w, r)
		if perr != nil {
			s.intakeServerError(w, r, perr)
			return
		}
		var tooBig *http.MaxBytesError
		status := http.StatusBadRequest
		p.Message = tr(p.Lang, "form.fix")
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
			p.Message = tr(p.Lang, "form.toolarge")
		}
		s.renderIntake(w, r, "complain", status, p)
		return
	} else if err != nil {
		r.ParseForm()
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	p, cat, err := s.complainPage(w, r)
	if err != nil {
		s.intakeServerError(w, r, err)
		return
	}
	for _, f := range complainFields {
		p.Values[f] = r.PostFormValue(f)
	}
	answers := intake.AttributeAnswers(r.PostForm)
	p.chooseCategory(cat, answers)
	fail := func(status int, msg string) {
		if msg == "" {
			msg = tr(p.Lang, "form.fix")
		}
		p.Message = msg
		if r.MultipartForm != nil && len(r.MultipartForm.File["photos"]) > 0 {
			p.Message += " " + tr(p.Lang, "form.photos.again")
		}
		s.renderIntake(w, r, "complain", status, p)
	}
	if r.PostFormValue("step") == "category" {
		// Without a script the category is chosen first: the form comes back with its questions.
		if r.MultipartForm != nil && len(r.MultipartForm.File["photos"]) > 0 {
			p.Message = tr(p.Lang, "form.photos.again")
		}
		s.renderIntake(w, r, "complain", http.StatusOK, p)
		return
	}
	svc := s.Intake.Service
	idem, ok := svc.CheckFormToken(r.PostFormValue("token"))
	if !ok {
		fail(http.StatusBadRequest, tr(p.Lang, "form.expired"))
		return
	}
	var photos []intake.Photo
	if r.MultipartForm != nil {
		files := r.MultipartForm.File["photos"]
		n := 0
		for _, fh := range files {
			if fh.Filename == "" && fh.Size == 0 {
				continue // the browser sends an empty part when no file was chosen
			}
			n++
			if n > intake.MaxPhotos {
				break
			}
			data, err := readPart(fh, intake.MaxPhotoBytes)
			if err != nil {
				s.intakeServerError(w, r, err)
				return
			}
			photos = append(photos, intake.Photo{Data: data})
		}
		if n > intake.MaxPhotos {
			p.Errors["photos"] = fieldErrorText(p.Lang, intake.FieldError{Code: "photos_count", Args: []any{intake.MaxPhotos}})
			fail(http.StatusBadRequest, "")
			return
		}
	}
	if p.Values["consent"] != "yes" {
		p.Errors["consent"] = tr(p.Lang, "error.consent")
	}
	sub := intake.Submission{
		Channel: "web", ServiceCode: p.Values["category"], Description: p.Values["description"], Address: p.Values["address"],
		Name: p.Values["name"], Phone: p.Values["phone"], Email: p.Values["email"], Photos: photos,
		Attributes:     complainAnswers(cat.Service(strings.TrimSpace(p.Values["category"])), answers, svc.Location()),
		IdempotencyKey: idem, ClientAddr: clientAddr(r),
	}
	if len(p.Errors) > 0 {
		// Report the consent together with whatever else is wrong.
		if _, _, err := svc.Validate(r.Context(), &sub); err != nil {
			s.complainFieldErrors(p, err)
		}
		fail(http.StatusBadRequest, "")
		return
	}
	rec, err := svc.Submit(r.Context(), sub)
	var fes intake.FieldErrors
	switch {
	case errors.As(err, &fes):
		s.complainFieldErrors(p, err)
		fail(http.StatusBadRequest, "")
		return
	case errors.Is(err, intake.ErrRateLimited):
		fail(http.StatusTooManyRequests, tr(p.Lang, "form.ratelimited"))
		return
	case errors.Is(err, intake.ErrIdempotencyReused):
		// The form was sent before with another complaint (the back button, then edited): the
		// page comes back with a new form, which sends this one as a complaint of its own.
		fail(http.StatusUnprocessableEntity, tr(p.Lang, "form.reused"))
		return
	case err != nil:
		s.intakeServerError(w, r, err)
		return
	}
	p.Number = rec.Number
	p.Values = map[string]string{"phone": sub.Phone}
	s.renderIntake(w, r, "complain_done", http.StatusOK, p)
}

// complainFieldErrors puts each bad field's error on the form, in the reader's language.
func (s *Server) complainFieldErrors(p *intakePage, err error) {
	var fes intake.FieldErrors
	if !errors.As(err, &fes) {
		return
	}
	for _, f := range fes {
		k := complainErrorField(f.Field)
		if p.Errors[k] == "" {
			p.Errors[k] = fieldErrorText(p.Lang, f)
		}
	}
}

// readPart reads an uploaded file, at most max bytes and one more so a larger one shows.
func readPart(fh *multipart.FileHeader, max int64) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}

func (s *Server) intakeServerError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "public page", "path", r.URL.Path, "err", err)
	p := &intakePage{Lang: intakeLang(w, r), Path: r.URL.Path, Loc: s.Intake.Service.Location()}
	status := http.StatusInternalServerError
	p.Message = tr(p.Lang, "error.server")
	if isOutage(err) {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", retryAfter)
		p.Message = tr(p.Lang, "error.outage")
	}
	s.renderIntake(w, r, "public_error", status, p)
}
