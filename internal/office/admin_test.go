package office_test

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"ecoreport/internal/auth"
)

var shownPasswordRE = regexp.MustCompile(`<p class="code"><code>([^<]+)</code></p>`)

// TestAdminCreatesAnInspector: the admin opens an account, sees its
// password once, and the new inspector logs in with it; a bad form is shown
// again with what was typed and a message beside each field.
func TestAdminCreatesAnInspector(t *testing.T) {
	e := newEnv(t)
	admin := e.session("admin")
	w := admin.post("/office/admin/users", "name", "张 三", "display_name", "张三", "role", "", "unit", "1")
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", w.Code)
	}
	mustContain(t, w, `value="张 三"`, "用户名应为2-64位字母", "请选择", `<p class="field-error">`)
	if w := admin.post("/office/admin/users", "name", "inspector", "role", "inspector"); w.Code != http.StatusConflict {
		t.Fatalf("a taken username: %d", w.Code)
	}
	w = admin.post("/office/admin/users", "name", "zhangsan", "display_name", "张三", "role", "inspector")
	m := shownPasswordRE.FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusOK || m == nil {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	mustContain(t, w, "只显示这一次")
	first := m[1]
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatal("the password page may be cached")
	}
	if _, err := e.users.Authenticate(ctx, "zhangsan", m[1]); err != nil {
		t.Fatalf("the shown password: %v", err)
	}
	if e.audited("admin", "user.created") != 1 {
		t.Fatal("not audited")
	}
	u, _ := e.users.ByUsername(ctx, "zhangsan")
	page := "/office/admin/users/" + strconv.FormatInt(u.ID, 10)
	mustNotContain(t, admin.get(page), m[1])

	t.Run("ChangeRoleAndUnit", func(t *testing.T) {
		w := admin.post(page, "display_name", "张三", "role", "unit")
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("a unit account without a unit: %d", w.Code)
		}
		mustContain(t, w, "责任单位账号必须指定所属单位", `<option value="unit" selected>`)
		seeOther(t, admin.post(page, "display_name", "张三", "role", "unit", "unit", "2"), "change role")
		got, _ := e.users.ByID(ctx, u.ID)
		if got.Role != auth.UnitUser || got.UnitID.Int64 != 2 {
			t.Fatalf("after change %+v", got)
		}
	})
	t.Run("DisableEndsSessions", func(t *testing.T) {
		c := e.session("zhangsan")
		seeOther(t, admin.post(page+"/disable"), "disable")
		if w := c.get("/office/unit"); w.Code != http.StatusSeeOther {
			t.Fatalf("a disabled account's session: %d", w.Code)
		}
		if n := e.count(`SELECT COUNT(*) FROM sessions WHERE user_id = ?`, u.ID); n != 0 {
			t.Fatalf("%d sessions left", n)
		}
		seeOther(t, admin.post(page+"/enable"), "enable")
	})
	t.Run("UnlockAndResetPassword", func(t *testing.T) {
		for range auth.CaptchaAfter {
			e.users.Login(ctx, auth.Attempt{Username: "zhangsan", Password: "wrong password!", Client: "192.0.2.7"})
		}
		mustContain(t, admin.get(page), "登录时须输入验证码")
		mustContain(t, admin.get("/office/admin/users"), "登录受限")
		seeOther(t, admin.post(page+"/unlock"), "unlock")
		mustNotContain(t, admin.get(page), "登录时须输入验证码")
		if _, err := e.users.Login(ctx, auth.Attempt{Username: "zhangsan", Password: first, Client: "192.0.2.7"}); err != nil {
			t.Fatalf("login after unlock, no captcha: %v", err)
		}
		w := admin.post(page + "/password")
		m := shownPasswordRE.FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("reset: %d", w.Code)
		}
		if _, err := e.users.Authenticate(ctx, "zhangsan", m[1]); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTheLastAdminCannotBeDisabled: alone, refused on the page; two admins
// disabling each other at once leave one.
func TestTheLastAdminCannotBeDisabled(t *testing.T) {
	e := newEnv(t)
	admin := e.session("admin")
	self := "/office/admin/users/" + e.userID("admin")
	w := admin.post(self + "/disable")
	if w.Code != http.StatusConflict {
		t.Fatalf("disable the last admin: %d", w.Code)
	}
	mustContain(t, w, "最后一个在用的系统管理员")
	if w := admin.post(self, "role", "leader"); w.Code != http.StatusConflict {
		t.Fatalf("demote the last admin: %d", w.Code)
	}
	if _, err := e.db.Exec(`INSERT INTO users (username, display_name, role, password_hash, active, failed_logins, created_at, updated_at)
 VALUES ('admin2', '管理员乙', 'admin', 'x', ?, 0, ?, ?)`, true, e.clk.now(), e.clk.now()); err != nil {
		t.Fatal(err)
	}
	other := e.session("admin2")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, x := range []struct {
		c      *client
		target string
	}{{admin, e.userID("admin2")}, {other, e.userID("admin")}} {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = x.c.post("/office/admin/users/" + x.target + "/disable").Code }()
	}
	wg.Wait()
	if n := e.count(`SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = ?`, true); n != 1 {
		t.Fatalf("%d active admins (%v)", n, codes)
	}
}

// TestUnitsAreRenamedAndRetired: the town list changes on the page, old
// complaints follow the new name, and a bad form is answered beside the
// field of the row it came from.
func TestUnitsAreRenamedAndRetired(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint()) // 城关镇
	admin := e.session("admin")
	w := admin.post("/office/admin/units/1", "name", "饶峰镇", "sort_order", "1")
	if w.Code != http.StatusConflict {
		t.Fatalf("a name in use: %d", w.Code)
	}
	mustContain(t, w, "已有名为“饶峰镇”的单位", `value="饶峰镇"`)
	if w := admin.post("/office/admin/units", "kind", "town", "name", "新", "sort_order", "x"); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad new unit: %d", w.Code)
	} else {
		mustContain(t, w, "排序应为0到9999之间的整数")
	}
	seeOther(t, admin.post("/office/admin/units/1", "name", "城关街道", "short_name", "城关", "sort_order", "1"), "rename")
	mustContain(t, e.session("inspector").get("/office/inbox"), "城关街道")
	if c, _ := e.ledger.Complaint(ctx, cm.ID); c.TownID.Int64 != 1 {
		t.Fatal("the complaint lost its town")
	}
	seeOther(t, admin.post("/office/admin/units", "kind", "town", "name", "新城镇", "sort_order", "12"), "add")
	seeOther(t, admin.post("/office/admin/units/2/deactivate"), "retire")
	mustNotContain(t, e.session("admin").get("/office/register"), ">饶峰镇<")
	mustContain(t, admin.get("/office/admin/audit?action=unit."), "新增单位", "停用单位", "修改单位名称或排序")
}

// TestAuditLogViewer: filters narrow the log, a bad date is answered beside
// its field, and the chain check reports the chain whole, then broken after
// an entry is changed behind the service's back.
func TestAuditLogViewer(t *testing.T) {
	e := newEnv(t)
	e.file(webComplaint())
	admin := e.session("admin")
	seeOther(t, admin.post("/office/admin/units/1", "name", "城关街道", "sort_order", "1"), "rename")
	w := admin.get("/office/admin/audit?actor=admin&object_type=unit&object_id=1")
	mustContain(t, w, "修改单位名称或排序", "城关街道")
	mustNotContain(t, w, "收到举报")
	if w := admin.get("/office/admin/audit?from=yesterday"); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad date: %d", w.Code)
	} else {
		mustContain(t, w, "日期格式应为")
	}
	mustContain(t, admin.post("/office/admin/audit/verify"), "审计链完整")
	if _, err := e.db.Exec(`UPDATE audit_log SET actor = 'someone' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	mustContain(t, admin.post("/office/admin/audit/verify"), "审计链断裂：第 1 条")
}
