package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildInfo is what `migrate version` reports. The Go toolchain stamps the
// module version and the VCS revision and time into every binary built from
// a checkout, so no linker flags (and no package variable) are needed.
type buildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Date     string `json:"date,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if v := bi.Main.Version; v != "" {
		b.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Date = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the one-line form `migrate --version` prints.
func (b buildInfo) String() string {
	s := b.Version
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if b.Modified {
			s += ", modified"
		}
		if b.Date != "" {
			s += ", " + b.Date
		}
		s += ")"
	}
	return s + " " + b.Go + " " + b.Platform
}

func (a *app) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Example: `  migrate version
  migrate version -o json`,
		Args: wantArgs(cobra.NoArgs),
		// version needs no configuration: it answers even where the
		// configuration is broken, which is when operators ask for it.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := readBuildInfo()
			output, err := cmd.Flags().GetString("output")
			if err != nil {
				return badInput(err)
			}
			switch output {
			case "", "table":
				_, err := fmt.Fprintln(a.io.Out, "migrate "+b.String())
				return err
			case "json":
				enc := json.NewEncoder(a.io.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			return badInputf("-o: want table or json, got %q", output)
		},
	}
}

// Short is the version and the commit it was built from, what a saved plan
// and a report record: enough to find the source, nothing about the host.
func (b buildInfo) Short() string {
	if b.Commit == "" {
		return b.Version
	}
	c := b.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if b.Modified {
		c += "-modified"
	}
	return b.Version + " (" + c + ")"
}
