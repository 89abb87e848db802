package benchdb

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// Server is a `hotline serve` started by a benchmark on free loopback ports.
type Server struct {
	Cmd     *exec.Cmd
	Base    string // http://host:port
	SIPAddr string // host:port of its SIP front end (UDP and TCP)
}

// Serve starts binary's `serve` on dbURL, with env added, and waits until /readyz answers.
func Serve(binary, dbURL string, env ...string) (*Server, error) {
	httpAddr, sipAddr := FreeAddr(), FreeAddr()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(append(os.Environ(), "HOTLINE_DATABASE_URL="+dbURL, "HOTLINE_HTTP_ADDR="+httpAddr,
		"HOTLINE_SIP_ADDR="+sipAddr, "HOTLINE_LOG_LEVEL=warn"), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	base := "http://" + httpAddr
	for range 150 {
		time.Sleep(200 * time.Millisecond)
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return &Server{Cmd: cmd, Base: base, SIPAddr: sipAddr}, nil
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("hotline serve never became ready")
}

// Stop interrupts the server and waits for it.
func (s *Server) Stop() {
	s.Cmd.Process.Signal(os.Interrupt)
	s.Cmd.Wait()
}

// FreeAddr is a loopback address with a port free for TCP at the time of asking.
func FreeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
