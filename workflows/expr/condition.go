package expr

import (
	"strings"
)

const langMako = "MAKO"

// EvalMako evaluates a rendered MAKO condition: the text must be exactly
// "True" or "False" (surrounding spaces ignored).
func EvalMako(rendered string) (bool, error) {
	switch strings.TrimSpace(rendered) {
	case "True":
		return true, nil
	case "False":
		return false, nil
	}
	return false, &ConditionError{Lang: langMako, Expr: rendered, Pos: -1,
		Msg: "the result of the expression must be True or False, got " + pyStrRepr(rendered)}
}

// TransformEscapeChar is bamboo-engine's transform_escape_char: real "\n",
// "\r" and "\t" become the two-character escapes, unless the string
// already contains one of those escapes.
func TransformEscapeChar(s string) string {
	if strings.Contains(s, `\n`) || strings.Contains(s, `\r`) || strings.Contains(s, `\t`) {
		return s
	}
	if !strings.ContainsAny(s, "\n\r\t") {
		return s
	}
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}

// EvalGatewayCondition evaluates one gateway condition the way
// bamboo-engine's gateway handlers do: apply TransformEscapeChar to every
// string value of vars, render the evaluate string against them, then
// evaluate the rendered text with an empty context in the language named by
// lang ("boolrule" or "", "FEEL", "MAKO"; case-sensitive, anything else is
// an error). A whole-string template that renders to a non-string value is
// evaluated as its Python str(). Render failures leave the template
// verbatim, as in BKFlow; they are mentioned in the error when evaluation
// fails. Every error is a *ConditionError.
func EvalGatewayCondition(lang, evaluate string, vars map[string]any, o Options) (bool, error) {
	switch lang {
	case "", langBoolrule, langFEEL, langMako:
	default:
		return false, &ConditionError{Lang: lang, Expr: evaluate, Pos: -1,
			Msg: `unknown condition language (want "boolrule", "FEEL" or "MAKO")`}
	}
	ctx := make(map[string]any, len(vars))
	for k, v := range vars {
		if s, ok := v.(string); ok {
			v = TransformEscapeChar(s)
		}
		ctx[k] = v
	}
	rendered, rerrs := RenderString(evaluate, ctx, o)
	text, ok := rendered.(string)
	if !ok {
		text = PyStr(rendered)
	}
	var res bool
	var err error
	switch lang {
	case langFEEL:
		res, err = EvalFEEL(text, nil)
	case langMako:
		res, err = EvalMako(text)
	default:
		res, err = EvalBoolrule(text, nil)
	}
	if err != nil && len(rerrs) > 0 {
		if ce, ok := err.(*ConditionError); ok {
			msgs := make([]string, len(rerrs))
			for i, re := range rerrs {
				msgs[i] = re.Error()
			}
			ce.Msg += " (templates left unrendered: " + strings.Join(msgs, "; ") + ")"
		}
	}
	return res, err
}
