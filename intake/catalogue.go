package intake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// ServiceInfo is a leaf category as an Open311 service (and as a choice on the public form).
type ServiceInfo struct {
	CategoryID       int64
	Code             string // the category code is the Open311 service_code
	NameZh, NameEn   string
	Group            string // the parent category's code
	GroupZh, GroupEn string
	TicketType       string
	LocationRequired bool
	Keywords         string
	Notice           string // the service_notice answered to a POST
	Attributes       []Attribute
}

// Name is the service's name in lang ("en" or Chinese).
func (si *ServiceInfo) Name(lang string) string {
	if lang == "en" && si.NameEn != "" {
		return si.NameEn
	}
	return si.NameZh
}

// Attribute is an extra question of a service (an Open311 service definition attribute).
type Attribute struct {
	Code                string      `json:"code"`
	Datatype            string      `json:"datatype"`
	Variable            bool        `json:"variable"`
	Required            bool        `json:"required"`
	Description         string      `json:"description"`
	DatatypeDescription string      `json:"datatype_description"`
	Order               int         `json:"order"`
	Values              []AttrValue `json:"values"`
}

// AttrValue is one choice of a list attribute.
type AttrValue struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// Catalogue is every service, in the category tree's order.
type Catalogue struct {
	Services []*ServiceInfo
	byCode   map[string]*ServiceInfo
}

// Service returns the service with code, or nil.
func (c *Catalogue) Service(code string) *ServiceInfo { return c.byCode[code] }

// Groups returns the services grouped under their parent category, in order.
func (c *Catalogue) Groups() [][]*ServiceInfo {
	var out [][]*ServiceInfo
	idx := map[string]int{}
	for _, si := range c.Services {
		i, ok := idx[si.Group]
		if !ok {
			i = len(out)
			idx[si.Group] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], si)
	}
	return out
}

type catalogueCache struct {
	mu  sync.Mutex
	ttl time.Duration
	c   *Catalogue
	at  time.Time
}

// ForgetCatalogue drops the cached services, so that an administrator's change shows in this
// process at once (other processes see it within the cache's time).
func (s *Service) ForgetCatalogue() {
	s.cat.mu.Lock()
	s.cat.c = nil
	s.cat.mu.Unlock()
}

// Catalogue returns the services, cached for the configured time.
func (s *Service) Catalogue(ctx context.Context) (*Catalogue, error) {
	now := s.clock.Now()
	s.cat.mu.Lock()
	defer s.cat.mu.Unlock()
	if s.cat.c != nil && now.Sub(s.cat.at) <= s.cat.ttl && !now.Before(s.cat.at) {
		return s.cat.c, nil
	}
	c, err := LoadCatalogue(ctx, s.db)
	if err != nil {
		return nil, err
	}
	s.cat.c, s.cat.at = c, now
	return c, nil
}

// LoadCatalogue reads the active leaf categories with their Open311 settings and attributes.
func LoadCatalogue(ctx context.Context, db bun.IDB) (*Catalogue, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.id, c.code, c.name_zh, c.name_en, c.ticket_type,
			coalesce(p.code, ''), coalesce(p.name_zh, ''), coalesce(p.name_en, ''),
			coalesce(s.location_required, true), coalesce(s.keywords, ''), coalesce(s.notice, '')
		FROM categories c
		LEFT JOIN categories p ON p.id = c.parent_id
		LEFT JOIN intake_services s ON s.category_id = c.id
		WHERE c.active AND NOT EXISTS (SELECT 1 FROM categories ch WHERE ch.parent_id = c.id AND ch.active)
		ORDER BY coalesce(c.parent_id, c.id), c.id`)
	if err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	defer rows.Close()
	c := &Catalogue{byCode: map[string]*ServiceInfo{}}
	byID := map[int64]*ServiceInfo{}
	for rows.Next() {
		si := &ServiceInfo{}
		if err := rows.Scan(&si.CategoryID, &si.Code, &si.NameZh, &si.NameEn, &si.TicketType, &si.Group, &si.GroupZh, &si.GroupEn,
			&si.LocationRequired, &si.Keywords, &si.Notice); err != nil {
			return nil, fmt.Errorf("services: %w", err)
		}
		c.Services = append(c.Services, si)
		c.byCode[si.Code] = si
		byID[si.CategoryID] = si
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	arows, err := db.QueryContext(ctx, `SELECT category_id, code, datatype, variable, required, description, datatype_description, ord, "values"
		FROM intake_service_attributes ORDER BY category_id, ord`)
	if err != nil {
		return nil, fmt.Errorf("service attributes: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var id int64
		var a Attribute
		var vals []byte
		if err := arows.Scan(&id, &a.Code, &a.Datatype, &a.Variable, &a.Required, &a.Description, &a.DatatypeDescription, &a.Order, &vals); err != nil {
			return nil, fmt.Errorf("service attributes: %w", err)
		}
		if err := json.Unmarshal(vals, &a.Values); err != nil {
			return nil, fmt.Errorf("service attribute %s values: %w", a.Code, err)
		}
		if si := byID[id]; si != nil {
			si.Attributes = append(si.Attributes, a)
		}
	}
	return c, arows.Err()
}

// ServiceSettings are what an administrator sets for a service.
type ServiceSettings struct {
	LocationRequired bool
	Keywords, Notice string
	Attributes       []Attribute
}

// Datatypes are the Open311 attribute datatypes a service may ask.
var Datatypes = []string{"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}

var attrCodeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Check reports what is wrong with the settings, each problem on the field "attributes" with
// the attribute's code: the form and Open311 clients could not ask such a question.
func (st ServiceSettings) Check() error {
	var errs FieldErrors
	seen := map[string]bool{}
	for i, a := range st.Attributes {
		name := a.Code
		if name == "" {
			name = "#" + strconv.Itoa(i+1)
		}
		switch {
		case !attrCodeRe.MatchString(a.Code):
			errs.add("attributes", "attribute_code", "attribute %s: its code takes 1 to 64 letters, digits, _ and -", name)
		case seen[a.Code]:
			errs.add("attributes", "attribute_code", "attribute %s: the code is used twice", name)
		case !slices.Contains(Datatypes, a.Datatype):
			errs.add("attributes", "attribute_datatype", "attribute %s: datatype %q is not one of %s", name, a.Datatype, strings.Join(Datatypes, ", "))
		case strings.TrimSpace(a.Description) == "":
			errs.add("attributes", "attribute_description", "attribute %s: the description is the question asked and is required", name)
		case (a.Datatype == "singlevaluelist" || a.Datatype == "multivaluelist") && len(a.Values) == 0:
			errs.add("attributes", "attribute_values", "attribute %s: a %s needs values", name, a.Datatype)
		}
		seen[a.Code] = true
		keys := map[string]bool{}
		for _, v := range a.Values {
			if strings.TrimSpace(v.Key) == "" || strings.TrimSpace(v.Name) == "" || keys[v.Key] {
				errs.add("attributes", "attribute_values", "attribute %s: each value needs a key of its own and a name", name)
				break
			}
			keys[v.Key] = true
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// PutService stores the Open311 settings and attributes of the category with code, replacing
// what was there.
func PutService(ctx context.Context, db bun.IDB, code string, st ServiceSettings) error {
	if err := st.Check(); err != nil {
		return err
	}
	var id int64
	if err := db.QueryRowContext(ctx, "SELECT id FROM categories WHERE code = ?", code).Scan(&id); errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("put service %s: %w", code, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("put service %s: %w", code, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO intake_services (category_id, location_required, keywords, notice) VALUES (?, ?, ?, ?)
		ON CONFLICT (category_id) DO UPDATE SET location_required = EXCLUDED.location_required, keywords = EXCLUDED.keywords, notice = EXCLUDED.notice`,
		id, st.LocationRequired, st.Keywords, st.Notice); err != nil {
		return fmt.Errorf("put service %s: %w", code, err)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM intake_service_attributes WHERE category_id = ?", id); err != nil {
		return fmt.Errorf("put service %s: %w", code, err)
	}
	for _, a := range st.Attributes {
		vals, _ := json.Marshal(a.Values)
		if a.Values == nil {
			vals = []byte("[]")
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO intake_service_attributes (category_id, code, datatype, variable, required, description, datatype_description, ord, "values")
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, a.Code, a.Datatype, a.Variable, a.Required, a.Description, a.DatatypeDescription, a.Order, string(vals)); err != nil {
			return fmt.Errorf("put service %s attribute %s: %w", code, a.Code, err)
		}
	}
	return nil
}
