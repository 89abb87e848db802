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
	head, _ := f.GetCellValue(sheet, "J1")
	if head != "受理时间（北京时间）" {
		t.Errorf("J1 = %q, want the time column named with its zone", head)
	}
	if typ, _ := f.GetCellType(sheet, "J2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("J2 is of type %v, want a date (a number with a date format)", typ)
	}
	if raw, _ := f.GetCellValue(sheet, "J2", excelize.Options{RawCellValue: true}); strings.Contains(raw, "-") {
		t.Errorf("J2 holds %q, text rather than a date", raw)
	}
	if st, _ := f.GetCellStyle(sheet, "A1"); st == 0 {
		t.Error("the header has no style of its own")
	} else if s, _ := f.GetStyle(st); s == nil || s.Font == nil || !s.Font.Bold {
		t.Error("the header is not bold")
	}
	if p, _ := f.GetPanes(sheet); !p.Freeze || p.YSplit != 1 {
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
