package org

import (
	"regexp"
	"strings"
)

var guidPattern = regexp.MustCompile(`^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$`)

// IsGUID reports whether s is a GUID, with or without braces.
func IsGUID(s string) bool { return guidPattern.MatchString(s) }

// normalizeGUID is the lower-case form without braces, so the same GUID
// written two ways matches.
func normalizeGUID(s string) string {
	return strings.ToLower(strings.Trim(s, "{}"))
}

// SameGUID reports whether a and b are the same GUID however written.
func SameGUID(a, b string) bool { return normalizeGUID(a) == normalizeGUID(b) }
