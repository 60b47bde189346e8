package settings

import (
	"net/http"
	"time"

	"crewid"
	"crewid/api"
	"crewid/org"
	"crewid/store"
)

type businessUnitAddress struct {
	Street  *string `json:"street"`
	Unit    *string `json:"unit"`
	City    *string `json:"city"`
	State   *string `json:"state"`
	Zip     *string `json:"zip"`
	Country *string `json:"country"`
}

type businessUnitTenant struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	AccountCode *string   `json:"accountCode"`
	FranchiseID *string   `json:"franchiseId"`
	ConceptCode *string   `json:"conceptCode"`
	ModifiedOn  time.Time `json:"modifiedOn"`
}

type externalDataWire struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type businessUnitResponse struct {
	ID                       int64                `json:"id"`
	Active                   bool                 `json:"active"`
	Name                     string               `json:"name"`
	OfficialName             *string              `json:"officialName"`
	Email                    *string              `json:"email"`
	Currency                 *string              `json:"currency"`
	PhoneNumber              *string              `json:"phoneNumber"`
	InvoiceHeader            *string              `json:"invoiceHeader"`
	InvoiceMessage           *string              `json:"invoiceMessage"`
	DefaultTaxRate           *float64             `json:"defaultTaxRate"`
	AuthorizationParagraph   *string              `json:"authorizationParagraph"`
	AcknowledgementParagraph *string              `json:"acknowledgementParagraph"`
	Address                  *businessUnitAddress `json:"address"`
	MaterialSku              *string              `json:"materialSku"`
	QuickbooksClass          *string              `json:"quickbooksClass"`
	AccountCode              *string              `json:"accountCode"`
	FranchiseID              *string              `json:"franchiseId"`
	ConceptCode              *string              `json:"conceptCode"`
	CorporateContractNumber  *string              `json:"corporateContractNumber"`
	Tenant                   *businessUnitTenant  `json:"tenant"`
	CreatedOn                time.Time            `json:"createdOn"`
	ModifiedOn               time.Time            `json:"modifiedOn"`
	ExternalData             []externalDataWire   `json:"externalData"`
}

// businessUnitConverter renders business units; external data is shown
// only for the application GUID asked for.
func businessUnitConverter(tenant crewid.Tenant, appGUID string) func(crewid.BusinessUnit) businessUnitResponse {
	return func(b crewid.BusinessUnit) businessUnitResponse {
		out := businessUnitResponse{
			ID: b.ID, Active: b.Active, Name: b.Name, OfficialName: opt(b.OfficialName), Email: opt(b.Email),
			Currency: opt(b.Currency), PhoneNumber: opt(b.PhoneNumber), InvoiceHeader: opt(b.InvoiceHeader),
			InvoiceMessage: opt(b.InvoiceMessage), DefaultTaxRate: b.DefaultTaxRate,
			AuthorizationParagraph: opt(b.AuthorizationParagraph), AcknowledgementParagraph: opt(b.AcknowledgementParagraph),
			MaterialSku: opt(b.MaterialSku), QuickbooksClass: opt(b.QuickbooksClass), AccountCode: opt(b.AccountCode),
			FranchiseID: opt(b.FranchiseID), ConceptCode: opt(b.ConceptCode), CorporateContractNumber: opt(b.CorporateContractNumber),
			Tenant: &businessUnitTenant{ID: tenant.ID, Name: tenant.Name, AccountCode: opt(b.AccountCode),
				FranchiseID: opt(b.FranchiseID), ConceptCode: opt(b.ConceptCode), ModifiedOn: tenant.ModifiedOn},
			CreatedOn: b.CreatedOn, ModifiedOn: b.ModifiedOn,
		}
		if a := b.Address; a != nil {
			out.Address = &businessUnitAddress{Street: opt(a.Street), Unit: opt(a.Unit), City: opt(a.City),
				State: opt(a.State), Zip: opt(a.Zip), Country: opt(a.Country)}
		}
		if appGUID != "" {
			out.ExternalData = []externalDataWire{}
			for _, e := range b.ExternalData {
				if org.SameGUID(e.ApplicationGUID, appGUID) {
					out.ExternalData = append(out.ExternalData, externalDataWire{Key: e.Key, Value: e.Value})
				}
			}
		}
		return out
	}
}

type externalDataUpdate struct {
	PatchMode       *string `json:"patchMode"`
	ApplicationGUID string  `json:"applicationGuid"`
	// ExternalData is required (nil when missing or null): an empty list
	// is how the application's pairs are cleared on purpose.
	ExternalData *[]struct {
		Key   string  `json:"key"`
		Value *string `json:"value"`
	} `json:"externalData"`
}

// businessUnitRequest is the create body and the PATCH body: the
// document's externalData patch plus the unit's own fields.
type businessUnitRequest struct {
	ExternalData             *externalDataUpdate                `json:"externalData"`
	Name                     api.Optional[string]               `json:"name"`
	Active                   api.Optional[bool]                 `json:"active"`
	OfficialName             api.Optional[string]               `json:"officialName"`
	Email                    api.Optional[string]               `json:"email"`
	Currency                 api.Optional[string]               `json:"currency"`
	PhoneNumber              api.Optional[string]               `json:"phoneNumber"`
	InvoiceHeader            api.Optional[string]               `json:"invoiceHeader"`
	InvoiceMessage           api.Optional[string]               `json:"invoiceMessage"`
	DefaultTaxRate           api.Optional[*float64]             `json:"defaultTaxRate"`
	AuthorizationParagraph   api.Optional[string]               `json:"authorizationParagraph"`
	AcknowledgementParagraph api.Optional[string]               `json:"acknowledgementParagraph"`
	Address                  api.Optional[*businessUnitAddress] `json:"address"`
	MaterialSku              api.Optional[string]               `json:"materialSku"`
	QuickbooksClass          api.Optional[string]               `json:"quickbooksClass"`
	AccountCode              api.Optional[string]               `json:"accountCode"`
	FranchiseID              api.Optional[string]               `json:"franchiseId"`
	ConceptCode              api.Optional[string]               `json:"conceptCode"`
	CorporateContractNumber  api.Optional[string]               `json:"corporateContractNumber"`
}

func (req businessUnitRequest) apply(b *crewid.BusinessUnit) error {
	req.Name.Apply(&b.Name)
	req.Active.Apply(&b.Active)
	req.OfficialName.Apply(&b.OfficialName)
	req.Email.Apply(&b.Email)
	req.Currency.Apply(&b.Currency)
	req.PhoneNumber.Apply(&b.PhoneNumber)
	req.InvoiceHeader.Apply(&b.InvoiceHeader)
	req.InvoiceMessage.Apply(&b.InvoiceMessage)
	req.DefaultTaxRate.Apply(&b.DefaultTaxRate)
	req.AuthorizationParagraph.Apply(&b.AuthorizationParagraph)
	req.AcknowledgementParagraph.Apply(&b.AcknowledgementParagraph)
	if req.Address.Set {
		b.Address = nil
		if a := req.Address.Value; a != nil {
			b.Address = &crewid.Address{Street: deref(a.Street), Unit: deref(a.Unit), City: deref(a.City),
				State: deref(a.State), Zip: deref(a.Zip), Country: deref(a.Country)}
		}
	}
	req.MaterialSku.Apply(&b.MaterialSku)
	req.QuickbooksClass.Apply(&b.QuickbooksClass)
	req.AccountCode.Apply(&b.AccountCode)
	req.FranchiseID.Apply(&b.FranchiseID)
	req.ConceptCode.Apply(&b.ConceptCode)
	req.CorporateContractNumber.Apply(&b.CorporateContractNumber)
	if x := req.ExternalData; x != nil {
		merge := false
		if x.PatchMode != nil {
			switch *x.PatchMode {
			case "Merge":
				merge = true
			case "Replace", "":
			default:
				return crewid.FieldError("externalData.patchMode", "Must be Replace or Merge.")
			}
		}
		if x.ExternalData == nil {
			return crewid.FieldError("externalData.externalData", "The key/value pairs are required; send [] to remove the application's pairs.")
		}
		items := make([]org.ExternalDataItem, len(*x.ExternalData))
		for i, it := range *x.ExternalData {
			items[i] = org.ExternalDataItem{Key: it.Key, Value: it.Value}
		}
		patched, err := org.PatchExternalData(b.ExternalData, x.ApplicationGUID, merge, items)
		if err != nil {
			return err
		}
		b.ExternalData = patched
	}
	return nil
}

func (h *Handler) businessUnitView(r *http.Request, tenantID int64) (func(crewid.BusinessUnit) businessUnitResponse, *api.Query, error) {
	q := api.NewQuery(r.URL.Query())
	guid := q.String("externalDataApplicationGuid")
	if guid != "" && !org.IsGUID(guid) {
		q.Problems.Add("externalDataApplicationGuid", "Must be a GUID.")
	}
	tenant, err := h.Store.Tenant(r.Context(), tenantID)
	if err != nil {
		return nil, q, err
	}
	return businessUnitConverter(tenant, guid), q, nil
}

func (h *Handler) listBusinessUnits(w http.ResponseWriter, r *http.Request, c api.Caller) {
	conv, q, err := h.businessUnitView(r, c.TenantID)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	lq := q.List()
	writeList(w, r, q, lq, func() (store.Page[crewid.BusinessUnit], error) {
		return h.Store.BusinessUnits(r.Context(), c.TenantID, lq)
	}, conv)
}

func (h *Handler) getBusinessUnit(w http.ResponseWriter, r *http.Request, c api.Caller) {
	conv, q, err := h.businessUnitView(r, c.TenantID)
	if err == nil {
		err = q.Err()
	}
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	writeOne(w, r, func(id int64) (crewid.BusinessUnit, error) { return h.Store.BusinessUnit(r.Context(), c.TenantID, id) }, conv)
}

func (h *Handler) createBusinessUnit(w http.ResponseWriter, r *http.Request, c api.Caller) {
	decodeAnd(w, r, func(req businessUnitRequest) (any, error) {
		b := crewid.BusinessUnit{Active: true, ExternalData: []crewid.ExternalData{}}
		if err := req.apply(&b); err != nil {
			return nil, err
		}
		created, err := h.Org.CreateBusinessUnit(r.Context(), c.Actor, c.TenantID, b)
		return idResponse{ID: created.ID}, err
	})
}

func (h *Handler) updateBusinessUnit(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		decodeAnd(w, r, func(req businessUnitRequest) (any, error) {
			_, err := h.Org.UpdateBusinessUnit(r.Context(), c.Actor, c.TenantID, id, req.apply)
			return idResponse{ID: id}, err
		})
	})
}

func (h *Handler) deleteBusinessUnit(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) { deleted(w, r, h.Org.DeleteBusinessUnit(r.Context(), c.Actor, c.TenantID, id)) })
}

func (h *Handler) exportBusinessUnits(w http.ResponseWriter, r *http.Request, c api.Caller) {
	conv, q, err := h.businessUnitView(r, c.TenantID)
	if err == nil {
		err = q.Err()
	}
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	eq, err := exportQuery(r)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	batch, err := h.Store.ExportBusinessUnits(r.Context(), c.TenantID, eq)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, toExported(batch, conv))
}
