package inventory

import (
	"errors"
	"strings"
)

// ErrFormat is returned by Write for a format other than json or yaml.
var ErrFormat = errors.New("unknown inventory format")

// Problem is one thing wrong with an inventory file: where it is and what was
// expected there.
type Problem struct {
	// Path locates the value inside the document, as in
	// cloudServices[3].deployment.roles[0].subnets[0]; "" is the document
	// itself.
	Path string
	// Message says what is wrong and what was expected.
	Message string
}

// LoadError is returned by Load and Parse when the document is not a valid
// inventory. It carries every problem found, not only the first, so a user
// fixes a file in one round trip. Callers detect it with errors.As (the CLI
// maps it to exit code 2).
type LoadError struct {
	File     string
	Problems []Problem
}

// Error renders one line per problem as "FILE: PATH: MESSAGE".
func (e *LoadError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.File)
		b.WriteString(": ")
		if p.Path != "" {
			b.WriteString(p.Path)
			b.WriteString(": ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}
