package web

import (
	"io/fs"
	"net/http"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/tickets"
)

// The floor plan of the site: one route table per surface, each read top to bottom.
//
//	staffPages    the staff's pages and their htmx fragments, behind a login
//	staffAPI      the staff JSON API under /api/v1, documented at /api/v1/openapi.json
//	citizenPages  the citizens' pages: the complaint form and tracking, no login
//	open311       Open311 GeoReport v2 for other city systems, with API keys
//
// Each surface renders errors its own way (refuse, apiError, the citizens' page, Open311's
// error list) from the one mapping of domain errors, errorStatus.

// routes mounts every surface, the probes and the static files.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /static/", staticHandler())
	s.mux.HandleFunc("GET /favicon.ico", getFavicon)
	s.staffPages()
	s.evaluationPages()
	s.staffAPI()
	s.evaluationAPI()
	s.citizenPages()
	s.open311()
}

// staffPages is the table of the staff's pages. handleStaff admits the roles given (nil: any
// staff role); addNav puts a page in the header's navigation for those roles.
func (s *Server) staffPages() {
	s.addNav("/console", "受理台", "Agent console", 10, org.Centre)
	s.addNav("/workbench", "承办工作台", "Workbench", 20, org.DepartmentStaff)
	s.addNav("/routing/returns", "退单审核", "Returns review", 25, org.Reviewers)
	s.addNav("/visits", "回访", "Return visits", 27, org.Centre)
	s.addNav("/calls", "通话记录", "Calls", 12, org.Centre)
	s.addNav("/callbacks", "漏接回拨", "Missed calls", 14, org.Centre)
	// The centre's staff reach the call ratings from /calls; the leadership, without it, here.
	s.addNav("/calls/ratings", "来电评价", "Call ratings", 13, org.RoleSet{org.RoleLeader})
	s.addNav("/rectifications", "差评整改", "Rectifications", 28, rectifyRoles)
	s.addNav("/board", "督办看板", "Supervisor board", 30, org.Board)
	s.addNav("/wallboard", "话务大屏", "Wallboard", 32, wallboardRoles)
	s.addNav("/tickets", "工单查询", "Tickets", 50, nil)
	s.addNav("/kb", "知识库", "Knowledge base", 55, nil)
	s.addNav("/admin/routing", "派单规则", "Dispatch rules", 85, org.Admins)
	s.addNav("/admin/open311-keys", "Open311 密钥", "Open311 keys", 88, org.Admins)
	s.addNav("/admin/sms-templates", "短信模板", "SMS texts", 89, org.Admins)
	s.addNav("/admin/loop-settings", "回访设置", "Return visit settings", 90, org.Admins)
	s.addNav("/admin/prompts", "语音提示", "Voice prompts", 90, org.Admins)
	s.addNav("/admin", "系统管理", "Administration", 90, org.Admins)

	// Signing in and out (auth.go), home and language (i18n.go).
	s.mux.HandleFunc("GET /{$}", s.getHome)
	s.mux.HandleFunc("GET /login", s.getLogin)
	s.mux.HandleFunc("POST /login", s.postLogin)
	s.mux.HandleFunc("GET /lang/{lang}", s.getLang)
	s.handleStaff("POST /logout", nil, s.postLogout)
	s.handleStaff("POST /logout/everywhere", nil, s.postLogoutEverywhere)

	// The agent console (console.go).
	s.handleStaff("GET /console", org.Centre, s.getConsole)
	s.handleStaff("GET /visits", org.Centre, s.getVisitQueue)
	s.handleStaff("POST /visits/{number}", org.Centre, s.postVisitForm)
	s.handleStaff("POST /visits/{number}/call", org.CallTakers, s.sip(s.postVisitCall))
	// Rectifications (差评整改, rectify.go).
	s.handleStaff("GET /rectifications", rectifyRoles, s.getRectifications)
	s.handleStaff("POST /rectifications/{id}/proof", org.DepartmentStaff, s.rectifyForm(s.submitProof))
	s.handleStaff("POST /rectifications/{id}/decide", org.Centre, s.rectifyForm(s.decide))
	s.handleStaff("POST /console/tickets", org.Centre, s.postConsoleTicket)
	// POST: the caller's number travels in the body, never in a URL (logs, history, Referer).
	s.handleStaff("POST /console/side", org.Centre, s.getConsoleSide)
	s.handleStaff("GET /console/kb", org.Centre, s.getConsoleKB)

	// The phone desk: the agent's status, the call log, missed calls and the wallboard (desk.go).
	s.handleStaff("POST /console/status", org.CallTakers, s.sip(s.postConsoleStatus))
	s.handleStaff("GET /calls", org.Centre, s.getCallsPage)
	s.handleStaff("GET /calls/ratings", ratingsRoles, s.getCallRatingsPage)
	s.handleStaff("GET /callbacks", org.Centre, s.getCallbacksPage)
	s.handleStaff("POST /callbacks/{id}/call", org.CallTakers, s.sip(s.postCallbackForm))
	s.handleStaff("GET /wallboard", wallboardRoles, s.getWallboard)
	s.handleStaff("GET /wallboard/figures", wallboardRoles, s.getWallboardFigures)
	s.handleStaff("GET /wallboard/events", wallboardRoles, s.getWallboardEvents)
	s.handleStaff("POST /calls/{id}/monitor", monitorRoles, s.sip(s.postMonitorForm))
	s.handleStaff("POST /console/consult", org.CallTakers, s.sip(s.postConsoleConsult))

	// The handler's workbench (workbench.go) and the supervisor board (board.go).
	s.handleStaff("GET /workbench", org.DepartmentStaff, s.getWorkbench)
	s.handleStaff("GET /board", org.Board, s.getBoard)
	s.handleStaff("GET /board/counts", org.Board, s.getBoardCounts)
	s.handleStaff("GET /board/events", org.Board, s.getLiveEvents)
	s.handleStaff("GET /board/escalations", org.Board, s.getBoardEscalations)
	s.handleStaff("GET /export/{list}", nil, s.getExport)
	s.handleStaff("GET /exports/{list}", nil, s.getExportPage)

	// The knowledge base (kb_pages.go): search and articles for all staff, proposals from the
	// departments, the centre's review.
	s.handleStaff("GET /kb", nil, s.getKBPage)
	s.handleStaff("GET /kb/propose", org.DepartmentStaff, s.getKBPropose)
	s.handleStaff("POST /kb/propose", org.DepartmentStaff, s.postKBPropose)
	s.handleStaff("GET /kb/review", org.Reviewers, s.getKBReview)
	s.handleStaff("POST /kb/proposals/{id}/approve", org.Reviewers, s.postKBReview(true))
	s.handleStaff("POST /kb/proposals/{id}/refuse", org.Reviewers, s.postKBReview(false))
	s.handleStaff("GET /kb/{code}", nil, s.getKBArticle)
	s.handleStaff("POST /kb/{code}/withdraw", org.Reviewers, s.postKBWithdraw)

	// Tickets: the list, one ticket's page and what staff do to it (ticket.go), its files.
	s.handleStaff("GET /tickets", nil, s.getTicketsPage)
	s.handleStaff("GET /tickets/{number}", nil, s.getTicketPage)
	// Saved searches (常用查询) of the list, each person's own (ticket_search.go).
	s.handleStaff("POST /tickets/saved-searches", nil, s.postSavedFilterForm)
	s.handleStaff("POST /tickets/saved-searches/{id}/delete", nil, s.postSavedFilterDeleteForm)
	s.handleStaff("POST /tickets/{number}/reveal-phone", nil, s.postTicketReveal)
	s.handleStaff("POST /tickets/{number}/unmerge", org.Centre, s.postTicketUnmergeForm)
	s.handleStaff("POST /tickets/{number}/call-citizen", org.DepartmentStaff, s.sip(s.postTicketCallForm))
	s.handleStaff("POST /tickets/{number}/{action}", nil, s.postTicketPageAction)
	s.handleStaff("GET /tickets/{number}/attachments/{id}", nil, s.getAttachment)
	s.handleStaff("GET /calls/{id}/recording", nil, s.getRecording)
	s.handleStaff("GET /calls/{id}/message", nil, s.getVoiceMessage)
	s.handleStaff("GET /tickets/{number}/photos/{id}", nil, s.getTicketPhoto)
	s.handleStaff("POST /workbench/batch", org.DepartmentStaff, s.postWorkbenchBatch)
	s.handleStaff("POST /export/selection", nil, s.postExportSelection)
	s.handleStaff("POST /tickets/batch", nil, s.postTicketsBatchForm)
	s.handleStaff("GET /tickets/{number}/sheet", nil, s.getTicketSheet)
	s.handleStaff("GET /tickets/{number}/result-sheet", nil, s.getTicketSheet)

	// Extensions (延期), supervision notices (督办单) and notifications (escalation_pages.go).
	s.handleStaff("POST /tickets/{number}/extensions", org.DepartmentStaff, s.postExtensionForm)
	s.handleStaff("POST /extensions/{id}/approve", org.Deciders, s.postDecideForm(true))
	s.handleStaff("POST /extensions/{id}/refuse", org.Deciders, s.postDecideForm(false))
	s.handleStaff("POST /tickets/{number}/supervision", org.Supervisors, s.postNoticeForm)
	s.handleStaff("POST /supervision", org.Supervisors, s.postNoticeForm)
	s.handleStaff("POST /supervision/{number}/reply", org.DepartmentStaff, s.postNoticeReplyForm)
	s.handleStaff("GET /notifications", nil, s.getNotificationsPage)
	s.handleStaff("GET /notifications/bell", nil, s.getNotificationBell)
	s.handleStaff("POST /notifications/read", nil, s.postNotificationsReadAll)
	s.handleStaff("POST /notifications/{id}/read", nil, s.postNotificationReadForm)

	// The review of returned tickets (退单审核) (routing_pages.go).
	s.handleStaff("GET /routing/returns", org.Centre, s.getRoutingReturnsPage)
	s.handleStaff("POST /routing/returns/{number}/review", org.Centre, s.postRoutingReturnsPage)

	// Administration (admin.go; dispatch rules in routing_pages.go, keys in admin_open311_keys.go).
	for _, tab := range adminTabs {
		s.handleStaff("GET /admin"+tab.Path, org.Admins, s.getAdmin(tab.Name))
	}
	s.handleStaff("POST /admin/departments", org.Admins, s.adminPost("departments", s.saveDepartment))
	s.handleStaff("POST /admin/staff", org.Admins, s.adminPost("staff", s.saveStaff))
	s.handleStaff("POST /admin/categories", org.Admins, s.adminPost("catalogue", s.saveCategory))
	s.handleStaff("POST /admin/profiles", org.Admins, s.adminPost("catalogue", s.saveProfile))
	s.handleStaff("POST /admin/calendar", org.Admins, s.adminPost("calendar", s.saveCalendarDay))
	s.handleStaff("POST /admin/calendar/delete", org.Admins, s.adminPost("calendar", s.deleteCalendarDay))
	s.handleStaff("POST /admin/calendar/preview", org.Admins, s.postCalendarPreview)
	s.handleStaff("POST /admin/calendar/year", org.Admins, s.postCalendarYear)
	s.handleStaff("POST /admin/tokens/{id}/revoke", org.Admins, s.adminPost("tokens", s.adminRevokeToken))
	s.handleStaff("POST /admin/kb", org.Admins, s.adminPost("kb", s.saveArticle))
	s.handleStaff("GET /admin/routing", org.Admins, s.getRoutingAdmin)
	s.handleStaff("POST /admin/routing/rules", org.Admins, s.postRoutingAdminCreate)
	s.handleStaff("GET /admin/routing/rules/{id}", org.Admins, s.getRoutingAdminRule)
	s.handleStaff("POST /admin/routing/rules/{id}", org.Admins, s.postRoutingAdminUpdate)
	s.handleStaff("POST /admin/routing/rules/{id}/delete", org.Admins, s.postRoutingAdminDelete)
	s.handleStaff("GET /admin/open311-keys", org.Admins, s.getOpen311Keys)
	s.handleStaff("POST /admin/open311-keys", org.Admins, s.postOpen311Key)
	s.handleStaff("POST /admin/open311-keys/{id}/revoke", org.Admins, s.postOpen311KeyRevoke)
	s.handleStaff("GET /admin/sms-templates", org.Admins, s.getSMSTemplates)
	// The prompts callers hear (prompts_admin.go).
	s.handleStaff("GET /admin/prompts", org.Admins, s.getPromptsPage)
	s.handleStaff("GET /admin/prompts/{purpose}/audio", org.Admins, s.getPromptAudio)
	s.handleStaff("POST /admin/prompts/{purpose}", org.Admins, s.sip(s.postPrompt))
	s.handleStaff("POST /admin/prompts/{purpose}/revert", org.Admins, s.sip(s.postPromptRevert))
	s.handleStaff("GET /admin/loop-settings", org.Admins, s.getLoopSettingsPage)
	s.handleStaff("POST /admin/loop-settings", org.Admins, s.postLoopSettingsPage)
	s.handleStaff("POST /admin/sms-templates", org.Admins, s.postSMSTemplate)
}

// staffAPI is the table of the staff JSON API. handleAPI admits the roles given (nil: any
// staff role), and documents the route with its summary and body fields ("name*": required).
func (s *Server) staffAPI() {
	// The document, scripts' tokens and the account (api.go, auth.go).
	s.apiDocPublic("GET", "/api/v1/openapi.json", "This OpenAPI document")
	s.mux.HandleFunc("GET /api/v1/openapi.json", s.getOpenAPI)
	s.apiDocPublic("POST", "/api/v1/tokens", "Log in a script: username and password in, a bearer token out (401 for a wrong password)", "username*", "password*", "name")
	s.mux.HandleFunc("POST /api/v1/tokens", s.postTokens)
	s.handleAPI("GET /api/v1/tokens", nil, "Your API tokens", s.getTokens)
	s.handleAPI("DELETE /api/v1/tokens/{id}", nil, "Revoke one of your tokens (an administrator: anyone's)", s.deleteToken)
	s.handleAPI("GET /api/v1/me", nil, "The signed-in account", s.getMe)
	s.handleAPI("POST /api/v1/logout-everywhere", nil, "End every session of your account", s.postLogoutEverywhere, "revoke_tokens")

	// Tickets and the actions of the closed loop (api.go).
	s.handleAPI("GET /api/v1/tickets", nil, "Search the tickets you may see: q (words of the description, address, title or result; Chinese words of two characters too), phone (full or last four digits), department, category (with its subtree), type, channel, status (repeat or comma-separate), clock (overdue, due-soon), from and to (registration dates, YYYY-MM-DD, to inclusive), handler (username of a staff member who acted on it), order (due, created, number; - before for descending; new: newest first, the default), limit; after: the next cursor of the page before, keyset paging; offset, for old scripts. Answers tickets, total, next; bad input is a 400 naming the field", s.getTickets)
	s.handleAPI("GET /api/v1/saved-filters", nil, "Your saved searches of the ticket list (常用查询), each with its query string and the list's url", s.getSavedFilters)
	s.handleAPI("POST /api/v1/saved-filters", nil, "Save a search under a name (saving a name again replaces it; at most 50): query is the list's query string, checked like GET /api/v1/tickets", s.postSavedFilter, "name*", "query*")
	s.handleAPI("GET /api/v1/saved-filters/{id}", nil, "One of your saved searches (another person's is 404)", s.getSavedFilter)
	s.handleAPI("DELETE /api/v1/saved-filters/{id}", nil, "Delete one of your saved searches (another person's is 404)", s.deleteSavedFilter)
	s.handleAPI("POST /api/v1/tickets", org.Centre, "Register a ticket (受理); with article, answer a consultation at once from the knowledge base. confidential (保密) keeps the citizen's contact details from the departments; anonymous (匿名) keeps no name and is confidential; reply_wanted=false records that the citizen wants no reply; an address without district is placed by the city's gazetteer",
		s.postTicket, "description*", "type", "category", "channel", "title", "address", "district", "street",
		"caller_name", "caller_phone", "caller_email", "priority", "lat", "lon", "department", "co_handlers", "article", "answer", "call_id",
		"confidential", "anonymous", "reply_wanted")
	s.handleAPI("POST /api/v1/tickets/batch", nil, "A batch action on up to 500 tickets: action accept (批量签收, departments) or dispatch (批量派单/改派, the centre, with department); each ticket gets its own event; answers done and failed, each failure with its reason",
		s.postTicketsBatch, "action*", "numbers*", "department", "co_handlers", "text")
	s.handleAPI("GET /api/v1/tickets/{number}", nil, "Read a ticket with its timeline (403 or 404 for one you may not see)", s.getTicket)
	s.handleAPI("POST /api/v1/tickets/{number}/dispatch", org.Centre, "Dispatch (派单) to a lead department", s.ticketAction(tickets.ActDispatch),
		"department*", "co_handlers", "profile", "priority", "text", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/accept", org.DepartmentStaff, "Accept (签收)", s.ticketAction(tickets.ActAccept), "text", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/return", org.DepartmentStaff, "Return (退单) with a reason", s.ticketAction(tickets.ActReturn), "text*", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/feedback", org.DepartmentStaff, "Record feedback to the citizen (反馈); multipart/form-data may carry files as attachments, as for resolve", s.ticketAction(tickets.ActFeedback), "text*", "attachments", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/notes", nil, "Add an internal note", s.ticketAction(tickets.ActNote), "text*", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/co-reply", org.DepartmentStaff, "A co-handling department's reply (协办意见)", s.ticketAction(tickets.ActCoReply), "text*", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/resolve", org.DepartmentStaff, "Resolve (办结) with the result and its result_type (solved 已解决 when absent, partly, unsolved, untrue, informed), and contact_method, how the citizen was reached (phone, visit, sms, online, letter, none); multipart/form-data may carry up to 3 files (PDF, JPEG, PNG, WebP, DOCX; 10 MB each) as attachments", s.ticketAction(tickets.ActResolve), "text*", "result_type", "contact_method", "attachments", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/close", org.Centre, "Close (结案) a resolved ticket", s.ticketAction(tickets.ActClose), "text", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/reopen", org.Centre, "Reopen (重办) with a reason", s.ticketAction(tickets.ActReopen), "text*", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/answer", org.Centre, "Answer a consultation directly (直接答复), optionally from a knowledge article", s.ticketAction(tickets.ActAnswer), "text", "article", "version")
	s.handleAPI("POST /api/v1/tickets/{number}/reveal-phone", nil, "Reveal the caller's full number, with a reason written to the timeline", s.postRevealPhone, "reason*")
	s.handleAPI("GET /api/v1/tickets/{number}/attachments/{id}", nil, "Download an attachment of a ticket (403 or 404 for a ticket you may not see)", s.getAttachment)
	s.handleAPI("POST /api/v1/tickets/{number}/merge", org.Centre, "Merge (并单) this ticket into the master ticket; it then follows the master to resolved and closed", s.postTicketMerge,
		"master*", "note")
	s.handleAPI("POST /api/v1/tickets/{number}/visits", org.Centre, "Record a return visit (回访) attempt on a resolved ticket: channel (phone, sms, web, ivr), outcome (reached, no_answer, refused, wrong_number) and, when reached, contacted (true/false), solved (solved, partly, unsolved), satisfaction (satisfied, basically, dissatisfied), comment; unsolved or dissatisfied reopens the ticket (重办); department (a co-handler's code) visits about that co-handling department's part (协办) instead, which reopens nothing", s.postTicketVisit,
		"channel*", "outcome*", "contacted", "solved", "satisfaction", "comment", "department")
	s.handleAPI("GET /api/v1/scorecards/{period}", org.Centre, "A month's scorecard (考评): every department's on-time rates and 三率 over valid return visits, its score and rank; a rate is null when there is nothing to measure", s.getScorecard)
	s.handleAPI("POST /api/v1/tickets/{number}/calls", org.DepartmentStaff, "Call the citizen through 12345 (联系市民): your SIP phone rings first, then the citizen's with 12345 as the caller ID; you never see the number; recorded; answers 202 with the attempt (result calling until the phones hang up). The attempt goes on the timeline; answered for at least 10 s it records the first contact (反馈). 409 without a registered phone, a phone number, an outbound gateway or media; 404 for another department's ticket", s.sip(s.postTicketCall))
	s.handleAPI("GET /api/v1/tickets/{number}/calls", nil, "The department's calls to the citizen through 12345, oldest first: who, when, result (answered, no_answer, busy, handler_unreachable, failed, calling), talk_ms, feedback, recording", s.getTicketCalls)
	s.handleAPI("GET /api/v1/tickets/{number}/visits", nil, "The ticket's return visits, oldest first", s.getTicketVisits)
	s.handleAPI("POST /api/v1/tickets/{number}/visits/call", org.CallTakers, "Call the citizen of a resolved ticket for its return visit: your phone rings first, then the citizen's through the outbound gateway; the number is never shown", s.sip(s.postVisitCall))
	s.handleAPI("GET /api/v1/rectifications", rectifyRoles, "Rectifications of named bad ratings (差评整改), deadline first: a department's own, or every one for the centre; status (open, submitted, accepted), overdue=1", s.getRectificationsAPI)
	s.handleAPI("POST /api/v1/rectifications/{id}/proof", org.DepartmentStaff, "The department's proof of a rectification: proof (text) and attachments (files, multipart/form-data)", s.postRectifyProofAPI, "proof*")
	s.handleAPI("POST /api/v1/rectifications/{id}/decide", org.Centre, "The centre's decision on a rectification's proof: decision (accept, refuse), note (required to refuse)", s.postRectifyDecideAPI, "decision*", "note")
	s.handleAPI("POST /api/v1/tickets/{number}/unmerge", org.Centre, "Undo a wrong merge (并单): the ticket is handled on its own again, where it stood before; both timelines show it", s.postTicketUnmerge,
		"note")

	// What the console looks up: callers, duplicates, the directory, the knowledge base.
	// A citizen's phone number is never part of a URL: these take it in the body.
	s.handleAPI("POST /api/v1/callers/tickets", org.Centre, "The caller's earlier tickets: phone in the body", s.getCallerTickets, "phone*")
	s.handleAPI("GET /api/v1/duplicates", org.Centre, "Duplicate candidates (并单) for a request being registered: open, unmerged tickets with the same address and category, or similar text; query address, category, text (or description), exclude; with a phone number, POST", s.getDuplicates)
	s.handleAPI("POST /api/v1/duplicates", org.Centre, "Duplicate candidates, as GET, with the fields (phone included) in the body", s.getDuplicates,
		"phone", "address", "category", "text", "description", "exclude")
	s.handleAPI("POST /api/v1/tickets/search", nil, "List tickets you may see, as GET /api/v1/tickets, with the filter (phone included) in the body", s.getTickets,
		"status", "department", "phone", "order", "limit", "offset", "q", "after")
	s.handleAPI("GET /api/v1/departments", nil, "Departments", s.getDepartments)
	s.handleAPI("GET /api/v1/categories", nil, "The category tree", s.getCategories)
	s.handleAPI("GET /api/v1/kb", nil, "Search the knowledge base (q: words, Chinese-aware, at most 64 characters; category); only articles valid today, best first", s.getKB)
	s.handleAPI("GET /api/v1/kb/articles/{code}", nil, "A knowledge article whatever its state, with its state today and its published versions", s.getKBArticleAPI)
	s.handleAPI("GET /api/v1/kb/proposals", nil, "Knowledge article proposals (status: draft, review, approved, refused); a department's staff see their own", s.getKBProposalsAPI)
	s.handleAPI("POST /api/v1/kb/proposals", org.DepartmentStaff, "Propose a new knowledge article or an update of one of your department's (submit=true sends it for review)",
		s.postKBProposalAPI, "code*", "title*", "body*", "source*", "valid_from*", "valid_until", "keywords", "category", "note", "submit")
	s.handleAPI("POST /api/v1/kb/proposals/{id}/approve", org.Reviewers, "Approve a proposal in review: it is published as the article's next version", s.postKBReviewAPI(true))
	s.handleAPI("POST /api/v1/kb/proposals/{id}/refuse", org.Reviewers, "Refuse a proposal in review, with a reason", s.postKBReviewAPI(false), "reason*")
	s.handleAPI("GET /api/v1/stats/departments", org.Board, "Live counts per department: open, overdue, due soon, returned, resolved today", s.getDeptStats)

	// Calls, the agent's phone and callbacks (calls.go); without the SIP front end, sip answers
	// 503 but for the call list, which is read from the database.
	s.handleAPI("GET /api/v1/calls", org.Centre, "Calls to 12345, newest first (before, limit; a caller's calls through POST /api/v1/calls/search)", s.getCalls)
	s.handleAPI("POST /api/v1/calls/search", org.Centre, "Calls to 12345, newest first, with the filter in the body: caller (a number, kept out of URLs), before, limit", s.getCalls,
		"caller", "before", "limit")
	s.handleAPI("GET /api/v1/calls/ratings", ratingsRoles, "Post-call ratings (来电评价) per agent and for the whole centre: month=YYYY-MM, or from and to (days, both counted; by default this month); per extension answered, rated, satisfied, basically, dissatisfied, rating_rate (rated ÷ answered) and satisfaction_rate ((satisfied + basically_weight × basically) ÷ rated, the weight from the evaluation profile); supervisors, administrators and the leadership read every agent and centre, agents and dispatchers only their own extension (centre null)", s.getCallRatings)
	s.handleAPI("GET /api/v1/calls/{id}", org.Centre, "One call record", s.sip(s.getCall))
	s.handleAPI("GET /api/v1/calls/{id}/recording", nil, "Play the call's recording (audio/wav, range requests): supervisors and administrators, the agent who took the call, the staff of a department for calls linked to its tickets; each playback is audited", s.getRecording)
	s.handleAPI("GET /api/v1/calls/{id}/message", nil, "Play the voice message (留言) a caller left when nobody could answer (audio/wav, range requests): the same roles as the call's recording; each playback is audited", s.getVoiceMessage)
	s.handleAPI("POST /api/v1/calls/{id}/transfer", org.CallTakers, "One-key transfer (一键转接) of your caller to 110 or another configured hotline", s.sip(s.postCallTransfer), "target*")
	// Supervisors on live calls (监听/耳语/强插) and three-way consults (三方通话) (monitor.go).
	s.handleAPI("GET /api/v1/calls/live", monitorRoles, "Calls in conversation now, each with its monitoring and consult", s.sip(s.getLiveCallsAPI))
	s.handleAPI("POST /api/v1/calls/{id}/monitor", monitorRoles, "Monitor a live call from your own SIP phone (your extension; it rings): mode listen (监听, hear both), whisper (耳语, speak to the agent only) or barge (强插, speak to both); audited", s.sip(s.postMonitorAPI("start")), "mode")
	s.handleAPI("POST /api/v1/calls/{id}/monitor/mode", monitorRoles, "Switch the monitoring of the call to mode listen, whisper or barge; audited", s.sip(s.postMonitorAPI("mode")), "mode*")
	s.handleAPI("POST /api/v1/calls/{id}/monitor/stop", monitorRoles, "End the monitoring of the call: your phone is hung up; audited", s.sip(s.postMonitorAPI("stop")))
	s.handleAPI("POST /api/v1/calls/{id}/consult", org.CallTakers, "Three-way consult (三方通话): bring 110 or another configured hotline onto your call; caller, you and the target hear each other", s.sip(s.postConsultAPI(telephony.ConsultStarted)), "target*")
	s.handleAPI("POST /api/v1/calls/{id}/consult/transfer", org.CallTakers, "Leave the three-way consult: the caller stays with the target (attended transfer) and your phone is hung up", s.sip(s.postConsultAPI(telephony.ConsultTransferred)))
	s.handleAPI("POST /api/v1/calls/{id}/consult/cancel", org.CallTakers, "Drop the consult's target: the caller is yours alone again", s.sip(s.postConsultAPI(telephony.ConsultCancelled)))
	s.handleAPI("POST /api/v1/calls/{id}/ticket", org.Centre, "Link the ticket registered during the call to its record", s.sip(s.postCallTicket), "ticket*")
	s.handleAPI("GET /api/v1/agent/status", org.CallTakers, "Your extension's status in the call queue", s.sip(s.getAgentStatus))
	s.handleAPI("POST /api/v1/agent/status", org.CallTakers, "Set your agent status: available, break (小休; reason: rest, meal, meeting, training or busy 示忙) or signed_out", s.sip(s.postAgentStatus), "status*", "reason")
	s.handleAPI("GET /api/v1/agent/events", org.CallTakers, "Your console's live events (SSE): screenpop with the caller's number and earlier tickets when you answer", s.sip(s.getAgentEvents))
	s.handleAPI("GET /api/v1/callbacks", org.Centre, "Missed calls to call back (漏接回拨): open ones, or status=done|failed|open|calling", s.sip(s.getCallbacks))
	s.handleAPI("POST /api/v1/callbacks/{id}/call", org.CallTakers, "Call the citizen back: your phone rings first, then the citizen's", s.sip(s.postCallback))

	// Extensions (延期), supervision (督办) and notifications (escalation.go).
	s.handleAPI("POST /api/v1/tickets/{number}/extensions", org.DepartmentStaff,
		"Ask for an extension (延期) of the resolution deadline, before it passes: a new deadline (new_due) or working days to add",
		s.postExtension, "reason*", "new_due", "workdays")
	s.handleAPI("GET /api/v1/extensions", nil, "Extension requests you may see (status: pending, approved, refused, closed)", s.getExtensions)
	s.handleAPI("POST /api/v1/extensions/{id}/approve", org.Deciders, "Approve an extension: the new deadline applies and the citizen is told",
		s.decideExtension(true), "text")
	s.handleAPI("POST /api/v1/extensions/{id}/refuse", org.Deciders, "Refuse an extension, with a reason", s.decideExtension(false), "text*")
	s.handleAPI("POST /api/v1/tickets/{number}/supervision", org.Supervisors,
		"Issue a supervision notice (督办单) to the ticket's department, with its reply deadline (due) or working days",
		s.postNotice, "text*", "due", "workdays")
	s.handleAPI("GET /api/v1/supervision", nil, "Supervision notices you may see (status: open, replied)", s.getNotices)
	s.handleAPI("GET /api/v1/supervision/{number}", nil, "Read a supervision notice", s.getNotice)
	s.handleAPI("POST /api/v1/supervision/{number}/reply", org.DepartmentStaff, "Reply to a supervision notice, which stops its clock", s.postNoticeReply, "text*")
	s.handleAPI("GET /api/v1/notifications", nil, "Your latest in-app notifications, newest first (limit)", s.getNotifications)
	s.handleAPI("POST /api/v1/notifications/{id}/read", nil, "Mark one of your notifications read", s.postNotificationRead)
	s.handleAPI("GET /api/v1/notifications/stream", nil,
		"Your in-app notifications live, as server-sent events (event: notification); resumes after Last-Event-ID or after", s.getNotificationStream)

	// Dispatch rules, dry runs, suggestions and the review of returns (routing.go).
	s.handleAPI("GET /api/v1/routing/rules", org.Centre, "Dispatch rules (派单规则) in precedence order", s.getRoutingRules)
	s.handleAPI("POST /api/v1/routing/rules", org.Admins, "Create a dispatch rule: a JSON rule object (name, priority, enabled, conditions, action)", s.postRoutingRule,
		"name*", "priority", "enabled", "conditions", "action")
	s.handleAPI("GET /api/v1/routing/rules/{id}", org.Centre, "One dispatch rule", s.getRoutingRule)
	s.handleAPI("PUT /api/v1/routing/rules/{id}", org.Admins, "Replace a dispatch rule as its next version; version, when given, must be the current one (409 otherwise)", s.putRoutingRule,
		"name*", "priority", "enabled", "conditions", "action", "version")
	s.handleAPI("DELETE /api/v1/routing/rules/{id}", org.Admins, "Delete a dispatch rule (kept in its history as a last version)", s.deleteRoutingRule)
	s.handleAPI("GET /api/v1/routing/rules/{id}/versions", org.Centre, "Every version of a dispatch rule, who changed it and when", s.getRoutingVersions)
	s.handleAPI("POST /api/v1/routing/dry-run", org.Centre, "Dry run: which rule would dispatch this request and why, every rule's verdict, and the classifier's suggestions", s.postRoutingDryRun,
		"text", "category", "address", "district", "street", "channel", "type", "at", "phone", "lat", "lon")
	s.handleAPI("GET /api/v1/routing/suggest", org.Centre, "The classifier's three most likely departments for text, with confidence and the bigrams that speak for each", s.getRoutingSuggest)
	s.handleAPI("POST /api/v1/routing/retrain", org.Admins, "Retrain the department classifier now (it also retrains nightly)", s.postRoutingRetrain)
	s.handleAPI("GET /api/v1/routing/returns", org.Centre, "The review queue: tickets returned by departments (退单), longest waiting first", s.getRoutingReturns)
	s.handleAPI("POST /api/v1/routing/returns/{number}/review", org.Centre, "Review a returned ticket: redispatch (改派) to another department, or send_back with a note", s.postRoutingReview,
		"decision*", "department", "co_handlers", "note", "version")
	s.handleAPI("GET /api/v1/routing/return-stats", org.Board, "Returns and re-dispatches per department over the last days (default 30)", s.getRoutingReturnStats)
	s.handleAPI("GET /api/v1/routing/duplicates", org.Centre, "Alias of GET /api/v1/duplicates: the same candidates, kept for scripts written against the routing API", s.getDuplicates)
	s.handleAPI("POST /api/v1/routing/duplicates", org.Centre, "Alias of POST /api/v1/duplicates", s.getDuplicates,
		"phone", "address", "category", "text", "description", "exclude")

	// Administration: the same changes as the pages, through the same functions (api_admin.go).
	s.handleAPI("GET /api/v1/admin/sms-templates", org.Admins, "The texts of the SMS to citizens: receipt (受理回执, placeholders {number} {link}) and rating (the rating link at resolution, {number} {link} {days})", s.getSMSTemplatesAPI)
	s.handleAPI("POST /api/v1/admin/sms-templates", org.Admins, "Change the text of an SMS to citizens; an unknown or missing placeholder is refused", s.postSMSTemplateAPI, "kind*", "body*")
	s.handleAPI("GET /api/v1/admin/loop-settings", org.Centre, "The return visit settings (回访): which answers and channels make a visit valid, attempts before a citizen counts as unreachable, rectification working days, the unrated rule", s.getLoopSettings)
	s.handleAPI("POST /api/v1/admin/loop-settings", org.Admins, "Change the return visit settings; a field left out keeps its value",
		s.postLoopSettings, "valid_needs_contacted", "valid_needs_solved", "valid_needs_satisfaction", "valid_channels", "max_attempts", "rectify_workdays", "unrated_rule", "unrated_days")
	s.handleAPI("PUT /api/v1/admin/prompts/{purpose}", org.Admins, "Replace a prompt callers hear (purpose: greeting, queue, hold, survey, thanks, out-of-hours, no-agent) with the WAV in the body (16-bit PCM, mono or stereo, 8 kHz or more, converted to 8 kHz mono; at most 300 s)", s.sip(s.putPrompt))
	s.handleAPI("GET /api/v1/admin/audit", org.Admins, "The audit trail, newest first (limit)", s.getAuditAPI)
	s.handleAPI("POST /api/v1/admin/departments", org.Admins, "Create or update a department (by code)",
		s.adminAPI("departments", s.saveDepartment), "code*", "name_zh*", "name_en", "kind*", "parent", "active")
	s.handleAPI("POST /api/v1/admin/staff", org.Admins, "Create or update a staff account (by username); a new password or a disabled account ends its sessions. sip_extension (3-8 digits) with sip_password sets or resets the account's SIP phone; an empty sip_extension removes it, an absent one keeps it",
		s.adminAPI("staff", s.saveStaff), "username*", "display_name*", "role*", "department*", "password", "email", "active", "sip_extension", "sip_password")
	s.handleAPI("POST /api/v1/admin/categories", org.Admins, "Create or update a category (by code)",
		s.adminAPI("catalogue", s.saveCategory), "code*", "name_zh*", "name_en", "ticket_type*", "profile*", "parent", "active")
	s.handleAPI("POST /api/v1/admin/services", org.Admins, "Set how complaints are filed in a category (the complaint form and Open311): location_required (default true), keywords, notice, and attributes, a JSON list of Open311 attribute definitions the form asks at once",
		s.adminAPI("catalogue", s.saveService), "code*", "location_required", "keywords", "notice", "attributes")
	s.handleAPI("POST /api/v1/admin/profiles", org.Admins, "Create or update a deadline profile (by code)",
		s.adminAPI("catalogue", s.saveProfile), "code*", "name_zh*", "accept_hours*", "feedback_hours*", "resolve_workdays*", "callback_workdays*")
	s.handleAPI("POST /api/v1/admin/calendar", org.Admins, "Set a day of the working-day calendar (holiday or adjusted working day, 调休)",
		s.adminAPI("calendar", s.saveCalendarDay), "date*", "kind*", "name")
	s.handleAPI("POST /api/v1/admin/calendar/years", org.Admins, "Replace a year of the working-day calendar by a table (date,kind,name lines); open tickets' resolution deadlines move with it",
		s.adminAPI("calendar", s.saveCalendarYear), "year*", "table*")
	s.handleAPI("DELETE /api/v1/admin/calendar/{date}", org.Admins, "Remove a day from the working-day calendar",
		s.adminAPI("calendar", s.deleteCalendarDay))
	s.handleAPI("POST /api/v1/admin/kb", org.Admins, "Create or update a knowledge article (by code)",
		s.adminAPI("kb", s.saveArticle), "code*", "title*", "body*", "source*", "valid_from*", "valid_until", "keywords", "category", "active")
	s.handleAPI("GET /api/v1/admin/open311-keys", org.Admins, "Open311 API keys (never their text)", s.getOpen311KeysAPI)
	s.handleAPI("POST /api/v1/admin/open311-keys", org.Admins, "Issue an Open311 API key; its text is in this answer only",
		s.postOpen311KeyAPI, "organisation*", "label", "rate_per_minute", "burst")
	s.handleAPI("DELETE /api/v1/admin/open311-keys/{id}", org.Admins, "Revoke an Open311 API key at once", s.deleteOpen311KeyAPI)
}

// citizenPages is the table of the citizens' pages (complain.go, track.go): no login, the
// elderly-friendly layout, their own static files.
func (s *Server) citizenPages() {
	static, _ := fs.Sub(templateFS, "static/public")
	s.mux.Handle("GET /public/static/", http.StripPrefix("/public/static/", intakeStaticHandler(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /complain", s.getComplain)
	s.mux.HandleFunc("POST /complain", s.postComplain)
	s.mux.HandleFunc("GET /complain/fields", s.getComplainFields)
	s.mux.HandleFunc("GET /track", s.getTrack)
	s.mux.HandleFunc("POST /track", s.postTrack)
	s.mux.HandleFunc("POST /track/rate", s.postTrackRate)
	s.mux.HandleFunc("GET /rate/{token}", s.getRateLink) // the rating link sent by SMS (rate_link.go)
	s.mux.HandleFunc("POST /rate/{token}", s.postRateLink)
	// The published evaluation: a month's figures and ranking, and the same as open data.
	s.mux.HandleFunc("GET /stats", s.getStats)
	s.mux.HandleFunc("GET /stats/{file}", s.getStatsFile)
}

// open311 is the table of Open311 GeoReport v2 (open311.go); {file} is the resource with its
// format, e.g. requests.json or services.xml.
func (s *Server) open311() {
	s.mux.HandleFunc("GET "+open311Base+"/{file}", s.open311Get)
	s.mux.HandleFunc("POST "+open311Base+"/{file}", s.open311Post)
	s.mux.HandleFunc("GET "+open311Base+"/services/{file}", s.open311ServiceDefinition)
	s.mux.HandleFunc("GET "+open311Base+"/requests/{file}", s.open311Request)
	s.mux.HandleFunc("GET "+open311Base+"/tokens/{file}", s.open311Token)
}
