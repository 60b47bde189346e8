package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"crewid"
)

// PatchRequest is the body of a PATCH (RFC 7644 §3.5.2).
type PatchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []PatchOp `json:"Operations"`
}

// PatchOp is one operation. Op is add, replace or remove in any case
// (Entra ID sends "Add", "Replace", "Remove").
type PatchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// MaxOperations bounds the operations of one PATCH.
const MaxOperations = 1000

// ignoredInPatch are read-only attributes, ignored in what a directory
// sends: some send a resource's id or meta back in a replace.
var ignoredInPatch = map[string]bool{"id": true, "meta": true, "schemas": true, "groups": true}

// patchResource applies ops to the JSON document of current and decodes
// the result into out. Working on the document lets every path form reach
// any attribute the same way; the result is then checked like a PUT.
func patchResource(current any, ops []PatchOp, schema string, out any) error {
	if len(ops) == 0 {
		return invalidValue("A PATCH needs at least one operation.")
	}
	if len(ops) > MaxOperations {
		return scimError(crewid.Invalid, TypeTooMany, "A PATCH may hold at most %d operations.", MaxOperations)
	}
	raw, err := json.Marshal(current)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	for i, op := range ops {
		if err := applyOp(doc, op, schema); err != nil {
			var e *Error
			if ok := asError(err, &e); ok {
				e.Err.Message = fmt.Sprintf("Operation %d: %s", i+1, e.Err.Message)
			}
			return err
		}
	}
	raw, err = json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		var e *Error
		if asError(err, &e) {
			return err
		}
		return invalidValue("The patched resource is not valid: %v", err)
	}
	return nil
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

func applyOp(doc map[string]any, op PatchOp, schema string) error {
	kind := strings.ToLower(strings.TrimSpace(op.Op))
	if kind != "add" && kind != "replace" && kind != "remove" {
		return invalidValue("op must be add, replace or remove, not %q.", op.Op)
	}
	var value any
	hasValue := len(bytes.TrimSpace(op.Value)) > 0
	if hasValue {
		if err := json.Unmarshal(op.Value, &value); err != nil {
			return scimError(crewid.Invalid, TypeInvalidSyntax, "The value is not valid JSON.")
		}
	}
	path := strings.TrimSpace(op.Path)
	if path == "" {
		if kind == "remove" {
			return scimError(crewid.Invalid, TypeNoTarget, "remove needs a path.")
		}
		obj, ok := value.(map[string]any)
		if !ok {
			return invalidValue("Without a path, the value must be an object of attributes.")
		}
		for key, v := range obj {
			if err := applyKey(doc, kind, key, v, schema); err != nil {
				return err
			}
		}
		return nil
	}
	if kind != "remove" && !hasValue {
		return invalidValue("%s needs a value.", kind)
	}
	return applyPath(doc, kind, path, value, hasValue, schema)
}

// applyKey applies one attribute of a value object. Its key is a path, or
// an extension's URN with an object of that extension's attributes.
func applyKey(doc map[string]any, kind, key string, v any, schema string) error {
	for _, ext := range []string{SchemaEnterpriseUser, SchemaCrewidUser} {
		if schema == SchemaUser && strings.EqualFold(key, ext) {
			obj, ok := v.(map[string]any)
			if !ok {
				return invalidValue("%s must be an object.", ext)
			}
			for sub, sv := range obj {
				if err := applyPath(doc, kind, ext+":"+sub, sv, true, schema); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return applyPath(doc, kind, key, v, true, schema)
}

func applyPath(doc map[string]any, kind, rawPath string, value any, hasValue bool, schema string) error {
	p, err := filter.ParsePath([]byte(rawPath))
	if err != nil {
		return invalidPath("%q is not a valid attribute path.", rawPath)
	}
	container := doc
	switch ns := namespaceOf(p.AttributePath.URIPrefix, schema); ns {
	case nsEnterprise, nsCrewid:
		container = childObject(doc, *p.AttributePath.URIPrefix)
	case nsUnknown:
		return invalidPath("%q names an unknown schema.", rawPath)
	}
	name := p.AttributePath.AttributeName
	if ns := namespaceOf(p.AttributePath.URIPrefix, schema); ns == nsCore && ignoredInPatch[strings.ToLower(name)] {
		return nil
	}
	if sub := p.AttributePath.SubAttribute; sub != nil {
		// name.givenName: a sub-attribute of a complex attribute.
		if p.ValueExpression != nil {
			return invalidPath("%q is not a valid attribute path.", rawPath)
		}
		return setAttribute(childObject(container, name), kind, *sub, value, hasValue)
	}
	if p.ValueExpression == nil {
		return setAttribute(container, kind, name, value, hasValue)
	}
	return applyFiltered(container, kind, name, p.ValueExpression, p.SubAttribute, value, hasValue, rawPath)
}

// setAttribute applies an operation to one attribute of obj.
func setAttribute(obj map[string]any, kind, name string, value any, hasValue bool) error {
	key := keyOf(obj, name)
	existing, present := obj[key]
	switch kind {
	case "remove":
		if list, ok := existing.([]any); ok && hasValue {
			// Entra ID removes members by sending them as the value.
			obj[key] = removeValues(list, value)
			return nil
		}
		delete(obj, key)
	case "add":
		if list, ok := existing.([]any); ok && present {
			obj[key] = appendValues(list, value)
			return nil
		}
		fallthrough
	case "replace":
		if old, ok := existing.(map[string]any); ok {
			if v, ok := value.(map[string]any); ok {
				for k, sv := range v {
					old[keyOf(old, k)] = sv
				}
				return nil
			}
		}
		obj[key] = value
	}
	return nil
}

// applyFiltered applies an operation to the elements of a multi-valued
// attribute that match a filter: emails[type eq "work"].value,
// members[value eq "12"].
func applyFiltered(obj map[string]any, kind, name string, f filter.Expression, sub *string, value any, hasValue bool, rawPath string) error {
	key := keyOf(obj, name)
	var list []any
	if existing, ok := obj[key]; ok {
		l, isList := existing.([]any)
		if !isList {
			return invalidPath("%q filters an attribute that is not multi-valued.", rawPath)
		}
		list = l
	}
	matched := 0
	kept := list[:0:0]
	for _, item := range list {
		el, ok := item.(map[string]any)
		if !ok || !matchElement(f, el) {
			kept = append(kept, item)
			continue
		}
		matched++
		switch {
		case kind == "remove" && (sub == nil || strings.EqualFold(*sub, "value")):
			continue // the element goes
		case kind == "remove":
			delete(el, keyOf(el, *sub))
		case sub != nil:
			el[keyOf(el, *sub)] = value
		default:
			if v, ok := value.(map[string]any); ok {
				for k, sv := range v {
					el[keyOf(el, k)] = sv
				}
			} else {
				return invalidValue("The value for %q must be an object.", rawPath)
			}
		}
		kept = append(kept, el)
	}
	if matched == 0 && kind != "remove" {
		// Directories set emails[type eq "work"].value on users that have
		// no work email yet: the element is made from the filter.
		el, ok := elementFromFilter(f)
		if !ok {
			return scimError(crewid.Invalid, TypeNoTarget, "No value of %q matches the filter.", name)
		}
		if sub != nil {
			el[*sub] = value
		} else if v, ok := value.(map[string]any); ok {
			for k, sv := range v {
				el[k] = sv
			}
		}
		kept = append(kept, el)
	}
	obj[key] = kept
	return nil
}

// elementFromFilter builds an element from a filter made of "a eq v"
// joined by and.
func elementFromFilter(f filter.Expression) (map[string]any, bool) {
	switch f := f.(type) {
	case *filter.AttributeExpression:
		if f.Operator != filter.EQ || f.AttributePath.SubAttribute != nil {
			return nil, false
		}
		v := f.CompareValue
		if s, ok := v.(string); ok {
			v = unescape(s)
		}
		return map[string]any{f.AttributePath.AttributeName: v}, true
	case *filter.LogicalExpression:
		if f.Operator != filter.AND {
			return nil, false
		}
		left, ok := elementFromFilter(f.Left)
		if !ok {
			return nil, false
		}
		right, ok := elementFromFilter(f.Right)
		if !ok {
			return nil, false
		}
		for k, v := range right {
			left[k] = v
		}
		return left, true
	}
	return nil, false
}

// matchElement evaluates a value filter on one element. Strings compare
// case-insensitively, numbers as their decimal text.
func matchElement(f filter.Expression, el map[string]any) bool {
	switch f := f.(type) {
	case *filter.LogicalExpression:
		if f.Operator == filter.OR {
			return matchElement(f.Left, el) || matchElement(f.Right, el)
		}
		return matchElement(f.Left, el) && matchElement(f.Right, el)
	case *filter.NotExpression:
		return !matchElement(f.Expression, el)
	case *filter.AttributeExpression:
		have, ok := el[keyOf(el, f.AttributePath.AttributeName)]
		if !ok || have == nil {
			return false
		}
		if f.Operator == filter.PR {
			return true
		}
		want := f.CompareValue
		if _, isString := have.(string); isString {
			if _, wantString := want.(string); !wantString && want != nil {
				want = fmt.Sprint(want)
			}
		}
		if n, isNumber := have.(float64); isNumber {
			have = fmt.Sprint(n)
			if _, wantString := want.(string); !wantString {
				want = fmt.Sprint(want)
			}
		}
		holds, err := compareConstant(have, f.Operator, want)
		return err == nil && holds
	}
	return false
}

// appendValues adds value (one element or a list) to list, leaving out
// elements already there.
func appendValues(list []any, value any) []any {
	items, ok := value.([]any)
	if !ok {
		items = []any{value}
	}
	for _, item := range items {
		if !containsValue(list, item) {
			list = append(list, item)
		}
	}
	return list
}

// removeValues takes out of list the elements value names (one or a list),
// matching elements by their "value" sub-attribute.
func removeValues(list []any, value any) []any {
	items, ok := value.([]any)
	if !ok {
		items = []any{value}
	}
	out := list[:0:0]
	for _, el := range list {
		if !containsValue(items, el) {
			out = append(out, el)
		}
	}
	return out
}

func containsValue(list []any, item any) bool {
	want := valueText(item)
	for _, el := range list {
		if valueText(el) == want {
			return true
		}
	}
	return false
}

// valueText is an element's identity: its "value" sub-attribute, or the
// element itself for a simple value, as lower-case text.
func valueText(v any) string {
	if obj, ok := v.(map[string]any); ok {
		v = obj[keyOf(obj, "value")]
	}
	return strings.ToLower(fmt.Sprint(v))
}

// keyOf returns the key of obj that names attribute name, in whatever
// case it is stored, or name itself when obj has none.
func keyOf(obj map[string]any, name string) string {
	if _, ok := obj[name]; ok {
		return name
	}
	for k := range obj {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

// childObject returns the object held by attribute name, making it when
// absent or not an object.
func childObject(obj map[string]any, name string) map[string]any {
	key := keyOf(obj, name)
	if child, ok := obj[key].(map[string]any); ok {
		return child
	}
	child := map[string]any{}
	obj[key] = child
	return child
}
