package main

import (
	"fmt"
	"time"

	"ecoreport/hotline"
	"ecoreport/portal"
)

// register mounts the parts of the service on the engine.
func (m *Main) register() error {
	t := &tool{DB: m.DB, Keys: m.Keys, Ledger: m.Ledger}
	push := &hotline.API{Importer: t.importer(&m.Config), Feedback: t.feedback(),
		Clients: &hotline.Clients{DB: m.DB, Keys: m.Keys},
		Logf:    func(f string, a ...any) { m.Log.Warn(fmt.Sprintf(f, a...)) }}
	push.Register(m.Engine)

	portal.New(portal.Deps{Ledger: m.Ledger, DB: m.DB, Keys: m.Keys, Captcha: m.Config.Captcha == "on",
		DataDir: m.Config.DataDir, Location: m.Config.Location, Logger: m.Log, Now: time.Now}).Register(m.Engine)
	return nil
}
