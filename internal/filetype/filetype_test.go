package filetype

import (
	"archive/zip"
	"bytes"
	"testing"
)

func zipWith(t *testing.T, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("<x/>"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDocument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		data  []byte
		want  string
		image bool
	}{
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}, JPEG, true},
		{"png", []byte("\x89PNG\r\n\x1a\nIHDR"), PNG, true},
		{"webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), WebP, true},
		{"pdf", []byte("%PDF-1.7\n%..."), PDF, false},
		{"docx", zipWith(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), DOCX, false},
		{"other zip", zipWith(t, "[Content_Types].xml", "xl/workbook.xml"), "", false},
		{"broken zip", []byte("PK\x03\x04broken"), "", false},
		{"html", []byte("<html><script>alert(1)</script>"), "", false},
		{"exe", []byte("MZ\x90\x00"), "", false},
		{"empty", nil, "", false},
		{"webp too short", []byte("RIFF\x00\x00"), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Document(tc.data)
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("Document = %q %v, want %q", got, ok, tc.want)
			}
			img, ok := Image(tc.data)
			if ok != tc.image || (tc.image && img != tc.want) {
				t.Fatalf("Image = %q %v", img, ok)
			}
			if tc.want != "" && Extension(tc.want) == "" {
				t.Fatalf("no extension for %s", tc.want)
			}
		})
	}
}

func FuzzDocument(f *testing.F) {
	f.Add([]byte("%PDF-1.4"))
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, ok := Document(data)
		if ok != (ct != "") {
			t.Fatalf("%q %v", ct, ok)
		}
		if img, ok := Image(data); ok && img != ct {
			t.Fatalf("an image %q is a document %q", img, ct)
		}
	})
}
