package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/hotline-city/hotline/internal/metrics"
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/telephony/acd"
)

// wireTelephony adds the SIP front end to the app. Its UDP and TCP sockets are bound here,
// before serve starts anything, so that a port in use ends serve at once with one line
// naming HOTLINE_SIP_ADDR; the server itself runs as a background part of serve.
func wireTelephony(ctx context.Context, a *app) error {
	cfg := a.cfg
	var tlsConf *tls.Config
	if cfg.SIPTLSAddr != "" {
		cert, err := tls.LoadX509KeyPair(cfg.SIPTLSCert, cfg.SIPTLSKey)
		if err != nil {
			return fmt.Errorf("HOTLINE_SIP_TLS_CERT, HOTLINE_SIP_TLS_KEY: %v", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	hours, err := telephony.ParseOpenHours(cfg.OpenHours, cfg.Location)
	if err != nil {
		return fmt.Errorf("HOTLINE_OPEN_HOURS: %v", err)
	}
	tel, err := telephony.New(telephony.Config{
		Hours:     hours,
		TLSAddr:   cfg.SIPTLSAddr,
		TLS:       tlsConf,
		Addr:      cfg.SIPAddr,
		Trunks:    cfg.SIPTrunks,
		Realm:     cfg.SIPRealm,
		Transfers: cfg.TransferTargets,
		Outbound:  cfg.SIPOutbound,
		ACD:       acd.Config{MaxWait: noneIfZero(cfg.ACDMaxWait), WrapUp: noneIfZero(cfg.ACDWrapUp)},
		Media: telephony.MediaConfig{Enabled: cfg.Media, PortMin: cfg.RTPPortMin, PortMax: cfg.RTPPortMax, Addr: cfg.MediaAddr,
			RecordingsDir: cfg.RecordingsDir, PromptsDir: cfg.PromptsDir, Retention: cfg.RecordingRetention, Timeout: cfg.RTPTimeout,
			CallbackOfferAbove: cfg.CallbackOfferWait, VoiceMessages: cfg.VoiceMessages},
		Session: telephony.SessionTimerConfig{Expires: cfg.SessionExpires},
	}, telephony.Deps{DB: a.db, Org: a.org, Tickets: a.tickets, Log: a.log})
	if err != nil {
		return err
	}
	if err := tel.Listen(); err != nil {
		return fmt.Errorf("HOTLINE_SIP_ADDR %s: %s", cfg.SIPAddr, listenReason(err))
	}
	a.web.Calls.Telephony = tel
	recs := &telephony.Recordings{DB: a.db, Dir: cfg.RecordingsDir, Retention: cfg.RecordingRetention}
	a.web.Calls.Recordings = recs
	a.background = append(a.background, func(ctx context.Context) error {
		return recs.ExpireEvery(ctx, time.Hour, a.clock.Now, a.log)
	})
	a.metrics.Gauge("hotline_sip_registrations", "Agents' phones registered, through this process or another one sharing its database.", func() float64 { return float64(len(tel.Registered())) })
	a.metrics.Queue(func() metrics.QueueState {
		q := tel.QueueFigures()
		return metrics.QueueState{Waiting: q.Waiting, LongestWait: q.LongestWait, Agents: q.Agents}
	})
	a.metrics.SIP(func() []metrics.SIPCount {
		var out []metrics.SIPCount
		for _, c := range tel.SIPResponses() {
			out = append(out, metrics.SIPCount{Method: c.Method, Code: c.Code, N: c.N})
		}
		return out
	})
	a.background = append(a.background, tel.Serve)
	return nil
}

// noneIfZero maps a configured 0s to the queue's "none" (a negative duration): the queue
// reads zero as "use the default", but an operator writing 0s means no wrap-up or no limit.
func noneIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
