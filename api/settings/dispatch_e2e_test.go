package settings_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
	"time"

	"crewid/api/settings/dispatchclient"
)

func TestTeams(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		created, err := h.dc.TeamCreateWithResponse(h.ctx, h.tid, dispatchclient.DispatchV2CreateTeamRequest{Active: true, Name: ptr("Red Team")})
		mustOK(t, created, err)
		red := *created.JSON200
		if !red.Created || red.Id == 0 || deref(red.Name) != "Red Team" || !red.Active || deref(red.CreatedBy) != h.env.App.AppID {
			t.Errorf("created team %s", created.Body)
		}
		recent(t, "createdOn", red.CreatedOn)
		recent(t, "modifiedOn", red.ModifiedOn)

		// Creation is idempotent by name.
		again, err := h.dc.TeamCreateWithResponse(h.ctx, h.tid, dispatchclient.DispatchV2CreateTeamRequest{Active: true, Name: ptr(" red TEAM ")})
		mustOK(t, again, err)
		if again.JSON200.Created || again.JSON200.Id != red.Id || deref(again.JSON200.Name) != "Red Team" {
			t.Errorf("second creation %s", again.Body)
		}
		h.wantEvents(t, "Team", red.Id, "Team.Created")

		// Invalid bodies.
		bad, err := h.dc.TeamCreateWithBodyWithResponse(h.ctx, h.tid, "application/json", bytes.NewReader([]byte(`{"name":"No Active"}`)))
		clientError(t, bad, err, 400, "active")
		bad, err = h.dc.TeamCreateWithResponse(h.ctx, h.tid, dispatchclient.DispatchV2CreateTeamRequest{Active: true, Name: ptr("  ")})
		clientError(t, bad, err, 400, "name")

		get, err := h.dc.TeamGetWithResponse(h.ctx, h.tid, red.Id)
		mustOK(t, get, err)
		if get.JSON200.Id != red.Id || deref(get.JSON200.Name) != "Red Team" || !get.JSON200.CreatedOn.Equal(red.CreatedOn) {
			t.Errorf("get %s", get.Body)
		}
		missing, err := h.dc.TeamGetWithResponse(h.ctx, h.tid, red.Id+1000)
		clientError(t, missing, err, 404)

		// Lists: includeInactive, sort, paging.
		blue := h.newTeam(t, "Blue Team")
		off, err := h.dc.TeamCreateWithResponse(h.ctx, h.tid, dispatchclient.DispatchV2CreateTeamRequest{Active: false, Name: ptr("Old Team")})
		mustOK(t, off, err)
		list := func(p dispatchclient.TeamGetListParams) dispatchclient.PaginatedResponseOfDispatchV2TeamResponse {
			t.Helper()
			resp, err := h.dc.TeamGetListWithResponse(h.ctx, h.tid, &p)
			mustOK(t, resp, err)
			return *resp.JSON200
		}
		teamID := func(x dispatchclient.DispatchV2TeamResponse) int64 { return x.Id }
		if got := ids(list(dispatchclient.TeamGetListParams{}).Data, teamID); !slices.Equal(got, []int64{red.Id, blue}) {
			t.Errorf("active teams: %v", got)
		}
		if got := ids(list(dispatchclient.TeamGetListParams{IncludeInactive: ptr(true)}).Data, teamID); !slices.Equal(got, []int64{red.Id, blue, off.JSON200.Id}) {
			t.Errorf("includeInactive: %v", got)
		}
		for sort, want := range map[string][]int64{"-Id": {blue, red.Id}, "+CreatedOn": {red.Id, blue}, "-ModifiedOn": {blue, red.Id}, "+Name": {blue, red.Id}} {
			if got := ids(list(dispatchclient.TeamGetListParams{Sort: ptr(sort)}).Data, teamID); !slices.Equal(got, want) {
				t.Errorf("sort %s: %v, want %v", sort, got, want)
			}
		}
		pg := list(dispatchclient.TeamGetListParams{PageSize: ptr(int32(1)), Page: ptr(int32(2)), IncludeTotal: ptr(true), IncludeInactive: ptr(true)})
		if got := ids(pg.Data, teamID); !slices.Equal(got, []int64{blue}) || !pg.HasMore || deref(pg.TotalCount) != 3 {
			t.Errorf("page 2 of 1: %v hasMore %v total %v", got, pg.HasMore, pg.TotalCount)
		}
		if got := ids(list(dispatchclient.TeamGetListParams{CreatedOnOrAfter: &red.CreatedOn, CreatedBefore: ptr(red.CreatedOn.Add(time.Microsecond))}).Data, teamID); !slices.Equal(got, []int64{red.Id}) {
			t.Errorf("created window of Red: %v", got)
		}
		resp, err := h.dc.TeamGetListWithResponse(h.ctx, h.tid, &dispatchclient.TeamGetListParams{Sort: ptr("+Color")})
		clientError(t, resp, err, 400, "sort")

		// A team with technicians cannot be deleted.
		tech := h.newTechnician(t, "Team Player")
		h.must(t, 200, "PATCH", h.sp("/technicians/%d", tech), map[string]any{"team": "red team"})
		if got := h.technician(t, tech); deref(got.Team) != "Red Team" {
			t.Errorf("technician's team %v", deref(got.Team))
		}
		del, err := h.dc.TeamDeleteWithResponse(h.ctx, h.tid, red.Id)
		clientError(t, del, err, 409)
		h.must(t, 200, "PATCH", h.sp("/technicians/%d", tech), map[string]any{"team": nil})
		del, err = h.dc.TeamDeleteWithResponse(h.ctx, h.tid, red.Id)
		mustOK(t, del, err)
		get, err = h.dc.TeamGetWithResponse(h.ctx, h.tid, red.Id)
		clientError(t, get, err, 404)
		del, err = h.dc.TeamDeleteWithResponse(h.ctx, h.tid, red.Id)
		clientError(t, del, err, 404)
		status, body := h.do(t, "PATCH", h.sp("/technicians/%d", tech), map[string]any{"team": "Red Team"})
		wantError(t, status, body, 400, "team")
		status, body = h.do(t, "PATCH", h.sp("/technicians/%d", tech), map[string]any{"team": "Old Team"})
		wantError(t, status, body, 400, "team") // inactive
		h.wantEvents(t, "Team", red.Id, "Team.Created", "Team.Deleted")
		// Simultaneous creations of one name make one team.
		var calls []func() *http.Request
		for range 20 {
			calls = append(calls, h.jsonRequest("POST", h.dp("/teams"), map[string]any{"name": "Rush Team", "active": true}))
		}
		statuses, bodies := h.parallel(t, calls)
		made, teamIDs := 0, map[int64]bool{}
		for i, st := range statuses {
			if st != 200 {
				t.Errorf("simultaneous creation: %d %s", st, bodies[i])
				continue
			}
			r := decode[dispatchclient.DispatchV2CreateTeamResponse](t, bodies[i])
			teamIDs[r.Id] = true
			if r.Created {
				made++
			}
		}
		if made != 1 || len(teamIDs) != 1 {
			t.Errorf("simultaneous creations: %d created, %d distinct ids; want 1 and 1", made, len(teamIDs))
		}
	})
}

func TestZones(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		bu := h.newBusinessUnit(t, "Zone Unit")
		t1, t2 := h.newTechnician(t, "Zone Tech 1"), h.newTechnician(t, "Zone Tech 2")
		id := h.mustID(t, "POST", h.dp("/zones"), map[string]any{
			"name": "North Side", "zips": []string{"62701", "62702", "62701"}, "cities": []string{"Springfield"},
			"territoryNumbers": []string{"T1"}, "locnNumbers": []string{"L1", "L2"}, "serviceDaysEnabled": true,
			"serviceDays": []string{"Monday", "Friday"}, "businessUnits": []int64{bu}, "technicians": []int64{t1},
		})
		get := func(id int64) dispatchclient.DispatchV2ZoneResponse {
			t.Helper()
			resp, err := h.dc.ZoneGetWithResponse(h.ctx, h.tid, id)
			mustOK(t, resp, err)
			return *resp.JSON200
		}
		z := get(id)
		if deref(z.Name) != "North Side" || !z.Active || !slices.Equal(deref(z.Zips), []string{"62701", "62702"}) ||
			!slices.Equal(deref(z.Cities), []string{"Springfield"}) || !slices.Equal(deref(z.TerritoryNumbers), []string{"T1"}) ||
			!slices.Equal(deref(z.LocnNumbers), []string{"L1", "L2"}) || !z.ServiceDaysEnabled ||
			!slices.Equal(deref(z.ServiceDays), []string{"Monday", "Friday"}) || !slices.Equal(deref(z.BusinessUnits), []int64{bu}) ||
			!slices.Equal(deref(z.Technicians), []int64{t1}) || z.CreatedBy != h.env.App.AppID {
			t.Errorf("zone %s", jsonOf(z))
		}
		recent(t, "createdOn", z.CreatedOn)
		// Technicians set from the zone side show in their zoneIds.
		if got := h.technician(t, t1); !slices.Equal(deref(got.ZoneIds), []int64{id}) {
			t.Errorf("technician %d zoneIds %v", t1, deref(got.ZoneIds))
		}

		// PATCH (extension): only what is sent.
		h.must(t, 200, "PATCH", h.dp("/zones/%d", id), map[string]any{"name": "North Side 2", "technicians": []int64{t1, t2}})
		z2 := get(id)
		if deref(z2.Name) != "North Side 2" || !slices.Equal(deref(z2.Zips), deref(z.Zips)) || !slices.Equal(deref(z2.ServiceDays), deref(z.ServiceDays)) ||
			!slices.Equal(deref(z2.Technicians), []int64{t1, t2}) || !z2.CreatedOn.Equal(z.CreatedOn) || !z2.ModifiedOn.After(z.ModifiedOn) {
			t.Errorf("after PATCH: %s", jsonOf(z2))
		}
		if got := h.technician(t, t2); !slices.Equal(deref(got.ZoneIds), []int64{id}) {
			t.Errorf("technician %d zoneIds %v", t2, deref(got.ZoneIds))
		}
		// …and technicians' own zone lists show on the zone.
		other := h.mustID(t, "POST", h.dp("/zones"), map[string]any{"name": "South Side"})
		h.must(t, 200, "PATCH", h.sp("/technicians/%d", t2), map[string]any{"zoneIds": []int64{id, other}, "mainZoneId": other})
		if got := get(other); !slices.Equal(deref(got.Technicians), []int64{t2}) {
			t.Errorf("zone %d technicians %v", other, deref(got.Technicians))
		}

		// Invalid zones.
		for _, c := range []struct {
			body  map[string]any
			code  int
			field string
		}{
			{map[string]any{"name": "Bad Days", "serviceDays": []string{"Funday"}}, 400, "serviceDays"},
			{map[string]any{"name": "Bad Unit", "businessUnits": []int64{987654}}, 400, "businessUnits"},
			{map[string]any{"name": "Bad Tech", "technicians": []int64{987654}}, 400, "technicians"},
			{map[string]any{"zips": []string{"1"}}, 400, "name"},
			{map[string]any{"name": "north side 2"}, 409, "name"},
		} {
			status, body := h.do(t, "POST", h.dp("/zones"), c.body)
			wantError(t, status, body, c.code, c.field)
		}
		emp := h.newEmployee(t, "Not A Technician")
		status, body := h.do(t, "PATCH", h.dp("/zones/%d", id), map[string]any{"technicians": []int64{emp}})
		wantError(t, status, body, 400, "technicians")

		// Lists.
		h.must(t, 200, "PATCH", h.dp("/zones/%d", other), map[string]any{"active": false})
		list := func(p dispatchclient.ZoneGetListParams) dispatchclient.PaginatedResponseOfDispatchV2ZoneResponse {
			t.Helper()
			resp, err := h.dc.ZoneGetListWithResponse(h.ctx, h.tid, &p)
			mustOK(t, resp, err)
			return *resp.JSON200
		}
		zoneID := func(x dispatchclient.DispatchV2ZoneResponse) int64 { return x.Id }
		third := h.mustID(t, "POST", h.dp("/zones"), map[string]any{"name": "East Side"})
		if got := ids(list(dispatchclient.ZoneGetListParams{}).Data, zoneID); !slices.Equal(got, []int64{id, third}) {
			t.Errorf("active zones: %v", got)
		}
		if got := ids(list(dispatchclient.ZoneGetListParams{Active: ptr("False")}).Data, zoneID); !slices.Equal(got, []int64{other}) {
			t.Errorf("inactive zones: %v", got)
		}
		if got := ids(list(dispatchclient.ZoneGetListParams{Active: ptr("Any"), Sort: ptr("-Id")}).Data, zoneID); !slices.Equal(got, []int64{third, other, id}) {
			t.Errorf("sort -Id: %v", got)
		}
		if got := ids(list(dispatchclient.ZoneGetListParams{Active: ptr("Any"), Sort: ptr("-ModifiedOn")}).Data, zoneID); !slices.Equal(got, []int64{third, other, id}) {
			t.Errorf("sort -ModifiedOn: %v", got)
		}
		pg := list(dispatchclient.ZoneGetListParams{Active: ptr("Any"), PageSize: ptr(int32(2)), IncludeTotal: ptr(true)})
		if got := ids(pg.Data, zoneID); !slices.Equal(got, []int64{id, other}) || !pg.HasMore || deref(pg.TotalCount) != 3 {
			t.Errorf("page of 2: %v hasMore %v total %v", got, pg.HasMore, pg.TotalCount)
		}
		resp, err := h.dc.ZoneGetListWithResponse(h.ctx, h.tid, &dispatchclient.ZoneGetListParams{Active: ptr("Sometimes")})
		clientError(t, resp, err, 400, "active")

		// A zone with technicians cannot be deleted.
		status, body = h.do(t, "DELETE", h.dp("/zones/%d", id), nil)
		wantError(t, status, body, 409)
		status, body = h.do(t, "DELETE", h.dp("/zones/%d", other), nil) // t2's main zone
		wantError(t, status, body, 409)
		h.must(t, 200, "PATCH", h.dp("/zones/%d", id), map[string]any{"technicians": []int64{}})
		if got := h.technician(t, t1); len(deref(got.ZoneIds)) != 0 {
			t.Errorf("technician %d still in zones %v", t1, deref(got.ZoneIds))
		}
		h.must(t, 200, "DELETE", h.dp("/zones/%d", id), nil)
		gone, err := h.dc.ZoneGetWithResponse(h.ctx, h.tid, id)
		clientError(t, gone, err, 404)
		status, body = h.do(t, "DELETE", h.dp("/zones/%d", id), nil)
		wantError(t, status, body, 404)
		if got := h.technician(t, t2); !slices.Equal(deref(got.ZoneIds), []int64{other}) {
			t.Errorf("technician %d zoneIds after the deletion: %v", t2, deref(got.ZoneIds))
		}
		h.wantEvents(t, "Zone", id, "Zone.Created", "Zone.Updated", "Zone.Updated", "Zone.Deleted")
	})
}
