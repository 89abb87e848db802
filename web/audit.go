package web

import (
	"context"
	"net/http"

	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/org"
)

// auditAfter writes the entry of something already done outside a transaction; a failure is
// logged, since what it describes has happened.
func (s *Server) auditAfter(ctx context.Context, by *org.Staff, action, objType, objKey string, detail any) {
	s.Accounts.RecordAfter(ctx, account.Change{Action: action, ObjectType: objType, ObjectKey: objKey, Detail: detail}.By(by))
}

// withRemoteAddr keeps the client's address in the context for the audit trail.
func withRemoteAddr(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(account.WithRemoteAddr(r.Context(), r.RemoteAddr)))
	})
}
