package office

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/auth"
	"ecoreport/internal/view"
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
	// PhotoViewers may open photos: the roles that read cases any photo, a
	// unit only those shared with it and its own (package evidence decides).
	PhotoViewers = []auth.Role{auth.Admin, auth.Inspector, auth.Leader, auth.UnitUser}
)

// Route is one line of the route table: every route of the back office says
// here who may call it. Roles nil means public.
type Route struct {
	Method  string
	Path    string // under /office
	Roles   []auth.Role
	Handler func(h *Handler, c *gin.Context)
	// Nav is the route's label in the header's navigation, shown to the
	// route's roles; "" for routes that are not a navigation entry.
	Nav string
	// Upload routes take a file (multipart, up to Deps.MaxUpload); every
	// other route's body is a form of at most maxForm bytes.
	Upload bool
}

func get(path string, roles []auth.Role, fn func(*Handler, *gin.Context)) Route {
	return Route{Method: http.MethodGet, Path: path, Roles: roles, Handler: fn}
}

func post(path string, roles []auth.Role, fn func(*Handler, *gin.Context)) Route {
	return Route{Method: http.MethodPost, Path: path, Roles: roles, Handler: fn}
}

// nav makes the route an entry of the header's navigation.
func (r Route) nav(label string) Route { r.Nav = label; return r }

// upload lets the route take a file upload.
func (r Route) upload() Route { r.Upload = true; return r }

// Routes is the back office's one route table (route → roles), the hotline
// operators' pages included. Register mounts it, the header's navigation is
// built from its entries with a Nav label (in this order), and a test walks
// every route with every role.
var Routes = []Route{
	get("/login", Public, (*Handler).loginForm),
	post("/login", Public, (*Handler).loginSubmit),
	get("/login/totp", Public, (*Handler).totpLoginForm),
	post("/login/totp", Public, (*Handler).totpLoginSubmit),
	post("/logout", AnyStaff, (*Handler).logout),
	get("/", AnyStaff, (*Handler).home),
	get("/password", AnyStaff, (*Handler).passwordForm),
	post("/password", AnyStaff, (*Handler).passwordSubmit),
	get("/totp", AnyStaff, (*Handler).totpPage),
	post("/totp/enable", AnyStaff, (*Handler).totpEnable),
	post("/totp/disable", AnyStaff, (*Handler).totpDisable),
	post("/totp/recovery", AnyStaff, (*Handler).totpRecovery),

	// Complaints and the ledger (问题台账); 我的问题 is what one holds.
	get("/mine", Workers, (*Handler).mine).nav("我的问题"),
	get("/inbox", Readers, (*Handler).inbox).nav("待处理举报"),
	get("/complaints/:id", Readers, (*Handler).complaintPage),
	post("/complaints/:id/accept", Workers, (*Handler).accept),
	post("/complaints/:id/refuse", Workers, (*Handler).refuse),
	post("/complaints/:id/contact", ContactViewers, (*Handler).showContact),
	post("/complaints/:id/messages", Workers, (*Handler).askReporter),
	post("/complaints/:id/followup", Workers, (*Handler).answerFollowup),
	post("/complaints/:id/assign", Workers, (*Handler).assignComplaint),
	get("/cases", Readers, (*Handler).cases).nav("问题台账"),
	get("/search", Searchers, (*Handler).search).nav("查找"),
	get("/cases.csv", Readers, (*Handler).casesCSV),
	get("/cases.xlsx", Readers, (*Handler).casesXLSX),
	get("/cases/:id", Readers, (*Handler).casePage),
	get("/cases/:id/messages", Readers, (*Handler).caseMessages),
	post("/cases/:id/verify/start", Workers, (*Handler).startVerification),
	post("/cases/:id/verify", Workers, (*Handler).recordVerification),
	post("/cases/:id/extend", Workers, (*Handler).extend),
	post("/cases/:id/notice", Workers, (*Handler).issueNotice),
	post("/cases/:id/close", Workers, (*Handler).closeCase),
	post("/cases/:id/reopen", Workers, (*Handler).reopen),
	post("/cases/:id/merge", Workers, (*Handler).merge),
	post("/cases/:id/assign", Workers, (*Handler).assignCase),
	post("/cases/:id/revisit", Workers, (*Handler).recordRevisit),
	post("/cases/:id/photos", Workers, (*Handler).addOnSitePhotos).upload(),
	post("/cases/:id/share", Workers, (*Handler).sharePhotos),

	// Photos (照片): the reporters', and the inspectors' and units'.
	get("/attachments/:id", PhotoViewers, (*Handler).residentPhoto),
	get("/case-photos/:id", PhotoViewers, (*Handler).casePhoto),
	get("/revisits", Readers, (*Handler).revisits).nav("回头看"),

	// Inspections (督查巡查), admonition interviews (约谈), referrals (移送).
	get("/inspection/tasks", Readers, (*Handler).taskList).nav("督查巡查"),
	get("/inspection/tasks/new", Workers, (*Handler).taskNewForm),
	post("/inspection/tasks", Workers, (*Handler).taskCreate),
	get("/inspection/tasks/:task", Readers, (*Handler).taskPage),
	post("/inspection/tasks/:task/status", Workers, (*Handler).taskStatus),
	post("/inspection/tasks/:task/findings", Workers, (*Handler).findingCreate).upload(),
	get("/inspection/superior/new", Workers, (*Handler).superiorForm),
	post("/inspection/superior", Workers, (*Handler).superiorCreate),
	get("/interviews", Readers, (*Handler).interviewList).nav("约谈"),
	get("/interviews/new", Workers, (*Handler).interviewNewForm),
	post("/interviews", Workers, (*Handler).interviewCreate),
	post("/interviews/:interview/report", Workers, (*Handler).interviewReport),
	get("/referrals", Readers, (*Handler).referralList).nav("移送线索"),
	get("/referrals/new", Workers, (*Handler).referralNewForm),
	post("/referrals", Workers, (*Handler).referralCreate),
	post("/referrals/:referral/outcome", Workers, (*Handler).referralOutcome),

	// Complaints brought in person or by letter (来访来信).
	get("/register", Registrars, (*Handler).registerForm).nav("登记来访来信"),
	post("/register", Registrars, (*Handler).registerSubmit),

	// The hotline operators' pages (12369热线工单).
	get("/hotline", HotlineOperators, hotlineOnly((*Handler).hotlineIndex)).nav("12369热线工单"),
	post("/hotline/import", HotlineOperators, hotlineOnly((*Handler).hotlineUpload)).upload(),
	get("/hotline/quarantine", HotlineOperators, hotlineOnly((*Handler).hotlineQuarantine)),
	post("/hotline/quarantine/:id/fix", HotlineOperators, hotlineOnly((*Handler).hotlineFix)),
	get("/hotline/feedback", HotlineOperators, hotlineOnly((*Handler).hotlineFeedbackForm)),
	post("/hotline/feedback", HotlineOperators, hotlineOnly((*Handler).hotlineFeedbackDownload)),
	get("/hotline/code", HotlineOperators, hotlineOnly((*Handler).hotlineCodeForm)),
	post("/hotline/code", HotlineOperators, hotlineOnly((*Handler).hotlineCodeShow)),

	// The responsible units' page (本单位整改通知书) and the printable notice.
	get("/notices/:id", NoticeReaders, (*Handler).noticePage),
	get("/unit", Units, (*Handler).unitPage).nav("本单位整改通知书"),
	post("/notices/:id/report", Units, (*Handler).reportRectification).upload(),

	// Rewards (举报奖励); a reward is addressed by its case (one per case).
	get("/rewards", RewardReaders, rewardOnly((*Handler).rewardList)).nav("举报奖励"),
	get("/rewards/payments.xlsx", RewardPayers, rewardOnly((*Handler).rewardPaymentsXLSX)),
	get("/rewards/rules", RewardRuleSetters, rewardOnly((*Handler).rewardRules)),
	post("/rewards/levels", RewardRuleSetters, rewardOnly((*Handler).rewardSetLevel)),
	post("/rewards/budget", RewardRuleSetters, rewardOnly((*Handler).rewardSetBudget)),
	get("/cases/:id/reward", RewardReaders, rewardOnly((*Handler).rewardPage)),
	post("/cases/:id/reward/propose", RewardProposers, rewardOnly((*Handler).rewardPropose)),
	post("/cases/:id/reward/approve", RewardApprovers, rewardOnly((*Handler).rewardApprove)),
	post("/cases/:id/reward/reject", RewardRejecters, rewardOnly((*Handler).rewardReject)),
	post("/cases/:id/reward/pay", RewardPayers, rewardOnly((*Handler).rewardPay)),
	post("/cases/:id/reward/identity", RewardIdentityViewers, rewardOnly((*Handler).rewardIdentity)),

	// The monthly bulletin (月度通报).
	get("/bulletin", BulletinReaders, (*Handler).bulletinPage).nav("月度通报"),
	get("/bulletin.xlsx", BulletinReaders, (*Handler).bulletinXLSX),
	get("/workload", WorkloadReaders, (*Handler).workload).nav("承办统计"),

	// The outbox (消息发件箱): queue, failures, retry; operators see the
	// hotline callbacks.
	get("/outbox", OutboxReaders, outboxOnly((*Handler).outboxPage)).nav("消息发件箱"),
	get("/outbox/:id", OutboxReaders, outboxOnly((*Handler).outboxMessage)),
	post("/outbox/:id/retry", OutboxReaders, outboxOnly((*Handler).outboxRetry)),

	// Administration (系统管理): accounts, units and towns, the audit log;
	// the reward rules above are linked from its page.
	get("/admin", Admins, (*Handler).adminHome).nav("系统管理"),
	get("/admin/users", Admins, (*Handler).adminUsers),
	post("/admin/users", Admins, (*Handler).adminUserCreate),
	get("/admin/users/:id", Admins, (*Handler).adminUser),
	post("/admin/users/:id", Admins, (*Handler).adminUserUpdate),
	post("/admin/users/:id/unlock", Admins, (*Handler).adminUserUnlock),
	post("/admin/users/:id/password", Admins, (*Handler).adminUserPassword),
	post("/admin/users/:id/totp-reset", Admins, (*Handler).adminUserTOTPReset),
	post("/admin/users/:id/disable", Admins, (*Handler).adminUserDisable),
	post("/admin/users/:id/enable", Admins, (*Handler).adminUserEnable),
	get("/admin/units", Admins, (*Handler).adminUnits),
	post("/admin/units", Admins, (*Handler).adminUnitAdd),
	post("/admin/units/:id", Admins, (*Handler).adminUnitUpdate),
	post("/admin/units/:id/deactivate", Admins, (*Handler).adminUnitDeactivate),
	post("/admin/units/:id/activate", Admins, (*Handler).adminUnitActivate),
	get("/admin/audit", Admins, (*Handler).adminAudit),
	post("/admin/audit/verify", Admins, (*Handler).adminAuditVerify),
}

// Register mounts the back office under /office on r (an engine or a
// group). Every route gets, in this order: no-store; its body limit,
// before anything reads the body; the session, which reads no body; its
// role check, which sends a request without a session to the login page
// and another role away before the body is read; an upload route's
// multipart form; and the CSRF check of every POST, which parses the
// form. So only the public routes (the login forms) read a body from
// someone who has not logged in, and at most maxForm of it.
func (h *Handler) Register(r gin.IRouter) {
	g := r.Group("/office", noStore)
	for _, rt := range Routes {
		hs := []gin.HandlerFunc{bodyLimit, h.loadSession}
		if rt.Upload {
			hs[0] = h.uploadLimit
		}
		if rt.Roles != nil {
			hs = append(hs, h.RequireRoles(rt.Roles...))
		}
		if rt.Upload {
			hs = append(hs, h.readUpload)
		}
		hs = append(hs, h.checkCSRF)
		fn := rt.Handler
		hs = append(hs, func(c *gin.Context) { fn(h, c) })
		g.Handle(rt.Method, rt.Path, hs...)
	}
}

// navEntries are the routes of the table that are navigation entries.
func navEntries(routes []Route) []Route {
	var out []Route
	for _, rt := range routes {
		if rt.Nav != "" {
			out = append(out, rt)
		}
	}
	return out
}

// navFor is the header's navigation for user u on the page at path: the
// entries u's role may open, the one path lies in marked current. (The
// entries are taken from Routes in New: a handler reading Routes itself
// would make the table's initialisation depend on itself.)
func (h *Handler) navFor(u *auth.User, path string) []view.Link {
	if u == nil {
		return nil
	}
	var out []view.Link
	for _, rt := range h.nav {
		if !hasRole(rt.Roles, u.Role) {
			continue
		}
		href := "/office" + rt.Path
		out = append(out, view.Link{Label: rt.Nav, Href: href, Current: path == href || strings.HasPrefix(path, href+"/")})
	}
	return out
}

func hasRole(roles []auth.Role, r auth.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}
