package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/tickets"
)

// pdf is the smallest file the content check takes for a PDF.
var pdf = []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

func TestResolveStoresItsFilesWithItsEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	tk := f.register(t)
	if _, err := f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Accept(ctx, f.handler, tk.Number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	// A note takes no files, and nothing of it is written.
	before := f.countEvents(t, tk)
	_, err := f.svc.Note(ctx, f.handler, tk.Number, tickets.ActInput{Text: "x", Files: []tickets.File{{Name: "a.pdf", Data: pdf}}})
	var fe *tickets.FieldError
	if !errors.As(err, &fe) || fe.Field != "attachments" {
		t.Fatalf("note with a file: %v", err)
	}
	// A file that is not what it claims is refused before anything is written.
	_, err = f.svc.Resolve(ctx, f.handler, tk.Number, tickets.ActInput{Text: "已解决", Files: []tickets.File{{Name: "a.pdf", Data: []byte("MZ not a pdf")}}})
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "not a PDF") {
		t.Fatalf("resolve with a fake file: %v", err)
	}
	if n := f.countEvents(t, tk); n != before {
		t.Fatalf("refused actions wrote %d events", n-before)
	}
	out, err := f.svc.Resolve(ctx, f.handler, tk.Number, tickets.ActInput{Text: "已解决",
		Files: []tickets.File{{Name: `C:\scans\决定书`, Data: pdf}, {Name: "b\x07.PDF", Data: pdf}}})
	if err != nil {
		t.Fatal(err)
	}
	atts, err := f.svc.Attachments(ctx, out.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 2 || atts[0].Filename != "决定书.pdf" || atts[1].Filename != "b.PDF" {
		t.Fatalf("attachments: %+v", atts)
	}
	evs, err := f.svc.Events(ctx, out.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	ev := evs[len(evs)-1]
	if ev.Kind != string(tickets.ActResolve) {
		t.Fatalf("last event %s", ev.Kind)
	}
	var data struct {
		Attachments []struct {
			ID int64 `json:"id"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		t.Fatal(err)
	}
	for i, a := range atts {
		if a.EventID == nil || *a.EventID != ev.ID || data.Attachments[i].ID != a.ID {
			t.Fatalf("attachment %d not tied to the resolve event %d: %+v, event data %s", a.ID, ev.ID, a, ev.Data)
		}
	}
	m, body, err := f.svc.AttachmentFile(ctx, out, atts[0].ID)
	if err != nil || string(body) != string(pdf) || m.ContentType != "application/pdf" {
		t.Fatalf("file: %+v %v", m, err)
	}
	if _, _, err := f.svc.AttachmentFile(ctx, out, atts[1].ID+100); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("unknown attachment: %v", err)
	}
}
