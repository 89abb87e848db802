package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/hotline-city/hotline/intake"
)

// complainMaxBody bounds the form: five photos of 5 MB and the text around them.
const complainMaxBody = intake.MaxPhotos*intake.MaxPhotoBytes + 1<<20

// complainFields are the form's text fields, kept and shown again when something is wrong.
var complainFields = []string{"category", "description", "address", "name", "phone", "email", "consent"}

func (s *Server) complainPage(w http.ResponseWriter, r *http.Request) (*intakePage, error) {
	p := s.newIntakePage(w, r)
	cat, err := s.Intake.Service.Catalogue(r.Context())
	if err != nil {
		return nil, err
	}
	p.Groups = cat.Groups()
	p.Token = s.Intake.Service.FormToken()
	return p, nil
}

func (s *Server) getComplain(w http.ResponseWriter, r *http.Request) {
	p, err := s.complainPage(w, r)
	if err != nil {
		s.intakeServerError(w, r, err)
		return
	}
	p.Values["category"] = r.URL.Query().Get("category")
	s.renderIntake(w, r, "complain", http.StatusOK, p)
}

// complainErrorField maps the submission's field names to the form's.
func complainErrorField(f string) string {
	switch {
	case f == "service_code":
		return "category"
	case f == "address_string" || f == "address_id" || f == "lat" || f == "long":
		return "address"
	case strings.HasPrefix(f, "attribute["), f == "first_name", f == "last_name":
		return "description"
	}
	return f
}

func (s *Server) postComplain(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, complainMaxBody)
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		p, perr := s.complainPage(w, r)
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
	p, err := s.complainPage(w, r)
	if err != nil {
		s.intakeServerError(w, r, err)
		return
	}
	for _, f := range complainFields {
		p.Values[f] = r.PostFormValue(f)
	}
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
			p.Errors["photos"] = "at most 5 photos"
			if p.Lang != "en" {
				p.Errors["photos"] = "最多上传5张照片"
			}
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
	case err != nil:
		s.intakeServerError(w, r, err)
		return
	}
	p.Number = rec.Number
	p.Values = map[string]string{"phone": sub.Phone}
	s.renderIntake(w, r, "complain_done", http.StatusOK, p)
}

func (s *Server) complainFieldErrors(p *intakePage, err error) {
	var fes intake.FieldErrors
	if !errors.As(err, &fes) {
		return
	}
	for _, f := range fes {
		k := complainErrorField(f.Field)
		if p.Errors[k] == "" {
			p.Errors[k] = f.Msg
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
	p.Message = tr(p.Lang, "error.server")
	s.renderIntake(w, r, "public_error", http.StatusInternalServerError, p)
}
