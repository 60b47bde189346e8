package web

import (
	"testing"

	"crewid/people"
)

// Every position and visibility the forms offer has a label, so that none
// is shown by its API name.
func TestEveryChoiceHasALabel(t *testing.T) {
	for _, list := range [][]string{people.EmployeePositions, people.TechnicianPositions, people.JobFilters, people.JobHistoryDateFilters} {
		for _, name := range list {
			if l, ok := choiceLabels[name]; !ok || l == "" {
				t.Errorf("%s has no label", name)
			}
		}
	}
	if got := count(1, "employee", "employees"); got != "1 employee" {
		t.Errorf("count(1) = %q", got)
	}
	if got := count(0, "employee", "employees"); got != "0 employees" {
		t.Errorf("count(0) = %q", got)
	}
}
