// Package scim holds crewid's SCIM 2.0 provisioning rules (RFC 7643, RFC
// 7644) without HTTP: filters turned into store filters, users mapped to
// people and groups to roles, PATCH operations, and the changes they make
// through the people and org services, so that every rule of a profile
// holds whatever a directory sends.
package scim

import (
	"errors"
	"fmt"

	"crewid"
)

// SCIM error types (RFC 7644 §3.12) a request can fail with.
const (
	TypeInvalidFilter = "invalidFilter"
	TypeInvalidPath   = "invalidPath"
	TypeInvalidValue  = "invalidValue"
	TypeInvalidSyntax = "invalidSyntax"
	TypeMutability    = "mutability"
	TypeNoTarget      = "noTarget"
	TypeUniqueness    = "uniqueness"
	TypeTooMany       = "tooMany"
)

// Error is a failure with its SCIM error type. It wraps a crewid.Error, so
// crewid.CodeOf gives the status class.
type Error struct {
	Type string
	Err  *crewid.Error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func scimError(code crewid.ErrorCode, typ, format string, args ...any) error {
	return &Error{Type: typ, Err: crewid.Errorf(code, format, args...)}
}

func invalidFilter(format string, args ...any) error {
	return scimError(crewid.Invalid, TypeInvalidFilter, "Invalid filter: "+format, args...)
}

func invalidPath(format string, args ...any) error {
	return scimError(crewid.Invalid, TypeInvalidPath, format, args...)
}

func invalidValue(format string, args ...any) error {
	return scimError(crewid.Invalid, TypeInvalidValue, format, args...)
}

// ErrorType is the SCIM error type of err: its own when it is an *Error,
// uniqueness for a conflict, invalidValue for other invalid input, and ""
// when none applies (not found, forbidden, internal).
func ErrorType(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	switch crewid.CodeOf(err) {
	case crewid.Conflict:
		return TypeUniqueness
	case crewid.Invalid:
		return TypeInvalidValue
	}
	return ""
}

// Detail is the human-readable detail of err: the message and, for field
// errors, what is wrong with each field.
func Detail(err error) string {
	var e *crewid.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return fmt.Sprint(err)
}
