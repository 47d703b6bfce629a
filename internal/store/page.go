package store

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
