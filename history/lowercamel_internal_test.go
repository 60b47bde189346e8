package history

import "testing"

func TestLowerCamel(t *testing.T) {
	for in, want := range map[string]string{
		"ID": "id", "IP": "ip", "Name": "name", "BusinessUnitID": "businessUnitId", "RoleIDs": "roleIds",
		"ZoneIDs": "zoneIds", "AADUserID": "aadUserId", "ApplicationGUID": "applicationGuid",
		"MainZoneID": "mainZoneId", "MobilePhone": "mobilePhone", "IDsOwner": "idsOwner",
		"URL": "url", "HTTPServer": "httpServer", "TemporaryUntil": "temporaryUntil", "X": "x",
		"Address2": "address2", "PermissionID": "permissionId", "SessionsNotBefore": "sessionsNotBefore",
	} {
		if got := lowerCamel(in); got != want {
			t.Errorf("lowerCamel(%q) = %q, want %q", in, got, want)
		}
	}
}
