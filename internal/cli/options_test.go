package cli

import (
	"context"
	"io"
	"reflect"
	"testing"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/phases"
)

// parse runs c on args with its run function replaced, for tests of the
// flags only: no configuration, cloud or journal is touched.
func parse(t *testing.T, c *cobra.Command, args []string) error {
	t.Helper()
	c.SetArgs(args)
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	return c.Execute()
}

// optionsCase is one row of a table of flag parsing: args parse into want,
// or are refused.
type optionsCase[O any] struct {
	name    string
	args    []string
	want    O
	wantErr bool
}

// checkOptions parses each case's args with the command newCmd makes (i
// is the case's index) around a run function that only keeps the options,
// and compares them with the case's; norm, if set, spells cobra's empty
// lists as the tables do.
func checkOptions[O any](t *testing.T, cases []optionsCase[O], newCmd func(i int, runF func(context.Context, *O) error) *cobra.Command, norm func(*O)) {
	t.Helper()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *O
			c := newCmd(i, func(_ context.Context, o *O) error {
				if norm != nil {
					norm(o)
				}
				got = o
				return nil
			})
			err := parse(t, c, tc.args)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("%v: no error", tc.args)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options\n%+v\nwant\n%+v", *got, tc.want)
			}
		})
	}
}

// orNil makes cobra's empty argument list nil, as the tables spell it.
func orNil(args []string) []string {
	if len(args) == 0 {
		return nil
	}
	return args
}

func TestRunOptions(t *testing.T) {
	checkOptions(t, []optionsCase[RunOptions]{
		{"nothing", nil, RunOptions{Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"yes", []string{"--yes"}, RunOptions{Yes: true, Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"rehearse", []string{"--rehearse"}, RunOptions{Rehearse: true, Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"saved plan", []string{"--plan", "p.json", "--yes"}, RunOptions{Yes: true, PlanFile: "p.json", Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"disk step", []string{"--convert-disks", "--staging", "/mnt/usb", "--key-file", "kek.bin", "--cipher", "xts-aes-256", "--method", "cutover", "--max-bandwidth", "145MB", "--max-iops", "500"},
			RunOptions{ConvertDisks: true, Disks: convertFlags{staging: "/mnt/usb", keyFile: "kek.bin", cipher: "xts-aes-256", method: "cutover", bandwidth: "145MB", iops: 500}}, false},
		{"no arguments", []string{"vnet/a"}, RunOptions{}, true},
		{"unknown flag", []string{"--force"}, RunOptions{}, true},
	}, func(_ int, runF func(context.Context, *RunOptions) error) *cobra.Command {
		return (&app{}).newRunCmd(runF)
	}, nil)
}

func TestRunOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		o    RunOptions
		want int
	}{
		{RunOptions{}, ExitOK},
		{RunOptions{Rehearse: true}, ExitOK},
		{RunOptions{Rehearse: true, ConvertDisks: true}, ExitBadInput},
		{RunOptions{PlanFile: "p.json", ConvertDisks: true}, ExitOK},
	} {
		if got := exitCode(tc.o.check()); got != tc.want {
			t.Errorf("%+v: exit %d, want %d", tc.o, got, tc.want)
		}
	}
}

func TestPhaseOptions(t *testing.T) {
	specs := []phaseSpec{
		{use: "prepare", mode: phases.ModePrepare},
		{use: "prepare", mode: phases.ModePrepare},
		{use: "commit", mode: phases.ModeCommit, irreversible: true},
		{use: "abort", mode: phases.ModeAbort},
	}
	checkOptions(t, []optionsCase[PhaseOptions]{
		{"prepare every unit", nil, PhaseOptions{Mode: phases.ModePrepare}, false},
		{"prepare two units", []string{"vnet/a", "storage/b"},
			PhaseOptions{Mode: phases.ModePrepare, Units: []string{"vnet/a", "storage/b"}}, false},
		{"commit --yes", []string{"vnet/a", "--yes"},
			PhaseOptions{Mode: phases.ModeCommit, Units: []string{"vnet/a"}, Yes: true}, false},
		{"abort has no --yes", []string{"--yes"}, PhaseOptions{}, true},
	}, func(i int, runF func(context.Context, *PhaseOptions) error) *cobra.Command {
		return (&app{}).newPhaseCmd(runF, specs[i])
	}, func(o *PhaseOptions) { o.Units = orNil(o.Units) })
}

func TestResumeOptions(t *testing.T) {
	checkOptions(t, []optionsCase[ResumeOptions]{
		{"nothing", nil, ResumeOptions{}, false},
		{"abandon", []string{"--abandon"}, ResumeOptions{Abandon: true}, false},
		{"fresh SAS", []string{"--staging", "https://a.blob.core.windows.net/c?sv=x&sig=y"}, ResumeOptions{Staging: "https://a.blob.core.windows.net/c?sv=x&sig=y"}, false},
		{"no arguments", []string{"run"}, ResumeOptions{}, true},
	}, func(_ int, runF func(context.Context, *ResumeOptions) error) *cobra.Command {
		return (&app{}).newResumeCmd(runF)
	}, nil)
}

func TestStatusOptions(t *testing.T) {
	checkOptions(t, []optionsCase[StatusOptions]{
		{"nothing", nil, StatusOptions{}, false},
		{"rebuild", []string{"--rebuild"}, StatusOptions{Rebuild: true}, false},
		{"no arguments", []string{"vnet/a"}, StatusOptions{}, true},
	}, func(_ int, runF func(context.Context, *StatusOptions) error) *cobra.Command {
		return (&app{}).newStatusCmd(runF)
	}, nil)
}

func TestValidateOptions(t *testing.T) {
	checkOptions(t, []optionsCase[ValidateOptions]{
		{"nothing", nil, ValidateOptions{}, false},
		{"offline, one unit", []string{"--offline", "vnet/a"}, ValidateOptions{Offline: true, Units: []string{"vnet/a"}}, false},
		{"the catalogue", []string{"--list-rules"}, ValidateOptions{ListRules: true}, false},
	}, func(_ int, runF func(context.Context, *ValidateOptions) error) *cobra.Command {
		return (&app{}).newValidateCmd(runF)
	}, func(o *ValidateOptions) { o.Units = orNil(o.Units) })
}

func TestConvertOptions(t *testing.T) {
	checkOptions(t, []optionsCase[ConvertOptions]{
		{"every VM", nil, ConvertOptions{Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"two VMs streamed", []string{"cloudservice/cs/web1", "vm/rg/db", "--stream", "--account-type", "Premium_LRS", "--yes"},
			ConvertOptions{VMs: []string{"cloudservice/cs/web1", "vm/rg/db"}, Yes: true,
				Disks: convertFlags{cipher: "xts-aes-128", stream: true, accountType: "Premium_LRS"}}, false},
		{"hub precopy", []string{"--method", "precopy", "--change-rate", "5MB", "--disk-api-version", "2019-07-01"},
			ConvertOptions{Disks: convertFlags{cipher: "xts-aes-128", method: "precopy", changeRate: "5MB", diskAPIVersion: "2019-07-01"}}, false},
		{"a number that is not one", []string{"--max-iops", "many"}, ConvertOptions{}, true},
	}, func(_ int, runF func(context.Context, *ConvertOptions) error) *cobra.Command {
		return (&app{}).newDisksConvertCmd(runF)
	}, func(o *ConvertOptions) { o.VMs = orNil(o.VMs) })
}

func TestDiscoverOptions(t *testing.T) {
	checkOptions(t, []optionsCase[DiscoverOptions]{
		{"defaults", nil, DiscoverOptions{BlobSizes: true}, false},
		{"yaml to a file, no blob sizes", []string{"-f", "e.yaml", "--format", "yaml", "--blob-sizes=false"},
			DiscoverOptions{File: "e.yaml", Format: "yaml"}, false},
		{"a format that is not one", []string{"--format", "xml"}, DiscoverOptions{}, true},
		{"an argument", []string{"extra"}, DiscoverOptions{}, true},
	}, func(_ int, runF func(context.Context, *DiscoverOptions) error) *cobra.Command {
		return (&app{}).newDiscoverCmd(runF)
	}, nil)
}
