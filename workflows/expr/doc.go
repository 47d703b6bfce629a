// Package expr renders BKFlow/bamboo-engine `${...}` templates and
// evaluates gateway conditions (boolrule, FEEL, MAKO).
//
// Templates are Python expressions in BKFlow (Mako). Here they run in a
// Starlark sandbox made to behave like Python where users notice: results
// are substituted as Python's str() (True, None, ['a', 'b'], 1.0, 1e+16),
// strings index, slice, iterate and measure by code point, bools are ints
// in arithmetic, `%` formats like Python, dict.keys() prints as dict_keys,
// json.dumps/loads follow Python's json. The sandbox keeps BKFlow's rules:
// only context keys, a whitelist of builtins and `json` can be named; no
// private (_x, __x) attributes, no .format, no Mako namespaces.
//
// Everything here is deterministic and safe to call from Temporal workflow
// code: no clock, randomness, I/O or goroutines; maps are visited in sorted
// key order; each template has a step budget and an allocation budget
// (Options) so a hostile template fails fast instead of hanging or
// exhausting memory. A template that fails for any reason stays verbatim
// and is reported as a RenderError, as BKFlow leaves it verbatim.
//
// Values are JSON-like Go values. Decode JSON with json.Decoder.UseNumber:
// a json.Number without fraction or exponent is a Python int, a float64 is
// always a Python float (1.0 prints as "1.0").
package expr
