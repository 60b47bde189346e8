// Package dispatchclient is a client of the Dispatch API's teams and zones,
// generated from the published OpenAPI document
// (../shared/reference/tenant-dispatch-v2.json), for the tests. Do not edit
// client.gen.go; regenerate it.
package dispatchclient

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml ../../../../shared/reference/tenant-dispatch-v2.json
