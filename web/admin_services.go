package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
)

// saveService sets how citizens and Open311 clients file a complaint in a category: whether it
// needs an address, its keywords, the notice a submission gets, and its questions (attributes,
// a JSON list of Open311 attribute definitions). The complaint form asks them at once.
func (s *Server) saveService(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	code, err := needCode(f, "code")
	if err != nil {
		return auditRecord{}, err
	}
	if _, err := org.NewStore(tx).Category(ctx, code); err != nil {
		return auditRecord{}, &badField{"code", fmt.Sprintf("unknown category %q", code)}
	}
	st := intake.ServiceSettings{LocationRequired: f.get("location_required") == "" || checked(f, "location_required"),
		Keywords: f.get("keywords"), Notice: f.get("notice")}
	if v := f.get("attributes"); v != "" {
		if err := json.Unmarshal([]byte(v), &st.Attributes); err != nil {
			return auditRecord{}, &badField{"attributes", "must be a JSON list of Open311 attribute definitions"}
		}
	}
	if err := intake.PutService(ctx, tx, code, st); err != nil {
		return auditRecord{}, err
	}
	return auditRecord{"service_saved", "intake_service", code, st}, nil
}
