package web

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
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
	"due.feedback", "due.resolve", "export.resolved_at", "ticket.clock", "ticket.result_type", "export.late", "export.resolution"}

// exportTimes and exportTimesEnd bound the columns of exportColumns that hold a time.
const exportTimes, exportTimesEnd = 9, 14

// exportWidths are the XLSX columns' widths, in characters, in exportColumns' order.
var exportWidths = []float64{17, 8, 8, 12, 20, 50, 30, 10, 14, 17, 17, 17, 17, 17, 8, 10, 8, 40}

// exportHeader is the header row of an export in lang.
func exportHeader(lang string) []string {
	h := make([]string, len(exportColumns))
	for i, k := range exportColumns {
		h[i] = tr(lang, k)
	}
	return h
}

// exportRow is t as one row in lang, with the phone masked for roles that do not need it: times
// as times (nil when none), the rest as text.
func (s *Server) exportRow(lang string, st *org.Staff, t *tickets.Ticket) []any {
	v := s.viewTicket(st, t)
	at := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.In(s.location())
	}
	result, late := "", ""
	if v.ResultType != "" {
		result = tr(lang, "result."+v.ResultType)
	}
	// Late: resolved after its deadline, or still open past it.
	if v.ResolveDue != nil {
		end := s.Clock.Now()
		if v.ResolvedAt != nil {
			end = *v.ResolvedAt
		}
		late = tr(lang, "sheet.no")
		if end.After(*v.ResolveDue) {
			late = tr(lang, "sheet.yes")
		}
	}
	return []any{v.Number, statusName(lang, v.Status), tr(lang, "type."+v.Type), catName(lang, v.Category),
		deptName(lang, v.Department), v.Description, v.Address, v.CallerName, v.CallerPhone,
		at(&v.CreatedAt), at(v.AcceptDue), at(v.FeedbackDue), at(v.ResolveDue), at(v.ResolvedAt), tr(lang, "clock."+v.Clock),
		result, late, v.Resolution}
}

// csvCells is a row as CSV text: times in the zone they carry, to the minute. Cells that a
// spreadsheet would run as a formula are quoted with a leading apostrophe.
func csvCells(row []any) []string {
	out := make([]string, len(row))
	for i, c := range row {
		switch v := c.(type) {
		case string:
			out[i] = defuseFormula(v)
		case time.Time:
			out[i] = v.Format("2006-01-02 15:04")
		}
	}
	return out
}

// defuseFormula keeps a citizen's text from running as a spreadsheet formula (CSV injection).
func defuseFormula(c string) string {
	if c != "" && (c[0] == '=' || c[0] == '+' || c[0] == '-' || c[0] == '@' || c[0] == '\t' || c[0] == '\r') {
		return "'" + c
	}
	return c
}

// zoneName names the zone the exports' times are in: Beijing time for Asia/Shanghai.
func zoneName(lang string, loc *time.Location) string {
	if loc.String() == "Asia/Shanghai" {
		return tr(lang, "export.beijing")
	}
	return loc.String()
}

// exportLimit is the most rows one export holds.
func (s *Server) exportLimit() int {
	if s.Staff.ExportMaxRows > 0 {
		return s.Staff.ExportMaxRows
	}
	return 100_000
}

// exportPage is GET /exports/{list}: how many rows the list's export will hold, before the
// download, or why it cannot be exported.
type exportPage struct {
	List  tickets.BoardList
	Rows  int
	Over  bool
	Limit int
	Zone  string
}

func (s *Server) getExportPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	list := tickets.BoardList(r.PathValue("list"))
	limit := s.exportLimit()
	n, over, err := s.Tickets.BoardCount(ctx, actorFrom(ctx), list, limit)
	if err != nil {
		status, _ := errorStatus(err)
		s.refuseErr(w, r, status, err)
		return
	}
	status := http.StatusOK
	if over {
		status = http.StatusUnprocessableEntity
	}
	s.renderStaffStatus(w, r, status, "staff/export.html", &exportPage{List: list, Rows: n, Over: over, Limit: limit,
		Zone: zoneName(langOf(r), s.location())})
}

// errExportEnded ends an export whose reader went away.
var errExportEnded = errors.New("export ended")

// getExport is GET /export/{list}?format=csv|xlsx: any board list, as the signed-in account
// may see it, written as its rows are read (memory does not grow with the list), up to
// exportLimit rows; a longer list is refused before the download starts.
func (s *Server) getExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	actor := tickets.ActorFor(st)
	list := tickets.BoardList(r.PathValue("list"))
	format := r.URL.Query().Get("format")
	if format != "" && format != "csv" && format != "xlsx" {
		s.refuse(w, r, http.StatusBadRequest, "format must be csv or xlsx")
		return
	}
	limit := s.exportLimit()
	_, over, err := s.Tickets.BoardCount(ctx, actor, list, limit)
	if err != nil {
		status, _ := errorStatus(err)
		s.refuseErr(w, r, status, err)
		return
	}
	lang := langOf(r)
	if over {
		msg := fmt.Sprintf(tr(lang, "export.limit"), limit)
		if isAPI(r) {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": msg, "limit": limit})
			return
		}
		s.renderError(w, r, http.StatusUnprocessableEntity, msg)
		return
	}
	// A long export may outlast the server's write timeout.
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(15 * time.Minute))
	name := fmt.Sprintf("tickets-%s-%s", list, s.Clock.Now().In(s.location()).Format("20060102-1504"))
	rows := 0
	each := func(fn func([]any) error) error {
		return s.Tickets.BoardEach(ctx, actor, list, limit, func(t *tickets.Ticket) error {
			rows++
			return fn(s.exportRow(lang, st, t))
		})
	}
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		err = s.streamXLSX(w, lang, list, each)
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		err = streamCSV(w, rc, exportHeader(lang), each)
	}
	if err != nil {
		// The file is half sent: cut the connection, so the download fails rather than keeps
		// a file that lacks rows.
		if !errors.Is(err, errExportEnded) && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "export", "list", string(list), "rows", rows, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	s.auditAfter(ctx, st, "export", "tickets", string(list), map[string]any{"rows": rows, "file": name + "." + orCSV(format)})
}

func orCSV(format string) string {
	if format == "" {
		return "csv"
	}
	return format
}

// streamCSV writes a UTF-8 byte order mark (without which Excel shows Chinese as mojibake), the
// header and each row each gives, sending them on every thousand rows.
func streamCSV(w http.ResponseWriter, rc *http.ResponseController, header []string, each func(func([]any) error) error) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("\uFEFF")
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	cw.Write(header)
	n := 0
	err := each(func(row []any) error {
		if err := cw.Write(csvCells(row)); err != nil {
			return errExportEnded
		}
		if n++; n%1000 == 0 {
			cw.Flush()
			if cw.Error() != nil || bw.Flush() != nil || rc.Flush() != nil {
				return errExportEnded
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if cw.Error() != nil || bw.Flush() != nil {
		return errExportEnded
	}
	return nil
}

// streamXLSX writes the rows each gives as one sheet with excelize's stream writer (rows go to
// a temporary file past a few megabytes, not to memory): a bold header frozen above the rows,
// column widths, times as real date cells in the server's zone, named in the header; text
// cells as text, so nothing is a formula.
func (s *Server) streamXLSX(w http.ResponseWriter, lang string, list tickets.BoardList, each func(func([]any) error) error) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := tr(lang, "export.sheet")
	f.SetSheetName("Sheet1", sheet)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd hh:mm"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	for i, wd := range exportWidths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	zone := zoneName(lang, s.location())
	// A title naming the list and when it was taken, above the header.
	big, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	lastCol, _ := excelize.ColumnNumberToName(len(exportColumns))
	title := fmt.Sprintf(tr(lang, "export.heading"), trOr(lang, "export.list."+string(list), string(list)),
		s.Clock.Now().In(s.location()).Format("2006-01-02 15:04"), zone)
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: big, Value: title}}, excelize.RowOpts{Height: 24}); err != nil {
		return err
	}
	if err := sw.MergeCell("A1", lastCol+"1"); err != nil {
		return err
	}
	head := make([]any, len(exportColumns))
	for i, h := range exportHeader(lang) {
		if i >= exportTimes && i < exportTimesEnd {
			h += map[bool]string{true: " (" + zone + ")", false: "（" + zone + "）"}[lang == "en"]
		}
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A3", head); err != nil {
		return err
	}
	n := 3
	err = each(func(row []any) error {
		n++
		cells := make([]any, len(row))
		for i, c := range row {
			switch v := c.(type) {
			case time.Time:
				// Excel has no zones: the cell holds the wall-clock time the header names.
				wall := time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), 0, time.UTC)
				cells[i] = excelize.Cell{StyleID: date, Value: wall}
			default:
				cells[i] = c
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, cells)
	})
	if err != nil {
		return err
	}
	// Filter buttons on every column of the header.
	if n > 3 {
		if err := sw.AddTable(&excelize.Table{Range: "A3:" + lastCol + strconv.Itoa(n), Name: "tickets", StyleName: "TableStyleLight1"}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := f.Write(w); err != nil {
		return errExportEnded
	}
	return nil
}
