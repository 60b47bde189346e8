package org

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/people"
	"crewid/store"
)

// stampTimes sets the tenant and the times of a record, for the records
// whose fields have the usual names.
func stampTimes(tenant *int64, created, modified *time.Time, tenantID int64, now time.Time, isNew bool) {
	*tenant, *modified = tenantID, now
	if isNew {
		*created = now
	}
}

// Tag types.

var tagTypes = record[crewid.TagType]{
	kind: "TagType",
	get: func(ctx context.Context, r store.Reader, tenantID, id int64) (crewid.TagType, error) {
		return r.TagType(ctx, tenantID, id)
	},
	create: func(ctx context.Context, tx store.Tx, t *crewid.TagType) error { return tx.CreateTagType(ctx, t) },
	update: func(ctx context.Context, tx store.Tx, t *crewid.TagType) error { return tx.UpdateTagType(ctx, t) },
	id:     func(t *crewid.TagType) int64 { return t.ID },
	stamp: func(t *crewid.TagType, tenantID int64, now time.Time, created bool) {
		stampTimes(&t.TenantID, &t.CreatedOn, &t.ModifiedOn, tenantID, now, created)
	},
	validate: func(_ context.Context, _ store.Tx, _ int64, _, t *crewid.TagType) error {
		p := crewid.Problems{}
		t.Name = cleanName(p, t.Name)
		t.Code = cleanText(p, "code", t.Code, 50)
		t.Color = strings.TrimSpace(t.Color)
		if t.Color == "" {
			t.Color = "#808080"
		}
		if !hexColor.MatchString(t.Color) {
			p.Add("color", "The color must be a hex string such as #1A2B3C.")
		}
		if t.Importance != "" && t.Importance != "Medium" && t.Importance != "High" {
			p.Add("importance", "Must be Medium or High.")
		}
		return p.Err()
	},
}

// CreateTagType adds a tag type.
func (s *Service) CreateTagType(ctx context.Context, actor crewid.Actor, tenantID int64, t crewid.TagType) (crewid.TagType, error) {
	return createRecord(ctx, s, actor, tenantID, tagTypes, t)
}

// UpdateTagType changes a tag type through edit.
func (s *Service) UpdateTagType(ctx context.Context, actor crewid.Actor, tenantID, id int64, edit func(*crewid.TagType) error) (crewid.TagType, error) {
	return updateRecord(ctx, s, actor, tenantID, id, tagTypes, func(t crewid.TagType) crewid.TagType { return t }, edit)
}

// Teams.

var teams = record[crewid.Team]{
	kind: "Team",
	get: func(ctx context.Context, r store.Reader, tenantID, id int64) (crewid.Team, error) {
		return r.Team(ctx, tenantID, id)
	},
	create: func(ctx context.Context, tx store.Tx, t *crewid.Team) error { return tx.CreateTeam(ctx, t) },
	update: func(ctx context.Context, tx store.Tx, t *crewid.Team) error { return tx.UpdateTeam(ctx, t) },
	delete: func(ctx context.Context, tx store.Tx, tenantID, id int64) error {
		return tx.DeleteTeam(ctx, tenantID, id)
	},
	id: func(t *crewid.Team) int64 { return t.ID },
	stamp: func(t *crewid.Team, tenantID int64, now time.Time, created bool) {
		stampTimes(&t.TenantID, &t.CreatedOn, &t.ModifiedOn, tenantID, now, created)
	},
	validate: func(_ context.Context, _ store.Tx, _ int64, _, t *crewid.Team) error {
		p := crewid.Problems{}
		t.Name = cleanName(p, t.Name)
		return p.Err()
	},
}

// CreateTeam adds a team, or returns the team of that name if one exists
// (created is then false), as the Dispatch API does.
func (s *Service) CreateTeam(ctx context.Context, actor crewid.Actor, tenantID int64, t crewid.Team) (team crewid.Team, created bool, err error) {
	name := strings.TrimSpace(t.Name)
	if existing, err := s.Store.TeamByName(ctx, tenantID, name); err == nil {
		return existing, false, nil
	} else if !crewid.IsNotFound(err) {
		return crewid.Team{}, false, err
	}
	team, err = createRecord(ctx, s, actor, tenantID, teams, t)
	if crewid.CodeOf(err) == crewid.Conflict {
		// Created by a concurrent request between the lookup and the insert.
		if existing, err2 := s.Store.TeamByName(ctx, tenantID, name); err2 == nil {
			return existing, false, nil
		}
	}
	return team, err == nil, err
}

// UpdateTeam changes a team through edit.
func (s *Service) UpdateTeam(ctx context.Context, actor crewid.Actor, tenantID, id int64, edit func(*crewid.Team) error) (crewid.Team, error) {
	return updateRecord(ctx, s, actor, tenantID, id, teams, func(t crewid.Team) crewid.Team { return t }, edit)
}

// DeleteTeam removes a team no technician belongs to.
func (s *Service) DeleteTeam(ctx context.Context, actor crewid.Actor, tenantID, id int64) error {
	return deleteRecord(ctx, s, actor, tenantID, id, teams)
}

// Zones.

// ServiceDays are the days a zone can be served on.
var ServiceDays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

var zones = record[crewid.Zone]{
	kind: "Zone",
	get: func(ctx context.Context, r store.Reader, tenantID, id int64) (crewid.Zone, error) {
		return r.Zone(ctx, tenantID, id)
	},
	create: func(ctx context.Context, tx store.Tx, z *crewid.Zone) error { return tx.CreateZone(ctx, z) },
	update: func(ctx context.Context, tx store.Tx, z *crewid.Zone) error { return tx.UpdateZone(ctx, z) },
	delete: func(ctx context.Context, tx store.Tx, tenantID, id int64) error {
		return tx.DeleteZone(ctx, tenantID, id)
	},
	id: func(z *crewid.Zone) int64 { return z.ID },
	stamp: func(z *crewid.Zone, tenantID int64, now time.Time, created bool) {
		stampTimes(&z.TenantID, &z.CreatedOn, &z.ModifiedOn, tenantID, now, created)
	},
	validate: func(ctx context.Context, tx store.Tx, tenantID int64, before, z *crewid.Zone) error {
		p := crewid.Problems{}
		z.Name = cleanName(p, z.Name)
		z.Zips = cleanStrings(p, "zips", z.Zips)
		z.Cities = cleanStrings(p, "cities", z.Cities)
		z.TerritoryNumbers = cleanStrings(p, "territoryNumbers", z.TerritoryNumbers)
		z.LocnNumbers = cleanStrings(p, "locnNumbers", z.LocnNumbers)
		z.ServiceDays = cleanStrings(p, "serviceDays", z.ServiceDays)
		for _, d := range z.ServiceDays {
			if !slices.Contains(ServiceDays, d) {
				p.Add("serviceDays", "'"+d+"' is not a day of the week (Monday … Sunday).")
			}
		}
		z.BusinessUnits, z.Technicians = dedupe(z.BusinessUnits), dedupe(z.Technicians)
		// Each new reference is looked up below, in the transaction.
		if len(z.BusinessUnits) > maxRefs {
			p.Add("businessUnits", "Too many entries.")
		}
		if len(z.Technicians) > maxRefs {
			p.Add("technicians", "Too many entries.")
		}
		if len(z.BusinessUnits) > maxRefs || len(z.Technicians) > maxRefs {
			return p.Err()
		}
		for _, id := range z.BusinessUnits {
			if before != nil && slices.Contains(before.BusinessUnits, id) {
				continue
			}
			if _, err := tx.BusinessUnit(ctx, tenantID, id); crewid.IsNotFound(err) {
				p.Add("businessUnits", "Business unit "+itoa(id)+" does not exist.")
			} else if err != nil {
				return err
			}
		}
		for _, id := range z.Technicians {
			if before != nil && slices.Contains(before.Technicians, id) {
				continue
			}
			person, err := tx.Person(ctx, tenantID, id)
			if crewid.IsNotFound(err) || (err == nil && person.Kind != crewid.KindTechnician) {
				p.Add("technicians", "Technician "+itoa(id)+" does not exist.")
			} else if err != nil {
				return err
			}
		}
		return p.Err()
	},
}

func cloneZone(z crewid.Zone) crewid.Zone {
	c := z
	c.Zips, c.Cities = slices.Clone(z.Zips), slices.Clone(z.Cities)
	c.TerritoryNumbers, c.LocnNumbers = slices.Clone(z.TerritoryNumbers), slices.Clone(z.LocnNumbers)
	c.ServiceDays = slices.Clone(z.ServiceDays)
	c.BusinessUnits, c.Technicians = slices.Clone(z.BusinessUnits), slices.Clone(z.Technicians)
	return c
}

// CreateZone adds a zone.
func (s *Service) CreateZone(ctx context.Context, actor crewid.Actor, tenantID int64, z crewid.Zone) (crewid.Zone, error) {
	return createRecord(ctx, s, actor, tenantID, zones, z)
}

// UpdateZone changes a zone through edit.
func (s *Service) UpdateZone(ctx context.Context, actor crewid.Actor, tenantID, id int64, edit func(*crewid.Zone) error) (crewid.Zone, error) {
	return updateRecord(ctx, s, actor, tenantID, id, zones, cloneZone, edit)
}

// DeleteZone removes a zone no technician is in.
func (s *Service) DeleteZone(ctx context.Context, actor crewid.Actor, tenantID, id int64) error {
	return deleteRecord(ctx, s, actor, tenantID, id, zones)
}

// Custom field types.

var customFieldTypes = record[crewid.CustomFieldType]{
	kind: "CustomFieldType",
	get: func(ctx context.Context, r store.Reader, tenantID, id int64) (crewid.CustomFieldType, error) {
		return r.CustomFieldType(ctx, tenantID, id)
	},
	create: func(ctx context.Context, tx store.Tx, c *crewid.CustomFieldType) error {
		return tx.CreateCustomFieldType(ctx, c)
	},
	update: func(ctx context.Context, tx store.Tx, c *crewid.CustomFieldType) error {
		return tx.UpdateCustomFieldType(ctx, c)
	},
	id: func(c *crewid.CustomFieldType) int64 { return c.ID },
	stamp: func(c *crewid.CustomFieldType, tenantID int64, now time.Time, created bool) {
		stampTimes(&c.TenantID, &c.CreatedOn, &c.ModifiedOn, tenantID, now, created)
	},
	validate: func(_ context.Context, _ store.Tx, _ int64, before, c *crewid.CustomFieldType) error {
		p := crewid.Problems{}
		c.Name = cleanName(p, c.Name)
		if !c.AppliesTo.Valid() {
			p.Add("appliesTo", "Must be Employee or Technician.")
		}
		if c.DataType == "" {
			c.DataType = "Text"
		}
		if !slices.Contains(people.CustomFieldDataTypes, c.DataType) {
			p.Add("dataType", "Must be one of: "+strings.Join(people.CustomFieldDataTypes, ", ")+".")
		}
		if before != nil && (before.AppliesTo != c.AppliesTo || before.DataType != c.DataType) {
			p.Add("dataType", "The type and data type of a custom field cannot change once it exists.")
		}
		return p.Err()
	},
}

// CreateCustomFieldType adds a custom field type.
func (s *Service) CreateCustomFieldType(ctx context.Context, actor crewid.Actor, tenantID int64, c crewid.CustomFieldType) (crewid.CustomFieldType, error) {
	return createRecord(ctx, s, actor, tenantID, customFieldTypes, c)
}

// UpdateCustomFieldType changes a custom field type through edit.
func (s *Service) UpdateCustomFieldType(ctx context.Context, actor crewid.Actor, tenantID, id int64, edit func(*crewid.CustomFieldType) error) (crewid.CustomFieldType, error) {
	return updateRecord(ctx, s, actor, tenantID, id, customFieldTypes, func(c crewid.CustomFieldType) crewid.CustomFieldType { return c }, edit)
}

// maxRefs bounds a list of references to other records.
const maxRefs = 1000

// dedupe drops repeated ids, keeping order, in linear time.
func dedupe(ids []int64) []int64 {
	out := []int64{}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
