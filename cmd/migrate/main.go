// Command migrate moves an Azure estate from the classic deployment model to
// Resource Manager. See README.md.
package main

import (
	"context"
	"os"

	"github.com/migrate-tool/migrate/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.System()))
}
