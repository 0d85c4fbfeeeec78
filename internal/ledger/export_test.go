package ledger

import "testing"

// SetSearchWindow makes the search's window and budget small for one test.
func SetSearchWindow(t *testing.T, window, budget int) {
	w, b := searchWindow, searchBudget
	searchWindow, searchBudget = window, budget
	t.Cleanup(func() { searchWindow, searchBudget = w, b })
}
