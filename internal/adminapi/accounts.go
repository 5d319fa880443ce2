package adminapi

import (
	"net/http"
	"strconv"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// createAccount serves POST /admin/v1/accounts.
func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var req wire.CreateAccountRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	a, err := h.service.CreateAccount(r.Context(), p, req.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"accounts/"+strconv.FormatInt(a.ID, 10))
	writeJSON(w, http.StatusCreated, accountJSON(a))
	return nil
}

// listAccounts serves GET /admin/v1/accounts?limit=&after=.
func (h *Handler) listAccounts(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	var after int64
	if s := q.Get("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return gatehouse.Errorf(gatehouse.EINVALID, "after must be an account id")
		}
	}
	// One more than asked for tells whether another page follows.
	accounts, err := h.service.Accounts(r.Context(), p, gatehouse.AccountFilter{AfterID: after, Limit: limit + 1})
	if err != nil {
		return err
	}
	page := wire.AccountPage{Items: []wire.Account{}}
	if len(accounts) > limit {
		accounts = accounts[:limit]
		next := accounts[limit-1].ID
		page.NextAfter = &next
	}
	for _, a := range accounts {
		page.Items = append(page.Items, accountJSON(a))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// getAccount serves GET /admin/v1/accounts/{id}.
func (h *Handler) getAccount(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	id, err := positiveID(r.PathValue("id"), "account id")
	if err != nil {
		return err
	}
	a, err := h.service.Account(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountJSON(a))
	return nil
}

func accountJSON(a *gatehouse.Account) wire.Account {
	return wire.Account{ID: a.ID, Name: a.Name, CreatedAt: a.CreatedAt.UTC()}
}
