package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/hotline-city/hotline/evaluation"
)

// The scorecard as a monthly report (通报): XLSX with a title, the period, the ranked table and
// one sheet per indicator, or CSV with a BOM. Figures are numbers, not text; "—" where there is
// nothing to measure.

func (s *Server) getEvalExport(w http.ResponseWriter, r *http.Request) {
	sc, err := s.viewScorecard(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	lang := langOf(r)
	name := "hotline-evaluation-" + sc.Period
	var out []byte
	switch format := r.URL.Query().Get("format"); format {
	case "", "xlsx":
		out, err = evalXLSX(lang, sc)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		name += ".xlsx"
	case "csv":
		out, err = evalCSV(lang, sc)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	default:
		s.apiError(w, r, &badField{"format", "xlsx or csv"})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Write(out)
}

// evalIndicators are the department indicators of the scorecard's profile, in order.
func evalIndicators(sc *evaluation.Scorecard) []evaluation.Indicator {
	var out []evaluation.Indicator
	for _, in := range sc.ProfileUsed().Indicators {
		if in.Scope == evaluation.ScopeDepartment {
			out = append(out, in)
		}
	}
	return out
}

func pick(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

func groupName(lang string, sc *evaluation.Scorecard, code string) string {
	for _, g := range sc.Groups {
		if g.Code == code {
			return pick(lang, g.NameZh, g.NameEn)
		}
	}
	return code
}

func evalHeader(lang string, sc *evaluation.Scorecard) []string {
	h := []string{tr(lang, "eval.group"), tr(lang, "eval.rank"), tr(lang, "eval.department"), tr(lang, "eval.score"),
		tr(lang, "eval.tickets"), tr(lang, "eval.visits"), tr(lang, "eval.excluded")}
	for _, in := range evalIndicators(sc) {
		h = append(h, pick(lang, in.NameZh, in.NameEn))
	}
	return h
}

// evalRow is one department's row: numbers as float64 or int, "—" where there is none.
func evalRow(lang string, sc *evaluation.Scorecard, d evaluation.Department) []any {
	num := func(v *float64) any {
		if v == nil {
			return "—"
		}
		return *v
	}
	row := []any{groupName(lang, sc, d.Group), d.Rank, pick(lang, d.Name, orName(d.NameEn, d.Name)), num(d.Score), d.Tickets, d.Visits, d.Excluded}
	for _, in := range evalIndicators(sc) {
		row = append(row, num(d.Indicators[in.Code]))
	}
	return row
}

func orName(en, zh string) string {
	if en == "" {
		return zh
	}
	return en
}

func evalCSV(lang string, sc *evaluation.Scorecard) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\ufeff") // a BOM, so spreadsheet programs read the Chinese names right
	cw := csv.NewWriter(&b)
	cw.Write(append([]string{tr(lang, "eval.period")}, evalHeader(lang, sc)...))
	for _, d := range sc.Departments {
		row := []string{sc.Period}
		for _, v := range evalRow(lang, sc, d) {
			switch x := v.(type) {
			case float64:
				row = append(row, strconv.FormatFloat(x, 'f', -1, 64))
			default:
				row = append(row, defuseFormula(fmt.Sprint(x)))
			}
		}
		cw.Write(row)
	}
	cw.Flush()
	return b.Bytes(), cw.Error()
}

func evalXLSX(lang string, sc *evaluation.Scorecard) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}})
	if err != nil {
		return nil, err
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return nil, err
	}
	score, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return nil, err
	}
	period := fmt.Sprintf("%s：%s（%s — %s）  %s v%d", tr(lang, "eval.period"), sc.Period, sc.From, sc.To, tr(lang, "eval.profile"), sc.Profile)
	// sheet writes a title, the period, a bold frozen header and rows; pctFrom is the first
	// column (1-based) holding rates.
	sheet := func(name, heading string, header []string, rows [][]any, widths []float64, pctFrom int, scoreCols ...int) error {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
		last, _ := excelize.ColumnNumberToName(len(header))
		f.SetCellValue(name, "A1", heading)
		f.MergeCell(name, "A1", last+"1")
		f.SetCellStyle(name, "A1", last+"1", title)
		f.SetCellValue(name, "A2", period)
		f.MergeCell(name, "A2", last+"2")
		if err := f.SetSheetRow(name, "A3", &header); err != nil {
			return err
		}
		f.SetCellStyle(name, "A3", last+"3", head)
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+4)
			if err := f.SetSheetRow(name, cell, &r); err != nil {
				return err
			}
		}
		if len(rows) > 0 {
			end := len(rows) + 3
			if pctFrom > 0 {
				a, _ := excelize.CoordinatesToCellName(pctFrom, 4)
				b, _ := excelize.CoordinatesToCellName(len(header), end)
				f.SetCellStyle(name, a, b, pct)
			}
			for _, c := range scoreCols {
				a, _ := excelize.CoordinatesToCellName(c, 4)
				b, _ := excelize.CoordinatesToCellName(c, end)
				f.SetCellStyle(name, a, b, score)
			}
		}
		for i, wd := range widths {
			col, _ := excelize.ColumnNumberToName(i + 1)
			f.SetColWidth(name, col, col, wd)
		}
		if len(widths) < len(header) {
			a, _ := excelize.ColumnNumberToName(len(widths) + 1)
			f.SetColWidth(name, a, last, 12)
		}
		return f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
	}
	ranking := tr(lang, "eval.sheet_ranking")
	var rows [][]any
	for _, d := range sc.Departments {
		rows = append(rows, evalRow(lang, sc, d))
	}
	if err := sheet(ranking, tr(lang, "eval.report_title"), evalHeader(lang, sc), rows, []float64{14, 6, 26, 9, 9, 9, 9}, 8, 4); err != nil {
		return nil, err
	}
	f.DeleteSheet("Sheet1")
	for _, in := range evalIndicators(sc) {
		ds := slices.Clone(sc.Departments)
		slices.SortStableFunc(ds, func(a, b evaluation.Department) int {
			x, y := a.Indicators[in.Code], b.Indicators[in.Code]
			switch {
			case x == nil && y == nil:
				return 0
			case x == nil:
				return 1
			case y == nil:
				return -1
			case *x > *y:
				return -1
			case *x < *y:
				return 1
			}
			return 0
		})
		var rows [][]any
		for i, d := range ds {
			v, p := any("—"), any("—")
			if x := d.Indicators[in.Code]; x != nil {
				v = *x
			}
			if x := d.Points[in.Code]; x != nil {
				p = *x
			}
			rows = append(rows, []any{i + 1, pick(lang, d.Name, orName(d.NameEn, d.Name)), groupName(lang, sc, d.Group), v, p})
		}
		name := pick(lang, in.NameZh, in.NameEn)
		if len([]rune(name)) > 31 {
			name = string([]rune(name)[:31])
		}
		heading := pick(lang, in.NameZh, in.NameEn) + " = " + sc.ProfileUsed().Formula(&in, lang)
		header := []string{tr(lang, "eval.rank"), tr(lang, "eval.department"), tr(lang, "eval.group"), tr(lang, "eval.value"), tr(lang, "eval.points")}
		if err := sheet(name, heading, header, rows, []float64{6, 26, 14, 12, 10}, 4, 5); err != nil {
			return nil, err
		}
		// The points column is not a rate: score format over the percent one.
		if len(rows) > 0 {
			f.SetCellStyle(name, "E4", fmt.Sprintf("E%d", len(rows)+3), score)
		}
	}
	f.SetActiveSheet(0)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
