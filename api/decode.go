package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// decodeBody reads r's JSON object body into dst. Numbers inside untyped
// values (map[string]any) stay json.Number so integers are not turned into
// floats. Every failure is a clear refusal: an oversized body is 413, a body
// that is not a JSON object or has a value of the wrong type is a validation
// error naming the field. Unknown fields are ignored, as BKFlow's serializers
// ignore them.
func decodeBody(r *http.Request, dst any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fieldError("body", "could not read the request body")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return fieldError("body", "must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return fieldError("body", "must contain exactly one JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return fieldError(field, fmt.Sprintf("must be %s, got %s", jsonKind(typeErr.Type.Kind().String(), typeErr.Type.String()), typeErr.Value))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fieldError("body", fmt.Sprintf("malformed JSON at byte %d: %s", syntaxErr.Offset, syntaxErr.Error()))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fieldError("body", "malformed JSON: unexpected end of input")
	}
	return fieldError("body", "malformed JSON: "+err.Error())
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(kind, typ string) string {
	switch {
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "a boolean"
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "slice", kind == "array":
		return "a list"
	case kind == "map", kind == "struct":
		return "an object"
	default:
		return "of type " + typ
	}
}
