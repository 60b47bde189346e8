package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"crewid"
)

// MaxBody is the largest request body accepted.
const MaxBody = 1 << 20

// Decode reads a JSON request body into v. Unknown fields are ignored (as
// the published API does); malformed JSON, wrong types and trailing data are
// Invalid errors that name the field where possible.
func Decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return crewid.FieldError("body", "The body must be JSON (Content-Type: application/json).")
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return crewid.FieldError("body", "The body could not be read.")
	}
	if len(body) > MaxBody {
		return crewid.FieldError("body", "The body is larger than 1 MiB.")
	}
	return DecodeBytes(body, v)
}

// DecodeBytes is Decode for a body already read.
func DecodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return crewid.FieldError("body", "A JSON body is required.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return crewid.FieldError("body", "The body must hold exactly one JSON value.")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var fieldErr *crewid.Error
	switch {
	case errors.As(err, &fieldErr):
		return fieldErr
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return crewid.FieldError(field, fmt.Sprintf("Expected %s, got a JSON %s.", jsonKind(typeErr.Type.Kind().String()), typeErr.Value))
	case errors.As(err, &syntaxErr):
		return crewid.FieldError("body", fmt.Sprintf("The body is not valid JSON (at byte %d).", syntaxErr.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return crewid.FieldError("body", "The body is not complete JSON.")
	}
	return crewid.FieldError("body", "The body could not be decoded: "+err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "another type"
}

// Optional is a request field that may be absent, null or set, for PATCH
// bodies where those three mean different things.
type Optional[T any] struct {
	Set   bool // present in the body
	Null  bool // present as null
	Value T
}

// UnmarshalJSON records that the field was present.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		if t := reflect.TypeFor[T](); t.Kind() == reflect.Bool {
			// A flag has no "cleared" state; null is a mistake, not false.
			return &json.UnmarshalTypeError{Value: "null", Type: t}
		}
		o.Null = true
		var zero T
		o.Value = zero
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Apply sets *dst from o when o was present (null sets the zero value).
func (o Optional[T]) Apply(dst *T) {
	if o.Set {
		*dst = o.Value
	}
}
