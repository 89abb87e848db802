// Command hotline is the 12345 government-service hotline: web, API, SIP front end and the
// escalation scheduler in one process, plus the commands that set up its database.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// defaultMemoryLimit is the soft memory limit the garbage collector keeps to unless GOMEMLIMIT
// says otherwise: under a burst of calls the heap would otherwise grow to twice the live data.
const defaultMemoryLimit = 400 << 20

// memoryLimit is the soft memory limit to set, unless the operator chose one with GOMEMLIMIT
// (which the runtime reads itself).
func memoryLimit(getenv func(string) string) (int64, bool) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	return defaultMemoryLimit, true
}

func main() {
	if limit, ok := memoryLimit(os.Getenv); ok {
		debug.SetMemoryLimit(limit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: hotline <command> [flags]

commands:
  serve              web, API, SIP front end and escalation scheduler
  migrate            apply database migrations
  seed --demo        load the demo city (never for production)
  sweep [--at T]     run one escalation sweep as if the time were T (RFC 3339)
  verify [--anchor]  check the tamper-evident chains of the timelines and the audit log
  version            print the version
`

// run executes one command and returns the exit code. Every failure is one line on stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(ctx, rest, getenv, stderr)
	case "migrate":
		err = cmdMigrate(ctx, rest, getenv, stdout, stderr)
	case "seed":
		err = cmdSeed(ctx, rest, getenv, stdout, stderr)
	case "sweep":
		err = cmdSweep(ctx, rest, getenv, stdout, stderr)
	case "verify":
		err = cmdVerify(ctx, rest, getenv, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "hotline", buildVersion())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("unknown command %q (try: serve, migrate, seed --demo, sweep, verify, version)", cmd)
	}
	if err != nil {
		fmt.Fprintln(stderr, "hotline:", oneLine(err.Error()))
		return 1
	}
	return 0
}

func oneLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}

// newFlags returns a flag set that reports mistakes as errors instead of printing usage.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}
