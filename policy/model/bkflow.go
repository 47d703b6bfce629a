package model

import _ "embed"

//go:embed bkflow.json
var bkflowJSON []byte

// BkflowJSON is bkflow's own model as a BlueKing IAM migration (system
// bkflow), ready for `do_migrate.py` or iammigrate; operators set
// provider_config.host to bkflow's URL before registering it with a real
// BlueKing IAM.
func BkflowJSON() []byte { return append([]byte(nil), bkflowJSON...) }

// Bkflow loads bkflow's own model.
func Bkflow() (*Model, error) { return Load(bkflowJSON) }
