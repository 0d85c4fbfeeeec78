package office

import (
	"github.com/gin-gonic/gin"

	"ecoreport/internal/auth"
)

// Role groups used in the route table.
var (
	// Public: no login needed (the login page itself).
	Public []auth.Role
	// AnyStaff: every logged-in role.
	AnyStaff = auth.Roles
	// Readers see the inbox, the cases and notices; leaders read only.
	Readers = []auth.Role{auth.Admin, auth.Inspector, auth.Leader}
	// Workers change the ledger: accept, verify, issue, close.
	Workers = []auth.Role{auth.Admin, auth.Inspector}
	// ContactViewers may unmask a reporter's contact (audited).
	ContactViewers = []auth.Role{auth.Admin, auth.Inspector}
	// NoticeReaders may open a printable notice; a unit user only its own.
	NoticeReaders = []auth.Role{auth.Admin, auth.Inspector, auth.Leader, auth.UnitUser}
	// Registrars register complaints brought in person or by letter.
	Registrars = []auth.Role{auth.Admin, auth.Inspector, auth.Operator}
	// Units are the responsible units' accounts.
	Units = []auth.Role{auth.UnitUser}
)

// Route is one line of the route table: every route of the back office says
// here who may call it. Roles nil means public.
type Route struct {
	Method  string
	Path    string // under /office
	Roles   []auth.Role
	Handler func(h *Handler, c *gin.Context)
}

// Routes is the back office's route table (route → roles).
var Routes = []Route{
	{"GET", "/login", Public, (*Handler).loginForm},
	{"POST", "/login", Public, (*Handler).loginSubmit},
	{"POST", "/logout", AnyStaff, (*Handler).logout},
	{"GET", "/", AnyStaff, (*Handler).home},
	{"GET", "/password", AnyStaff, (*Handler).passwordForm},
	{"POST", "/password", AnyStaff, (*Handler).passwordSubmit},

	{"GET", "/register", Registrars, (*Handler).registerForm},
	{"POST", "/register", Registrars, (*Handler).registerSubmit},
	{"GET", "/inbox", Readers, (*Handler).inbox},
	{"POST", "/complaints/:id/accept", Workers, (*Handler).accept},
	{"POST", "/complaints/:id/refuse", Workers, (*Handler).refuse},
	{"POST", "/complaints/:id/contact", ContactViewers, (*Handler).showContact},

	{"GET", "/cases", Readers, (*Handler).cases},
	{"GET", "/cases.csv", Readers, (*Handler).casesCSV},
	{"GET", "/cases/:id", Readers, (*Handler).casePage},
	{"POST", "/cases/:id/verify/start", Workers, (*Handler).startVerification},
	{"POST", "/cases/:id/verify", Workers, (*Handler).recordVerification},
	{"POST", "/cases/:id/extend", Workers, (*Handler).extend},
	{"POST", "/cases/:id/notice", Workers, (*Handler).issueNotice},
	{"POST", "/cases/:id/close", Workers, (*Handler).closeCase},
	{"POST", "/cases/:id/reopen", Workers, (*Handler).reopen},
	{"POST", "/cases/:id/merge", Workers, (*Handler).merge},

	{"GET", "/notices/:id", NoticeReaders, (*Handler).noticePage},
	{"GET", "/unit", Units, (*Handler).unitPage},
	{"POST", "/notices/:id/report", Units, (*Handler).reportRectification},
}

// Register mounts the back office under /office on r (an engine or a group).
func (h *Handler) Register(r gin.IRouter) {
	g := r.Group("/office", noStore, bodyLimit, h.Middleware())
	for _, rt := range Routes {
		hs := []gin.HandlerFunc{}
		if rt.Roles != nil {
			hs = append(hs, h.RequireRoles(rt.Roles...))
		}
		fn := rt.Handler
		hs = append(hs, func(c *gin.Context) { fn(h, c) })
		g.Handle(rt.Method, rt.Path, hs...)
	}
}
