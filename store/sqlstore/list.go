package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"crewid"
	"crewid/store"
)

// where builds a WHERE clause from conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (?, ?, …)" for a non-empty list.
func (w *where) in(col string, ids []int64) {
	if len(ids) == 0 {
		return
	}
	marks := strings.Repeat("?, ", len(ids))
	cond := col + " IN (" + marks[:len(marks)-2] + ")"
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	w.add(cond, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// likeContains escapes s for a LIKE '%s%' match with ESCAPE '\'.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(norm(s)) + "%"
}

// listFilters adds the filters every list shares. The table must have
// tenant_id, id, name_norm, active, created_on and modified_on columns
// (prefix qualifies them, e.g. "p.").
func listFilters(w *where, prefix string, tenantID int64, q store.ListQuery) {
	w.add(prefix+"tenant_id = ?", tenantID)
	w.in(prefix+"id", q.IDs)
	if q.Name != "" {
		w.add(prefix+`name_norm LIKE ? ESCAPE '\'`, likeContains(q.Name))
	}
	switch q.Active {
	case store.ActiveTrue:
		w.add(prefix+"active = ?", true)
	case store.ActiveFalse:
		w.add(prefix+"active = ?", false)
	}
	if !q.CreatedBefore.IsZero() {
		w.add(prefix+"created_on < ?", toMicros(q.CreatedBefore))
	}
	if !q.CreatedOnOrAfter.IsZero() {
		w.add(prefix+"created_on >= ?", toMicros(q.CreatedOnOrAfter))
	}
	if !q.ModifiedBefore.IsZero() {
		w.add(prefix+"modified_on < ?", toMicros(q.ModifiedBefore))
	}
	if !q.ModifiedOnOrAfter.IsZero() {
		w.add(prefix+"modified_on >= ?", toMicros(q.ModifiedOnOrAfter))
	}
}

// orderBy turns a "+Field"/"-Field" sort into ORDER BY, always ending with
// the id so pages are stable. Unknown fields sort by id.
func orderBy(prefix, sort string) string {
	dir := "ASC"
	field := sort
	if strings.HasPrefix(sort, "-") {
		dir, field = "DESC", sort[1:]
	} else {
		field = strings.TrimPrefix(sort, "+")
	}
	col := ""
	switch strings.ToLower(strings.TrimSpace(field)) {
	case "name":
		col = prefix + "name_norm"
	case "createdon":
		col = prefix + "created_on"
	case "modifiedon":
		col = prefix + "modified_on"
	case "id", "":
		return " ORDER BY " + prefix + "id " + dir
	default:
		return " ORDER BY " + prefix + "id ASC"
	}
	return " ORDER BY " + col + " " + dir + ", " + prefix + "id " + dir
}

// paging returns LIMIT/OFFSET for a page, fetching one extra row to learn
// whether more exist.
func paging(q store.ListQuery) (limit, offset int) {
	size := q.PageSize
	if size <= 0 {
		size = 50
	}
	page := q.Page
	if page <= 0 {
		page = 1
	}
	return size + 1, (page - 1) * size
}

// listPage runs a list query: selectCols and from (with joins) plus the
// where clause, ordered and paged, scanning each row with scan. It counts the
// total when asked.
func listPage[T any](ctx context.Context, c conn, selectCols, from string, w *where, order string, q store.ListQuery, scan func(rowScanner) (T, error)) (store.Page[T], error) {
	limit, offset := paging(q)
	query := "SELECT " + selectCols + " FROM " + from + w.String() + order + " LIMIT ? OFFSET ?"
	args := append(append([]any{}, w.args...), limit, offset)
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return store.Page[T]{}, err
	}
	defer rows.Close()
	page := store.Page[T]{Total: -1, Items: []T{}}
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return store.Page[T]{}, err
		}
		page.Items = append(page.Items, item)
	}
	if err := rows.Err(); err != nil {
		return store.Page[T]{}, err
	}
	if len(page.Items) == limit {
		page.Items = page.Items[:limit-1]
		page.HasMore = true
	}
	if q.IncludeTotal {
		if err := c.queryRow(ctx, "SELECT COUNT(*) FROM "+from+w.String(), w.args...).Scan(&page.Total); err != nil {
			return store.Page[T]{}, err
		}
	}
	return page, nil
}

// nextSeq takes the tenant's next change number. The row lock it takes is
// held to commit, so within a tenant changes commit in the order of their
// numbers and an export resuming after number n never misses a later commit
// with a smaller one.
func (c conn) nextSeq(ctx context.Context, tenantID int64) (int64, error) {
	var seq int64
	err := c.queryRow(ctx, `UPDATE tenants SET change_seq = change_seq + 1 WHERE id = ? RETURNING change_seq`, tenantID).Scan(&seq)
	if err != nil {
		return 0, c.db.translate(err)
	}
	return seq, nil
}

// exportFilter adds the filters of an export page.
func exportFilter(w *where, prefix string, q store.ExportQuery) {
	w.add(prefix+"seq > ?", q.AfterSeq)
	if !q.ModifiedOnOrAfter.IsZero() {
		w.add(prefix+"modified_on >= ?", toMicros(q.ModifiedOnOrAfter))
	}
}

// exportLimit is the page size of an export, capped.
func exportLimit(q store.ExportQuery) int {
	if q.Limit <= 0 || q.Limit > 5000 {
		return 1000
	}
	return q.Limit
}

// exportPage runs an export query (selectCols, from and w, which already
// holds the tenant filters; prefix qualifies the columns) for the page after
// q.AfterSeq, in seq order.
func exportPage[T any](ctx context.Context, c conn, selectCols, from, prefix string, w *where, q store.ExportQuery, scan func(rowScanner) (T, error), seqOf func(T) int64) (store.Batch[T], error) {
	// The tenant's filters alone, for where an empty page by date leaves
	// the feed (see below).
	base := where{conds: slices.Clone(w.conds), args: slices.Clone(w.args)}
	exportFilter(w, prefix, q)
	limit := exportLimit(q)
	query := "SELECT " + selectCols + " FROM " + from + w.String() + " ORDER BY " + prefix + "seq LIMIT ?"
	rows, err := c.query(ctx, query, append(append([]any{}, w.args...), limit+1)...)
	if err != nil {
		return store.Batch[T]{}, err
	}
	defer rows.Close()
	batch := store.Batch[T]{Items: []T{}, LastSeq: q.AfterSeq}
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return store.Batch[T]{}, err
		}
		batch.Items = append(batch.Items, item)
	}
	if err := rows.Err(); err != nil {
		return store.Batch[T]{}, err
	}
	if len(batch.Items) > limit {
		batch.Items = batch.Items[:limit]
		batch.HasMore = true
	}
	if n := len(batch.Items); n > 0 {
		batch.LastSeq = seqOf(batch.Items[n-1])
	} else if !q.ModifiedOnOrAfter.IsZero() {
		// Nothing changed since the date: the feed resumes after every
		// record there is now, all of them older than the date, rather
		// than from the start. Sequence numbers are handed out in commit
		// order (under the tenant's row lock), so nothing can appear
		// behind this position later.
		base.add(prefix+"seq > ?", q.AfterSeq)
		err := c.queryRow(ctx, "SELECT COALESCE(MAX("+prefix+"seq), ?) FROM "+from+base.String(),
			append([]any{q.AfterSeq}, base.args...)...).Scan(&batch.LastSeq)
		if err != nil {
			return store.Batch[T]{}, err
		}
	}
	return batch, nil
}

// execOne runs an UPDATE or DELETE of one row; touching none means the row
// does not exist (in this tenant).
func (c conn) execOne(ctx context.Context, query string, args ...any) error {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return c.db.translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return crewid.ErrNotFound
	}
	return nil
}

// exists reports whether query (a SELECT) returns any row.
func (c conn) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var found bool
	if err := c.queryRow(ctx, "SELECT EXISTS ("+query+")", args...).Scan(&found); err != nil {
		return false, err
	}
	return found, nil
}

// maxInList bounds the ids in one IN (...) list, well under both databases'
// limits on bound parameters.
const maxInList = 1000

// chunks splits ids into lists of at most maxInList.
func chunks(ids []int64) [][]int64 {
	var out [][]int64
	for len(ids) > maxInList {
		out = append(out, ids[:maxInList])
		ids = ids[maxInList:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// insertRows inserts rows of values into table in multi-row INSERTs.
func (c conn) insertRows(ctx context.Context, table, cols string, width int, rows [][]any) error {
	const perStatement = 300
	mark := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	for len(rows) > 0 {
		n := min(len(rows), perStatement)
		marks := make([]string, n)
		args := make([]any, 0, n*width)
		for i, r := range rows[:n] {
			marks[i] = mark
			args = append(args, r...)
		}
		if _, err := c.exec(ctx, "INSERT INTO "+table+" ("+cols+") VALUES "+strings.Join(marks, ", "), args...); err != nil {
			return c.db.translate(err)
		}
		rows = rows[n:]
	}
	return nil
}

// notFound maps "no rows" to crewid.ErrNotFound.
func notFound(err error) error {
	if err == sql.ErrNoRows {
		return crewid.ErrNotFound
	}
	return err
}
