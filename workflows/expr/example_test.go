package expr_test

import (
	"encoding/json"
	"fmt"

	"github.com/bkflow/bkflow/workflows/expr"
)

func ExampleRender() {
	vars := map[string]any{
		"name":  "a-b-c",
		"count": json.Number("3"),
		"obj":   map[string]any{"ids": []any{json.Number("7"), json.Number("8")}},
	}
	out, errs := expr.Render(map[string]any{
		"parts": "${name.split('-')}",        // str() of a list
		"next":  "n=${int(count) + 1}",       // embedded: Python str()
		"raw":   "${obj}",                    // exactly one context key: the raw object
		"first": `${obj["ids"][0]}`,          // index chain: the raw item
		"bad":   "${missing} and ${count:x}", // failures stay verbatim
	}, vars, expr.Options{})
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	for _, e := range errs {
		fmt.Println(e)
	}
	// Output:
	// {"bad":"${missing} and ${count:x}","first":7,"next":"n=4","parts":"['a', 'b', 'c']","raw":{"ids":[7,8]}}
	// ${missing}: undefined name: name 'missing' is not defined
	// ${count:x}: syntax error: got ':' after expression, want EOF
}

func ExampleEvalBoolrule() {
	for _, cond := range []string{
		`1 == 1`,
		`"1" == 1`,                    // coerced through int()
		`success == "success"`,        // a bare word is its own text
		`1 == 2 and 1 == 1 or 1 == 1`, // right-nested: 1 == 2 and (...)
		`resp.code >= 200 and resp.code < 300`,
		`1 = 1`,
	} {
		ok, err := expr.EvalBoolrule(cond, map[string]any{"resp": map[string]any{"code": 204}})
		fmt.Println(ok, err)
	}
	// Output:
	// true <nil>
	// true <nil>
	// true <nil>
	// false <nil>
	// true <nil>
	// false boolrule: syntax error: unexpected "= 1", expected an operator (== != < > <= >= in notin issuperset notissuperset) at offset 2 in "1 = 1"
}
