package web

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/internal/filetype"
	"github.com/hotline-city/hotline/tickets"
)

var (
	testPDF = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	testPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")
)

func testDOCX(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		w, _ := zw.Create(n)
		w.Write([]byte(`<?xml version="1.0"?><x/>`))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testFile is one part of a multipart body.
type testFile struct {
	name string
	data []byte
}

// postFiles sends a multipart action with text fields and files under "attachments".
func (e *staffEnv) postFiles(c *http.Client, path string, text map[string]string, files []testFile, hdr map[string]string) resp {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range text {
		mw.WriteField(k, v)
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("attachments", f.name)
		if err != nil {
			e.t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	req, err := http.NewRequest("POST", e.ts.URL+path, &b)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = noRedirect(nil)
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: string(body)}
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	tk := e.register("公司拖欠三个月工资", "wage-arrears", "13800138000", "hrss")
	no := tk.Number
	handler := e.token("handler-hrss")
	if r := e.do(nil, "POST", "/api/v1/tickets/"+no+"/accept", nil, handler); r.Status != 200 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	count := func() int {
		var n int
		e.db.NewRaw("SELECT count(*) FROM ticket_attachments").Scan(context.Background(), &n)
		return n
	}

	// Refused files leave the ticket and the table as they were.
	for _, tc := range []struct {
		name  string
		files []testFile
		want  string
	}{
		{"wrong type", []testFile{{"report.pdf", []byte("<html><script>alert(1)</script></html>")}}, "is not a PDF"},
		{"other zip", []testFile{{"book.docx", func() []byte {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			zw.Create("xl/workbook.xml")
			zw.Close()
			return b.Bytes()
		}()}}, "is not a PDF"},
		{"too large", []testFile{{"big.pdf", append(append([]byte{}, testPDF...), make([]byte, tickets.MaxAttachmentBytes)...)}}, "larger than 10 MB"},
		{"too many", []testFile{{"1.pdf", testPDF}, {"2.pdf", testPDF}, {"3.pdf", testPDF}, {"4.pdf", testPDF}}, "at most 3 files"},
		{"empty", []testFile{{"empty.pdf", nil}}, "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.postFiles(nil, "/api/v1/tickets/"+no+"/resolve", map[string]string{"text": "已办结"}, tc.files, handler)
			if r.Status != 400 || !strings.Contains(r.Body, `"field":"attachments"`) || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("%d %s, want 400 naming attachments with %q", r.Status, r.Body, tc.want)
			}
			if n := count(); n != 0 {
				t.Fatalf("%d attachments stored", n)
			}
		})
	}
	if st := e.do(nil, "GET", "/api/v1/tickets/"+no, nil, handler).json(t)["status"]; st != "accepted" {
		t.Fatalf("status after refused files: %v", st)
	}
	// Another department may neither attach to nor read this ticket.
	other := e.token("handler-market")
	if r := e.postFiles(nil, "/api/v1/tickets/"+no+"/feedback", map[string]string{"text": "x"}, []testFile{{"a.pdf", testPDF}}, other); r.Status != 403 && r.Status != 404 {
		t.Fatalf("another department attaches: %d %s", r.Status, r.Body)
	}

	// Feedback with a photo, then the result with a PDF and a Word document: each file is named
	// on its event, in the transaction of the change.
	if r := e.postFiles(nil, "/api/v1/tickets/"+no+"/feedback", map[string]string{"text": "已电话联系张先生"},
		[]testFile{{`C:\现场\site.png`, testPNG}}, handler); r.Status != 200 {
		t.Fatalf("feedback with a file: %d %s", r.Status, r.Body)
	}
	docx := testDOCX(t)
	r := e.postFiles(nil, "/api/v1/tickets/"+no+"/resolve", map[string]string{"text": "企业已补发工资"},
		[]testFile{{"处理决定书.pdf", testPDF}, {"回执.txt", docx}}, handler)
	if r.Status != 200 || !strings.Contains(r.Body, `"resolved"`) {
		t.Fatalf("resolve with files: %d %s", r.Status, r.Body)
	}
	view := e.do(nil, "GET", "/api/v1/tickets/"+no, nil, handler)
	var got struct {
		Attachments []tickets.Attachment `json:"attachments"`
		Events      []struct {
			ID   int64           `json:"id"`
			Kind string          `json:"kind"`
			Data json.RawMessage `json:"data"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(view.Body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Attachments) != 3 {
		t.Fatalf("attachments: %+v", got.Attachments)
	}
	want := []struct{ action, name, ct string }{
		{"feedback", "site.png", filetype.PNG}, {"resolve", "处理决定书.pdf", filetype.PDF}, {"resolve", "回执.docx", filetype.DOCX},
	}
	events := map[string]int64{}
	for _, ev := range got.Events {
		var d struct {
			Attachments []struct {
				ID       int64  `json:"id"`
				Filename string `json:"filename"`
			} `json:"attachments"`
		}
		json.Unmarshal(ev.Data, &d)
		if len(d.Attachments) > 0 {
			events[ev.Kind] = ev.ID
			for _, a := range d.Attachments {
				events[a.Filename] = ev.ID
			}
		}
	}
	for i, w := range want {
		a := got.Attachments[i]
		if a.Action != w.action || a.Filename != w.name || a.ContentType != w.ct || a.EventID == nil || *a.EventID != events[w.action] || events[w.name] != *a.EventID {
			t.Fatalf("attachment %d: %+v (event %v), want %v on the %s event %d", i, a, a.EventID, w, w.action, events[w.action])
		}
	}

	// Downloads: by the API and the page, as an attachment, never sniffed.
	pdf := got.Attachments[1]
	for _, path := range []string{"/api/v1/tickets/" + no + "/attachments/", "/tickets/" + no + "/attachments/"} {
		r := e.do(nil, "GET", path+itoa(pdf.ID), nil, handler)
		if r.Status != 200 || r.Body != string(testPDF) || r.Header.Get("Content-Type") != filetype.PDF ||
			r.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") || !strings.Contains(r.Header.Get("Content-Disposition"), "utf-8''") {
			t.Fatalf("download %s: %d %v", path, r.Status, r.Header)
		}
		if r := e.do(nil, "GET", path+itoa(pdf.ID), nil, other); r.Status != 403 && r.Status != 404 {
			t.Fatalf("another department downloads: %d", r.Status)
		}
		if r := e.do(nil, "GET", path+"999999", nil, handler); r.Status != 404 {
			t.Fatalf("unknown attachment: %d", r.Status)
		}
	}
	// An attachment is served only under its own ticket's number.
	tk2 := e.register("另一家公司拖欠工资", "wage-arrears", "13900139000", "hrss")
	if r := e.do(nil, "GET", "/tickets/"+tk2.Number+"/attachments/"+itoa(pdf.ID), nil, handler); r.Status != 404 {
		t.Fatalf("attachment under another ticket's number: %d", r.Status)
	}
	// The ticket page lists them for staff who may see it.
	page := e.do(e.browser("supervisor"), "GET", "/tickets/"+no, nil, nil)
	if page.Status != 200 || !strings.Contains(page.Body, `id="attachments"`) || !strings.Contains(page.Body, "处理决定书.pdf") ||
		!strings.Contains(page.Body, "/tickets/"+no+"/attachments/"+itoa(pdf.ID)) {
		t.Fatalf("ticket page: %d", page.Status)
	}
}

// TestAttachmentsPageForm sends the ticket page's feedback form with a refused file and then a
// good one.
func TestAttachmentsPageForm(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	tk := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")
	c := e.browser("handler-hrss")
	same := map[string]string{"Origin": e.ts.URL}
	if r := e.do(c, "POST", "/tickets/"+tk.Number+"/accept", nil, same); r.Status != 303 {
		t.Fatalf("accept: %d", r.Status)
	}
	page := e.do(c, "GET", "/tickets/"+tk.Number, nil, nil)
	if !strings.Contains(page.Body, `enctype="multipart/form-data"`) || !strings.Contains(page.Body, `type="file" name="attachments"`) {
		t.Fatalf("the feedback form takes no files")
	}
	// A browser sends the file field empty when no file was chosen: that is no attachment.
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("text", "已电话联系")
	mw.WriteField("attachments", "")
	mw.Close()
	req, _ := http.NewRequest("POST", e.ts.URL+"/tickets/"+tk.Number+"/feedback", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", e.ts.URL)
	if res, err := c.Do(req); err != nil || res.StatusCode != 303 {
		t.Fatalf("feedback without a file: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	r := e.postFiles(c, "/tickets/"+tk.Number+"/feedback", map[string]string{"text": "已联系"}, []testFile{{"x.pdf", []byte("MZ\x90\x00")}}, same)
	if r.Status != 400 || !strings.Contains(r.Body, "file 1 (x.pdf) is not a PDF") {
		t.Fatalf("bad file on the page: %d %s", r.Status, r.Body[:min(len(r.Body), 300)])
	}
	if r := e.postFiles(c, "/tickets/"+tk.Number+"/feedback", map[string]string{"text": "已联系"}, []testFile{{"现场.png", testPNG}}, same); r.Status != 303 {
		t.Fatalf("good file on the page: %d %s", r.Status, r.Body[:min(len(r.Body), 300)])
	}
	if page := e.do(c, "GET", "/tickets/"+tk.Number, nil, nil); !strings.Contains(page.Body, "现场.png") {
		t.Fatalf("the page does not list the file")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
