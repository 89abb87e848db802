package telephony

import (
	"bytes"
	"net"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Requests over UDP that sipgo's parser cannot read (RFC 4475's clerr, ncl, scalar02,
// badaspec: a Content-Length beyond the datagram or negative, a number out of range, an
// address with spaces) are dropped by sipgo without a word, and the sender retransmits for
// 32 s. Each datagram is tried here first; one that does not parse is answered 400 (505 for
// another SIP version) when its Via, From, To, Call-ID and CSeq lines can be copied into a
// response, as RFC 3261 section 8.2 asks. Responses are never answered, and ACKs neither.

// unparsable answers data, a UDP datagram from src, when it is a request sipgo would drop
// unparsed, and reports whether it was such a request (then it is dropped).
func (s *Server) unparsable(data []byte, src net.Addr) bool {
	if len(bytes.Trim(data, "\r\n")) == 0 || bytes.HasPrefix(data, []byte("SIP/")) {
		return false // a keep-alive or a response: nobody to answer
	}
	_, err := sip.ParseMessage(data)
	if err == nil {
		return false
	}
	res := malformedResponse(data)
	if res != nil {
		if _, werr := s.udp.WriteTo(res, src); werr != nil {
			s.log.Debug("sip respond to unparsable request", "err", werr)
		}
	}
	s.guard.warn(addrOf(src), "malformed", "sip request unparsable", "err", err, "answered", res != nil)
	return true
}

// malformedResponse is the answer to a request that does not parse, built from its raw
// lines, or nil when no answer can be routed (no Via, an ACK, not a request line).
func malformedResponse(data []byte) []byte {
	head, body, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	lines := unfold(strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n"))
	if len(lines) < 2 {
		return nil
	}
	parts := strings.Fields(lines[0])
	if len(parts) != 3 || !strings.HasPrefix(parts[2], "SIP/") || strings.EqualFold(parts[0], "ACK") {
		return nil
	}
	code, reason := 400, "Bad Request"
	switch {
	case parts[2] != "SIP/2.0":
		code, reason = 505, "Version Not Supported"
	case badContentLength(lines, len(body)):
		reason = "Bad Content-Length"
	}
	var b strings.Builder
	b.WriteString("SIP/2.0 ")
	b.WriteString(strconv.Itoa(code) + " " + reason + "\r\n")
	need := map[string]bool{"via": false, "from": false, "to": false, "call-id": false, "cseq": false}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		canon := canonical(strings.ToLower(strings.TrimSpace(name)))
		if _, wanted := need[canon]; !wanted {
			continue
		}
		value = strings.TrimSpace(value)
		if canon == "to" && !strings.Contains(strings.ToLower(value), ";tag=") {
			value += ";tag=" + sip.GenerateTagN(16)
		}
		need[canon] = true
		b.WriteString(l[:len(name)])
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	for _, ok := range need {
		if !ok {
			return nil
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}

// unfold joins header lines continued on the next line (leading space or tab).
func unfold(lines []string) []string {
	out := lines[:0:0]
	for _, l := range lines {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(out) > 0 {
			out[len(out)-1] += " " + strings.TrimSpace(l)
			continue
		}
		out = append(out, l)
	}
	return out
}

// canonical is the long name of a header given in its compact form (RFC 3261 7.3.3).
func canonical(name string) string {
	switch name {
	case "v":
		return "via"
	case "f":
		return "from"
	case "t":
		return "to"
	case "i":
		return "call-id"
	}
	return name
}

// badContentLength reports whether the Content-Length is no number or more than the body.
func badContentLength(lines []string, body int) bool {
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		if n := strings.ToLower(strings.TrimSpace(name)); n != "content-length" && n != "l" {
			continue
		}
		cl, err := strconv.Atoi(strings.TrimSpace(value))
		return err != nil || cl < 0 || cl > body
	}
	return false
}
