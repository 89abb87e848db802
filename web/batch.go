package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Batch actions on a selection of tickets (批量签收, 批量改派): each ticket goes through the same
// service call as one at a time, with its own event and its own transaction, so a batch where
// some tickets fail leaves the others done and says which failed and why.

// maxBatch is the most tickets one batch may name.
const maxBatch = 500

// batchActions are the actions a batch may take.
var batchActions = map[string]tickets.Action{"accept": tickets.ActAccept, "dispatch": tickets.ActDispatch}

// batchResult is a batch's outcome: the tickets done, and those that failed with why.
type batchResult struct {
	Action string        `json:"action"`
	Done   []string      `json:"done"`
	Failed []batchFailed `json:"failed"`
}

type batchFailed struct {
	Number string `json:"number"`
	Error  string `json:"error"`
	Status int    `json:"status"`
}

// runBatch takes the action named in f on each ticket of f's numbers. A refused batch (no
// ticket, too many, an unknown action) is an error before anything is done; a ticket that
// fails is reported in the result in lang.
func (s *Server) runBatch(ctx context.Context, f fields, lang string) (*batchResult, error) {
	name := f.get("action")
	a, ok := batchActions[name]
	if !ok {
		return nil, &badField{"action", "must be accept or dispatch"}
	}
	var numbers []string
	for _, n := range f.list("numbers") {
		if !slices.Contains(numbers, n) {
			numbers = append(numbers, n)
		}
	}
	switch {
	case len(numbers) == 0:
		return nil, &badField{"numbers", "choose at least one ticket"}
	case len(numbers) > maxBatch:
		return nil, &badField{"numbers", fmt.Sprintf("at most %d tickets in one batch", maxBatch)}
	case a == tickets.ActDispatch && f.get("department") == "":
		return nil, &badField{"department", "is required"}
	}
	// Each ticket at its current version: a batch acts on what the tickets are now.
	one := fields{}
	for k, v := range f {
		if k != "numbers" && k != "action" && k != "version" {
			one[k] = v
		}
	}
	res := &batchResult{Action: name, Done: []string{}, Failed: []batchFailed{}}
	for _, n := range numbers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !tickets.ValidNumber(n) {
			res.Failed = append(res.Failed, batchFailed{Number: n, Error: tr(lang, "batch.bad_number"), Status: http.StatusBadRequest})
			continue
		}
		if _, err := s.doActionFiles(ctx, a, n, one, nil); err != nil {
			status, _ := errorStatus(err)
			if status == http.StatusInternalServerError {
				return nil, err
			}
			res.Failed = append(res.Failed, batchFailed{Number: n, Error: errorText(lang, err), Status: status})
			continue
		}
		res.Done = append(res.Done, n)
	}
	if len(res.Done) > 0 {
		s.publishLive(ctx, "tickets")
	}
	return res, nil
}

// postTicketsBatch is the API's batch: 200 with what was done and what failed.
func (s *Server) postTicketsBatch(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if a := batchActions[f.get("action")]; a == tickets.ActDispatch && !org.Centre.Has(staffFrom(r.Context()).Role) {
		s.refuse(w, r, http.StatusForbidden, errRoleRefused)
		return
	}
	res, err := s.runBatch(r.Context(), f, langOf(r))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// postWorkbenchBatch signs for the tickets chosen on the workbench (批量签收) and shows the
// workbench again with what was done and what failed.
func (s *Server) postWorkbenchBatch(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	f["action"] = []string{"accept"}
	res, err := s.runBatch(r.Context(), f, langOf(r))
	status := http.StatusOK
	var batchErr string
	if err != nil {
		st, _ := errorStatus(err)
		if st == http.StatusInternalServerError {
			s.pageError(w, r, err)
			return
		}
		status, batchErr = st, errorText(langOf(r), err)
	}
	data, derr := s.workbenchData(r.Context(), r.URL)
	if derr != nil {
		s.pageError(w, r, derr)
		return
	}
	data.Batch, data.BatchError = res, batchErr
	s.renderStaffStatus(w, r, status, "staff/workbench.html", data)
}

// batchSummary is the sentence a page shows after a batch, in lang.
func batchSummary(lang string, res *batchResult) string {
	if res == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprintf(tr(lang, "batch.summary"), len(res.Done), len(res.Failed)))
}

// postExportSelection exports the tickets chosen on a list (导出所选) as CSV or XLSX, each as
// the reader may see it; a ticket the reader may not see is left out. At most maxBatch.
func (s *Server) postExportSelection(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	format := f.get("format")
	if format != "" && format != "csv" && format != "xlsx" {
		s.refuseErr(w, r, http.StatusBadRequest, &badField{"format", "format must be csv or xlsx"})
		return
	}
	numbers := f.list("numbers")
	switch {
	case len(numbers) == 0:
		s.refuseErr(w, r, http.StatusBadRequest, &badField{"numbers", "choose at least one ticket"})
		return
	case len(numbers) > maxBatch:
		s.refuseErr(w, r, http.StatusBadRequest, &badField{"numbers", fmt.Sprintf("at most %d tickets in one batch", maxBatch)})
		return
	}
	st := staffFrom(ctx)
	actor := tickets.ActorFor(st)
	var ts []*tickets.Ticket
	for _, n := range numbers {
		if !tickets.ValidNumber(n) {
			continue
		}
		t, err := s.Tickets.GetFor(ctx, actor, n)
		if err != nil {
			if status, _ := errorStatus(err); status == http.StatusNotFound || status == http.StatusForbidden {
				continue
			}
			s.pageError(w, r, err)
			return
		}
		ts = append(ts, t)
	}
	lang := langOf(r)
	each := func(fn func([]any) error) error {
		for _, t := range ts {
			if err := fn(s.exportRow(lang, st, t)); err != nil {
				return err
			}
		}
		return nil
	}
	name := "tickets-selection-" + s.Clock.Now().In(s.location()).Format("20060102-1504")
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		err = s.streamXLSX(w, lang, "selection", each)
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		err = streamCSV(w, http.NewResponseController(w), exportHeader(lang), each)
	}
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	s.auditAfter(ctx, st, "export", "tickets", "selection", map[string]any{"rows": len(ts), "file": name + "." + orCSV(format)})
}

// batchPage is the outcome of a batch taken from a list page, with the way back to the list.
type batchPage struct {
	Result *batchResult
	Error  string
	Back   string
}

// postTicketsBatchForm takes a batch chosen on the ticket list (批量签收 for departments,
// 批量派单/改派 for the centre) and shows what was done and what failed.
func (s *Server) postTicketsBatchForm(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	back := safeNext(f.get("next"))
	if back == "" {
		back = "/tickets"
	}
	if a := batchActions[f.get("action")]; a == tickets.ActDispatch && !org.Centre.Has(staffFrom(r.Context()).Role) {
		s.refuse(w, r, http.StatusForbidden, errRoleRefused)
		return
	}
	res, err := s.runBatch(r.Context(), f, langOf(r))
	p := &batchPage{Result: res, Back: back}
	status := http.StatusOK
	if err != nil {
		st, _ := errorStatus(err)
		if st == http.StatusInternalServerError {
			s.pageError(w, r, err)
			return
		}
		status, p.Error = st, errorText(langOf(r), err)
	}
	s.renderStaffStatus(w, r, status, "staff/batch.html", p)
}
