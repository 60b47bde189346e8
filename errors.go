package crewid

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrorCode classifies a failure so each interface can answer in its own
// terms (an HTTP status, a CLI exit message).
type ErrorCode string

const (
	Invalid         ErrorCode = "invalid"
	NotFound        ErrorCode = "not_found"
	Conflict        ErrorCode = "conflict"
	Unauthenticated ErrorCode = "unauthenticated"
	Forbidden       ErrorCode = "forbidden"
	RateLimited     ErrorCode = "rate_limited"
	Internal        ErrorCode = "internal"
)

// Error is a domain error. Fields maps a field name to what is wrong with it.
type Error struct {
	Code    ErrorCode
	Message string
	Fields  map[string][]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	names := make([]string, 0, len(e.Fields))
	for name := range e.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(e.Message)
	for _, name := range names {
		fmt.Fprintf(&b, "; %s: %s", name, strings.Join(e.Fields[name], ", "))
	}
	return b.String()
}

// Errorf makes an Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError makes an Invalid error about one field.
func FieldError(field, message string) *Error {
	return &Error{Code: Invalid, Message: "The request is invalid.", Fields: map[string][]string{field: {message}}}
}

// ConflictError makes a Conflict error about one field.
func ConflictError(field, message string) *Error {
	return &Error{Code: Conflict, Message: message, Fields: map[string][]string{field: {message}}}
}

// ErrNotFound is the plain not-found error.
var ErrNotFound = &Error{Code: NotFound, Message: "The record was not found."}

// CodeOf returns the code of err, Internal when err is not an *Error.
func CodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// IsNotFound reports whether err is a NotFound error.
func IsNotFound(err error) bool { return CodeOf(err) == NotFound }

// Problems collects field errors while validating a request.
type Problems map[string][]string

// Add records a problem with a field.
func (p Problems) Add(field, message string) { p[field] = append(p[field], message) }

// Err returns an Invalid error listing the problems, or nil if there are none.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: "The request is invalid.", Fields: p}
}
