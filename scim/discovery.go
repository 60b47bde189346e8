package scim

// The discovery documents (RFC 7644 §4): what this service provider
// supports, its resource types, and the schemas of their attributes as
// crewid keeps them.

// ServiceProviderConfig describes the service's capabilities.
func ServiceProviderConfig(base, docs string) map[string]any {
	return map[string]any{
		"schemas":          []string{SchemaServiceProvider},
		"documentationUri": docs,
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "An access token from the token endpoint (client credentials) of an API application with the scim scope.",
			"specUri":     "https://www.rfc-editor.org/info/rfc6750",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	}
}

// ResourceTypes lists Users and Groups.
func ResourceTypes(base string) []map[string]any {
	return []map[string]any{
		{
			"schemas": []string{SchemaResourceType}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "An office employee or a field technician.", "schema": SchemaUser,
			"schemaExtensions": []map[string]any{
				{"schema": SchemaEnterpriseUser, "required": false},
				{"schema": SchemaCrewidUser, "required": false},
			},
			"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/User"},
		},
		{
			"schemas": []string{SchemaResourceType}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "A role; its members are the people holding it.", "schema": SchemaGroup,
			"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/Group"},
		},
	}
}

// attribute describes one attribute in a schema.
func attribute(name, typ, description string, opts ...func(map[string]any)) map[string]any {
	a := map[string]any{
		"name": name, "type": typ, "multiValued": false, "description": description, "required": false,
		"caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

func multi(a map[string]any)     { a["multiValued"] = true }
func required(a map[string]any)  { a["required"] = true }
func readOnly(a map[string]any)  { a["mutability"] = "readOnly" }
func immutable(a map[string]any) { a["mutability"] = "immutable" }
func caseExact(a map[string]any) { a["caseExact"] = true }
func unique(a map[string]any)    { a["uniqueness"] = "server" }

func subAttributes(subs ...map[string]any) func(map[string]any) {
	return func(a map[string]any) { a["subAttributes"] = subs }
}

func canonical(values ...string) func(map[string]any) {
	return func(a map[string]any) { a["canonicalValues"] = values }
}

// Schemas returns the schemas of the attributes crewid keeps; attributes a
// directory sends beyond them are accepted and not stored.
func Schemas(base string) []map[string]any {
	schema := func(id, name, description string, attrs ...map[string]any) map[string]any {
		return map[string]any{
			"schemas": []string{SchemaSchema}, "id": id, "name": name, "description": description, "attributes": attrs,
			"meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + id},
		}
	}
	typedValue := func(name, description string, types ...string) map[string]any {
		return attribute(name, "complex", description, multi, subAttributes(
			attribute("value", "string", "The value."),
			attribute("type", "string", "Which one it is.", canonical(types...)),
			attribute("primary", "boolean", "Whether it is the primary one."),
		))
	}
	reference := func(name, description string, opts ...func(map[string]any)) map[string]any {
		return attribute(name, "complex", description, append(opts, subAttributes(
			attribute("value", "string", "The id of the resource.", caseExact),
			attribute("$ref", "reference", "Its URI.", readOnly),
			attribute("display", "string", "Its name.", readOnly),
		))...)
	}
	return []map[string]any{
		schema(SchemaUser, "User", "A person: an office employee or a field technician.",
			attribute("userName", "string", "The login, or the email when the person has no other login.", required, unique),
			attribute("externalId", "string", "The directory's id of the person.", caseExact),
			attribute("name", "complex", "The person's name.", subAttributes(
				attribute("formatted", "string", "The full name, the name of record."),
				attribute("givenName", "string", "The given name."),
				attribute("familyName", "string", "The family name."),
			)),
			attribute("displayName", "string", "The name of record."),
			attribute("active", "boolean", "Whether the person may sign in; false deactivates."),
			typedValue("emails", "The work email; an email is changed only by a platform operator.", "work"),
			typedValue("phoneNumbers", "The mobile number (used for SMS) and an employee's office number.", "mobile", "work"),
			reference("groups", "The roles the person holds.", multi, readOnly),
		),
		schema(SchemaEnterpriseUser, "EnterpriseUser", "Enterprise attributes.",
			attribute("employeeNumber", "string", "The employee number.", caseExact),
			reference("manager", "The person's manager, a User of this service."),
		),
		schema(SchemaCrewidUser, "CrewidUser", "What makes an employee or a technician.",
			attribute("type", "string", "Employee (the default) or Technician; set on creation.", immutable, canonical("Employee", "Technician")),
			attribute("positions", "string", "Positions held.", multi),
			attribute("mobileAccessEnabled", "boolean", "A technician's mobile access (default true)."),
			attribute("licenseType", "string", "A technician's license; required to create or activate one.",
				canonical("ManagedTechnician", "NonManagedTechnician", "ManagedInstaller")),
			attribute("businessUnitId", "string", "The id of the person's business unit.", caseExact),
			attribute("team", "string", "A technician's team, by name."),
			attribute("aadUserId", "string", "The Entra ID object id single sign-on links the person by.", caseExact),
		),
		schema(SchemaGroup, "Group", "A role; its members hold it.",
			attribute("displayName", "string", "The role's name.", required, unique),
			attribute("externalId", "string", "The directory's id of the group.", caseExact),
			reference("members", "The people holding the role.", multi),
		),
	}
}
