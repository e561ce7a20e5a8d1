package config

// YAMLFields exposes the YAML field names per Go type to the external tests.
func YAMLFields() map[string][]string { return knownFields }
