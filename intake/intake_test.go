package intake_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

type fixture struct {
	city    *demotest.City
	db      *bun.DB
	clk     *clock.Fixed
	tickets *tickets.Service
	svc     *intake.Service
	agent   tickets.Actor
}

func newFixture(t *testing.T, cfg intake.Config) *fixture {
	t.Helper()
	c := demotest.New(t, demotest.Intake(cfg))
	return &fixture{city: c, db: c.DB, clk: c.Clock, tickets: c.Tickets, svc: c.Intake, agent: c.Agent}
}

var open = intake.Config{CatalogueTTL: time.Minute}

func webSub(phone string) intake.Submission {
	return intake.Submission{Channel: "web", ServiceCode: "road-damage", Description: "路面有坑", Address: "东城区安定门大街1号",
		Name: "李四", Phone: phone, ClientAddr: "192.0.2.1"}
}

// resolve dispatches, accepts and resolves a ticket.
func (f *fixture) resolve(t *testing.T, number string) {
	t.Helper()
	f.city.Resolve(t, number, "urban", "已修复")
}

func TestSubmitIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	ctx := context.Background()
	sub := webSub("13800138000")
	sub.IdempotencyKey = "web:abc"
	var wg sync.WaitGroup
	numbers := make([]string, 8)
	for i := range numbers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := f.svc.Submit(ctx, sub)
			if err != nil {
				t.Error(err)
				return
			}
			numbers[i] = r.Number
		}(i)
	}
	wg.Wait()
	for _, n := range numbers[1:] {
		if n != numbers[0] {
			t.Fatalf("double submits made different tickets: %v", numbers)
		}
	}
	if n, _ := f.db.NewSelect().Table("tickets").Count(ctx); n != 1 {
		t.Fatalf("%d tickets", n)
	}
}

func TestSubmitPhotos(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	ctx := context.Background()
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 100)...)
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	webp := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), make([]byte, 100)...)
	for _, tc := range []struct {
		name   string
		photos [][]byte
		err    string
	}{
		{"text posing as a photo", [][]byte{[]byte("GIF89a not allowed")}, "photo 1 is not a JPEG"},
		{"too large", [][]byte{append(append([]byte{}, jpeg...), make([]byte, intake.MaxPhotoBytes)...)}, "larger than 5 MB"},
		{"too many", [][]byte{jpeg, jpeg, jpeg, jpeg, jpeg, jpeg}, "at most 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sub := webSub("")
			for _, p := range tc.photos {
				sub.Photos = append(sub.Photos, intake.Photo{ContentType: "image/jpeg", Data: p})
			}
			_, err := f.svc.Submit(ctx, sub)
			var fes intake.FieldErrors
			if !errors.As(err, &fes) || !fes.Has("photos") || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	sub := webSub("")
	for _, p := range [][]byte{jpeg, png, webp} {
		sub.Photos = append(sub.Photos, intake.Photo{ContentType: "image/gif", Data: p}) // the sender's type is not believed
	}
	r, err := f.svc.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := f.svc.Photos(ctx, r.TicketID)
	if err != nil || len(ps) != 3 || ps[0].ContentType != "image/jpeg" || ps[1].ContentType != "image/png" || ps[2].ContentType != "image/webp" {
		t.Fatalf("%v %+v", err, ps)
	}
	ct, data, err := f.svc.Photo(ctx, r.Number, ps[1].ID)
	if err != nil || ct != "image/png" || string(data) != string(png) {
		t.Fatalf("photo: %v %q", err, ct)
	}
	if _, _, err := f.svc.Photo(ctx, "20261116-999999", ps[1].ID); !errors.Is(err, intake.ErrNotFound) {
		t.Fatalf("photo of another ticket: %v", err)
	}
}

func TestSubmitRateLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, intake.Config{FormPerAddress: intake.Limit{Every: time.Minute, Burst: 3},
		FormPerPhone: intake.Limit{Every: time.Hour, Burst: 2}, CatalogueTTL: time.Minute})
	ctx := context.Background()
	for i, tc := range []struct {
		addr, phone string
		limited     bool
	}{
		{"192.0.2.1", "13800138000", false},
		{"192.0.2.2", "13800138000", false},
		{"192.0.2.3", "13800138000", true}, // third from the same phone
		{"192.0.2.1", "13900139000", false},
		{"192.0.2.1", "", false},
		{"192.0.2.1", "", true}, // fourth from the same address
	} {
		sub := webSub(tc.phone)
		sub.ClientAddr = tc.addr
		_, err := f.svc.Submit(ctx, sub)
		if limited := errors.Is(err, intake.ErrRateLimited); limited != tc.limited || (err != nil && !limited) {
			t.Fatalf("submission %d: err = %v, want limited=%v", i, err, tc.limited)
		}
	}
}

func TestTrack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, intake.Config{TrackPerAddress: intake.Limit{Every: time.Minute, Burst: 5}, CatalogueTTL: time.Minute})
	ctx := context.Background()
	r, err := f.svc.Submit(ctx, webSub("13800138000"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.Track(ctx, "192.0.2.9", r.Number, "138 0013 8000")
	if err != nil || v.Ticket.Number != r.Number || len(v.Events) != 1 || v.CanRate {
		t.Fatalf("track: %v %+v", err, v)
	}
	_, wrongPhone := f.svc.Track(ctx, "192.0.2.9", r.Number, "13900139000")
	_, missing := f.svc.Track(ctx, "192.0.2.9", "20261116-999999", "13800138000")
	_, badPhone := f.svc.Track(ctx, "192.0.2.9", r.Number, "not a phone")
	for _, err := range []error{wrongPhone, missing, badPhone} {
		if !errors.Is(err, intake.ErrNotFound) || !strings.HasSuffix(err.Error(), intake.ErrNotFound.Error()) {
			t.Fatalf("a wrong pair must look like a missing ticket: %v", err)
		}
	}
	if _, err := f.svc.Track(ctx, "192.0.2.9", r.Number, "13800138000"); err != nil {
		t.Fatalf("fifth look-up in a minute: %v", err)
	}
	if _, err := f.svc.Track(ctx, "192.0.2.9", r.Number, "13800138000"); !errors.Is(err, intake.ErrRateLimited) {
		t.Fatalf("sixth look-up in a minute: %v", err)
	}
	if _, err := f.svc.Track(ctx, "192.0.2.10", r.Number, ""); !errors.Is(err, tickets.ErrInvalid) {
		t.Fatalf("missing phone: %v", err)
	}
}

// Failed look-ups from many addresses, each within its own limit, meet a city-wide ceiling:
// enumeration spread over a botnet stops, and a matching look-up costs nothing from it.
func TestTrackFailuresCityWide(t *testing.T) {
	t.Parallel()
	f := newFixture(t, intake.Config{TrackPerAddress: intake.Limit{Every: time.Minute, Burst: 5},
		TrackFailures: intake.Limit{Every: time.Minute, Burst: 3}, CatalogueTTL: time.Minute})
	ctx := context.Background()
	r, err := f.svc.Submit(ctx, webSub("13800138000"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := f.svc.Track(ctx, fmt.Sprintf("198.51.100.%d", i), r.Number, "13800138000"); err != nil {
			t.Fatalf("matching look-up %d: %v", i, err)
		}
	}
	for i := range 3 {
		if _, err := f.svc.Track(ctx, fmt.Sprintf("203.0.113.%d", i), r.Number, fmt.Sprintf("1390013900%d", i)); !errors.Is(err, intake.ErrNotFound) {
			t.Fatalf("failed look-up %d: %v", i, err)
		}
	}
	if _, err := f.svc.Track(ctx, "203.0.113.99", r.Number, "13800138000"); !errors.Is(err, intake.ErrRateLimited) {
		t.Fatalf("look-up after the city-wide failures: %v", err)
	}
}

func TestRateOncePerResolutionAndReopen(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	ctx := context.Background()
	r, err := f.svc.Submit(ctx, webSub("13800138000"))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := f.svc.Track(ctx, "a", r.Number, "13800138000")
	if _, err := f.svc.Rate(ctx, "a", v.Access, rated(intake.Satisfied, "")); !errors.Is(err, intake.ErrNotRateable) {
		t.Fatalf("rating before resolution: %v", err)
	}
	f.resolve(t, r.Number)
	v, _ = f.svc.TrackWithAccess(ctx, v.Access)
	if !v.CanRate {
		t.Fatal("resolved but cannot rate")
	}
	if _, err := f.svc.Rate(ctx, "a", v.Access, rated(intake.Dissatisfied, " ")); !errors.Is(err, tickets.ErrInvalid) {
		t.Fatalf("dissatisfied without a reason: %v", err)
	}
	if _, err := f.svc.Rate(ctx, "a", v.Access, rated("meh", "")); !errors.Is(err, tickets.ErrInvalid) {
		t.Fatalf("unknown rating: %v", err)
	}
	if _, err := f.svc.Rate(ctx, "a", v.Access+"x", rated(intake.Satisfied, "")); !errors.Is(err, intake.ErrNotFound) {
		t.Fatalf("forged access: %v", err)
	}
	v, err = f.svc.Rate(ctx, "a", v.Access, rated(intake.Dissatisfied, "坑还在，只是盖了块板"))
	if err != nil {
		t.Fatal(err)
	}
	tk := v.Ticket
	if tk.Status != tickets.StatusDispatched || tk.ReopenCount != 1 || v.CanRate || len(v.Ratings) != 1 {
		t.Fatalf("after 不满意: %s reopen=%d canRate=%v ratings=%d", tk.Status, tk.ReopenCount, v.CanRate, len(v.Ratings))
	}
	last2 := v.Events[len(v.Events)-2:]
	if last2[0].Kind != "rated" || !last2[0].Public || last2[0].Body != "不满意：坑还在，只是盖了块板" ||
		last2[1].Kind != "reopen" || !strings.Contains(last2[1].Body, "坑还在") || !strings.Contains(string(last2[1].Data), "visit_id") {
		t.Fatalf("timeline end: %+v", last2)
	}
	if _, err := f.svc.Rate(ctx, "a", v.Access, rated(intake.Satisfied, "")); !errors.Is(err, intake.ErrNotRateable) {
		t.Fatalf("rating a reopened ticket: %v", err)
	}
	// Resolved again: the new resolution can be rated once.
	urban, _ := org.NewStore(f.db).Department(ctx, "urban")
	h := tickets.Actor{Name: "h", Role: org.RoleHandler, DepartmentID: urban.ID}
	f.tickets.Accept(ctx, h, r.Number, tickets.ActInput{})
	if _, err := f.tickets.Resolve(ctx, h, r.Number, tickets.ActInput{Text: "已重新铺设"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tickets.Close(ctx, f.agent, r.Number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, results[i] = f.svc.Rate(ctx, "a", v.Access, rated(intake.BasicallySatisfied, "还行"))
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, intake.ErrAlreadyRated):
			t.Fatalf("concurrent rating: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d ratings of one resolution accepted", ok)
	}
	v, _ = f.svc.TrackWithAccess(ctx, v.Access)
	if v.Ticket.Status != tickets.StatusClosed || len(v.Ratings) != 2 || v.Ratings[1].Resolution != 1 {
		t.Fatalf("after 基本满意: %s %+v", v.Ticket.Status, v.Ratings)
	}
	f.clk.Advance(2 * time.Hour)
	if _, err := f.svc.TrackWithAccess(ctx, v.Access); !errors.Is(err, intake.ErrNotFound) {
		t.Fatalf("an access token outlives its hour: %v", err)
	}
}

func TestFormToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	tok := f.svc.FormToken()
	k1, ok := f.svc.CheckFormToken(tok)
	if !ok || !strings.HasPrefix(k1, "web:") {
		t.Fatalf("own token refused")
	}
	if _, ok := f.svc.CheckFormToken(tok[:len(tok)-2] + "AA"); ok {
		t.Fatal("forged token accepted")
	}
	if k2, _ := f.svc.CheckFormToken(f.svc.FormToken()); k2 == k1 {
		t.Fatal("two forms share an idempotency key")
	}
	f.clk.Advance(25 * time.Hour)
	if _, ok := f.svc.CheckFormToken(tok); ok {
		t.Fatal("expired token accepted")
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	ctx := context.Background()
	k, err := f.svc.Authenticate(ctx, demo.Open311Key)
	if err != nil || k.Organisation != demo.Open311Organisation || k.RatePerMinute != 0 {
		t.Fatalf("demo key: %v %+v", err, k)
	}
	var stored []byte
	f.db.QueryRowContext(ctx, "SELECT key_hash FROM intake_api_keys WHERE id = ?", k.ID).Scan(&stored)
	if len(stored) != 32 || strings.Contains(string(stored), demo.Open311Key) {
		t.Fatal("the key is not stored hashed")
	}
	for i := 0; i < 1000; i++ {
		if ok, _ := f.svc.AllowKey(k); !ok {
			t.Fatal("a key without a limit was limited")
		}
	}
	if err := demo.SeedIntake(ctx, f.db); err != nil {
		t.Fatal("seeding twice:", err)
	}
	if n, _ := f.db.NewSelect().Table("intake_api_keys").Count(ctx); n != 1 {
		t.Fatalf("seeding twice made %d keys", n)
	}
	if err := f.svc.RevokeKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, demo.Open311Key); !errors.Is(err, intake.ErrKey) {
		t.Fatalf("revoked key: %v", err)
	}
}

// rated is a rating with the other two answers of a visit: contacted, and solved.
func rated(rating, comment string) intake.RatingInput {
	yes := true
	return intake.RatingInput{Rating: rating, Contacted: &yes, Solved: "solved", Comment: comment}
}
