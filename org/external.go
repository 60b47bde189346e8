package org

import (
	"context"
	"fmt"

	"crewid"
	"crewid/access"
	"crewid/store"
)

// checkExternalHolders refuses a change to role r that would give a person
// outside the organization (external) who holds it a permission such a
// person can never hold. Their other roles and their per-person overrides
// count: an override that denies the permission keeps the change possible.
func checkExternalHolders(ctx context.Context, tx store.Tx, tenantID int64, r crewid.Role) error {
	if access.CheckExternal(true, access.RoleSet(r)) == nil {
		return nil // the role grants nothing restricted
	}
	for page := 1; ; page++ {
		res, err := tx.People(ctx, tenantID, store.PersonQuery{RoleID: r.ID,
			ListQuery: store.ListQuery{Active: store.ActiveAny, Page: page, PageSize: 500}})
		if err != nil {
			return err
		}
		for _, p := range res.Items {
			if !p.External {
				continue
			}
			held := []crewid.Role{r}
			for _, id := range p.RoleIDs {
				if id == r.ID {
					continue
				}
				other, err := tx.Role(ctx, tenantID, id)
				if crewid.IsNotFound(err) {
					continue
				}
				if err != nil {
					return err
				}
				held = append(held, other)
			}
			if err := access.CheckExternal(true, access.Effective(held, p.Overrides)); err != nil {
				return crewid.FieldError(access.FieldPermissions, fmt.Sprintf(
					"%s (id %d) holds this role and is outside the organization (external): such a person can never hold Admin Access or Generate API Application Key; deny it for them or take the role from them first.",
					p.Name, p.ID))
			}
		}
		if !res.HasMore || len(res.Items) == 0 {
			return nil
		}
	}
}
