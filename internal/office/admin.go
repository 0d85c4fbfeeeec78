package office

// Administration (系统管理): staff accounts, units and towns, and links to
// the reward rules and the audit log. Every change is the domain's and is
// audited there; a refused form is shown again with what was typed and a
// message beside each bad field.

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/config"
	"ecoreport/internal/ledger"
)

// Admins administer the service.
var Admins = []auth.Role{auth.Admin}

// by is who an audit entry names for the request's user.
func by(c *gin.Context) string { return User(c).Username }

type adminHomeData struct {
	Users, Active, Held int // Held: accounts a failed login holds back (auth.LoginState)
	Units, Towns        int
	County              config.County
}

func (h *Handler) adminHome(c *gin.Context) {
	ctx := h.ctx(c)
	us, err := h.Users.List(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	units, err := h.Ledger.AllUnits(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	states, err := h.Users.LoginStates(ctx, us)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := adminHomeData{Users: len(us), Units: len(units), County: h.County, Held: len(states)}
	for _, u := range us {
		if u.Active {
			d.Active++
		}
	}
	for _, u := range units {
		if u.Kind == ledger.UnitTown && u.Active {
			d.Towns++
		}
	}
	h.render(c, http.StatusOK, "admin", "系统管理", d)
}

// userForm is the new-account and account forms, as typed.
type userForm struct {
	Name, DisplayName, Role, Unit string
}

func readUserForm(c *gin.Context) userForm {
	return userForm{Name: strings.TrimSpace(c.PostForm("name")), DisplayName: c.PostForm("display_name"),
		Role: c.PostForm("role"), Unit: c.PostForm("unit")}
}

// unitOf reads the unit field: 0 for none. A value that is not a number is
// a unit that does not exist.
func unitOf(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return -1
	}
	return id
}

type adminUsersData struct {
	Users []adminUser
	Form  userForm
	Roles []auth.Role
	Units []ledger.Unit
	Names map[int64]string
}

type adminUser struct {
	auth.User
	Login auth.LoginState // what a failed login holds back
}

func (h *Handler) adminUsers(c *gin.Context) { h.renderAdminUsers(c, http.StatusOK, nil, userForm{}) }

func (h *Handler) renderAdminUsers(c *gin.Context, code int, err error, form userForm) {
	ctx := h.ctx(c)
	us, lerr := h.Users.List(ctx)
	if lerr != nil {
		h.fail(c, lerr)
		return
	}
	units, lerr := h.Ledger.Units(ctx)
	if lerr != nil {
		h.fail(c, lerr)
		return
	}
	names, lerr := h.unitNames(ctx)
	if lerr != nil {
		h.fail(c, lerr)
		return
	}
	states, lerr := h.Users.LoginStates(ctx, us)
	if lerr != nil {
		h.fail(c, lerr)
		return
	}
	d := adminUsersData{Form: form, Roles: auth.Roles, Units: units, Names: names}
	for _, u := range us {
		d.Users = append(d.Users, adminUser{User: u, Login: states[u.ID]})
	}
	p := page{Title: "账号管理", Data: d, Flash: flash(c)}
	if err != nil {
		p.Error, p.Fields = "账号未创建："+apperr.Message(err), apperr.Fields(err)
	}
	h.renderPage(c, code, "admin_users", p)
}

type passwordShown struct {
	Username, Password, What string
	Back                     string
}

// adminUserCreate opens an account with a generated password, shown on this
// one answer and never again.
func (h *Handler) adminUserCreate(c *gin.Context) {
	f := readUserForm(c)
	unit := unitOf(f.Unit)
	pw, err := h.Users.Create(h.ctx(c), auth.NewUser{Username: f.Name, DisplayName: f.DisplayName, Role: auth.Role(f.Role), UnitID: unit}, by(c))
	if err != nil {
		h.formFailed(c, err, func(code int) { h.renderAdminUsers(c, code, err, f) })
		return
	}
	u, err := h.Users.ByUsername(h.ctx(c), f.Name)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_password", "账号已创建", passwordShown{Username: u.Username, Password: pw,
		What: "已创建账号", Back: "/office/admin/users/" + strconv.FormatInt(u.ID, 10)})
}

// formFailed shows a refused form again (rerender with the status of err)
// for a bad field or a conflict, and the error page for anything else.
func (h *Handler) formFailed(c *gin.Context, err error, rerender func(code int)) {
	if code := httpStatus(err); code == http.StatusUnprocessableEntity || code == http.StatusConflict {
		rerender(code)
		return
	}
	h.fail(c, err)
}

type adminUserData struct {
	U      adminUser
	Form   userForm
	Roles  []auth.Role
	Units  []ledger.Unit
	Unit   string // the account's unit's name
	Held   int    // unfinished cases the account holds
	Codes  int    // unused TOTP recovery codes
	IsSelf bool
}

func (h *Handler) adminUser(c *gin.Context) { h.renderAdminUser(c, http.StatusOK, nil, nil) }

func (h *Handler) renderAdminUser(c *gin.Context, code int, err error, form *userForm) {
	id, perr := idParam(c)
	if perr != nil {
		h.fail(c, perr)
		return
	}
	ctx := h.ctx(c)
	u, lerr := h.Users.ByID(ctx, id)
	if lerr != nil {
		h.fail(c, lerr)
		return
	}
	st, lerr := h.Users.LoginStateOf(ctx, u)
	if lerr != nil {
		h.fail(c, lerr)
		return
	}
	d := adminUserData{U: adminUser{User: *u, Login: st}, Roles: auth.Roles, IsSelf: u.ID == User(c).ID}
	if form != nil {
		d.Form = *form
	} else {
		d.Form = userForm{DisplayName: u.DisplayName, Role: string(u.Role)}
		if u.UnitID.Valid {
			d.Form.Unit = strconv.FormatInt(u.UnitID.Int64, 10)
		}
	}
	steps := []func() error{
		func() (err error) { d.Units, err = h.Ledger.Units(ctx); return },
		func() error {
			names, err := h.unitNames(ctx)
			d.Unit = names[u.UnitID.Int64]
			return err
		},
		func() error {
			m, err := h.Ledger.Held(ctx, u.ID)
			if err == nil {
				d.Held = len(m.Cases) + len(m.Complaints)
			}
			return err
		},
		func() (err error) { d.Codes, err = h.TOTP.UnusedRecoveryCodes(ctx, u); return },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			h.fail(c, err)
			return
		}
	}
	p := page{Title: "账号 " + u.Username, Data: d, Flash: flash(c)}
	if err != nil {
		p.Error, p.Fields = apperr.Message(err), apperr.Fields(err)
	}
	h.renderPage(c, code, "admin_user", p)
}

func (h *Handler) userPath(c *gin.Context) string { return "/office/admin/users/" + c.Param("id") }

// adminUserAction runs one change of the account of the URL and goes back
// to its page; a refused change is shown there.
func (h *Handler) adminUserAction(c *gin.Context, msg string, fn func(id int64) error) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := fn(id); err != nil {
		h.formFailed(c, err, func(code int) { h.renderAdminUser(c, code, err, nil) })
		return
	}
	done(c, h.userPath(c), msg)
}

func (h *Handler) adminUserUpdate(c *gin.Context) {
	f := readUserForm(c)
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	err = h.Users.Update(h.ctx(c), id, auth.UserChange{DisplayName: f.DisplayName, Role: auth.Role(f.Role), UnitID: unitOf(f.Unit)}, by(c))
	if err != nil {
		h.formFailed(c, err, func(code int) { h.renderAdminUser(c, code, err, &f) })
		return
	}
	done(c, h.userPath(c), "账号信息已保存")
}

func (h *Handler) adminUserDisable(c *gin.Context) {
	h.adminUserAction(c, "账号已停用，其登录已全部退出", func(id int64) error { return h.Users.SetActive(h.ctx(c), id, false, by(c)) })
}

func (h *Handler) adminUserEnable(c *gin.Context) {
	h.adminUserAction(c, "账号已恢复使用", func(id int64) error { return h.Users.SetActive(h.ctx(c), id, true, by(c)) })
}

func (h *Handler) adminUserUnlock(c *gin.Context) {
	h.adminUserAction(c, "已解锁：该账号的登录失败记录已清除", func(id int64) error { return h.Users.Unlock(h.ctx(c), id, by(c)) })
}

func (h *Handler) adminUserTOTPReset(c *gin.Context) {
	h.adminUserAction(c, "已重置两步验证，该账号下次登录只需密码，之后可重新启用", func(id int64) error { return h.TOTP.Reset(h.ctx(c), id, by(c)) })
}

// adminUserPassword gives the account a new generated password, shown on
// this one answer.
func (h *Handler) adminUserPassword(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	pw, err := h.Users.ResetPassword(h.ctx(c), id, by(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	u, err := h.Users.ByID(h.ctx(c), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "admin_password", "密码已重设", passwordShown{Username: u.Username, Password: pw, What: "已重设密码", Back: h.userPath(c)})
}

// unitForm is a unit form as typed.
type unitForm struct {
	ID                               int64 // the unit the form was for (0: the new one)
	Kind, Name, ShortName, SortOrder string
}

type adminUnitsData struct {
	Units []ledger.Unit
	New   unitForm
	Edit  unitForm // the unit form refused, shown again
}

func (h *Handler) adminUnits(c *gin.Context) {
	h.renderAdminUnits(c, http.StatusOK, nil, unitForm{}, unitForm{})
}

func (h *Handler) renderAdminUnits(c *gin.Context, code int, err error, nu, edit unitForm) {
	us, lerr := h.Ledger.AllUnits(h.ctx(c))
	if lerr != nil {
		h.fail(c, lerr)
		return
	}
	p := page{Title: "单位和乡镇", Data: adminUnitsData{Units: us, New: nu, Edit: edit}, Flash: flash(c)}
	if err != nil {
		p.Error, p.Fields = apperr.Message(err), apperr.Fields(err)
	}
	h.renderPage(c, code, "admin_units", p)
}

func readUnitForm(c *gin.Context) (unitForm, ledger.UnitChange, error) {
	f := unitForm{Kind: c.PostForm("kind"), Name: c.PostForm("name"), ShortName: c.PostForm("short_name"), SortOrder: strings.TrimSpace(c.PostForm("sort_order"))}
	ch := ledger.UnitChange{Kind: f.Kind, Name: f.Name, ShortName: f.ShortName}
	if f.SortOrder != "" {
		n, err := strconv.Atoi(f.SortOrder)
		if err != nil {
			return f, ch, apperr.Invalid(map[string]string{"sort_order": "排序应为0到9999之间的整数"})
		}
		ch.SortOrder = n
	}
	return f, ch, nil
}

func (h *Handler) adminUnitAdd(c *gin.Context) {
	f, ch, err := readUnitForm(c)
	if err == nil {
		_, err = h.Ledger.AddUnit(h.ctx(c), ch, h.actor(c))
	}
	if err != nil {
		h.formFailed(c, err, func(code int) { h.renderAdminUnits(c, code, err, f, unitForm{}) })
		return
	}
	done(c, "/office/admin/units", "已新增 "+ch.Name)
}

func (h *Handler) adminUnitUpdate(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	f, ch, err := readUnitForm(c)
	f.ID = id
	if err == nil {
		err = h.Ledger.UpdateUnit(h.ctx(c), id, ch, h.actor(c))
	}
	if err != nil {
		h.formFailed(c, err, func(code int) { h.renderAdminUnits(c, code, err, unitForm{}, f) })
		return
	}
	done(c, "/office/admin/units#u"+strconv.FormatInt(id, 10), "已保存 "+strings.TrimSpace(ch.Name)+"，以往的举报件和问题随之显示新名称")
}

func (h *Handler) adminUnitActive(c *gin.Context, active bool) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.Ledger.SetUnitActive(h.ctx(c), id, active, h.actor(c)); err != nil {
		h.formFailed(c, err, func(code int) { h.renderAdminUnits(c, code, err, unitForm{}, unitForm{}) })
		return
	}
	msg := "已停用，以往的记录保留原单位"
	if active {
		msg = "已恢复使用"
	}
	done(c, "/office/admin/units#u"+strconv.FormatInt(id, 10), msg)
}

func (h *Handler) adminUnitDeactivate(c *gin.Context) { h.adminUnitActive(c, false) }
func (h *Handler) adminUnitActivate(c *gin.Context)   { h.adminUnitActive(c, true) }
