package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves Go's profiler on addr (HOTLINE_PPROF_ADDR) until ctx ends. It is off by
// default and on its own listener, never on the public mux: profiles show request data, so the
// address should be a loopback one an operator opens for a measurement.
func servePprof(addr string, log *slog.Logger) (func(context.Context) error, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return serveSide("HOTLINE_PPROF_ADDR", "profiler", addr, mux, log)
}

// serveMetrics serves Prometheus's /metrics on addr (HOTLINE_METRICS_ADDR) until ctx ends, on
// its own listener, apart from the public site.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (func(context.Context) error, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return serveSide("HOTLINE_METRICS_ADDR", "metrics", addr, mux, log)
}

// serveSide listens on addr (named by the variable env) and serves h as what until ctx ends.
func serveSide(env, what, addr string, h http.Handler, log *slog.Logger) (func(context.Context) error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s", env, addr, listenReason(err))
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Info(what+" listening", "addr", ln.Addr().String())
	return func(ctx context.Context) error {
		go func() {
			<-ctx.Done()
			srv.Close()
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}, nil
}
