package routing

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Area is a named polygon of a rule, such as a street's grid (网格).
type Area struct {
	Name     string   `json:"name,omitempty"`
	Geometry Geometry `json:"geometry"`
}

// Geometry is a GeoJSON geometry object of type "Polygon" or "MultiPolygon"
// with [longitude, latitude] positions. Coordinates are kept as written so
// that a rule survives a round trip through storage unchanged.
type Geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// PolygonGeometry returns the GeoJSON geometry of p.
func PolygonGeometry(p orb.Polygon) Geometry {
	b, _ := json.Marshal(p) // an orb.Polygon is nested float arrays
	return Geometry{Type: "Polygon", Coordinates: b}
}

// MultiPolygonGeometry returns the GeoJSON geometry of mp.
func MultiPolygonGeometry(mp orb.MultiPolygon) Geometry {
	b, _ := json.Marshal(mp)
	return Geometry{Type: "MultiPolygon", Coordinates: b}
}

// Orb decodes and checks the geometry. It returns an orb.Polygon or an
// orb.MultiPolygon whose rings are closed, have at least four positions,
// valid longitudes and latitudes, and a non-zero area.
func (g Geometry) Orb() (orb.Geometry, error) {
	if len(g.Coordinates) == 0 {
		return nil, errors.New("no coordinates")
	}
	switch g.Type {
	case "Polygon":
		var p orb.Polygon
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, fmt.Errorf("polygon coordinates: %v", err)
		}
		if err := checkPolygon(p); err != nil {
			return nil, err
		}
		return p, nil
	case "MultiPolygon":
		var mp orb.MultiPolygon
		if err := json.Unmarshal(g.Coordinates, &mp); err != nil {
			return nil, fmt.Errorf("multipolygon coordinates: %v", err)
		}
		if len(mp) == 0 {
			return nil, errors.New("multipolygon without polygons")
		}
		for i, p := range mp {
			if err := checkPolygon(p); err != nil {
				return nil, fmt.Errorf("polygon %d: %w", i, err)
			}
		}
		return mp, nil
	default:
		return nil, fmt.Errorf("geometry type %q, want Polygon or MultiPolygon", g.Type)
	}
}

func checkPolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return errors.New("polygon without rings")
	}
	for i, r := range p {
		if len(r) < 4 {
			return fmt.Errorf("ring %d has %d positions, want at least 4", i, len(r))
		}
		if r[0] != r[len(r)-1] {
			return fmt.Errorf("ring %d is not closed", i)
		}
		for _, pt := range r {
			if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
				return fmt.Errorf("ring %d has position %v outside longitude/latitude range", i, pt)
			}
		}
		if planar.Area(r) == 0 {
			return fmt.Errorf("ring %d has zero area", i)
		}
	}
	return nil
}

// compiledArea is an area ready for point-in-polygon tests.
type compiledArea struct {
	name  string
	bound orb.Bound
	poly  orb.Polygon
	multi orb.MultiPolygon
}

func compileArea(a Area) (compiledArea, error) {
	g, err := a.Geometry.Orb()
	if err != nil {
		return compiledArea{}, err
	}
	ca := compiledArea{name: a.Name, bound: g.Bound()}
	switch g := g.(type) {
	case orb.Polygon:
		ca.poly = g
	case orb.MultiPolygon:
		ca.multi = g
	}
	return ca, nil
}

// contains reports whether pt lies inside the area or on its boundary.
func (a *compiledArea) contains(pt orb.Point) bool {
	if !a.bound.Contains(pt) {
		return false
	}
	if a.poly != nil {
		return planar.PolygonContains(a.poly, pt)
	}
	return planar.MultiPolygonContains(a.multi, pt)
}
