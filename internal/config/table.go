package config

import (
	"fmt"
	"strings"
	"time"
)

// MarkdownTable renders Options as the README's configuration table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, o := range Options() {
		env := "`" + EnvName(o.Key) + "`"
		for _, e := range o.ExtraEnv {
			env += ", `" + e + "`"
		}
		var d string
		switch v := o.Default.(type) {
		case []string:
			d = strings.Join(v, ",")
		case time.Duration:
			d = v.String()
		default:
			d = fmt.Sprint(v)
		}
		if d == "" {
			d = "—"
		} else {
			d = "`" + d + "`"
		}
		fmt.Fprintf(&b, "| `--%s` | %s | %s | %s |\n", o.Key, env, d, o.Usage)
	}
	return b.String()
}
