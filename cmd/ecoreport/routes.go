package main

import (
	"fmt"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/hotline"
	"ecoreport/internal/auth"
	"ecoreport/internal/office"
	"ecoreport/internal/session"
	"ecoreport/internal/view"
	"ecoreport/portal"
	"ecoreport/static"
)

// register mounts the parts of the service on the engine: the static files
// every page links, the resident portal, the hotline push API, the staff back office and the operators'
// hotline pages inside it.
func (m *Main) register() error {
	t := &tool{DB: m.DB, Keys: m.Keys, Ledger: m.Ledger, Reward: m.Reward}
	im, fb := t.importer(&m.Config), t.feedback()
	logf := func(f string, a ...any) { m.Log.Warn(fmt.Sprintf(f, a...)) }

	var limits *portal.Limits
	if m.Config.RateLimits == "off" {
		limits = portal.Unlimited()
		m.Log.Warn("门户限流已关闭：仅用于压测 (per-client rate limits are off)")
	}
	assets, err := view.NewAssets(static.FS)
	if err != nil {
		return err
	}
	assets.Register(m.Engine)

	ph := portal.New(portal.Deps{Ledger: m.Ledger, DB: m.DB, Keys: m.Keys, Captcha: m.Config.Captcha == "on",
		DataDir: m.Config.DataDir, Location: m.Config.Location, Logger: m.Log, Now: time.Now, Limits: limits, Rewards: m.Reward,
		Assets: assets})
	ph.Register(m.Engine)

	(&portal.Open311{Ledger: m.Ledger, DB: m.DB, Keys: m.Keys, Location: m.Config.Location, Now: time.Now, Logger: m.Log}).Register(m.Engine)

	(&hotline.API{Importer: im, Feedback: fb, Clients: &hotline.Clients{DB: m.DB, Keys: m.Keys}, Logf: logf}).Register(m.Engine)

	m.Office = office.New(office.Deps{Ledger: m.Ledger, Users: m.Users, DB: m.DB, Location: m.Config.Location, Logger: m.Log, Now: time.Now, Rewards: m.Reward,
		Assets: assets})
	m.Office.Register(m.Engine)

	operator := func(c *gin.Context) string {
		if u := session.User(c); u != nil {
			return u.Username
		}
		return ""
	}
	hw, err := hotline.NewWeb(im, fb, operator, session.CSRFToken)
	if err != nil {
		return fmt.Errorf("hotline pages: %w", err)
	}
	hw.Prefix, hw.Logf = "/office/hotline", logf
	hw.Home, hw.Logout = "/office/", "/office/logout"
	hw.User = func(c *gin.Context) string {
		if u := session.User(c); u != nil {
			return fmt.Sprintf("%s（%s，%s）", u.DisplayName, u.Username, u.Role.Label())
		}
		return ""
	}
	hw.Register(m.Engine.Group("/office", m.Office.Sessions.Middleware(), m.Office.Sessions.RequireRoles(auth.Operator, auth.Admin)))
	return nil
}
