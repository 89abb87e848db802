// Package pgmanaged runs a private PostgreSQL cluster with the machine's initdb and pg_ctl, for
// when no HOTLINE_DATABASE_URL is configured: a newcomer gets a working database from `make run`
// and tests get one from `make test` without setting anything up by hand.
package pgmanaged

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoBinaries means the PostgreSQL server programs are not installed.
var ErrNoBinaries = errors.New("PostgreSQL server programs (initdb, pg_ctl) not found: install the Debian package postgresql (apt-get install postgresql) or set HOTLINE_DATABASE_URL")

// Cluster is one private cluster in a data directory.
type Cluster struct {
	Dir       string // data directory
	SocketDir string
	bin       string
	runAs     *user.User // set when running as root: PostgreSQL refuses to run as root
	started   bool       // this process started it, so it stops it
	// Settings are written into a new cluster's configuration right after initdb, under the
	// same lock, so no other process ever sees the cluster without them.
	Settings map[string]string
}

// FindBinDir returns the directory holding initdb and pg_ctl: PATH first, then the newest
// version under Debian's /usr/lib/postgresql.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// New prepares a cluster in dir (made absolute). The socket lives in the data directory when
// its path is short enough for a Unix socket, else in a short directory under /tmp.
func New(dir string) (*Cluster, error) {
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("managed postgres dir: %w", err)
	}
	c := &Cluster{Dir: abs, SocketDir: abs, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user to run the private cluster: %w", err)
		}
		c.runAs = u
		// The postgres user must be able to walk to the data directory; a checkout under a
		// private home directory is not, so the cluster then lives under /var/tmp instead.
		if !othersCanEnter(filepath.Dir(abs)) {
			sum := sha256.Sum256([]byte(abs))
			abs = filepath.Join("/var/tmp", "hotline-pg-"+hex.EncodeToString(sum[:6]), filepath.Base(abs))
			c.Dir, c.SocketDir = abs, abs
		}
	}
	if len(abs) > 80 {
		sum := sha256.Sum256([]byte(abs))
		c.SocketDir = filepath.Join(os.TempDir(), "hotline-pg-"+hex.EncodeToString(sum[:4]))
	}
	return c, nil
}

// URL is the connection URL for database name in this cluster.
func (c *Cluster) URL(dbname string) string { return c.URLAs("postgres", dbname) }

// URLAs is the connection URL for database name as role (the cluster trusts its socket).
func (c *Cluster) URLAs(role, dbname string) string {
	return fmt.Sprintf("postgres://%s@/%s?host=%s&sslmode=disable", role, dbname, c.SocketDir)
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	// #nosec G204 -- the machine's own PostgreSQL programs (initdb, pg_ctl), with arguments built here.
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if c.runAs != nil {
		uid, _ := strconv.Atoi(c.runAs.Uid)
		gid, _ := strconv.Atoi(c.runAs.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = append(cmd.Env, "HOME="+c.runAs.HomeDir)
	}
	cmd.Dir = "/"
	// A Ctrl-C in the terminal must not stop the database before the server has shut down.
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	return cmd
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	var out bytes.Buffer
	cmd := c.command(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = strings.TrimSpace(msg[i+1:])
		}
		return fmt.Errorf("%s: %v: %s", name, err, msg)
	}
	return nil
}

func (c *Cluster) chown(path string) error {
	if c.runAs == nil {
		return nil
	}
	uid, _ := strconv.Atoi(c.runAs.Uid)
	gid, _ := strconv.Atoi(c.runAs.Gid)
	return os.Chown(path, uid, gid)
}

// Start creates the cluster on first use and starts it unless it is already running. The lock
// file keeps two processes from initialising or starting the same cluster at once.
func (c *Cluster) Start(ctx context.Context) error {
	// #nosec G301 -- the server's own user (postgres, when hotline runs as root) must reach its data directory below.
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("managed postgres: %w", err)
	}
	unlock, err := lockFile(c.Dir + ".lock")
	if err != nil {
		return err
	}
	defer unlock()

	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(c.Dir, 0o700); err != nil {
			return fmt.Errorf("managed postgres: %w", err)
		}
		if err := c.chown(c.Dir); err != nil {
			return fmt.Errorf("managed postgres: %w", err)
		}
		if err := c.run(ctx, "initdb", "-D", c.Dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
			return fmt.Errorf("managed postgres: %w", err)
		}
		if err := c.writeSettings(); err != nil {
			return err
		}
	}
	if c.SocketDir != c.Dir {
		if err := os.MkdirAll(c.SocketDir, 0o700); err != nil {
			return fmt.Errorf("managed postgres socket dir: %w", err)
		}
		if err := c.chown(c.SocketDir); err != nil {
			return fmt.Errorf("managed postgres: %w", err)
		}
	}
	if c.running(ctx) {
		return nil
	}
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -c max_connections=300 -c shared_buffers=128MB", c.SocketDir)
	if err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.Dir, "-l", filepath.Join(c.Dir, "server.log"), "-o", opts); err != nil {
		return fmt.Errorf("managed postgres (log in %s): %w", filepath.Join(c.Dir, "server.log"), err)
	}
	c.started = true
	return nil
}

func (c *Cluster) writeSettings() error {
	if len(c.Settings) == 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("configure managed postgres: %w", err)
	}
	keys := make([]string, 0, len(c.Settings))
	for k := range c.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(f, "%s = '%s'\n", k, c.Settings[k])
	}
	return f.Close()
}

func (c *Cluster) running(ctx context.Context) bool {
	return c.run(ctx, "pg_ctl", "status", "-D", c.Dir) == nil
}

// Stop stops the cluster if this process started it.
func (c *Cluster) Stop() error {
	if !c.started {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c.started = false
	return c.run(ctx, "pg_ctl", "stop", "-w", "-m", "fast", "-D", c.Dir)
}

// StopAlways stops the cluster whoever started it.
func (c *Cluster) StopAlways() error {
	c.started = true
	return c.Stop()
}

// othersCanEnter reports whether every existing ancestor of dir can be entered by any user.
func othersCanEnter(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600) // #nosec G304 -- the cluster's own lock file, under the configured data directory.
	if err != nil {
		return nil, fmt.Errorf("managed postgres lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("managed postgres lock: %w", err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
