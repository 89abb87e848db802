package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// bare is the reference: a minimal sipgo B2BUA that bridges every INVITE to one agent
// address, with no queue, no registrar and no database, built on the same dialog API.
type bare struct {
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	dua   *sipgo.DialogUA
	agent sip.Uri
	mu    sync.Mutex
	in    map[string]*bareCall // by caller dialog ID
	out   map[string]*bareCall // by agent dialog ID
}

type bareCall struct {
	in  *sipgo.DialogServerSession
	out *sipgo.DialogClientSession
}

func startBare(ctx context.Context, addr string, agent string) (*bare, error) {
	// Quiet like hotline serve's own sipgo logging: at overload sipgo logs every failed
	// transaction in full, and writing that to the terminal would make the reference slower
	// than what it is compared with.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	if err != nil {
		return nil, err
	}
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	host, port, _ := net.SplitHostPort(addr)
	cli, _ := sipgo.NewClient(ua, sipgo.WithClientHostname(host), sipgo.WithClientLogger(quiet))
	p, _ := strconv.Atoi(port)
	b := &bare{ua: ua, srv: srv, in: map[string]*bareCall{}, out: map[string]*bareCall{},
		dua: &sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: host, Port: p}}}}
	if err := sip.ParseUri(agent, &b.agent); err != nil {
		return nil, err
	}
	srv.OnInvite(b.invite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
			b.mu.Lock()
			c := b.in[id]
			b.mu.Unlock()
			if c != nil {
				c.in.ReadAck(req, tx)
			}
		}
	})
	srv.OnBye(b.bye)
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	go srv.ServeUDP(conn)
	go func() { <-ctx.Done(); conn.Close(); ua.Close() }()
	return b, nil
}

func (b *bare) invite(req *sip.Request, tx sip.ServerTransaction) {
	in, err := b.dua.ReadInvite(req, tx)
	if err != nil {
		return
	}
	out := sip.NewRequest(sip.INVITE, b.agent)
	from := &sip.FromHeader{Address: req.From().Address, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	out.AppendHeader(from)
	out.AppendHeader(&sip.ToHeader{Address: b.agent})
	out.SetBody(req.Body())
	out.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ctx := context.Background()
	dc, err := b.dua.WriteInvite(ctx, out)
	if err != nil {
		in.Respond(503, "Agent Unreachable", nil)
		return
	}
	if err := dc.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		in.Respond(480, "Agent Failed", nil)
		return
	}
	dc.Ack(ctx)
	c := &bareCall{in: in, out: dc}
	b.mu.Lock()
	b.in[in.ID] = c
	b.out[dc.ID] = c
	b.mu.Unlock()
	if err := in.RespondSDP(dc.InviteResponse.Body()); err != nil {
		dc.Bye(ctx)
	}
}

func (b *bare) bye(req *sip.Request, tx sip.ServerTransaction) {
	ctx := context.Background()
	b.mu.Lock()
	var c *bareCall
	fromCaller := false
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil && b.in[id] != nil {
		c, fromCaller = b.in[id], true
	} else if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		c = b.out[id]
	}
	if c != nil {
		delete(b.in, c.in.ID)
		delete(b.out, c.out.ID)
	}
	b.mu.Unlock()
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "No Such Call", nil))
		return
	}
	if fromCaller {
		c.in.ReadBye(req, tx)
		c.out.Bye(ctx)
	} else {
		c.out.ReadBye(req, tx)
		c.in.Bye(ctx)
	}
}
