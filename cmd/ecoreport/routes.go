package main

import (
	"time"

	"ecoreport/hotline"
	"ecoreport/internal/captcha"
	"ecoreport/internal/conversation"
	"ecoreport/internal/hotlineapi"
	"ecoreport/internal/office"
	"ecoreport/internal/view"
	"ecoreport/portal"
	"ecoreport/static"
)

// register mounts the parts of the service on the engine: the static files
// every page links, the resident portal, Open311, the hotline push API and
// the staff back office (the hotline operators' pages included).
func (m *Main) register() error {
	t := &tool{DB: m.DB, Keys: m.Keys, Ledger: m.Ledger, Reward: m.Reward}
	im, fb := t.importer(&m.Config), t.feedback()

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

	conv := conversation.New(m.Ledger) // the portal's reporters and the office's staff share it
	ph := portal.New(portal.Deps{Ledger: m.Ledger, DB: m.DB, Keys: m.Keys, Captcha: m.Config.Captcha == "on",
		DataDir: m.Config.DataDir, Uploads: m.Uploads, Location: m.Config.Location, Logger: m.Log, Now: time.Now, Limits: limits, Rewards: m.Reward,
		Assets: assets, Conversation: conv, PublicURL: m.Config.PublicURL, County: m.Config.County})
	ph.Register(m.Engine)
	m.Portal = ph

	(&portal.Open311{Ledger: m.Ledger, DB: m.DB, Keys: m.Keys, Location: m.Config.Location, Now: time.Now, Logger: m.Log, County: m.Config.County}).Register(m.Engine)

	(&hotlineapi.API{Importer: im, Feedback: fb, Clients: &hotline.Clients{DB: m.DB, Keys: m.Keys, RefuseV1: m.Config.HotlineSignV1 == "off"},
		Logger: m.Log}).Register(m.Engine)

	loginPerMinute := 0 // office.DefaultLoginPerMinute
	if m.Config.RateLimits == "off" {
		loginPerMinute = -1
	}
	m.Office = office.New(office.Deps{Ledger: m.Ledger, Users: m.Users, DB: m.DB, Location: m.Config.Location, Logger: m.Log, Now: time.Now, Rewards: m.Reward,
		Assets: assets, Hotline: im, HotlineFeedback: fb, Conversation: conv, County: m.Config.County,
		Captcha: captcha.New(m.DB, m.Config.Captcha == "on", time.Now), LoginPerMinute: loginPerMinute,
		AuditCheckpoints: m.Checkpoints.File, Outbox: m.Outbox,
		Uploads: m.Uploads})
	m.Office.Register(m.Engine)
	return nil
}
