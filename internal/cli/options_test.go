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

// orNil makes cobra's empty argument list nil, as the tables spell it.
func orNil(args []string) []string {
	if len(args) == 0 {
		return nil
	}
	return args
}

func TestRunOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    RunOptions
		wantErr bool
	}{
		{"nothing", nil, RunOptions{Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"yes", []string{"--yes"}, RunOptions{Yes: true, Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"rehearse", []string{"--rehearse"}, RunOptions{Rehearse: true, Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"saved plan", []string{"--plan", "p.json", "--yes"}, RunOptions{Yes: true, PlanFile: "p.json", Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"disk step", []string{"--convert-disks", "--staging", "/mnt/usb", "--key-file", "kek.bin", "--cipher", "xts-aes-256", "--method", "cutover", "--max-bandwidth", "145MB", "--max-iops", "500"},
			RunOptions{ConvertDisks: true, Disks: convertFlags{staging: "/mnt/usb", keyFile: "kek.bin", cipher: "xts-aes-256", method: "cutover", bandwidth: "145MB", iops: 500}}, false},
		{"no arguments", []string{"vnet/a"}, RunOptions{}, true},
		{"unknown flag", []string{"--force"}, RunOptions{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *RunOptions
			c := (&app{}).newRunCmd(func(_ context.Context, o *RunOptions) error { got = o; return nil })
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
	for _, tc := range []struct {
		name    string
		spec    phaseSpec
		args    []string
		want    PhaseOptions
		wantErr bool
	}{
		{"prepare every unit", phaseSpec{use: "prepare", mode: phases.ModePrepare}, nil, PhaseOptions{Mode: phases.ModePrepare}, false},
		{"prepare two units", phaseSpec{use: "prepare", mode: phases.ModePrepare}, []string{"vnet/a", "storage/b"},
			PhaseOptions{Mode: phases.ModePrepare, Units: []string{"vnet/a", "storage/b"}}, false},
		{"commit --yes", phaseSpec{use: "commit", mode: phases.ModeCommit, irreversible: true}, []string{"vnet/a", "--yes"},
			PhaseOptions{Mode: phases.ModeCommit, Units: []string{"vnet/a"}, Yes: true}, false},
		{"abort has no --yes", phaseSpec{use: "abort", mode: phases.ModeAbort}, []string{"--yes"}, PhaseOptions{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *PhaseOptions
			c := (&app{}).newPhaseCmd(func(_ context.Context, o *PhaseOptions) error { got = o; o.Units = orNil(o.Units); return nil }, tc.spec)
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
				t.Errorf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestResumeOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    ResumeOptions
		wantErr bool
	}{
		{"nothing", nil, ResumeOptions{}, false},
		{"abandon", []string{"--abandon"}, ResumeOptions{Abandon: true}, false},
		{"fresh SAS", []string{"--staging", "https://a.blob.core.windows.net/c?sv=x&sig=y"}, ResumeOptions{Staging: "https://a.blob.core.windows.net/c?sv=x&sig=y"}, false},
		{"no arguments", []string{"run"}, ResumeOptions{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *ResumeOptions
			c := (&app{}).newResumeCmd(func(_ context.Context, o *ResumeOptions) error { got = o; return nil })
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
				t.Errorf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestStatusOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    StatusOptions
		wantErr bool
	}{
		{"nothing", nil, StatusOptions{}, false},
		{"rebuild", []string{"--rebuild"}, StatusOptions{Rebuild: true}, false},
		{"no arguments", []string{"vnet/a"}, StatusOptions{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *StatusOptions
			c := (&app{}).newStatusCmd(func(_ context.Context, o *StatusOptions) error { got = o; return nil })
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
				t.Errorf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestValidateOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want ValidateOptions
	}{
		{"nothing", nil, ValidateOptions{}},
		{"offline, one unit", []string{"--offline", "vnet/a"}, ValidateOptions{Offline: true, Units: []string{"vnet/a"}}},
		{"the catalogue", []string{"--list-rules"}, ValidateOptions{ListRules: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *ValidateOptions
			c := (&app{}).newValidateCmd(func(_ context.Context, o *ValidateOptions) error { got = o; o.Units = orNil(o.Units); return nil })
			if err := parse(t, c, tc.args); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestConvertOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    ConvertOptions
		wantErr bool
	}{
		{"every VM", nil, ConvertOptions{Disks: convertFlags{cipher: "xts-aes-128"}}, false},
		{"two VMs streamed", []string{"cloudservice/cs/web1", "vm/rg/db", "--stream", "--account-type", "Premium_LRS", "--yes"},
			ConvertOptions{VMs: []string{"cloudservice/cs/web1", "vm/rg/db"}, Yes: true,
				Disks: convertFlags{cipher: "xts-aes-128", stream: true, accountType: "Premium_LRS"}}, false},
		{"hub precopy", []string{"--method", "precopy", "--change-rate", "5MB", "--disk-api-version", "2019-07-01"},
			ConvertOptions{Disks: convertFlags{cipher: "xts-aes-128", method: "precopy", changeRate: "5MB", diskAPIVersion: "2019-07-01"}}, false},
		{"a number that is not one", []string{"--max-iops", "many"}, ConvertOptions{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *ConvertOptions
			c := (&app{}).newDisksConvertCmd(func(_ context.Context, o *ConvertOptions) error { got = o; o.VMs = orNil(o.VMs); return nil })
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
