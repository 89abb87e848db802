package tickets

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// The city's gazetteer (地名库): places — roads, residential compounds, landmarks — with the
// district (区) and street (街道) they lie in. A ticket registered with an address and no
// district is placed by it, so routing by district and the figures per district work for
// tickets from every channel, not only for those an agent placed by hand.

// Place is one entry of the gazetteer.
type Place struct {
	bun.BaseModel `bun:"table:gazetteer"`

	ID       int64  `bun:"id,pk,autoincrement" json:"id"`
	Place    string `bun:"place" json:"place"`
	District string `bun:"district" json:"district"`
	Street   string `bun:"street" json:"street"`
}

// gazetteer is the gazetteer as registration reads it: loaded once a minute at most, the
// longest places first so "安定门内大街" wins over "安定门".
type gazetteer struct {
	mu       sync.Mutex
	loaded   time.Time
	places   []Place
	district []string // the districts' own names, for an address that names only its district
}

// gazetteerTTL is how long registration uses the gazetteer it read before reading it again.
const gazetteerTTL = time.Minute

func (g *gazetteer) get(ctx context.Context, db bun.IDB, now time.Time) ([]Place, []string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.loaded.IsZero() && now.Sub(g.loaded) < gazetteerTTL {
		return g.places, g.district, nil
	}
	var ps []Place
	if err := db.NewSelect().Model(&ps).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("read the gazetteer: %w", err)
	}
	slices.SortFunc(ps, func(a, b Place) int {
		return cmp.Or(cmp.Compare(len(b.Place), len(a.Place)), cmp.Compare(a.ID, b.ID))
	})
	var ds []string
	for _, p := range ps {
		if !slices.Contains(ds, p.District) {
			ds = append(ds, p.District)
		}
	}
	slices.SortFunc(ds, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	g.places, g.district, g.loaded = ps, ds, now
	return ps, ds, nil
}

// locate finds the district and street of address: the longest place of the gazetteer it
// contains, else a district it names; "" when it names none.
func locate(places []Place, districts []string, address string) (district, street string) {
	if address == "" {
		return "", ""
	}
	for _, p := range places {
		if strings.Contains(address, p.Place) {
			return p.District, p.Street
		}
	}
	for _, d := range districts {
		if strings.Contains(address, d) {
			return d, ""
		}
	}
	return "", ""
}

// Locate is the district and street the gazetteer gives address (the console shows it while
// the agent types).
func (s *Service) Locate(ctx context.Context, address string) (district, street string, err error) {
	ps, ds, err := s.places.get(ctx, s.db, s.clock.Now())
	if err != nil {
		return "", "", err
	}
	district, street = locate(ps, ds, address)
	return district, street, nil
}

// placeAll gives the batch's tickets that have an address but no district theirs from the
// gazetteer; a district given keeps the street given with it.
func (s *Service) placeAll(ctx context.Context, es []*entry) error {
	need := slices.ContainsFunc(es, func(e *entry) bool { return e.t != nil && e.t.District == "" && e.t.Address != "" })
	if !need {
		return nil
	}
	ps, ds, err := s.places.get(ctx, s.db, s.clock.Now())
	if err != nil {
		return err
	}
	for _, e := range es {
		if e.t != nil && e.t.District == "" && e.t.Address != "" {
			e.t.District, e.t.Street = locate(ps, ds, e.t.Address)
		}
	}
	return nil
}

// Gazetteer lists the gazetteer, by district, street and place.
func (s *Service) Gazetteer(ctx context.Context) ([]Place, error) {
	var ps []Place
	err := s.db.NewSelect().Model(&ps).Order("district", "street", "place").Scan(ctx)
	return ps, err
}

// SavePlaces adds places to the gazetteer; a place it has already is left as it is. The
// registration of this process reads the change at once.
func (s *Service) SavePlaces(ctx context.Context, db bun.IDB, ps []Place) error {
	if len(ps) == 0 {
		return nil
	}
	if _, err := db.NewInsert().Model(&ps).On("CONFLICT (place, district, street) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("save places: %w", err)
	}
	s.places.mu.Lock()
	s.places.loaded = time.Time{}
	s.places.mu.Unlock()
	return nil
}
