package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func completions(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, errOut := runMain(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if code != ExitOK {
		t.Fatalf("__complete %q: exit %d\n%s", args, code, errOut)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, ":") {
			continue // the directive
		}
		name, _, _ := strings.Cut(line, "\t")
		got = append(got, name)
	}
	return got
}

func TestCompletion(t *testing.T) {
	inv := "../../testdata/estates/small.json"
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"commit", "--inventory", inv, ""}, []string{"cloudservice/small-legacy", "reservedip/small-spare-ip", "vnet/small-vnet", "storage/smallprem", "storage/smallstd"}},
		{[]string{"--inventory", inv, "prepare", "vnet/small-vnet", "storage/"}, []string{"storage/smallprem", "storage/smallstd"}},
		{[]string{"--inventory", inv, "disks", "convert", "cloudservice/small-web/"}, []string{"cloudservice/small-web/web1", "cloudservice/small-web/web2"}},
		{[]string{"plan", "-o", ""}, []string{"table", "json", "yaml", "tsv", "none", "markdown", "dot"}},
		{[]string{"run", "--driver", ""}, []string{"sim", "azure"}},
	}
	for _, tt := range tests {
		if got := completions(t, tt.args...); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("__complete %q = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// Every command has an example in its help.
func TestEveryCommandHasAnExample(t *testing.T) {
	streams, _, _ := TestStreams(nil)
	a := &app{io: streams, drain: make(chan struct{})}
	walk(a.newRootCmd(), func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no example", c.CommandPath())
		}
	})
}

// The simulator's flags are in the help of the commands that may run it,
// and nowhere else.
func TestSimFlagsOnlyWhereTheyApply(t *testing.T) {
	for _, tt := range []struct {
		cmd  []string
		want bool
	}{
		{[]string{"run"}, true},
		{[]string{"validate"}, true},
		{[]string{"plan"}, false},
		{[]string{"disks", "copy"}, false},
		{[]string{"version"}, false},
		{[]string{"inventory", "check"}, false},
	} {
		_, out, _ := runMain(t, append(tt.cmd, "--help")...)
		if got := strings.Contains(out, "--sim-fault-rate"); got != tt.want {
			t.Errorf("%q --help shows --sim-fault-rate: %v, want %v", tt.cmd, got, tt.want)
		}
	}
	// Hidden from help, still accepted.
	if code, _, errOut := runMain(t, "plan", "--inventory", "../../testdata/estates/small.json", "--sim-seed", "3", "-o", "none"); code != ExitOK {
		t.Errorf("plan --sim-seed: exit %d\n%s", code, errOut)
	}
}
