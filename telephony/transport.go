package telephony

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Where hotline's SIP messages go and where they leave from.
//
// Requests hotline sends (INVITE to an agent, to 110, a callback; BYE, re-INVITE, NOTIFY,
// ACK) leave over UDP from the listening socket itself, with its port in Via: a gateway that
// admits one known address and port admits them (fault 6). sipgo on its own opens a socket on
// an ephemeral port per destination it has not heard from yet.
//
// Responses go to the address the request came from, with received and rport in the top Via
// (RFC 3581 applied to every request), never to the host a Via names: a forged Via must not
// make hotline send anything, least of all open a TCP connection, anywhere else (fault 7).
// Only requests hotline itself sends may open a TCP or TLS connection.

// outboundKey marks the context of a request hotline sends: only under it may a TCP or TLS
// connection be opened.
type outboundKey struct{}

func outbound(ctx context.Context) context.Context {
	return context.WithValue(ctx, outboundKey{}, true)
}

// errNoDialForResponse refuses a connection sipgo would open to send a response: to the host
// of a Via, when the connection the request came over is gone.
var errNoDialForResponse = errors.New("sip: no new connection for a response; it goes back over the request's connection or not at all")

// dialer is the TCP and TLS transports' dialer: it connects only for requests hotline sends.
func dialer(laddr net.Addr) net.Dialer {
	return net.Dialer{
		Timeout:   32 * time.Second,
		LocalAddr: laddr,
		ControlContext: func(ctx context.Context, _, _ string, _ syscall.RawConn) error {
			if ctx.Value(outboundKey{}) == nil {
				return errNoDialForResponse
			}
			return nil
		},
	}
}

// streamTransports are sipgo's TCP and TLS transports with the dialer above.
func streamTransports() sip.TransportsConfig {
	return sip.TransportsConfig{
		TCP: &sip.TransportTCP{DialerCreate: dialer},
		TLS: &sip.TransportTLS{TransportTCP: &sip.TransportTCP{DialerCreate: dialer}},
	}
}

// requester sends every request of the server's client (sipgo.Client.TxRequester): it pins
// UDP requests to the listening socket and puts the listening port in Via.
type requester struct{ s *Server }

func (r requester) Request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error) {
	s := r.s
	ctx = outbound(ctx)
	tp := sip.NetworkToLower(req.Transport())
	if via := req.Via(); via != nil && via.Host == s.host {
		via.Port = s.port
		if tp == "tls" && s.tls != nil {
			via.Port = s.tlsPort
		}
	}
	if tp == "udp" && req.Laddr.IP == nil {
		la := s.udp.LocalAddr().(*net.UDPAddr)
		req.Laddr = sip.Addr{IP: la.IP, Port: la.Port, Hostname: la.IP.String()}
	}
	if req.IsAck() {
		// An ACK has no transaction: written straight to the transport, as sipgo does.
		conn, err := s.ua.TransportLayer().ClientRequestConnection(ctx, req)
		if err != nil {
			return nil, err
		}
		defer conn.TryClose()
		return nil, conn.WriteMsg(req)
	}
	tx, err := s.ua.TransactionLayer().Request(ctx, req)
	if err != nil {
		return nil, err // not tx: a nil *ClientTx in the interface would not be nil
	}
	return tx, nil
}

// toSource addresses res to where req came from and notes that address in the top Via of
// res, received and rport (RFC 3581 section 4), whatever the Via claimed.
func toSource(req *sip.Request, res *sip.Response) {
	src := req.Source()
	host, port, err := net.SplitHostPort(src)
	if err != nil {
		return
	}
	if via := res.Via(); via != nil {
		if via.Params == nil {
			via.Params = sip.NewParams()
		}
		if via.Host != host {
			via.Params.Add("received", host)
		} else {
			via.Params.Remove("received") // one the sender put there itself
		}
		if via.Params.Has("rport") {
			via.Params.Add("rport", port)
		}
	}
	if !sip.IsReliable(req.Transport()) {
		res.SetDestination(src)
	}
}

// respondTooLarge answers 513 when the response to a UDP request does not fit a datagram
// (sipgo refuses to send it and would drop it): the short answer, with only the headers RFC
// 3261 requires, goes straight to the request's source.
func (s *Server) respondTooLarge(req *sip.Request) {
	res := sip.NewResponse(513, "Message Too Large")
	for _, name := range []string{"Via", "From", "To", "Call-ID", "CSeq"} {
		sip.CopyHeaders(name, req, res)
	}
	if to := res.To(); to != nil && !to.Params.Has("tag") {
		to.Params.Add("tag", sip.GenerateTagN(16))
	}
	res.SetBody(nil)
	toSource(req, res)
	to, err := net.ResolveUDPAddr("udp", req.Source())
	if err != nil {
		return
	}
	if _, err := s.udp.WriteTo([]byte(res.String()), to); err != nil {
		s.log.Debug("sip respond 513", "err", err)
	}
}
