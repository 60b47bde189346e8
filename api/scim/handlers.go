package scim

import (
	"errors"
	"net/http"
	"strings"

	"crewid/api"
	"crewid/scim"
)

func (h *Handler) answer(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errPrecondition) {
		writeError(w, r, http.StatusPreconditionFailed, "", scim.Detail(err))
		return
	}
	h.fail(w, r, err)
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, c api.Caller) {
	filter, page, err := listParams(r)
	if err != nil {
		h.answer(w, r, err)
		return
	}
	list, err := h.SCIM.ListUsers(r.Context(), c.TenantID, filter, page, h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c api.Caller) {
	u, err := h.SCIM.GetUser(r.Context(), c.TenantID, r.PathValue("id"), h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	if notModified(w, r, u.Meta.Version) {
		return
	}
	writeResource(w, http.StatusOK, u, u.Meta)
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, c api.Caller) {
	var u scim.User
	if err := decode(r, &u); err != nil {
		h.answer(w, r, err)
		return
	}
	created, err := h.SCIM.CreateUser(r.Context(), c.Actor, c.TenantID, u, h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	writeResource(w, http.StatusCreated, created, created.Meta)
}

// checkUserVersion applies If-Match to a User before a change.
func (h *Handler) checkUserVersion(r *http.Request, c api.Caller) error {
	if strings.TrimSpace(r.Header.Get("If-Match")) == "" {
		return nil
	}
	u, err := h.SCIM.GetUser(r.Context(), c.TenantID, r.PathValue("id"), h.base())
	if err != nil {
		return err
	}
	return preconditions(r, u.Meta.Version)
}

func (h *Handler) replaceUser(w http.ResponseWriter, r *http.Request, c api.Caller) {
	var u scim.User
	if err := decode(r, &u); err != nil {
		h.answer(w, r, err)
		return
	}
	if err := h.checkUserVersion(r, c); err != nil {
		h.answer(w, r, err)
		return
	}
	out, err := h.SCIM.ReplaceUser(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), u, h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, out, out.Meta)
}

func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request, c api.Caller) {
	var req scim.PatchRequest
	if err := decode(r, &req); err != nil {
		h.answer(w, r, err)
		return
	}
	if err := h.checkUserVersion(r, c); err != nil {
		h.answer(w, r, err)
		return
	}
	out, err := h.SCIM.PatchUser(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), req.Operations, h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, out, out.Meta)
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, c api.Caller) {
	if err := h.checkUserVersion(r, c); err != nil {
		h.answer(w, r, err)
		return
	}
	if err := h.SCIM.DeleteUser(r.Context(), c.Actor, c.TenantID, r.PathValue("id")); err != nil {
		h.answer(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, c api.Caller) {
	filter, page, err := listParams(r)
	if err != nil {
		h.answer(w, r, err)
		return
	}
	list, err := h.SCIM.ListGroups(r.Context(), c.TenantID, filter, page, withMembers(r), h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, c api.Caller) {
	g, err := h.SCIM.GetGroup(r.Context(), c.TenantID, r.PathValue("id"), withMembers(r), h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	if notModified(w, r, g.Meta.Version) {
		return
	}
	writeResource(w, http.StatusOK, g, g.Meta)
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, c api.Caller) {
	var g scim.Group
	if err := decode(r, &g); err != nil {
		h.answer(w, r, err)
		return
	}
	created, err := h.SCIM.CreateGroup(r.Context(), c.Actor, c.TenantID, g, h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	writeResource(w, http.StatusCreated, created, created.Meta)
}

func (h *Handler) checkGroupVersion(r *http.Request, c api.Caller) error {
	if strings.TrimSpace(r.Header.Get("If-Match")) == "" {
		return nil
	}
	g, err := h.SCIM.GetGroup(r.Context(), c.TenantID, r.PathValue("id"), false, h.base())
	if err != nil {
		return err
	}
	return preconditions(r, g.Meta.Version)
}

func (h *Handler) replaceGroup(w http.ResponseWriter, r *http.Request, c api.Caller) {
	var g scim.Group
	if err := decode(r, &g); err != nil {
		h.answer(w, r, err)
		return
	}
	if err := h.checkGroupVersion(r, c); err != nil {
		h.answer(w, r, err)
		return
	}
	out, err := h.SCIM.ReplaceGroup(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), g, h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, out, out.Meta)
}

func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request, c api.Caller) {
	var req scim.PatchRequest
	if err := decode(r, &req); err != nil {
		h.answer(w, r, err)
		return
	}
	if err := h.checkGroupVersion(r, c); err != nil {
		h.answer(w, r, err)
		return
	}
	out, err := h.SCIM.PatchGroup(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), req.Operations, h.base())
	if err != nil {
		h.answer(w, r, err)
		return
	}
	if !withMembers(r) {
		out.Members = nil
	}
	writeResource(w, http.StatusOK, out, out.Meta)
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, c api.Caller) {
	if err := h.checkGroupVersion(r, c); err != nil {
		h.answer(w, r, err)
		return
	}
	if err := h.SCIM.DeleteGroup(r.Context(), c.Actor, c.TenantID, r.PathValue("id")); err != nil {
		h.answer(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request, _ api.Caller) {
	writeJSON(w, http.StatusOK, scim.ServiceProviderConfig(h.base(), strings.TrimRight(h.PublicURL, "/")+"/"))
}

func (h *Handler) resourceTypes(w http.ResponseWriter, r *http.Request, _ api.Caller) {
	writeJSON(w, http.StatusOK, listOf(scim.ResourceTypes(h.base())))
}

func (h *Handler) resourceType(w http.ResponseWriter, r *http.Request, _ api.Caller) {
	writeOneOf(w, r, scim.ResourceTypes(h.base()))
}

func (h *Handler) schemas(w http.ResponseWriter, r *http.Request, _ api.Caller) {
	writeJSON(w, http.StatusOK, listOf(scim.Schemas(h.base())))
}

func (h *Handler) schema(w http.ResponseWriter, r *http.Request, _ api.Caller) {
	writeOneOf(w, r, scim.Schemas(h.base()))
}

func listOf(items []map[string]any) scim.ListResponse[map[string]any] {
	return scim.ListResponse[map[string]any]{Schemas: []string{scim.SchemaListResponse}, TotalResults: len(items),
		StartIndex: 1, ItemsPerPage: len(items), Resources: items}
}

// writeOneOf answers the document whose id is the path's.
func writeOneOf(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	for _, item := range items {
		if id, _ := item["id"].(string); strings.EqualFold(id, r.PathValue("id")) {
			writeJSON(w, http.StatusOK, item)
			return
		}
	}
	writeError(w, r, http.StatusNotFound, "", "No such resource: "+r.PathValue("id"))
}
