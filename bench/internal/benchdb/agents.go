package benchdb

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// SeedAgents adds n agents of the centre with SIP extensions first, first+1, … and the SIP
// password pass (no login password), and returns their extensions.
func SeedAgents(ctx context.Context, db bun.IDB, first, n int, pass string) ([]string, error) {
	st := org.NewStore(db)
	centre, err := st.Department(ctx, "centre")
	if err != nil {
		return nil, err
	}
	exts := make([]string, n)
	for i := range exts {
		ext := strconv.Itoa(first + i)
		exts[i] = ext
		if err := st.UpsertStaff(ctx, &org.Staff{Username: "bench" + ext, DisplayName: "bench " + ext, Role: org.RoleAgent,
			DepartmentID: centre.ID, PasswordHash: "!", SIPExtension: &ext, SIPHA1: org.DigestHA1(ext, "hotline", pass), Active: true}); err != nil {
			return nil, err
		}
	}
	return exts, nil
}

// RegisterAgents registers every extension (password pass) at hotline's SIP address with
// the contact 127.0.0.1:contactPort, the one phone that plays all of them.
func RegisterAgents(ctx context.Context, cli *sipgo.Client, sipAddr string, exts []string, contactPort int, pass string) error {
	host, port, _ := net.SplitHostPort(sipAddr)
	p, _ := strconv.Atoi(port)
	for _, ext := range exts {
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: p})
		aor := sip.Uri{Scheme: "sip", User: ext, Host: host}
		from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
		from.Params.Add("tag", sip.GenerateTagN(8))
		req.AppendHeader(from)
		req.AppendHeader(&sip.ToHeader{Address: aor})
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext, Host: "127.0.0.1", Port: contactPort}})
		req.AppendHeader(sip.NewHeader("Expires", "3600"))
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, err := cli.Do(rctx, req)
		if err == nil && res.StatusCode == 401 {
			res, err = cli.DoDigestAuth(rctx, req, res, sipgo.DigestAuth{Username: ext, Password: pass})
		}
		cancel()
		if err != nil {
			return fmt.Errorf("register %s: %w", ext, err)
		}
		if res.StatusCode != 200 {
			return fmt.Errorf("register %s: %d %s", ext, res.StatusCode, res.Reason)
		}
	}
	return nil
}
