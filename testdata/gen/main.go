// Command gen writes a synthetic inventory estate: N VMs, deterministic for a
// seed, clean (it loads and trips no error or warning rule). It is the input
// of the scale benchmarks:
//
//	go run ./testdata/gen -vms 10000 -seed 1 -o /tmp/estate-10k.json
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/inventory/inventorytest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	vms := fs.Int("vms", 100, "number of VMs")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same estate")
	out := fs.String("o", "", "output file (default stdout)")
	format := fs.String("format", inventory.FormatJSON, "json or yaml")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *vms < 0 {
		return fmt.Errorf("-vms must be >= 0, got %d", *vms)
	}
	w := stdout
	var f *os.File
	if *out != "" {
		var err error
		if f, err = os.Create(*out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := inventory.Write(bw, inventorytest.Synthetic(*vms, *seed), *format); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	if f != nil {
		return f.Close()
	}
	return nil
}
