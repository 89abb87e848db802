package telephony

import (
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// badRequest is a request refused before any handler sees it: the status code and reason
// phrase to answer with (code 0: drop without an answer), and headers the response needs.
type badRequest struct {
	code    int
	reason  string
	headers []sip.Header
}

// singleHeaders may appear once only: a second Call-ID or CSeq makes the transaction
// ambiguous (RFC 4475 multi01, mcl01).
var singleHeaders = []string{"From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type", "Expires"}

// validate checks what sipgo's parser lets through but RFC 3261 forbids, so that every
// handler works on a well-formed request. It returns nil for a request to process.
// ACK gets no response whatever it carries; the caller drops a bad one.
func validate(req *sip.Request) *badRequest {
	// Without a usable top Via no answer can be routed: drop (code 0).
	v := req.Via()
	if v == nil || v.Transport == "" || v.Host == "" {
		return &badRequest{reason: "Unusable Via"}
	}
	// Another version of SIP (RFC 4475 badvers) is told so: the answer goes to the
	// request's source, so a Via of that version routes it as well as one of ours.
	if req.SipVersion != "SIP/2.0" {
		return &badRequest{code: 505, reason: "Version Not Supported"}
	}
	if v.ProtocolName != "SIP" || v.ProtocolVersion != "2.0" {
		return &badRequest{reason: "Unusable Via"}
	}
	switch req.Recipient.Scheme {
	case "sip", "sips", "tel":
	default:
		return &badRequest{code: 416, reason: "Unsupported URI Scheme"}
	}
	if req.Recipient.Scheme != "tel" && req.Recipient.Host == "" {
		return &badRequest{code: 400, reason: "Bad Request-URI"}
	}
	if req.Recipient.Headers != nil && req.Recipient.Headers.Length() > 0 {
		// A Request-URI never carries headers (RFC 3261 19.1.5; RFC 4475 escruri).
		return &badRequest{code: 400, reason: "Request-URI With Headers"}
	}
	for _, h := range []struct {
		name string
		ok   bool
	}{
		{"Via", req.Via() != nil}, {"From", req.From() != nil}, {"To", req.To() != nil},
		{"Call-ID", req.CallID() != nil}, {"CSeq", req.CSeq() != nil},
	} {
		if !h.ok {
			return &badRequest{code: 400, reason: "Missing " + h.name}
		}
	}
	for _, name := range singleHeaders {
		if len(req.GetHeaders(name)) > 1 {
			return &badRequest{code: 400, reason: "Duplicate " + name}
		}
	}
	if req.CallID().Value() == "" {
		return &badRequest{code: 400, reason: "Empty Call-ID"}
	}
	cseq := req.CSeq()
	if cseq.MethodName != req.Method {
		return &badRequest{code: 400, reason: "CSeq Method Mismatch"}
	}
	if cseq.SeqNo > 1<<31-1 {
		return &badRequest{code: 400, reason: "CSeq Out Of Range"}
	}
	if cl := req.ContentLength(); cl != nil && int(*cl) != len(req.Body()) {
		return &badRequest{code: 400, reason: "Content-Length Mismatch"}
	}
	if req.From().Address.Host == "" && req.From().Address.Scheme != "tel" {
		return &badRequest{code: 400, reason: "Bad From"}
	}
	if req.To().Address.Host == "" && req.To().Address.Scheme != "tel" {
		return &badRequest{code: 400, reason: "Bad To"}
	}
	if e := req.GetHeader("Expires"); e != nil {
		if _, err := strconv.ParseUint(strings.TrimSpace(e.Value()), 10, 32); err != nil {
			return &badRequest{code: 400, reason: "Bad Expires"}
		}
	}
	if req.IsAck() || req.IsCancel() {
		return nil
	}
	// We implement no extension a client could require (RFC 3261 8.2.2.3; RFC 4475 bext01).
	if reqs := headerTokens(req, "Require"); len(reqs) > 0 {
		return &badRequest{code: 420, reason: "Bad Extension",
			headers: []sip.Header{sip.NewHeader("Unsupported", strings.Join(reqs, ", "))}}
	}
	if req.IsInvite() {
		if len(req.Body()) > 0 {
			ct := req.ContentType()
			if ct == nil || !strings.EqualFold(mediaType(ct.Value()), "application/sdp") {
				return &badRequest{code: 415, reason: "Unsupported Media Type",
					headers: []sip.Header{sip.NewHeader("Accept", "application/sdp")}}
			}
		}
		if c := req.Contact(); c == nil || c.Address.Host == "" {
			return &badRequest{code: 400, reason: "Missing Contact"}
		}
		if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
			return &badRequest{code: 483, reason: "Too Many Hops"}
		}
	}
	return nil
}

// headerTokens returns the comma-separated tokens of every header named name.
func headerTokens(req *sip.Request, name string) []string {
	var out []string
	for _, h := range req.GetHeaders(name) {
		for _, t := range strings.Split(h.Value(), ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

func mediaType(v string) string {
	mt, _, _ := strings.Cut(v, ";")
	return strings.TrimSpace(mt)
}
