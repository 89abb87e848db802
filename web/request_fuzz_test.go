package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http/httptest"
	"testing"
)

// FuzzReadFields feeds the staff API's request decoding (JSON, form-encoded and multipart
// bodies) with any content type and body: it never panics, refuses with an error rather than
// half-reading, keeps a JSON object's strings as they were sent, and every bad number it
// reports names its field. Seeds are in testdata/fuzz/FuzzReadFields.
func FuzzReadFields(f *testing.F) {
	f.Add("application/json", []byte(`{"text":"已联系","version":3}`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/tickets/20261123-000001/notes?version=1", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		fs, err := readFields(httptest.NewRecorder(), r)
		if err != nil {
			if fs != nil {
				t.Fatalf("fields %v with error %v", fs, err)
			}
			return
		}
		for k := range fs {
			fs.get(k)
			fs.list(k)
			var bf *badField
			if _, err := fs.int(k); err != nil && (!errors.As(err, &bf) || bf.field != k) {
				t.Fatalf("int %s: %v does not name the field", k, err)
			}
			if _, err := fs.float(k); err != nil && (!errors.As(err, &bf) || bf.field != k) {
				t.Fatalf("float %s: %v does not name the field", k, err)
			}
		}
		if _, err := actInput(fs); err != nil {
			var bf *badField
			if !errors.As(err, &bf) {
				t.Fatalf("actInput: %v is not a field error", err)
			}
		}
		if mt, _, _ := mime.ParseMediaType(ct); mt == "application/json" {
			var obj map[string]any
			if json.Unmarshal(body, &obj) != nil {
				return // a second JSON value after the object is not read
			}
			for k, v := range obj {
				if s, ok := v.(string); ok && (len(fs[k]) != 1 || fs[k][0] != s) {
					t.Fatalf("%s: sent %q, read %q", k, s, fs[k])
				}
			}
		}
	})
}
