package org

import (
	"context"
	"slices"
	"time"

	"crewid"
	"crewid/people"
	"crewid/store"
)

var businessUnits = record[crewid.BusinessUnit]{
	kind: "BusinessUnit",
	get: func(ctx context.Context, r store.Reader, tenantID, id int64) (crewid.BusinessUnit, error) {
		return r.BusinessUnit(ctx, tenantID, id)
	},
	create: func(ctx context.Context, tx store.Tx, b *crewid.BusinessUnit) error {
		return tx.CreateBusinessUnit(ctx, b)
	},
	update: func(ctx context.Context, tx store.Tx, b *crewid.BusinessUnit) error {
		return tx.UpdateBusinessUnit(ctx, b)
	},
	delete: func(ctx context.Context, tx store.Tx, tenantID, id int64) error {
		return tx.DeleteBusinessUnit(ctx, tenantID, id)
	},
	id: func(b *crewid.BusinessUnit) int64 { return b.ID },
	stamp: func(b *crewid.BusinessUnit, tenantID int64, now time.Time, created bool) {
		b.TenantID, b.ModifiedOn = tenantID, now
		if created {
			b.CreatedOn = now
		}
	},
	validate: func(_ context.Context, _ store.Tx, _ int64, _, b *crewid.BusinessUnit) error {
		p := crewid.Problems{}
		b.Name = cleanName(p, b.Name)
		b.OfficialName = cleanText(p, "officialName", b.OfficialName, maxText)
		if email, err := people.NormalizeEmail(b.Email); err != nil {
			p.Add("email", "The email address is not valid.")
		} else {
			b.Email = email
		}
		if phone, err := people.NormalizePhone("phoneNumber", b.PhoneNumber); err != nil {
			p.Add("phoneNumber", "The phone number is not valid.")
		} else {
			b.PhoneNumber = phone
		}
		b.Currency = cleanText(p, "currency", b.Currency, 3)
		for _, f := range []struct {
			name string
			v    *string
		}{{"invoiceHeader", &b.InvoiceHeader}, {"invoiceMessage", &b.InvoiceMessage},
			{"authorizationParagraph", &b.AuthorizationParagraph}, {"acknowledgementParagraph", &b.AcknowledgementParagraph}} {
			*f.v = cleanText(p, f.name, *f.v, 10000)
		}
		for _, f := range []struct {
			name string
			v    *string
		}{{"materialSku", &b.MaterialSku}, {"quickbooksClass", &b.QuickbooksClass}, {"accountCode", &b.AccountCode},
			{"franchiseId", &b.FranchiseID}, {"conceptCode", &b.ConceptCode}, {"corporateContractNumber", &b.CorporateContractNumber}} {
			*f.v = cleanText(p, f.name, *f.v, maxText)
		}
		checkRate(p, "defaultTaxRate", b.DefaultTaxRate)
		if a := b.Address; a != nil {
			for _, f := range []struct {
				name string
				v    *string
			}{{"address.street", &a.Street}, {"address.unit", &a.Unit}, {"address.city", &a.City},
				{"address.state", &a.State}, {"address.zip", &a.Zip}, {"address.country", &a.Country}} {
				*f.v = cleanText(p, f.name, *f.v, maxText)
			}
		}
		if len(b.ExternalData) > maxExternalData {
			p.Add("externalData", "Too many external data items.")
		}
		return p.Err()
	},
}

func cloneBusinessUnit(b crewid.BusinessUnit) crewid.BusinessUnit {
	c := b
	c.ExternalData = slices.Clone(b.ExternalData)
	if b.Address != nil {
		a := *b.Address
		c.Address = &a
	}
	if b.DefaultTaxRate != nil {
		r := *b.DefaultTaxRate
		c.DefaultTaxRate = &r
	}
	return c
}

// CreateBusinessUnit adds a business unit.
func (s *Service) CreateBusinessUnit(ctx context.Context, actor crewid.Actor, tenantID int64, b crewid.BusinessUnit) (crewid.BusinessUnit, error) {
	return createRecord(ctx, s, actor, tenantID, businessUnits, b)
}

// UpdateBusinessUnit changes a business unit through edit.
func (s *Service) UpdateBusinessUnit(ctx context.Context, actor crewid.Actor, tenantID, id int64, edit func(*crewid.BusinessUnit) error) (crewid.BusinessUnit, error) {
	return updateRecord(ctx, s, actor, tenantID, id, businessUnits, cloneBusinessUnit, edit)
}

// DeleteBusinessUnit removes a business unit nobody belongs to.
func (s *Service) DeleteBusinessUnit(ctx context.Context, actor crewid.Actor, tenantID, id int64) error {
	return deleteRecord(ctx, s, actor, tenantID, id, businessUnits)
}

// maxExternalData bounds the external data items of a record.
const maxExternalData = 500

// ExternalDataItem is one key of an external data patch; a nil Value
// removes the key in Merge mode.
type ExternalDataItem struct {
	Key   string
	Value *string
}

// PatchExternalData applies an external data patch of one application to
// the items of a record. Items of other applications are left alone.
// Replace (merge false) makes the application's items exactly the given
// ones; Merge sets the given keys and deletes those given with no value.
func PatchExternalData(items []crewid.ExternalData, appGUID string, merge bool, patch []ExternalDataItem) ([]crewid.ExternalData, error) {
	p := crewid.Problems{}
	if !IsGUID(appGUID) {
		p.Add("externalData.applicationGuid", "The application GUID is required and must be a GUID.")
	}
	if len(patch) > maxExternalData {
		// Checked before merging, which takes time in the number of items.
		p.Add("externalData.externalData", "Too many external data items.")
		patch = nil
	}
	for _, item := range patch {
		if item.Key == "" || len(item.Key) > maxText {
			p.Add("externalData.externalData", "Each item needs a key of at most 255 characters.")
		}
		if item.Value != nil && len(*item.Value) > 10000 {
			p.Add("externalData.externalData", "A value is too long.")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out []crewid.ExternalData
	for _, it := range items {
		if !SameGUID(it.ApplicationGUID, appGUID) || merge {
			out = append(out, it)
		}
	}
	for _, item := range patch {
		idx := slices.IndexFunc(out, func(e crewid.ExternalData) bool {
			return SameGUID(e.ApplicationGUID, appGUID) && e.Key == item.Key
		})
		switch {
		case item.Value == nil && merge:
			if idx >= 0 {
				out = slices.Delete(out, idx, idx+1)
			}
		case idx >= 0:
			out[idx].Value = derefOr(item.Value)
		default:
			out = append(out, crewid.ExternalData{ApplicationGUID: normalizeGUID(appGUID), Key: item.Key, Value: derefOr(item.Value)})
		}
	}
	if out == nil {
		out = []crewid.ExternalData{}
	}
	return out, nil
}

func derefOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
