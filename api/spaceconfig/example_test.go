package spaceconfig_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/bkflow/bkflow/api/spaceconfig"
)

func ExampleRegistry_Validate() {
	registry := spaceconfig.NewRegistry(spaceconfig.Options{
		APIGWHost: regexp.MustCompile(`^bkapi\.example\.com$`),
	})

	body := `{
		"token_expiration": "30m",
		"flow_versioning": true,
		"canvas_mode": "vertical",
		"uniform_api": {"api": {"crm": {
			"meta_apis": "https://bkapi.example.com/prod/meta",
			"api_categories": "https://evil.example.com/categories"
		}}},
		"colour": "blue"
	}`
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var configs map[string]any
	if err := dec.Decode(&configs); err != nil {
		panic(err)
	}

	err := registry.Validate(configs)
	var ve *spaceconfig.ValidationError
	if errors.As(err, &ve) {
		keys := make([]string, 0, len(ve.Fields))
		for k := range ve.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("config.%s: %s\n", k, ve.Fields[k])
		}
	}
	// Output:
	// config.colour: unsupported config key; supported: allow_multiple_triggers, api_gateway_credential_name, callback_hooks, canvas_mode, engine_space_config, flow_versioning, gateway_expression, space_plugin_config, superusers, token_auto_renewal, token_expiration, uniform_api
	// config.flow_versioning: must be "true" or "false", got true (a boolean)
	// config.token_expiration: must be a duration such as 30m, 1h, 2d or 1h30m of at least 1h, got "30m"
	// config.uniform_api: api.crm.api_categories: must be an http(s) API gateway URL whose host matches ^bkapi\.example\.com$, got "https://evil.example.com/categories"; api.crm.display_name: missing
}
