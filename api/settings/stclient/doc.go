// Package stclient is a Settings API client generated from the published
// OpenAPI document (../shared/reference/tenant-settings-v2.json), used by
// the tests to prove that a client written for that document works against
// crewid unchanged. Do not edit client.gen.go; regenerate it.
package stclient

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml ../../../../shared/reference/tenant-settings-v2.json
