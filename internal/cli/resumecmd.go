package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// resumeCommand is the command line that continues an interrupted cmd: the
// same command, arguments and flags the operator gave, with --resume. A
// SAS is never printed: a URL's query becomes "<SAS>" (the operator puts a
// fresh SAS back, as a resume needs anyway); the boolean says whether any
// was.
func resumeCommand(cmd *cobra.Command, args []string) (string, bool) {
	parts := strings.Fields(cmd.CommandPath())
	redacted := false
	word := func(s string) string {
		if strings.Contains(s, "://") {
			if i := strings.IndexByte(s, '?'); i >= 0 {
				redacted = true
				s = s[:i] + "?<SAS>"
			}
		}
		return shellQuote(s)
	}
	for _, a := range args {
		parts = append(parts, word(a))
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "resume" {
			return
		}
		if f.Value.Type() == "bool" {
			if f.Value.String() == "true" {
				parts = append(parts, "--"+f.Name)
			} else {
				parts = append(parts, "--"+f.Name+"=false")
			}
			return
		}
		parts = append(parts, "--"+f.Name, word(f.Value.String()))
	})
	return strings.Join(append(parts, "--resume"), " "), redacted
}

// continueCopy records, for the interrupt message and the last line of an
// interrupted run, the command that continues this copy: the same command
// with --resume, never `migrate resume`, which knows nothing of a copy.
func (a *app) continueCopy(cmd *cobra.Command, args []string) {
	line, redacted := resumeCommand(cmd, args)
	a.continueWith.Store(&continueLine{line: line, freshSAS: redacted})
}
