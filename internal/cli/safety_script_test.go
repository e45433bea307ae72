package cli

import (
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/migrate-tool/migrate/pkg/disks/vhd"
)

// cmdVHD is the scenarios' `vhd dynamic FILE MIB [PARENT]`: it writes a
// dynamic VHD of MIB MiB (a differencing one over PARENT when given) with
// its first MiB filled with 0x5a, through vhd.CreateDynamic (qemu-img
// cannot make differencing VHDs). Test-only.
func cmdVHD(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 || args[0] != "dynamic" {
		ts.Fatalf("usage: vhd dynamic FILE MIB [PARENT]")
	}
	mib, err := strconv.Atoi(args[2])
	if err != nil || mib < 1 {
		ts.Fatalf("vhd: MIB: want a positive whole number, got %q", args[2])
	}
	var o vhd.DynamicOptions
	if len(args) == 4 {
		o.Parent = ts.MkAbs(args[3])
	}
	w, err := vhd.CreateDynamic(ts.MkAbs(args[1]), int64(mib)<<20, o)
	if err != nil {
		ts.Fatalf("vhd: %v", err)
	}
	p := make([]byte, 1<<20)
	for i := range p {
		p[i] = 0x5a
	}
	if _, err := w.WriteAt(p, 0); err != nil {
		ts.Fatalf("vhd: %v", err)
	}
	if err := w.Close(); err != nil {
		ts.Fatalf("vhd: %v", err)
	}
}
