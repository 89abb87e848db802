package web

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestExportsStateTheirSizeAndStopAtTheLimit: the export page tells how many rows the file
// will hold before it is downloaded; past the limit both the page and the download say so, in
// the reader's language, with nothing downloaded; the Excel file has a bold header frozen
// above its rows, its times as date cells and the zone named.
func TestExportsStateTheirSizeAndStopAtTheLimit(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) { d.Staff.ExportMaxRows = 3 })
	for i := range 3 {
		e.register("公司拖欠工资"+string(rune('一'+i)), "wage-arrears", "13800138000", "hrss")
	}
	sup := e.browser("supervisor")
	r := e.do(sup, "GET", "/exports/open", nil, nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "将导出 3 条（上限 3 条）") || !strings.Contains(r.Body, "北京时间") {
		t.Fatalf("export page: %d %s", r.Status, r.Body)
	}
	x := e.do(sup, "GET", "/export/open?format=xlsx", nil, nil)
	if x.Status != http.StatusOK {
		t.Fatalf("xlsx: %d", x.Status)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(x.Body)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	// A title naming the list and the time above the header (row 3), which names each time
	// column's zone; times are real dates; every column has a filter button.
	if title, _ := f.GetCellValue(sheet, "A1"); !strings.Contains(title, "在办工单") || !strings.Contains(title, "北京时间") {
		t.Errorf("A1 = %q, want a title naming the list and the zone", title)
	}
	head, _ := f.GetCellValue(sheet, "J3")
	if head != "受理时间（北京时间）" {
		t.Errorf("J3 = %q, want the time column named with its zone", head)
	}
	if typ, _ := f.GetCellType(sheet, "J4"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("J4 is of type %v, want a date (a number with a date format)", typ)
	}
	if raw, _ := f.GetCellValue(sheet, "J4", excelize.Options{RawCellValue: true}); strings.Contains(raw, "-") {
		t.Errorf("J4 holds %q, text rather than a date", raw)
	}
	if tables, _ := f.GetTables(sheet); len(tables) != 1 || !strings.HasPrefix(tables[0].Range, "A3:") {
		t.Errorf("tables %+v, want one with filters from the header row", tables)
	}
	if st, _ := f.GetCellStyle(sheet, "A3"); st == 0 {
		t.Error("the header has no style of its own")
	} else if s, _ := f.GetStyle(st); s == nil || s.Font == nil || !s.Font.Bold {
		t.Error("the header is not bold")
	}
	if p, _ := f.GetPanes(sheet); !p.Freeze || p.YSplit != 3 {
		t.Errorf("panes %+v, want the header row frozen", p)
	}

	e.register("公司拖欠工资四", "wage-arrears", "13800138000", "hrss")
	r = e.do(sup, "GET", "/exports/open", nil, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "一次导出最多 3 条") {
		t.Errorf("export page past the limit: %d %s", r.Status, r.Body)
	}
	for _, format := range []string{"csv", "xlsx"} {
		r = e.do(sup, "GET", "/export/open?format="+format, nil, nil)
		if r.Status != http.StatusUnprocessableEntity || r.Header.Get("Content-Disposition") != "" || !strings.Contains(r.Body, "一次导出最多 3 条") {
			t.Errorf("%s past the limit: %d %q", format, r.Status, r.Header.Get("Content-Disposition"))
		}
	}
}
