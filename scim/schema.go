package scim

import "strings"

// Schema URNs.
const (
	SchemaUser            = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup           = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterpriseUser  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaCrewidUser      = "urn:crewid:params:scim:schemas:extension:crewid:2.0:User"
	SchemaListResponse    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp         = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError           = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaServiceProvider = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaResourceType    = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema          = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// namespace tells which schema an attribute path belongs to. Attribute
// names and URNs compare case-insensitively (RFC 7643 §2.1).
type namespace int

const (
	nsCore namespace = iota
	nsEnterprise
	nsCrewid
	nsUnknown
)

func namespaceOf(uri *string, resourceSchema string) namespace {
	if uri == nil {
		return nsCore
	}
	switch {
	case strings.EqualFold(*uri, resourceSchema):
		return nsCore
	case strings.EqualFold(*uri, SchemaEnterpriseUser) && resourceSchema == SchemaUser:
		return nsEnterprise
	case strings.EqualFold(*uri, SchemaCrewidUser) && resourceSchema == SchemaUser:
		return nsCrewid
	}
	return nsUnknown
}

// pathKey is an attribute path in one lower-case form: "name.givenname",
// "enterprise:manager.value", "crewid:team".
func pathKey(ns namespace, name string, sub *string) string {
	key := strings.ToLower(name)
	if sub != nil {
		key += "." + strings.ToLower(*sub)
	}
	switch ns {
	case nsEnterprise:
		return "enterprise:" + key
	case nsCrewid:
		return "crewid:" + key
	}
	return key
}
