package cli

import (
	"regexp"
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
		return shellWord(s)
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

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=@%+,-]+$`)

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// interruptedHint is what an interrupted copy prints last: the command
// that continues it, on its own line, so it can be copied as it is.
func interruptedHint(cmd *cobra.Command, args []string) string {
	line, redacted := resumeCommand(cmd, args)
	if redacted {
		return "Continue it with a fresh SAS in place of each <SAS>:\n" + line
	}
	return "Continue it with:\n" + line
}
