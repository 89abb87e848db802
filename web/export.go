package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// exportColumns are the catalogue keys of the header row of every ticket export: the files go
// to people, so the header, the statuses and the other named values follow the reader's
// language, Chinese unless they chose English.
var exportColumns = []string{"ticket.number", "ticket.status", "ticket.type", "ticket.category", "ticket.department",
	"ticket.description", "ticket.address", "ticket.caller", "ticket.phone", "ticket.created", "due.accept",
	"due.feedback", "due.resolve", "ticket.clock"}

// exportHeader is the header row of an export in lang.
func exportHeader(lang string) []string {
	h := make([]string, len(exportColumns))
	for i, k := range exportColumns {
		h[i] = tr(lang, k)
	}
	return h
}

// exportRows turns tickets into rows in lang, with the phone masked for roles that do not
// need it.
func (s *Server) exportRows(lang string, st *org.Staff, ts []tickets.Ticket) [][]string {
	loc := s.location()
	fmtT := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	rows := make([][]string, 0, len(ts))
	for i := range ts {
		v := s.viewTicket(st, &ts[i])
		rows = append(rows, []string{v.Number, statusName(lang, v.Status), tr(lang, "type."+v.Type), catName(lang, v.Category),
			deptName(lang, v.Department), v.Description, v.Address, v.CallerName, v.CallerPhone,
			fmtT(&v.CreatedAt), fmtT(v.AcceptDue), fmtT(v.FeedbackDue), fmtT(v.ResolveDue), tr(lang, "clock."+v.Clock)})
	}
	return rows
}

// writeCSV writes rows as CSV with a UTF-8 byte order mark, without which Excel shows
// Chinese as mojibake. Cells that a spreadsheet would run as a formula are quoted with a
// leading apostrophe.
func writeCSV(header []string, rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	cw := csv.NewWriter(&b)
	cw.UseCRLF = true
	cw.Write(header)
	for _, r := range rows {
		safe := make([]string, len(r))
		for i, c := range r {
			safe[i] = defuseFormula(c)
		}
		cw.Write(safe)
	}
	cw.Flush()
	return b.Bytes(), cw.Error()
}

// defuseFormula keeps a citizen's text from running as a spreadsheet formula (CSV injection).
func defuseFormula(c string) string {
	if c != "" && (c[0] == '=' || c[0] == '+' || c[0] == '-' || c[0] == '@' || c[0] == '\t' || c[0] == '\r') {
		return "'" + c
	}
	return c
}

// writeXLSX writes rows as one sheet; cells are set as strings, so nothing is a formula.
func writeXLSX(sheet string, header []string, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", sheet)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	row := func(n int, cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, vals)
	}
	if err := row(1, header); err != nil {
		return nil, err
	}
	for i, r := range rows {
		if err := row(i+2, r); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// getExport is GET /export/{list}?format=csv|xlsx: any board list, as the signed-in account
// may see it.
func (s *Server) getExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	list := tickets.BoardList(r.PathValue("list"))
	ts, err := s.Tickets.Board(ctx, tickets.ActorFor(st), list, 10000)
	if err != nil {
		status, _ := errorStatus(err)
		s.refuseErr(w, r, status, err)
		return
	}
	lang := langOf(r)
	rows := s.exportRows(lang, st, ts)
	name := fmt.Sprintf("tickets-%s-%s", list, s.Clock.Now().In(s.location()).Format("20060102-1504"))
	var out []byte
	switch format := r.URL.Query().Get("format"); format {
	case "", "csv":
		out, err = writeCSV(exportHeader(lang), rows)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	case "xlsx":
		out, err = writeXLSX(tr(lang, "export.sheet"), exportHeader(lang), rows)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		name += ".xlsx"
	default:
		s.refuse(w, r, http.StatusBadRequest, "format must be csv or xlsx")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.auditAfter(ctx, st, "export", "tickets", string(list), map[string]any{"rows": len(rows), "file": name})
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(out)
}
