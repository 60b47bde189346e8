package scim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"crewid"
	"crewid/people"
	"crewid/store"
)

// maxFilterLength bounds a filter string; the store bounds its conditions.
const maxFilterLength = 4096

// valueKind says how a filter value is read for an attribute.
type valueKind int

const (
	valString  valueKind = iota
	valID                // a resource id: a decimal string or a number
	valBool              // true or false, also as the strings "True"/"False"
	valTime              // an RFC 3339 date and time
	valKind              // Employee or Technician, any case
	valLicense           // a license type, in either spelling
	valPhone             // a phone number, normalized for eq and ne
)

// userAttr is a single-valued User attribute a filter can test.
type userAttr struct {
	attr store.PersonAttr
	kind valueKind
}

// userAttrs maps attribute paths (see pathKey) to the person attribute
// they test.
var userAttrs = map[string]userAttr{
	"id":                         {store.PersonID, valID},
	"username":                   {store.PersonUserName, valString},
	"externalid":                 {store.PersonExternalID, valString},
	"displayname":                {store.PersonName, valString},
	"name.formatted":             {store.PersonName, valString},
	"name.givenname":             {store.PersonGivenName, valString},
	"name.familyname":            {store.PersonFamilyName, valString},
	"active":                     {store.PersonActive, valBool},
	"meta.created":               {store.PersonCreatedOn, valTime},
	"meta.lastmodified":          {store.PersonModifiedOn, valTime},
	"enterprise:employeenumber":  {store.PersonEmployeeNumber, valString},
	"enterprise:manager":         {store.PersonManagerID, valID},
	"enterprise:manager.value":   {store.PersonManagerID, valID},
	"crewid:type":                {store.PersonKind, valKind},
	"crewid:mobileaccessenabled": {store.PersonMobileAccess, valBool},
	"crewid:licensetype":         {store.PersonLicenseType, valLicense},
	"crewid:businessunitid":      {store.PersonBusinessUnitID, valID},
	"crewid:team":                {store.PersonTeam, valString},
	"crewid:aaduserid":           {store.PersonAADUserID, valString},
}

// element is one value of a multi-valued attribute as crewid keeps it: a
// person has at most one of each, told apart by type.
type element struct {
	typ     string
	primary bool
	attr    store.PersonAttr
	kind    valueKind
}

// userMulti lists the elements of the multi-valued User attributes. A
// group is a role held; its elements have no type.
var userMulti = map[string][]element{
	"emails":       {{typ: "work", primary: true, attr: store.PersonEmail, kind: valString}},
	"phonenumbers": {{typ: "mobile", attr: store.PersonMobilePhone, kind: valPhone}, {typ: "work", attr: store.PersonOfficePhone, kind: valPhone}},
	"groups":       {{attr: store.PersonRoleID, kind: valID}},
}

// Filters that hold always and never.
var (
	always = store.And{}
	never  = store.Or{}
)

// ParseUserFilter turns a SCIM filter on Users into a store filter; an
// empty filter gives nil (everyone). Attribute names compare
// case-insensitively; an attribute crewid cannot filter on is an
// invalidFilter error.
func ParseUserFilter(s string) (store.Filter, error) {
	expr, err := parseFilter(s)
	if err != nil || expr == nil {
		return nil, err
	}
	return userFilter(expr)
}

func parseFilter(s string) (filter.Expression, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if len(s) > maxFilterLength {
		return nil, invalidFilter("longer than %d characters.", maxFilterLength)
	}
	expr, err := filter.ParseFilter([]byte(rewriteSubAttributes(s)))
	if err != nil {
		return nil, invalidFilter("%q does not parse as a SCIM filter (RFC 7644 §3.4.2.2).", s)
	}
	return expr, nil
}

func userFilter(e filter.Expression) (store.Filter, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		left, err := userFilter(e.Left)
		if err != nil {
			return nil, err
		}
		right, err := userFilter(e.Right)
		if err != nil {
			return nil, err
		}
		if e.Operator == filter.OR {
			return store.Or{left, right}, nil
		}
		return store.And{left, right}, nil
	case *filter.NotExpression:
		inner, err := userFilter(e.Expression)
		if err != nil {
			return nil, err
		}
		return store.Not{Filter: inner}, nil
	case *filter.ValuePath:
		return userValuePath(e.AttributePath, e.ValueFilter)
	case *filter.AttributeExpression:
		return userComparison(*e)
	}
	return nil, invalidFilter("unsupported expression.")
}

// userComparison is one "attribute op value".
func userComparison(e filter.AttributeExpression) (store.Filter, error) {
	p := e.AttributePath
	ns := namespaceOf(p.URIPrefix, SchemaUser)
	if ns == nsUnknown {
		return nil, invalidFilter("unknown schema %q.", *p.URIPrefix)
	}
	key := pathKey(ns, p.AttributeName, p.SubAttribute)
	if key == "meta.resourcetype" {
		return constant("User", e.Operator, e.CompareValue)
	}
	if a, ok := userAttrs[key]; ok {
		return compareAttr(key, a.attr, a.kind, e.Operator, e.CompareValue)
	}
	if ns == nsCore {
		if _, ok := userMulti[strings.ToLower(p.AttributeName)]; ok {
			// "emails co x" means "emails.value co x"; "emails.value co x"
			// means "emails[value co x]".
			sub := "value"
			if p.SubAttribute != nil {
				sub = *p.SubAttribute
			}
			inner := &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: sub},
				Operator: e.Operator, CompareValue: e.CompareValue}
			return userValuePath(filter.AttributePath{AttributeName: p.AttributeName}, inner)
		}
	}
	return nil, invalidFilter("crewid cannot filter Users on %q.", p.String())
}

// userValuePath is "attr[filter]": some element of attr meets filter.
func userValuePath(p filter.AttributePath, f filter.Expression) (store.Filter, error) {
	if ns := namespaceOf(p.URIPrefix, SchemaUser); ns != nsCore || p.SubAttribute != nil {
		return nil, invalidFilter("%q is not a multi-valued attribute.", p.String())
	}
	name := strings.ToLower(p.AttributeName)
	elements, ok := userMulti[name]
	if !ok {
		return nil, invalidFilter("crewid cannot filter Users on %q.", p.AttributeName)
	}
	var some store.Or
	for _, el := range elements {
		cond, err := elementFilter(name, el, f)
		if err != nil {
			return nil, err
		}
		some = append(some, store.And{store.Present{Attr: el.attr}, cond})
	}
	if len(some) == 1 {
		return some[0], nil
	}
	return some, nil
}

// elementFilter is f on one element: "value" tests the person's attribute,
// "type" and "primary" are known for the element.
func elementFilter(multi string, el element, f filter.Expression) (store.Filter, error) {
	switch f := f.(type) {
	case *filter.LogicalExpression:
		left, err := elementFilter(multi, el, f.Left)
		if err != nil {
			return nil, err
		}
		right, err := elementFilter(multi, el, f.Right)
		if err != nil {
			return nil, err
		}
		if f.Operator == filter.OR {
			return store.Or{left, right}, nil
		}
		return store.And{left, right}, nil
	case *filter.NotExpression:
		inner, err := elementFilter(multi, el, f.Expression)
		if err != nil {
			return nil, err
		}
		return store.Not{Filter: inner}, nil
	case *filter.AttributeExpression:
		p := f.AttributePath
		if p.URIPrefix != nil || p.SubAttribute != nil {
			return nil, invalidFilter("%q inside %s[...] is not a sub-attribute.", p.String(), multi)
		}
		switch strings.ToLower(p.AttributeName) {
		case "value":
			return compareAttr(multi+".value", el.attr, el.kind, f.Operator, f.CompareValue)
		case "type":
			if el.typ != "" {
				return constant(el.typ, f.Operator, f.CompareValue)
			}
		case "primary":
			if multi == "emails" || multi == "phonenumbers" {
				return constant(el.primary, f.Operator, f.CompareValue)
			}
		}
		return nil, invalidFilter("crewid cannot filter on %s.%s.", multi, p.AttributeName)
	}
	return nil, invalidFilter("unsupported expression inside %s[...].", multi)
}

// compareAttr builds a comparison of a person attribute.
func compareAttr(name string, attr store.PersonAttr, kind valueKind, op filter.CompareOperator, raw any) (store.Filter, error) {
	if op == filter.PR {
		return store.Present{Attr: attr}, nil
	}
	sop := store.FilterOp(op)
	switch sop {
	case store.OpEq, store.OpNe, store.OpCo, store.OpSw, store.OpEw, store.OpGt, store.OpGe, store.OpLt, store.OpLe:
	default:
		return nil, invalidFilter("unknown operator %q.", op)
	}
	if raw == nil {
		// "a eq null" asks for people without a, "a ne null" for those with it.
		switch sop {
		case store.OpEq:
			return store.Not{Filter: store.Present{Attr: attr}}, nil
		case store.OpNe:
			return store.Present{Attr: attr}, nil
		}
		return nil, invalidFilter("%q cannot be compared with null.", op)
	}
	switch kind {
	case valID:
		id, ok := idValue(raw)
		if ok {
			return store.Compare{Attr: attr, Op: sop, Value: id}, nil
		}
		if _, isString := raw.(string); isString {
			// No resource has such an id.
			switch sop {
			case store.OpEq:
				return never, nil
			case store.OpNe:
				return store.Present{Attr: attr}, nil
			}
		}
		return nil, invalidFilter("%s needs an id.", name)
	case valBool:
		b, ok := boolValue(raw)
		if !ok {
			return nil, invalidFilter("%s needs true or false.", name)
		}
		return store.Compare{Attr: attr, Op: sop, Value: b}, nil
	case valTime:
		s, ok := raw.(string)
		t, err := time.Parse(time.RFC3339Nano, unescape(s))
		if !ok || err != nil {
			return nil, invalidFilter("%s needs a date and time such as \"2026-01-02T15:04:05Z\".", name)
		}
		return store.Compare{Attr: attr, Op: sop, Value: t}, nil
	}
	s, ok := raw.(string)
	if !ok {
		return nil, invalidFilter("%s needs a string.", name)
	}
	s = unescape(s)
	if sop == store.OpEq || sop == store.OpNe {
		switch kind {
		case valKind:
			if k, ok := parseKind(s); ok {
				s = string(k)
			}
		case valLicense:
			if l, ok := parseLicense(s); ok {
				s = string(l)
			}
		case valPhone:
			if n, err := people.NormalizePhone("value", s); err == nil && n != "" {
				s = n
			}
		}
	}
	return store.Compare{Attr: attr, Op: sop, Value: s}, nil
}

// constant compares a value known without looking at the person (an
// element's type) and gives a filter that always or never holds.
func constant(have any, op filter.CompareOperator, want any) (store.Filter, error) {
	holds, err := compareConstant(have, op, want)
	if err != nil {
		return nil, err
	}
	if holds {
		return always, nil
	}
	return never, nil
}

// compareConstant compares strings case-insensitively and booleans by value.
func compareConstant(have any, op filter.CompareOperator, want any) (bool, error) {
	if op == filter.PR {
		return true, nil
	}
	switch h := have.(type) {
	case bool:
		w, ok := boolValue(want)
		if !ok {
			return false, invalidFilter("a true or false attribute is compared with something else.")
		}
		switch op {
		case filter.EQ:
			return h == w, nil
		case filter.NE:
			return h != w, nil
		}
		return false, invalidFilter("%q does not apply to true or false.", op)
	case string:
		w, ok := want.(string)
		if !ok {
			return false, invalidFilter("a string attribute is compared with something else.")
		}
		a, b := strings.ToLower(h), strings.ToLower(unescape(w))
		switch op {
		case filter.EQ:
			return a == b, nil
		case filter.NE:
			return a != b, nil
		case filter.CO:
			return strings.Contains(a, b), nil
		case filter.SW:
			return strings.HasPrefix(a, b), nil
		case filter.EW:
			return strings.HasSuffix(a, b), nil
		case filter.GT:
			return a > b, nil
		case filter.GE:
			return a >= b, nil
		case filter.LT:
			return a < b, nil
		case filter.LE:
			return a <= b, nil
		}
		return false, invalidFilter("unknown operator %q.", op)
	}
	return false, invalidFilter("unsupported comparison.")
}

// idValue reads a resource id: a decimal string (as SCIM ids are) or a
// whole number.
func idValue(v any) (int64, bool) {
	switch v := v.(type) {
	case string:
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return id, err == nil && id > 0
	case int:
		return int64(v), v > 0
	case int64:
		return v, v > 0
	case float64:
		return int64(v), v > 0 && v == float64(int64(v))
	case json.Number:
		id, err := v.Int64()
		return id, err == nil && id > 0
	}
	return 0, false
}

// boolValue reads true or false, also from the strings Entra ID sends
// ("True", "False").
func boolValue(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// unescape undoes the JSON escapes of a filter string (the parser keeps
// them: `"a\"b"` arrives as a\"b).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var out string
	if err := json.Unmarshal([]byte(`"`+s+`"`), &out); err != nil {
		return s
	}
	return out
}

func parseKind(s string) (crewid.Kind, bool) {
	for _, k := range []crewid.Kind{crewid.KindEmployee, crewid.KindTechnician} {
		if strings.EqualFold(s, string(k)) {
			return k, true
		}
	}
	return "", false
}

// parseLicense reads a license type in the spelling of account actions
// (ManagedTechnician) or of creation requests (ManagedTech).
func parseLicense(s string) (crewid.LicenseType, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "managedtechnician", "managedtech":
		return crewid.LicenseManagedTech, true
	case "nonmanagedtechnician", "nonmanagedtech":
		return crewid.LicenseNonManagedTech, true
	case "managedinstaller":
		return crewid.LicenseManagedInstaller, true
	}
	return "", false
}

// rewriteSubAttributes turns "attr[filter].sub op value", which directories
// send although RFC 7644's grammar has no such form, into the equivalent
// "attr[filter and sub op value]".
func rewriteSubAttributes(s string) string {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '"' {
			end := skipString(s, i)
			b.WriteString(s[i:end])
			i = end
			continue
		}
		if c != '[' {
			b.WriteByte(c)
			i++
			continue
		}
		closeAt := i + 1
		for closeAt < len(s) && s[closeAt] != ']' {
			if s[closeAt] == '"' {
				closeAt = skipString(s, closeAt)
				continue
			}
			closeAt++
		}
		if closeAt >= len(s) || closeAt+1 >= len(s) || s[closeAt+1] != '.' {
			b.WriteString(s[i:min(closeAt+1, len(s))])
			i = closeAt + 1
			continue
		}
		inner := s[i+1 : closeAt]
		j := closeAt + 2
		sub, j := word(s, j)
		j = skipSpace(s, j)
		op, j := word(s, j)
		rest := ""
		if !strings.EqualFold(op, "pr") {
			j = skipSpace(s, j)
			start := j
			if j < len(s) && s[j] == '"' {
				j = skipString(s, j)
			} else {
				for j < len(s) && s[j] != ' ' && s[j] != ')' && s[j] != ']' {
					j++
				}
			}
			rest = " " + s[start:j]
		}
		if sub == "" || op == "" || hasOr(inner) {
			// The parser takes no parentheses inside brackets, so only a
			// filter without "or" can be joined with "and" safely.
			b.WriteString(s[i : closeAt+1])
			i = closeAt + 1
			continue
		}
		b.WriteString("[" + inner + " and " + sub + " " + op + rest + "]")
		i = j
	}
	return b.String()
}

// hasOr reports whether a filter has an "or" outside its strings.
func hasOr(s string) bool {
	for i := 0; i < len(s); {
		if s[i] == '"' {
			i = skipString(s, i)
			continue
		}
		w, j := word(s, i)
		if strings.EqualFold(w, "or") {
			return true
		}
		if j == i {
			j++
		}
		i = j
	}
	return false
}

// skipString returns the index after the JSON string starting at s[i].
func skipString(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}

func word(s string, i int) (string, int) {
	start := i
	for i < len(s) && (s[i] == '_' || s[i] == '-' || s[i] == '$' ||
		('a' <= s[i] && s[i] <= 'z') || ('A' <= s[i] && s[i] <= 'Z') || ('0' <= s[i] && s[i] <= '9')) {
		i++
	}
	return s[start:i], i
}

func skipSpace(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}
