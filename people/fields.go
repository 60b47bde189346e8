package people

import (
	"math"
	"net/mail"
	"slices"
	"strings"
	"unicode"

	"crewid"
)

// Positions a person of each kind may hold (the Settings API's enums).
var (
	EmployeePositions = []string{"CSR", "Dispatcher", "CsrManager", "DispatchManager", "InstallProductionManager",
		"ServiceManager", "SalesManager", "MarketingManager", "Administrator", "PayrollManager", "Bookkeeper",
		"PurchasingManager", "WarehouseManager", "OfficeManager", "GeneralManager", "BusinessOwner",
		"AnsweringService", "InsideSales", "GeneralOfficeNonManagement"}
	TechnicianPositions = []string{"Installer", "Service", "Sales", "Maintenance", "Helper",
		"InstallProductionManager", "ServiceManager", "SalesManager", "PartRunner", "DummyTech"}
	// JobFilters is how many upcoming appointments a technician sees.
	JobFilters = []string{"AllScheduledDispatchedWorking", "NextScheduledDispatchedWorking", "DispatchedWorking",
		"NextScheduledDispatchedWorkingToday", "AllScheduledDispatchedWorkingToday",
		"AllScheduledDispatchedWorkingFiveDays", "NextScheduledDispatchedWorkingTodayTomorrow",
		"AllScheduledDispatchedWorkingTodayTomorrow", "Next2ScheduledDispatchedWorkingToday"}
	// JobHistoryDateFilters is how far back a technician sees past jobs.
	JobHistoryDateFilters = []string{"AllJobs", "LastThreeDays", "LastSevenDays", "LastMonth"}
)

// Limits on free-text fields, so one request cannot store megabytes.
const (
	maxName  = 255
	maxShort = 255
	maxLong  = 10000
	maxItems = 100
	// maxRefs bounds the records a list refers to (zones, custom
	// fields): each is looked up in the transaction that saves the person.
	maxRefs = 1000
)

// NormalizeEmail lower-cases and checks an email address. An empty input
// gives "" and no error.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return "", crewid.FieldError("email", "The email address is not valid.")
	}
	return strings.ToLower(s), nil
}

// NormalizePhone turns a phone number into E.164 (+15551234567). It accepts
// the usual punctuation; ten digits are taken as a North American number.
// An empty input gives "" and no error.
func NormalizePhone(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	plus := strings.HasPrefix(s, "+")
	var digits strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", crewid.FieldError(field, "The phone number may contain only digits, spaces and + - ( ) .")
		}
	}
	d := digits.String()
	switch {
	case plus && len(d) >= 8 && len(d) <= 15 && d[0] != '0':
		return "+" + d, nil
	case !plus && len(d) == 10:
		return "+1" + d, nil
	case !plus && len(d) == 11 && d[0] == '1':
		return "+" + d, nil
	}
	return "", crewid.FieldError(field, "The phone number is not valid; use +<country code><number> or a 10-digit North American number.")
}

// cleanText trims s and checks its length and characters.
func cleanText(p crewid.Problems, field, s string, max int, multiline bool) string {
	s = strings.TrimSpace(s)
	if len(s) > max {
		p.Add(field, "The value is too long.")
		return s
	}
	for _, r := range s {
		if r == unicode.ReplacementChar || (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) {
			p.Add(field, "The value contains characters that are not allowed.")
			break
		}
	}
	return s
}

// cleanList trims, drops empty and repeated entries, and checks each.
func cleanList(p crewid.Problems, field string, items []string, allowed []string) []string {
	out := []string{}
	if len(items) > maxItems {
		p.Add(field, "Too many entries.")
		return out
	}
	for _, item := range items {
		item = cleanText(p, field, item, maxShort, false)
		if item == "" || slices.Contains(out, item) {
			continue
		}
		if allowed != nil && !slices.Contains(allowed, item) {
			p.Add(field, "'"+item+"' is not one of: "+strings.Join(allowed, ", ")+".")
			continue
		}
		out = append(out, item)
	}
	return out
}

// checkAmount checks a money or goal figure.
func checkAmount(p crewid.Problems, field string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e12 {
		p.Add(field, "The value must be a number from 0 to 1,000,000,000,000.")
	}
}

// checkCoordinate checks a latitude or longitude.
func checkCoordinate(p crewid.Problems, field string, v *float64, limit float64) {
	if v != nil && (math.IsNaN(*v) || *v < -limit || *v > limit) {
		p.Add(field, "The coordinate is out of range.")
	}
}

// dedupeIDs drops repeated ids, keeping order, in linear time: a body may
// hold a hundred thousand of them.
func dedupeIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
