package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestResumeCommand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		argv     []string
		want     string
		redacted bool
	}{
		{"plain", []string{"copy", "a.raw", "b.raw"}, "migrate disks copy a.raw b.raw --resume", false},
		{"flags kept, resume once", []string{"copy", "a.raw", "b.raw", "--resume", "--workers", "2", "--no-encrypt", "--state-dir", "my state"},
			"migrate disks copy a.raw b.raw --no-encrypt --state-dir 'my state' --workers 2 --resume", false},
		{"SAS redacted", []string{"copy", "a.vhd", "https://acct.blob.core.windows.net/vhds/a.vhd?sv=2021&sig=SECRET"},
			"migrate disks copy a.vhd 'https://acct.blob.core.windows.net/vhds/a.vhd?<SAS>' --resume", true},
		{"staging container SAS", []string{"copy", "a.vhd", "staging:http://127.0.0.1:10000/devstoreaccount1/stg/web1?sv=1&sig=SECRET", "--key-file", "k"},
			"migrate disks copy a.vhd 'staging:http://127.0.0.1:10000/devstoreaccount1/stg/web1?<SAS>' --key-file k --resume", true},
		{"quote in a path", []string{"copy", "it's.raw", "b.raw"}, `migrate disks copy 'it'\''s.raw' b.raw --resume`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			var redacted bool
			root := &cobra.Command{Use: "migrate"}
			root.PersistentFlags().String("state-dir", "./.migrate", "")
			disksCmd := &cobra.Command{Use: "disks"}
			var f copyFlags
			c := &cobra.Command{Use: "copy", Args: cobra.ExactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
				got, redacted = resumeCommand(cmd, args)
				return nil
			}}
			f.add(c, true)
			disksCmd.AddCommand(c)
			root.AddCommand(disksCmd)
			root.SetArgs(append([]string{"disks"}, tc.argv...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if got != tc.want || redacted != tc.redacted {
				t.Errorf("got %q (redacted %v), want %q (%v)", got, redacted, tc.want, tc.redacted)
			}
			if strings.Contains(got, "SECRET") {
				t.Errorf("the SAS is printed: %s", got)
			}
		})
	}
}
