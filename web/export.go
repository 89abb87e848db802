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

// exportHeader is the header row of every ticket export, in Chinese: the files go to people.
var exportHeader = []string{"工单编号", "状态", "诉求类型", "诉求分类", "承办单位", "诉求内容", "地址", "来电人", "联系电话",
	"受理时间", "签收时限", "反馈时限", "办结时限", "时限状态"}

// exportRows turns tickets into rows, with the phone masked for roles that do not need it.
func (s *Server) exportRows(st *org.Staff, ts []tickets.Ticket) [][]string {
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
		rows = append(rows, []string{v.Number, tickets.StatusZh(v.Status), tr("zh", "type."+v.Type), catName("zh", v.Category),
			deptName("zh", v.Department), v.Description, v.Address, v.CallerName, v.CallerPhone,
			fmtT(&v.CreatedAt), fmtT(v.AcceptDue), fmtT(v.FeedbackDue), fmtT(v.ResolveDue), tr("zh", "clock."+v.Clock)})
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
		status, body := errorStatus(err)
		s.refuse(w, r, status, body["error"])
		return
	}
	rows := s.exportRows(st, ts)
	name := fmt.Sprintf("tickets-%s-%s", list, s.Clock.Now().In(s.location()).Format("20060102-1504"))
	var out []byte
	switch format := r.URL.Query().Get("format"); format {
	case "", "csv":
		out, err = writeCSV(exportHeader, rows)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	case "xlsx":
		out, err = writeXLSX("工单", exportHeader, rows)
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
