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
)

// Formats returns every format Render accepts, in the order help text
// should list them.
func Formats() []string {
	return []string{FormatTable, FormatJSON, FormatYAML, FormatMarkdown, FormatDOT}
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
	for _, f := range allowed {
		if format == f {
			return nil
		}
	}
	return &FormatError{Format: format, Valid: append([]string(nil), allowed...)}
}
