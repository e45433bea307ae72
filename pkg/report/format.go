package report

import (
	"errors"
	"fmt"
	"strings"
)

// Output formats.
const (
	FormatTable    = "table"
	FormatJSON     = "json"
	FormatYAML     = "yaml"
	FormatMarkdown = "markdown"
	FormatDOT      = "dot"
	// FormatTSV and FormatNone are derived from JSON as `az` has them:
	// tab-separated values without headers, and nothing at all (the exit
	// code alone). Every command that offers JSON offers them.
	FormatTSV  = "tsv"
	FormatNone = "none"
)

// Formats returns every format Render accepts, in the order help text
// should list them.
func Formats() []string {
	return []string{FormatTable, FormatJSON, FormatYAML, FormatTSV, FormatNone, FormatMarkdown, FormatDOT}
}

// ErrUnknownFormat is matched (errors.Is) by every *FormatError.
var ErrUnknownFormat = errors.New("unknown output format")

// FormatError is a format a command does not offer; the CLI maps it to exit
// code 2 (bad usage).
type FormatError struct {
	Format string
	// Valid are the formats that would have been accepted.
	Valid []string
}

// Error names the format and the valid ones.
func (e *FormatError) Error() string {
	return fmt.Sprintf("unknown output format %q: want one of %s", e.Format, strings.Join(e.Valid, ", "))
}

// Is makes errors.Is(err, ErrUnknownFormat) true.
func (e *FormatError) Is(target error) bool { return target == ErrUnknownFormat }

// Validate returns a *FormatError unless format is one of allowed (every
// format of Formats when allowed is empty). A command that offers only some
// formats (validate: table, json, yaml) passes them, so it refuses the rest
// before doing any work.
func Validate(format string, allowed ...string) error {
	if len(allowed) == 0 {
		allowed = Formats()
	}
	allowed = withDerived(allowed)
	for _, f := range allowed {
		if format == f {
			return nil
		}
	}
	return &FormatError{Format: format, Valid: append([]string(nil), allowed...)}
}

// withDerived adds tsv and none to a list that offers json: both are read
// from the JSON document, so a command offering one offers all three.
func withDerived(allowed []string) []string {
	hasJSON := false
	have := map[string]bool{}
	for _, f := range allowed {
		have[f] = true
		hasJSON = hasJSON || f == FormatJSON
	}
	if !hasJSON {
		return allowed
	}
	out := append([]string(nil), allowed...)
	for _, f := range []string{FormatTSV, FormatNone} {
		if !have[f] {
			out = append(out, f)
		}
	}
	return out
}

// Structured reports whether format is a document read from JSON (json,
// yaml, tsv, none) rather than a rendering for people.
func Structured(format string) bool {
	switch format {
	case FormatJSON, FormatYAML, FormatTSV, FormatNone:
		return true
	}
	return false
}
