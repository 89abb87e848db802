package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// serveBare is the reference: diago's own bridge (its example B2BUA) answering every call
// and bridging it to agent, RTP proxied between the two sessions, nothing decoded, nothing
// recorded, no queue and no database. It runs in a process of its own so that its CPU and
// memory are measured like hotline serve's.
func serveBare(addr, agent string) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	slog.SetDefault(quiet) // sipgo logs some things to the default logger
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)))
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	p, _ := strconv.Atoi(port)
	var recipient sip.Uri
	if err := sip.ParseUri(agent, &recipient); err != nil {
		return err
	}
	d := diago.NewDiago(ua, diago.WithLogger(quiet),
		diago.WithTransport(diago.Transport{Transport: "udp", BindHost: host, BindPort: p}))
	return d.Serve(ctx, func(in *diago.DialogServerSession) {
		in.Trying()
		in.Ringing()
		inCtx := in.Context()
		bridge := diago.NewBridge()
		med, err := in.Answer(diago.AnswerOptions{})
		if err != nil {
			return
		}
		defer med.Close()
		if err := bridge.AddDialogMedia(med); err != nil {
			return
		}
		octx, cancel := context.WithTimeout(inCtx, 10*time.Second)
		out, outMed, err := d.InviteBridge(octx, recipient, &bridge, diago.InviteOptions{})
		cancel()
		if err != nil {
			in.Hangup(inCtx)
			return
		}
		defer out.Close()
		defer outMed.Close()
		outCtx := out.Context()
		select {
		case <-inCtx.Done():
			out.Hangup(context.Background())
		case <-outCtx.Done():
			in.Hangup(context.Background())
		}
	})
}
