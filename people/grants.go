package people

import (
	"context"

	"crewid"
	"crewid/access"
	"crewid/store"
)

// checkGrant stops a person from giving (or taking) permissions they do
// not hold themselves by changing someone's roles or overrides: before is
// nil on creation, roles are after's roles. Changes made without a person
// behind them (applications, the operator) are not limited here.
func checkGrant(ctx context.Context, tx store.Tx, before, after *crewid.Person, roles []crewid.Role) error {
	holder, ok := access.Holder(ctx)
	if !ok {
		return nil
	}
	var was access.Set
	if before != nil {
		held := make([]crewid.Role, 0, len(before.RoleIDs))
		for _, id := range before.RoleIDs {
			r, err := tx.Role(ctx, before.TenantID, id)
			if crewid.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			held = append(held, r)
		}
		was = access.Effective(held, before.Overrides)
	}
	return access.CheckGrant(holder, was, access.Effective(roles, after.Overrides))
}
