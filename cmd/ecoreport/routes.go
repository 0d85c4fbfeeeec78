package main

// register mounts the parts of the service on the engine.
func (m *Main) register() error {
	return nil
}
