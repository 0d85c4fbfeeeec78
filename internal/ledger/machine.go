package ledger

import "slices"

// The state machines of workflows.md as data. Every method that changes a
// status checks these tables and then does a conditional UPDATE (… WHERE
// status = from), so two people acting at once cannot both succeed.

// caseTransitions lists, for each case status, the statuses it may move to.
var caseTransitions = map[CaseStatus][]CaseStatus{
	Open:      {Verifying, Merged},
	Verifying: {Dismissed, Assigned, Merged},
	Assigned:  {Submitted},
	Submitted: {Closed, Reopened},
	Reopened:  {Submitted},
	Closed:    {Reopened},
	Dismissed: nil,
	Merged:    nil,
}

// CanMoveCase reports whether a case may go from one status to another.
func CanMoveCase(from, to CaseStatus) bool {
	return slices.Contains(caseTransitions[from], to)
}

// complaintTransitions are the moves a complaint makes on its own, before it
// follows a case.
var complaintTransitions = map[ComplaintStatus][]ComplaintStatus{
	Received: {Accepted, Refused},
}

// CanMoveComplaint reports whether a complaint may go from one status to
// another by itself (accept or refuse). After acceptance a complaint follows
// its case: see ComplaintStatusFor.
func CanMoveComplaint(from, to ComplaintStatus) bool {
	return slices.Contains(complaintTransitions[from], to)
}

// ComplaintStatusFor is the status an accepted complaint shows while its case
// is in the given status.
func ComplaintStatusFor(cs CaseStatus) ComplaintStatus {
	switch cs {
	case Verifying:
		return Investigating
	case Dismissed:
		return Concluded
	case Assigned, Submitted, Reopened:
		return Rectifying
	case Closed:
		return ComplaintDone
	}
	return Accepted
}
