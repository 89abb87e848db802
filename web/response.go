package web

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hotline-city/hotline/evaluation"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/kb"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/tickets"
)

// Responses: the one mapping of domain errors to HTTP (errorStatus) and how each surface renders
// an answer or a refusal. The citizens' pages and Open311 render errorStatus their own way.

// apiError maps an error to the staff API's HTTP answer: the ticket domain's sentinels at the
// edge, a field named for bad input.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, status, body)
}

// errorStatus is the one mapping of domain errors to HTTP: a status and a body naming the
// error and, for bad input, its field. The staff API writes it as JSON, the staff pages as a
// short page, the citizens' pages and Open311 in their own words and formats.
func errorStatus(err error) (int, map[string]string) {
	var fe *tickets.FieldError
	var rfe *routing.FieldError
	var verr *routing.ValidationError
	var bf *badField
	var kfe *kb.FieldError
	var ife intake.FieldErrors
	var wte workcal.TableErrors
	var epe *evaluation.ProfileError
	var efe *evaluation.FieldError
	switch {
	case errors.Is(err, evaluation.ErrPeriod):
		return http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "period"}
	case errors.As(err, &epe):
		return http.StatusBadRequest, map[string]string{"error": epe.Error(), "field": epe.Field}
	case errors.As(err, &efe):
		return http.StatusBadRequest, map[string]string{"error": efe.Error(), "field": efe.Field}
	case errors.Is(err, evaluation.ErrNotFound):
		return http.StatusNotFound, map[string]string{"error": err.Error()}
	case errors.Is(err, evaluation.ErrDecided), errors.Is(err, evaluation.ErrNoDryRun):
		return http.StatusConflict, map[string]string{"error": err.Error()}
	case errors.As(err, &wte) && len(wte) > 0:
		return http.StatusBadRequest, map[string]string{"error": wte.Error(), "field": "table"}
	case errors.As(err, &ife) && len(ife) > 0:
		return http.StatusBadRequest, map[string]string{"error": ife[0].Field + ": " + ife[0].Msg, "field": ife[0].Field}
	case errors.As(err, &verr) && len(verr.Problems) > 0:
		p := verr.Problems[0]
		return http.StatusBadRequest, map[string]string{"error": p.Error(), "field": p.Field, "rule": p.Rule}
	case errors.As(err, &fe):
		return http.StatusBadRequest, map[string]string{"error": fe.Error(), "field": fe.Field}
	case errors.As(err, &rfe):
		return http.StatusBadRequest, map[string]string{"error": rfe.Error(), "field": rfe.Field}
	case errors.As(err, &bf):
		return http.StatusBadRequest, map[string]string{"error": bf.Error(), "field": bf.field}
	case errors.As(err, &kfe):
		return http.StatusBadRequest, map[string]string{"error": kfe.Error(), "field": kfe.Field}
	case errors.Is(err, tickets.ErrNotFound), errors.Is(err, org.ErrNotFound), errors.Is(err, routing.ErrNotFound), errors.Is(err, account.ErrNotFound), errors.Is(err, kb.ErrNotFound):
		return http.StatusNotFound, map[string]string{"error": err.Error()}
	case errors.Is(err, tickets.ErrForbidden), errors.Is(err, kb.ErrForbidden):
		return http.StatusForbidden, map[string]string{"error": err.Error()}
	case errors.Is(err, tickets.ErrTransition), errors.Is(err, tickets.ErrConflict), errors.Is(err, routing.ErrConflict), errors.Is(err, kb.ErrConflict):
		return http.StatusConflict, map[string]string{"error": err.Error()}
	case errors.Is(err, tickets.ErrInvalid), errors.Is(err, telephony.ErrUnknownTarget), errors.Is(err, telephony.ErrBadStatus):
		return http.StatusBadRequest, map[string]string{"error": err.Error()}
	case errors.Is(err, intake.ErrNotFound), errors.Is(err, telephony.ErrNotFound), errors.Is(err, telephony.ErrNoRecording):
		return http.StatusNotFound, map[string]string{"error": err.Error()}
	case errors.Is(err, errRecordingForbidden):
		return http.StatusForbidden, map[string]string{"error": err.Error()}
	case errors.Is(err, telephony.ErrBadPrompt):
		return http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "body"}
	case errors.Is(err, telephony.ErrNoMedia):
		return http.StatusConflict, map[string]string{"error": err.Error()}
	case errors.Is(err, intake.ErrKey):
		return http.StatusForbidden, map[string]string{"error": err.Error()}
	case errors.Is(err, intake.ErrRateLimited):
		return http.StatusTooManyRequests, map[string]string{"error": err.Error()}
	case errors.Is(err, intake.ErrIdempotencyReused):
		return http.StatusUnprocessableEntity, map[string]string{"error": err.Error()}
	case errors.Is(err, telephony.ErrNoOutbound):
		return http.StatusConflict, map[string]string{"error": "no outbound SIP gateway is configured (HOTLINE_SIP_OUTBOUND): citizens cannot be called back"}
	case errors.Is(err, intake.ErrAlreadyRated), errors.Is(err, intake.ErrNotRateable), errors.Is(err, telephony.ErrNotTransferable),
		errors.Is(err, telephony.ErrCallbackBusy), errors.Is(err, telephony.ErrAgentUnavailable),
		errors.Is(err, telephony.ErrNoPhone), errors.Is(err, telephony.ErrCallingAlready):
		return http.StatusConflict, map[string]string{"error": err.Error()}
	case errors.Is(err, telephony.ErrBadMonitorMode):
		return http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "mode"}
	case errors.Is(err, telephony.ErrNotRegistered), errors.Is(err, telephony.ErrNotLive), errors.Is(err, telephony.ErrMonitored),
		errors.Is(err, telephony.ErrNotMonitored), errors.Is(err, telephony.ErrNoAnswer):
		return http.StatusConflict, map[string]string{"error": err.Error()}
	case errors.Is(err, telephony.ErrTransferFailed):
		return http.StatusBadGateway, map[string]string{"error": err.Error()}
	}
	return http.StatusInternalServerError, map[string]string{"error": "internal error"}
}

// errorKeys names the domain's sentinels in the catalogue: what a person reads for each, in
// their language, on a page (the API keeps the error's own text).
var errorKeys = []struct {
	err error
	key string
}{
	{tickets.ErrNotFound, "error.ticket_not_found"},
	{tickets.ErrForbidden, "error.ticket_forbidden"},
	{tickets.ErrTransition, "error.transition"},
	{tickets.ErrConflict, "error.conflict"},
	{routing.ErrNotFound, "error.rule_not_found"},
	{routing.ErrConflict, "error.conflict"},
	{kb.ErrNotFound, "error.article_not_found"},
	{kb.ErrForbidden, "kb.error.forbidden"},
	{kb.ErrConflict, "kb.error.conflict"},
	{intake.ErrAlreadyRated, "rate.already"},
	{intake.ErrNotRateable, "rate.notyet"},
	{intake.ErrRateLimited, "error.rate_limited"},
	{intake.ErrIdempotencyReused, "error.idempotency_reused"},
	{telephony.ErrNotFound, "error.call_not_found"},
	{telephony.ErrNoOutbound, "error.no_outbound"},
	{telephony.ErrAgentUnavailable, "error.agent_unavailable"},
	{telephony.ErrCallbackBusy, "error.callback_busy"},
	{telephony.ErrNotTransferable, "error.not_transferable"},
	{telephony.ErrTransferFailed, "error.transfer_failed"},
	{telephony.ErrUnknownTarget, "error.unknown_target"},
	{telephony.ErrBadStatus, "error.bad_agent_status"},
	{telephony.ErrNoRecording, "error.recording_missing"},
	{errRecordingForbidden, "error.recording_forbidden"},
	{telephony.ErrBadPrompt, "error.bad_prompt"},
	{telephony.ErrNoMedia, "error.no_media"},
	{telephony.ErrNoPhone, "outcall.error.no_phone"},
	{telephony.ErrCallingAlready, "outcall.error.calling"},
	{telephony.ErrBadMonitorMode, "monitor.error.mode"},
	{telephony.ErrNotRegistered, "monitor.error.not_registered"},
	{telephony.ErrNotLive, "monitor.error.not_live"},
	{telephony.ErrMonitored, "monitor.error.monitored"},
	{telephony.ErrNotMonitored, "monitor.error.not_monitored"},
	{telephony.ErrNoAnswer, "monitor.error.no_answer"},
}

// fieldMsgKeys are the catalogue's words for the field errors a person meets most, by the
// error's own (English) text; other field errors name the field and, in English, say why.
var fieldMsgKeys = map[string]string{
	"is required":                                            "error.required",
	"must be a whole number":                                 "error.whole_number",
	"must be a number":                                       "error.number",
	"must be more than 0":                                    "error.positive",
	"must be a date like 2027-01-01":                         "error.date",
	"must not be before valid_from":                          "error.valid_until",
	"at least 12 characters":                                 "error.password_short",
	"too common: choose one nobody would guess":              "error.password_common",
	"must not contain the username":                          "error.password_username",
	"a new account needs a password":                         "error.password_needed",
	"no calendar entry for that date":                        "error.no_calendar_day",
	"must be normal or urgent":                               "error.priority",
	"a return needs a reason":                                "error.return_reason",
	"say what the citizen was told":                          "error.feedback_text",
	"a note needs text":                                      "error.note_text",
	"a reply needs text":                                     "error.reply_text",
	"say how it was resolved":                                "error.resolve_text",
	"a reopening needs a reason":                             "error.reopen_reason",
	"an answer needs text":                                   "error.answer_text",
	"an answer needs text or a knowledge article":            "error.answer_text",
	"say why you need the full number":                       "error.reveal_reason",
	"an extension needs a reason":                            "error.extension_reason",
	"an extension must move the deadline later":              "error.extension_later",
	"give the number of the ticket to supervise":             "error.notice_ticket",
	"is required: the number of the ticket to merge into":    "error.merge_master",
	"a ticket cannot be merged into itself":                  "error.merge_self",
	"is required to re-dispatch":                             "error.redispatch_department",
	"explain why the ticket is the department's":             "error.send_back_note",
	"a burst needs a rate limit":                             "error.burst",
	"choose 满意, 基本满意 or 不满意":                                 "error.rating",
	"say what is still wrong, so the department can redo it": "error.rating_comment",
	"a consultation answered at once is closed and cannot be merged into another ticket": "error.answer_merge",
	"lower-case letters, digits and dashes, starting with a letter or digit":             "error.code",
	"lower-case letters, digits, dots, dashes and underscores":                           "error.username",
}

// errorText is what a page says about err in lang: a domain sentinel or a field error in the
// catalogue's words, else the status's own sentence. It is the pages' reading of the same
// mapping errorStatus gives the API.
func errorText(lang string, err error) string {
	var fe *tickets.FieldError
	var rfe *routing.FieldError
	var verr *routing.ValidationError
	var bf *badField
	var kfe *kb.FieldError
	var ife intake.FieldErrors
	switch {
	case errors.As(err, &ife) && len(ife) > 0:
		return fieldText(lang, ife[0].Field, ife[0].Msg)
	case errors.As(err, &verr) && len(verr.Problems) > 0:
		return fieldText(lang, verr.Problems[0].Field, verr.Problems[0].Error())
	case errors.As(err, &fe):
		return fieldText(lang, fe.Field, fe.Msg)
	case errors.As(err, &rfe):
		return fieldText(lang, rfe.Field, rfe.Msg)
	case errors.As(err, &bf):
		return fieldText(lang, bf.field, bf.msg)
	case errors.As(err, &kfe):
		return fieldText(lang, kfe.Field, kfe.Msg)
	}
	for _, e := range errorKeys {
		if errors.Is(err, e.err) {
			text := tr(lang, e.key)
			// A refused action says why in the service's words ("the deadline … has passed").
			if e.err == tickets.ErrTransition || e.err == tickets.ErrConflict {
				if why := strings.TrimSuffix(err.Error(), ": "+e.err.Error()); why != err.Error() {
					text += " (" + why + ")"
				}
			}
			return text
		}
	}
	status, _ := errorStatus(err)
	if isOutage(err) {
		status = http.StatusServiceUnavailable
	}
	return statusText(lang, status)
}

// fieldText names the field in lang and says what is wrong with it: in the catalogue's words
// when it has them; else, in Chinese, that the field needs checking, with the service's own
// reason after it, since a reason that names a deadline or a file is worth more than a
// sentence in one language.
func fieldText(lang, field, msg string) string {
	label := trOr(lang, "field."+field, trOr(lang, "ticket."+field, field))
	if key, ok := fieldMsgKeys[msg]; ok {
		return fmt.Sprintf(tr(lang, "error.field"), label, tr(lang, key))
	}
	if lang == "en" {
		return fmt.Sprintf(tr(lang, "error.field"), label, msg)
	}
	return fmt.Sprintf(tr(lang, "error.field_check"), label, msg)
}

// fieldMsg is what is wrong with a field, msg being the service's words, in lang when the
// catalogue has them (shown beside the field, which names it).
func fieldMsg(lang, msg string) string {
	if key, ok := fieldMsgKeys[msg]; ok {
		return tr(lang, key)
	}
	return msg
}

// statusText is the sentence for an HTTP status in lang ("error.404", …), or the general one.
func statusText(lang string, status int) string {
	return trOr(lang, fmt.Sprintf("error.%d", status), tr(lang, "error.title"))
}

// isOutage tells an error of a dependency that is down (the database unreachable, a
// connection lost, the server shutting down or in recovery, a failover's read-only standby)
// from a failure of the request: the first is a 503 with Retry-After, the second a 500.
func isOutage(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57P01-57P05: shutdown, crash, cannot connect now, idle
		// session; 53300: too many connections; 25006: read-only (a standby after failover).
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300" || pe.Code == "25006"
	}
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, database.ErrCommitUnknown)
}

// retryAfter is how long a client is asked to wait after an outage, in seconds.
const retryAfter = "5"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// refuse answers an error: msg as JSON under /api/, a branded page otherwise, which says msg
// in the reader's language (refusalKeys) or, for a message the catalogue does not know, the
// status's own sentence.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if isAPI(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	text := ""
	if key, ok := refusalKeys[msg]; ok {
		text = tr(pageLang(r), key)
	}
	s.renderError(w, r, status, text)
}

// refusalKeys are the catalogue's words for the refusals the handlers give in the API's words.
var refusalKeys = map[string]string{
	errRoleRefused:                             "error.role",
	"cross-origin request refused":             "error.cross_origin",
	"no such action":                           "error.no_action",
	"no such rule":                             "error.rule_missing",
	"no such callback task":                    "error.callback_missing",
	"telephony is not running in this process": "error.no_telephony",
	"your account has no SIP extension":        "error.no_extension",
	"format must be csv or xlsx":               "error.export_format",
}

// refuseErr answers err with status: its own text under /api/, the catalogue's words for it
// (errorText) on a page.
func (s *Server) refuseErr(w http.ResponseWriter, r *http.Request, status int, err error) {
	if isAPI(r) {
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	s.renderError(w, r, status, errorText(pageLang(r), err))
}

// serverError answers a failure: 503 when a dependency is down (isOutage), else 500.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	status, msg := http.StatusInternalServerError, "internal error"
	if isOutage(err) {
		status, msg = http.StatusServiceUnavailable, "service unavailable, try again shortly"
		w.Header().Set("Retry-After", retryAfter)
	}
	if isAPI(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	s.renderError(w, r, status, statusText(pageLang(r), status))
}

func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request, viaToken bool) {
	if isAPI(r) || viaToken {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
		msg := "login required"
		if viaToken {
			msg = "invalid or expired token"
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": msg})
		return
	}
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", "/login")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	next := r.URL.RequestURI()
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
