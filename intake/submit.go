package intake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/filetype"
	"github.com/hotline-city/hotline/tickets"
)

// Submission is one complaint sent online, through the form or Open311.
type Submission struct {
	Channel     string // "web" or "open311"
	ServiceCode string // a leaf category code
	Description string
	Address     string
	AddressID   string
	Lat, Lon    *float64
	FirstName   string
	LastName    string
	Name        string // the whole name, when not given as first and last
	Phone       string
	Email       string
	DeviceID    string
	AccountID   string
	MediaURL    string
	Attributes  map[string][]string
	Photos      []Photo
	// IdempotencyKey makes a repeated submission find the first ticket instead of making another.
	IdempotencyKey string
	Key            *Key   // the API key an Open311 request came with
	ClientAddr     string // the sender's network address, for the record

	decodeErrs FieldErrors // what DecodeRequest could not read
}

// Photo is an attached image.
type Photo struct {
	ContentType string
	Data        []byte
}

// Receipt is what a submission got.
type Receipt struct {
	TicketID  int64
	Number    string
	Notice    string // the service's notice (Open311 service_notice)
	Duplicate bool   // an earlier submission with the same idempotency key made this ticket
}

// SniffPhoto returns the image type of data from its first bytes, whatever the sender said.
func SniffPhoto(data []byte) (string, bool) { return filetype.Image(data) }

// PersonName joins a given and a family name the way the name is written: family name first
// and no space for Chinese, "first last" otherwise.
func PersonName(first, last string) string {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	for _, r := range last + first {
		if unicode.Is(unicode.Han, r) {
			return last + first
		}
	}
	return first + " " + last
}

// Validate checks a submission against the catalogue, normalises its phone and e-mail, and
// returns its service. Every bad field is reported, each by name.
func (s *Service) Validate(ctx context.Context, sub *Submission) (*ServiceInfo, map[string]any, error) {
	errs := append(FieldErrors(nil), sub.decodeErrs...)
	sub.ServiceCode = strings.TrimSpace(sub.ServiceCode)
	sub.Description = strings.TrimSpace(sub.Description)
	sub.Address = strings.TrimSpace(sub.Address)
	checkText(&errs, "description", sub.Description, MaxDescription, true)
	checkText(&errs, "address_string", sub.Address, MaxAddress, false)
	checkText(&errs, "address_id", sub.AddressID, 200, false)
	checkText(&errs, "first_name", sub.FirstName, MaxName, false)
	checkText(&errs, "last_name", sub.LastName, MaxName, false)
	checkText(&errs, "name", sub.Name, MaxName, false)
	checkText(&errs, "device_id", sub.DeviceID, 200, false)
	checkText(&errs, "account_id", sub.AccountID, 200, false)
	if !errs.Has("lat") && !errs.Has("long") {
		checkCoordinates(&errs, sub.Lat, sub.Lon)
	}
	checkMediaURL(&errs, sub.MediaURL)
	if p, err := s.phones.normalize(sub.Phone); err != nil {
		errs.add("phone", "phone", "%v", err)
	} else {
		sub.Phone = p
	}
	if e, err := NormalizeEmail(sub.Email); err != nil {
		errs.add("email", "email", "%v", err)
	} else {
		sub.Email = e
	}
	if len(sub.Photos) > MaxPhotos {
		errs.add("photos", "photos_count", "at most %d photos may be attached", MaxPhotos)
	}
	for i, p := range sub.Photos {
		ct, ok := SniffPhoto(p.Data)
		switch {
		case len(p.Data) > MaxPhotoBytes:
			errs.add("photos", "photo_size", "photo %d is larger than 5 MB", i+1)
		case !ok:
			errs.add("photos", "photo_type", "photo %d is not a JPEG, PNG or WebP image", i+1)
		default:
			sub.Photos[i].ContentType = ct
		}
	}
	var si *ServiceInfo
	var attrs map[string]any
	if sub.ServiceCode == "" {
		errs.add("service_code", "required", "is required")
	} else {
		cat, err := s.Catalogue(ctx)
		if err != nil {
			return nil, nil, err
		}
		if si = cat.Service(sub.ServiceCode); si == nil {
			errs.add("service_code", "unknown_service", "unknown service_code %q: GET services.json lists them", sub.ServiceCode)
		}
	}
	if si != nil {
		if si.LocationRequired && sub.Lat == nil && sub.Address == "" && strings.TrimSpace(sub.AddressID) == "" {
			errs.add("address_string", "location_required", "a location is required for service %s: send lat and long, address_string or address_id", si.Code)
		}
		attrs = checkAttributes(&errs, si, sub.Attributes)
		if sub.Description == "" && sub.Channel == "open311" {
			// Open311 makes the description optional; a ticket needs one, so the service says what.
			sub.Description = si.NameZh
		}
	}
	if sub.Description == "" && !errs.Has("description") {
		errs.add("description", "required", "is required")
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return si, attrs, nil
}

// Submit validates a submission and registers it as a ticket with its own rows (submission,
// photos) in the one transaction that creates the ticket and its first event.
func (s *Service) Submit(ctx context.Context, sub Submission) (*Receipt, error) {
	p, r, err := s.prepare(ctx, sub)
	if p == nil {
		return r, err
	}
	// Submissions without photos go to the batch writers while they run (see Run); the others,
	// and all of them when no writer runs, are registered here, one transaction each.
	if len(p.sub.Photos) > 0 || !s.batch.offer(p) {
		return s.registerOne(ctx, p)
	}
	select {
	case r := <-p.done:
		return r.receipt, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("submit: %w", ctx.Err())
	}
}

// prepare checks a submission and makes it ready to register. A submission with an idempotency
// key seen before gets the earlier ticket's receipt instead (and no pending).
func (s *Service) prepare(ctx context.Context, sub Submission) (*pending, *Receipt, error) {
	if sub.Channel != "web" && sub.Channel != "open311" {
		return nil, nil, fmt.Errorf("submit: unknown channel %q", sub.Channel)
	}
	si, attrs, err := s.Validate(ctx, &sub)
	if err != nil {
		return nil, nil, err
	}
	hash := requestHash(&sub, attrs)
	if sub.IdempotencyKey != "" {
		if r, err := s.byIdempotencyKey(ctx, sub.IdempotencyKey, hash); err == nil {
			r.Notice = si.Notice
			return nil, r, nil
		} else if !errors.Is(err, ErrNotFound) {
			return nil, nil, err
		}
	}
	if sub.Channel == "web" {
		// The public form needs no login, so each address and each phone number gets only so
		// many new tickets; a repeat of the same submission above costs nothing.
		now := s.clock.Now()
		if ok, wait := s.formAddr.Allow(sub.ClientAddr, s.cfg.FormPerAddress, now); !ok {
			return nil, nil, fmt.Errorf("submissions from %s: retry in %s: %w", sub.ClientAddr, wait.Round(time.Second), ErrRateLimited)
		}
		if sub.Phone != "" {
			if ok, wait := s.formPhone.Allow(sub.Phone, s.cfg.FormPerPhone, now); !ok {
				return nil, nil, fmt.Errorf("submissions for %s: retry in %s: %w", tickets.MaskPhone(sub.Phone), wait.Round(time.Second), ErrRateLimited)
			}
		}
	}
	name := sub.Name
	if name == "" {
		name = PersonName(sub.FirstName, sub.LastName)
	}
	data := map[string]any{"service_code": si.Code}
	if len(attrs) > 0 {
		data["attributes"] = attrs
	}
	if sub.Key != nil {
		data["organisation"] = sub.Key.Organisation
	}
	if len(sub.Photos) > 0 {
		data["photos"] = len(sub.Photos)
	}
	in := tickets.RegisterInput{
		Channel: sub.Channel, Category: si.Code, Title: si.NameZh, Description: sub.Description,
		Address: sub.Address, Lat: sub.Lat, Lon: sub.Lon,
		CallerName: name, CallerPhone: sub.Phone, CallerEmail: sub.Email, Data: data,
	}
	if t, ok := attrs["ticket_type"].(string); ok {
		in.Type = t
	}
	attrJSON, err := json.Marshal(attrs)
	if err != nil {
		return nil, nil, fmt.Errorf("submit: attributes: %w", err)
	}
	return &pending{sub: &sub, actor: tickets.Citizen(name), in: in, attrs: string(attrJSON), at: s.clock.Now(),
		notice: si.Notice, token: uuid.NewString(), hash: hash, done: make(chan submitted, 1)}, nil, nil
}

// requestHash is the SHA-256 of what a checked submission asks for: every field a citizen or
// client sends, its answers and its photos, but not where it came from, so that a retry from
// another address is the same request.
func requestHash(sub *Submission, attrs map[string]any) []byte {
	h := sha256.New()
	// encoding/json writes map keys sorted, so equal requests hash alike.
	json.NewEncoder(h).Encode([]any{sub.Channel, sub.ServiceCode, sub.Description, sub.Address, strings.TrimSpace(sub.AddressID),
		sub.Lat, sub.Lon, sub.FirstName, sub.LastName, sub.Name, sub.Phone, sub.Email, sub.DeviceID, sub.AccountID,
		sub.MediaURL, attrs})
	for _, ph := range sub.Photos {
		sum := sha256.Sum256(ph.Data)
		h.Write(sum[:])
	}
	return h.Sum(nil)
}

// pending is a checked submission on its way to becoming a ticket.
type pending struct {
	sub    *Submission
	actor  tickets.Actor
	in     tickets.RegisterInput
	attrs  string // the service's attributes as JSON
	at     time.Time
	notice string
	// token is made here and written with the submission's row, so that after a COMMIT that
	// went unanswered a look-up tells whether its ticket exists.
	token string
	hash  []byte         // requestHash, kept with the idempotency key
	done  chan submitted // what became of it, when a batch writer registered it
}

type submitted struct {
	receipt *Receipt
	err     error
}

func (p *pending) receipt(t *tickets.Ticket) *Receipt {
	return &Receipt{TicketID: t.ID, Number: t.Number, Notice: p.notice}
}

// registerOne registers one submission in its own transaction: the ticket, its submission row
// and its photos. When the COMMIT goes unanswered it looks the submission's token up rather than
// guess: a ticket written is answered, one whose fate cannot be known is an outage error.
func (s *Service) registerOne(ctx context.Context, p *pending) (*Receipt, error) {
	sub := p.sub
	var xid string
	t, err := s.tickets.RegisterTx(ctx, p.actor, p.in, func(ctx context.Context, tx bun.Tx, t *tickets.Ticket) error {
		var err error
		if xid, err = recordSubmissions(ctx, tx, []*tickets.Ticket{t}, []*pending{p}); err != nil {
			return err
		}
		for _, ph := range sub.Photos {
			sum := sha256.Sum256(ph.Data)
			// Straight to the driver: photos travel as binary parameters, not as SQL text.
			if _, err := tx.Tx.ExecContext(ctx, `INSERT INTO intake_photos (ticket_id, content_type, size, sha256, data, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, ph.ContentType, len(ph.Data), sum[:], ph.Data, p.at); err != nil {
				return fmt.Errorf("store photo: %w", err)
			}
		}
		return nil
	})
	if errors.Is(err, database.ErrCommitUnknown) {
		committed, found, lerr := s.afterUnknownCommit(ctx, xid, []*pending{p})
		switch {
		case lerr != nil:
			return nil, fmt.Errorf("submit: %w; looking it up: %w", err, lerr)
		case committed && found[p.token] != nil:
			return found[p.token], nil
		case committed:
			return nil, fmt.Errorf("submit: committed without its submission row: %w", err)
		}
		// Not committed: nothing was written, so it may be written now.
		return s.registerOne(ctx, p)
	}
	if err != nil {
		if c, dup := database.UniqueViolation(err); dup && sub.IdempotencyKey != "" && strings.Contains(c, "idempotency") {
			key := sub.IdempotencyKey
			// The same submission raced us and won: answer with its ticket.
			r, lerr := s.byIdempotencyKey(ctx, key, p.hash)
			if lerr == nil {
				r.Notice = p.notice
				return r, nil
			} else if errors.Is(lerr, ErrIdempotencyReused) {
				return nil, lerr
			}
		}
		return nil, fmt.Errorf("submit: %w", err)
	}
	return p.receipt(t), nil
}

// afterUnknownCommit finds out what became of ps, written by transaction xid whose COMMIT went
// unanswered: whether it committed and, when it did, the receipt of each submission it wrote,
// by token. A submission of ps not found was refused in that transaction.
func (s *Service) afterUnknownCommit(ctx context.Context, xid string, ps []*pending) (bool, map[string]*Receipt, error) {
	if xid == "" {
		return false, nil, errors.New("no transaction id to look up")
	}
	committed, err := database.Committed(ctx, s.db, xid)
	if err != nil || !committed {
		return false, nil, err
	}
	tokens := make([]string, len(ps))
	for i, p := range ps {
		tokens[i] = p.token
	}
	rows, err := s.db.QueryContext(ctx, `SELECT s.token::text, t.id, t.number FROM intake_submissions s
		JOIN tickets t ON t.id = s.ticket_id WHERE s.token = ANY(?::uuid[])`, pgdialect.Array(tokens))
	if err != nil {
		return true, nil, fmt.Errorf("look submissions up by token: %w", err)
	}
	defer rows.Close()
	found := map[string]*Receipt{}
	for rows.Next() {
		var token string
		r := &Receipt{}
		if err := rows.Scan(&token, &r.TicketID, &r.Number); err != nil {
			return true, nil, fmt.Errorf("look submissions up by token: %w", err)
		}
		found[token] = r
	}
	if err := rows.Err(); err != nil {
		return true, nil, fmt.Errorf("look submissions up by token: %w", err)
	}
	for _, p := range ps {
		if r := found[p.token]; r != nil {
			r.Notice = p.notice
		}
	}
	return true, found, nil
}

// recordSubmissionsSQL writes the submission rows of a batch in one statement, prepared once
// per connection (pgx's statement cache), and answers the transaction's id.
const recordSubmissionsSQL = `WITH ins AS (INSERT INTO intake_submissions (ticket_id, channel, idempotency_key, api_key_id,
		organisation_id, address_id, device_id, account_id, media_url, attributes, client_addr, created_at, token, request_hash)
	SELECT ticket_id, channel, NULLIF(idempotency_key, ''), api_key_id, organisation_id, address_id, device_id,
		account_id, media_url, attributes::jsonb, client_addr, created_at, token::uuid, request_hash
	FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[],
		$9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::text[], $14::bytea[])
		AS u(ticket_id, channel, idempotency_key, api_key_id, organisation_id, address_id, device_id, account_id,
		media_url, attributes, client_addr, created_at, token, request_hash))
	SELECT ` + database.TxIDSQL

// recordSubmissions writes the submission row of each ticket registered for ps (nil tickets,
// refused, are skipped): channel, idempotency key and request hash, token, API key and
// organisation, and the rest. It returns the transaction's id, which tells after a COMMIT
// that went unanswered whether it happened.
func recordSubmissions(ctx context.Context, tx bun.Tx, ts []*tickets.Ticket, ps []*pending) (string, error) {
	var ids, keyIDs, orgIDs []*int64
	var channel, idem, addressID, deviceID, accountID, mediaURL, attrs, client, token []string
	var hash [][]byte
	var at []time.Time
	for i, t := range ts {
		if t == nil {
			continue
		}
		p, sub := ps[i], ps[i].sub
		var keyID, orgID *int64
		if sub.Key != nil {
			keyID, orgID = &sub.Key.ID, &sub.Key.OrganisationID
		}
		ids, keyIDs, orgIDs = append(ids, &t.ID), append(keyIDs, keyID), append(orgIDs, orgID)
		channel, idem = append(channel, sub.Channel), append(idem, sub.IdempotencyKey)
		addressID, deviceID = append(addressID, strings.TrimSpace(sub.AddressID)), append(deviceID, sub.DeviceID)
		accountID, mediaURL = append(accountID, sub.AccountID), append(mediaURL, sub.MediaURL)
		attrs, client, at = append(attrs, p.attrs), append(client, sub.ClientAddr), append(at, p.at)
		token, hash = append(token, p.token), append(hash, p.hash)
	}
	var xid string
	err := tx.Tx.QueryRowContext(ctx, recordSubmissionsSQL, pgx.QueryExecModeCacheStatement,
		ids, channel, idem, keyIDs, orgIDs, addressID, deviceID, accountID, mediaURL, attrs, client, at, token, hash).Scan(&xid)
	if err != nil {
		return "", fmt.Errorf("record submission: %w", err)
	}
	return xid, nil
}

// byIdempotencyKey returns the receipt of the ticket an earlier submission with key made, when
// it asked for what hash says; ErrIdempotencyReused when it asked for something else.
func (s *Service) byIdempotencyKey(ctx context.Context, key string, hash []byte) (*Receipt, error) {
	r := &Receipt{Duplicate: true}
	var stored []byte
	err := s.db.QueryRowContext(ctx, `SELECT t.id, t.number, s.request_hash FROM intake_submissions s JOIN tickets t ON t.id = s.ticket_id
		WHERE s.idempotency_key = ?`, key).Scan(&r.TicketID, &r.Number, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("idempotency key: %w", err)
	}
	// Submissions written before hashes were kept have none and answer as before.
	if stored != nil && !bytes.Equal(stored, hash) {
		return nil, fmt.Errorf("ticket %s: %w", r.Number, ErrIdempotencyReused)
	}
	return r, nil
}
