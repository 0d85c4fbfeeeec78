package main

import (
	"fmt"

	"ecoreport/hotline"
)

// register mounts the parts of the service on the engine.
func (m *Main) register() error {
	t := &tool{DB: m.DB, Keys: m.Keys, Ledger: m.Ledger}
	push := &hotline.API{Importer: t.importer(&m.Config), Feedback: t.feedback(),
		Clients: &hotline.Clients{DB: m.DB, Keys: m.Keys},
		Logf:    func(f string, a ...any) { m.Log.Warn(fmt.Sprintf(f, a...)) }}
	push.Register(m.Engine)
	return nil
}
