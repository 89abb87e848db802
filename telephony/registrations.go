package telephony

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
)

// registrationSync is how often a process reads the registrations made through the others.
const registrationSync = time.Second

// Agents' registrations are shared through the sip_registrations table: a REGISTER is written
// there before it is answered, and every process copies the table into its registrar every
// registrationSync, so the process holding the call queue offers calls to phones registered
// through any process, and one taking the queue over knows them all without the phones
// registering again. Nonces and failure blocks stay in each process (see README).

// storeBinding writes b, registered through this process, to the shared table.
func (s *Server) storeBinding(ctx context.Context, b *binding) error {
	if s.lease == nil {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sip_registrations (extension, contact, dest, transport, expires_at, node, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, now())
		ON CONFLICT (extension) DO UPDATE SET contact = EXCLUDED.contact, dest = EXCLUDED.dest,
			transport = EXCLUDED.transport, expires_at = EXCLUDED.expires_at, node = EXCLUDED.node, updated_at = now()`,
		b.ext, b.contact.String(), b.dest, b.transport, b.expires, s.lease.node)
	if err != nil {
		return fmt.Errorf("store the registration of %s: %w", b.ext, err)
	}
	return nil
}

// deleteBinding removes the registration of ext from the shared table.
func (s *Server) deleteBinding(ctx context.Context, ext string) error {
	if s.lease == nil {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, "DELETE FROM sip_registrations WHERE extension = ?", ext); err != nil {
		return fmt.Errorf("remove the registration of %s: %w", ext, err)
	}
	return nil
}

// runRegistrationSync copies the shared registrations into this process until ctx ends.
func (s *Server) runRegistrationSync(ctx context.Context) {
	t := time.NewTicker(registrationSync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.syncRegistrations(ctx)
		}
	}
}

// syncRegistrations makes this process's registrar match the shared table: bindings made or
// refreshed through other processes are added, and bindings removed there are dropped. A
// binding changed here after the table was read is left as it is.
func (s *Server) syncRegistrations(ctx context.Context) {
	if s.lease == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	readAt := s.clock.Now()
	s.reg.mu.Lock()
	gen := s.reg.gen
	s.reg.mu.Unlock()
	var rows []struct {
		Extension string
		Contact   string
		Dest      string
		Transport string
		ExpiresAt time.Time
	}
	err := s.db.NewRaw(`SELECT extension, contact, dest, transport, expires_at FROM sip_registrations
		WHERE expires_at > ?`, readAt).Scan(ctx, &rows)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("read shared sip registrations", "err", err)
		}
		return
	}
	live := make(map[string]bool, len(rows))
	var added []string
	s.reg.mu.Lock()
	for _, r := range rows {
		live[r.Extension] = true
		old := s.reg.bindings[r.Extension]
		if old != nil && (old.gen > gen || old.contact.String() == r.Contact && old.dest == r.Dest &&
			old.transport == r.Transport && old.expires.Equal(r.ExpiresAt)) {
			continue
		}
		var contact sip.Uri
		if err := sip.ParseUri(r.Contact, &contact); err != nil {
			s.log.Warn("shared sip registration unreadable", "ext", r.Extension, "err", err)
			continue
		}
		b := &binding{ext: r.Extension, contact: contact, dest: r.Dest, transport: r.Transport, expires: r.ExpiresAt, gen: gen}
		if old != nil && old.timer != nil {
			old.timer.Stop()
		}
		s.reg.bindings[r.Extension] = b
		b.timer = s.clock.AfterFunc(r.ExpiresAt.Sub(readAt), func() { s.expire(b.ext, b) })
		if old == nil {
			added = append(added, r.Extension)
		}
	}
	var removed []string
	for ext, b := range s.reg.bindings {
		if !live[ext] && b.gen <= gen {
			if b.timer != nil {
				b.timer.Stop()
			}
			delete(s.reg.bindings, ext)
			removed = append(removed, ext)
		}
	}
	s.reg.mu.Unlock()
	for _, ext := range added {
		s.log.Info("sip agent registered through another process", "ext", ext)
		s.agentRegistered(ext)
	}
	for _, ext := range removed {
		s.log.Info("sip agent unregistered through another process", "ext", ext)
		s.queue.SetRegistered(ext, false)
	}
}
