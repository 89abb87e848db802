package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBody is the largest request body the staff API reads.
const maxBody = 1 << 20

// fields are a request's input, read the same way from a form or from a JSON object, so every
// action takes either (the contract's "form-encoded or JSON").
type fields url.Values

// readFields reads a form-encoded, multipart or JSON body (and the query string). A JSON body
// must be one object of strings, numbers, booleans, nulls or arrays of those.
// queryOrBody are a look-up's fields: the query of a GET, the body of a POST. A citizen's phone
// number belongs in a POST body, out of URLs, logs and browser history: a query carrying one
// of the fields named private is refused. (GET /api/v1/tickets keeps its phone parameter,
// which the outside contract fixes.)
func queryOrBody(w http.ResponseWriter, r *http.Request, private ...string) (fields, error) {
	if r.Method == http.MethodGet {
		q := fields(r.URL.Query())
		for _, name := range private {
			if q.get(name) != "" {
				return nil, &badField{name, "send the phone number in a POST body, not in the URL"}
			}
		}
		return q, nil
	}
	f, err := readFields(w, r)
	if err != nil {
		return nil, &badField{"body", err.Error()}
	}
	return f, nil
}

func readFields(w http.ResponseWriter, r *http.Request) (fields, error) {
	return readFieldsLimit(w, r, maxBody)
}

// readFieldsLimit is readFields for a body of up to limit bytes: actions that take files read
// more. Files stay in r.MultipartForm (in memory up to maxBody, on disk beyond).
func readFieldsLimit(w http.ResponseWriter, r *http.Request, limit int64) (fields, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var obj map[string]any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, errors.New("request body too large")
			}
			return nil, fmt.Errorf("body is not a JSON object: %v", err)
		}
		f := fields{}
		for k, v := range r.URL.Query() {
			f[k] = v
		}
		for k, v := range obj {
			vals, err := jsonStrings(v)
			if err != nil {
				return nil, fmt.Errorf("field %s: %v", k, err)
			}
			f[k] = vals
		}
		return f, nil
	}
	var err error
	if ct == "multipart/form-data" {
		err = r.ParseMultipartForm(maxBody)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errors.New("request body too large")
		}
		return nil, fmt.Errorf("unreadable form: %v", err)
	}
	return fields(r.Form), nil
}

func jsonStrings(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case json.Number:
		return []string{x.String()}, nil
	case bool:
		return []string{strconv.FormatBool(x)}, nil
	case []any:
		var out []string
		for _, e := range x {
			s, err := jsonStrings(e)
			if err != nil {
				return nil, err
			}
			if len(s) > 1 {
				return nil, errors.New("nested arrays are not allowed")
			}
			out = append(out, s...)
		}
		return out, nil
	}
	return nil, errors.New("objects are not allowed")
}

// get is the field's first value, trimmed.
func (f fields) get(k string) string {
	if v := f[k]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// list is every value of the field; one value may also list several separated by commas.
func (f fields) list(k string) []string {
	var out []string
	for _, v := range f[k] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// int is the field as an integer; absent is 0, unreadable is an error naming the field.
func (f fields) int(k string) (int, error) {
	v := f.get(k)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &badField{k, "must be a whole number"}
	}
	return n, nil
}

// float is the field as a number, or nil when absent.
func (f fields) float(k string) (*float64, error) {
	v := f.get(k)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, &badField{k, "must be a number"}
	}
	return &n, nil
}

// badField is bad input found by the web layer, naming the field.
type badField struct{ field, msg string }

func (e *badField) Error() string { return e.field + ": " + e.msg }
