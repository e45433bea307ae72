package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// exitCodeHelp is the one description of the exit codes (cli.md), shown by
// `migrate help exit-codes` and in the root command's help and man page.
var exitCodeHelp = strings.TrimSpace(fmt.Sprintf(`
Exit codes:
  %d  done
  %d  an operation failed (the output says which and why)
  %d  bad usage or bad input: nothing was changed
  %d  blocking findings: the blocked units and their dependents were not touched
  %d  interrupted with work half done: the command printed on its own line continues
`, ExitOK, ExitFailed, ExitBadInput, ExitBlocked, ExitInterrupted))

// environmentHelp lists the environment variables the tool reads. Each flag
// also names its variable in its own help ([$MIGRATE_...]); precedence is
// flag > environment > configuration file > default.
var environmentHelp = strings.TrimSpace(`
Environment:
  MIGRATE_CONFIG, MIGRATE_INVENTORY, MIGRATE_DRIVER, MIGRATE_STATE_DIR,
  MIGRATE_OUTPUT, MIGRATE_VERBOSE, MIGRATE_PARALLEL
                        the global flags of the same names
  AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
  AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE
                        the azure driver's credentials (secrets are read
                        only from the environment, never from a file)
  AZURE_SUBSCRIPTION_ID the target subscription (overrides the file)
  NO_COLOR              no colour in the output
  MIGRATE_SIM_LATENCY, MIGRATE_SIM_FAULT_RATE, MIGRATE_SIM_SEED,
  MIGRATE_SIM_TIME_SCALE
                        the simulator's behaviour (sim driver only)
`)

// helpTopics are `migrate help TOPIC` pages: commands without a Run, which
// cobra lists under "Additional help topics".
func helpTopics() []*cobra.Command {
	return []*cobra.Command{
		{Use: "exit-codes", Short: "What each exit code means", Long: exitCodeHelp},
		{Use: "environment", Short: "The environment variables migrate reads", Long: environmentHelp},
	}
}
