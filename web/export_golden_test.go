package web

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata with what the code produces now")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -run %s -update rewrites it):\n%s", name, t.Name(), diff)
	}
}

// xlsxDump is a workbook's cells as text: one line per row of each sheet, cells separated by
// tabs (a tab, a line break or a backslash inside a cell written \t, \n, \\), so a golden
// file shows what a person sees, not the zip's bytes. A cell holding a formula fails the test:
// the exports never write one.
func xlsxDump(t *testing.T, data []byte) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "# sheet %s\n", sheet)
		for i, r := range rows {
			cells := make([]string, len(r))
			for j, c := range r {
				name, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if fm, _ := f.GetCellFormula(sheet, name); fm != "" {
					t.Errorf("%s!%s is a formula: %s", sheet, name, fm)
				}
				cells[j] = cellEscaper.Replace(c)
			}
			b.WriteString(strings.Join(cells, "\t") + "\n")
		}
	}
	return b.Bytes()
}

var cellEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

// TestExportGolden exports the board's open list as CSV and as XLSX, for the supervisor (full
// phone numbers) and for a department head (masked), with a citizen's text that a spreadsheet
// would run as a formula.
func TestExportGolden(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	e.register("公司拖欠三个月工资，共计两万元", "wage-arrears", "13800138000", "hrss")
	e.register("=HYPERLINK(\"http://x.invalid\",\"点此\")，餐馆卫生差，\"后厨\"有老鼠", "food-safety", "13900139000", "market")
	e.register("路面塌陷\n一个大坑", "road-damage", "13700137000", "")
	for _, who := range []string{"supervisor", "head-hrss"} {
		t.Run(who, func(t *testing.T) {
			auth := e.token(who)
			csv := e.do(nil, "GET", "/export/open?format=csv", nil, auth)
			if csv.Status != 200 || !strings.HasPrefix(csv.Body, "\uFEFF") || csv.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
				t.Fatalf("csv: %d %q", csv.Status, csv.Header.Get("Content-Type"))
			}
			golden(t, "export_open_"+who+".csv.golden", []byte(csv.Body))
			xlsx := e.do(nil, "GET", "/export/open?format=xlsx", nil, auth)
			if xlsx.Status != 200 || !strings.HasSuffix(xlsx.Header.Get("Content-Disposition"), `.xlsx"`) {
				t.Fatalf("xlsx: %d %q", xlsx.Status, xlsx.Header.Get("Content-Disposition"))
			}
			golden(t, "export_open_"+who+".xlsx.golden", xlsxDump(t, []byte(xlsx.Body)))
		})
	}
}
