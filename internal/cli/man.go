package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func (a *app) newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "man DIR",
		Short:   "Write man pages for every command into DIR",
		Example: `  migrate man ./man && man ./man/migrate-plan.1`,
		Args:    wantArgs(cobra.ExactArgs(1)),
		Hidden:  false,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Man pages are documentation for every user of the machine
			// (a MANPATH folder is 0755) and hold nothing secret; 0750
			// would hide them from other users' man.
			if err := os.MkdirAll(args[0], 0o755); err != nil { //nolint:gosec // G301: see above
				return fmt.Errorf("man pages: %w", err)
			}
			hdr := &doc.GenManHeader{Title: "MIGRATE", Section: "1", Source: "migrate"}
			if err := doc.GenManTree(cmd.Root(), hdr, args[0]); err != nil {
				return fmt.Errorf("man pages: %w", err)
			}
			return nil
		},
	}
}
