package api

import (
	"testing"

	"crewid"
)

func TestOptionalNullFlagIsInvalid(t *testing.T) {
	var body struct {
		Active Optional[bool]   `json:"active"`
		Email  Optional[string] `json:"email"`
	}
	err := DecodeBytes([]byte(`{"active": null}`), &body)
	e, ok := err.(*crewid.Error)
	if !ok || e.Code != crewid.Invalid || len(e.Fields["active"]) != 1 {
		t.Fatalf("null flag: got %v, want an Invalid error on active", err)
	}
	body.Active, body.Email = Optional[bool]{}, Optional[string]{}
	if err := DecodeBytes([]byte(`{"email": null}`), &body); err != nil || !body.Email.Set || !body.Email.Null {
		t.Fatalf("null string: err %v, %+v", err, body.Email)
	}
	if body.Active.Set {
		t.Fatal("absent field marked as set")
	}
}
