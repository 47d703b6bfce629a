package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// listQuery is one list's SQL: the page is "SELECT Columns FROM From WHERE
// Where ORDER BY Order LIMIT .. OFFSET ..", the total counts the same rows
// FROM CountFrom (From when empty: a count need not join what only the
// page shows). Args are Where's.
type listQuery struct {
	Columns, From, CountFrom, Where, Order string
	Args                                   []any
	Limit, Offset                          int
}

// listPage reads a list's page and its total. A limit of 0 reads no page;
// an empty page is [], never null.
func listPage[T any](ctx context.Context, q *Queries, l listQuery) ([]T, int, error) {
	list := []T{}
	if l.Limit > 0 {
		page := append(slices.Clip(l.Args), l.Limit, l.Offset)
		rows, err := q.db.Query(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT $%d OFFSET $%d`,
			l.Columns, l.From, l.Where, l.Order, len(page)-1, len(page)), page...)
		if err != nil {
			return nil, 0, interpretError(err)
		}
		if list, err = pgx.CollectRows(rows, pgx.RowToStructByName[T]); err != nil {
			return nil, 0, interpretError(err)
		}
	}
	from := l.CountFrom
	if from == "" {
		from = l.From
	}
	total, err := pageTotal(l.Offset, l.Limit, len(list), func() (n int, err error) {
		err = q.db.QueryRow(ctx, `SELECT count(*) FROM `+from+` WHERE `+l.Where, l.Args...).Scan(&n)
		return n, err
	})
	if err != nil {
		return nil, 0, interpretError(err)
	}
	return list, total, nil
}

// pageTotal is the count a list answers with its page of got rows read at
// offset with limit. A page that is not full ends the list, so the rows
// before it and on it are all there are and the count query is skipped;
// only a full page, or an empty one past the first (the offset may be
// past the end), needs count. The page and the count are separate
// statements either way, as they were when the count came first.
func pageTotal(offset, limit, got int, count func() (int, error)) (int, error) {
	if got < limit && (got > 0 || offset == 0) {
		return offset + got, nil
	}
	return count()
}
