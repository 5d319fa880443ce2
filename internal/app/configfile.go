package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ParseConfigFile decodes a YAML config file. A key the configuration does
// not have is an error (a misspelt "cache_pol" must not be ignored), and so
// is a second document in the file.
func ParseConfigFile(b []byte) (Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, configFileError(err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("the file holds more than one YAML document")
	}
	return cfg, nil
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type app\.(\w+)`)

// configFileError rewords yaml.v3's errors about unknown fields, which name
// Go types, into the names an operator wrote.
func configFileError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = unknownFieldRE.ReplaceAllString(m, "unknown key $1")
	}
	return errors.New(strings.Join(msgs, "; "))
}

// ConfigKeys returns the top-level keys of the config file, in the order
// Config declares them.
func ConfigKeys() []string {
	var keys []string
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// checkDurations refuses a negative duration anywhere in the configuration
// (a zero one takes its default): a negative poll interval would stop the
// server after it started serving, and a negative staleness bound would
// switch a safety check off.
func (c *Config) checkDurations() error {
	var bad []string
	walkDurations(reflect.ValueOf(c).Elem(), "", func(path string, d time.Duration) {
		if d < 0 {
			bad = append(bad, fmt.Sprintf("%s %s", path, d))
		}
	})
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("durations must not be negative: %s", strings.Join(bad, ", "))
	}
	return nil
}

var durationType = reflect.TypeFor[time.Duration]()

// walkDurations calls f for every time.Duration reachable from v through
// structs, pointers and maps, with its config-file path.
func walkDurations(v reflect.Value, path string, f func(string, time.Duration)) {
	switch {
	case v.Type() == durationType:
		f(path, time.Duration(v.Int()))
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			walkDurations(v.Elem(), path, f)
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			name := yamlName(v.Type().Field(i))
			if name == "" {
				continue
			}
			if path != "" {
				name = path + "." + name
			}
			walkDurations(v.Field(i), name, f)
		}
	case v.Kind() == reflect.Map:
		for _, k := range v.MapKeys() {
			walkDurations(v.MapIndex(k), fmt.Sprintf("%s.%v", path, k), f)
		}
	}
}
