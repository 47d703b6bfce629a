package wire

import (
	"errors"
	"fmt"
)

var errNotObjects = errors.New(`objects must be a JSON object keyed by resource type, e.g. {"task": {"id": "1"}}`)

type objectError struct{ typ string }

func (e *objectError) Error() string {
	return fmt.Sprintf("objects.%s: must be an object of attributes", e.typ)
}
