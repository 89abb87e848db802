// Package filetype tells what a file is from its content, never from its name or the type its
// sender claimed: citizens' photos and departments' attachments are both checked here.
package filetype

import (
	"archive/zip"
	"bytes"
)

// Content types this package recognises.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
	PDF  = "application/pdf"
	DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

// Image returns the image type of data (JPEG, PNG or WebP) from its first bytes.
func Image(data []byte) (string, bool) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG, true
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, true
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return WebP, true
	}
	return "", false
}

// Document returns the type of data when it is an image (see Image), a PDF or a Word document
// (DOCX). A DOCX is a ZIP archive, so the archive must open and hold the parts every Word
// document has; any other ZIP is refused.
func Document(data []byte) (string, bool) {
	if ct, ok := Image(data); ok {
		return ct, true
	}
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return PDF, true
	case bytes.HasPrefix(data, []byte("PK\x03\x04")) && isDOCX(data):
		return DOCX, true
	}
	return "", false
}

func isDOCX(data []byte) bool {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false
	}
	var types, doc bool
	for _, f := range zr.File {
		switch f.Name {
		case "[Content_Types].xml":
			types = true
		case "word/document.xml":
			doc = true
		}
	}
	return types && doc
}

// Extension is the usual file name extension of content type ct, with its dot.
func Extension(ct string) string {
	switch ct {
	case JPEG:
		return ".jpg"
	case PNG:
		return ".png"
	case WebP:
		return ".webp"
	case PDF:
		return ".pdf"
	case DOCX:
		return ".docx"
	}
	return ""
}
