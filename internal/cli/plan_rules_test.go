package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/validate"
)

// Every `migrate ...` command a rule recommends exists, with every flag it
// names: a finding must not send the operator to a command the tool does
// not have (issue 11: unassociated-disk recommended one that did not).
func TestRecommendedCommandsExist(t *testing.T) {
	streams, _, _ := TestStreams(nil)
	a := &app{io: streams, drain: make(chan struct{})}
	root := a.newRootCmd()
	quoted := regexp.MustCompile("`migrate ([^`]+)`")
	found := 0
	for _, r := range validate.Rules() {
		for _, m := range quoted.FindAllStringSubmatch(r.Recommendation, -1) {
			found++
			args := strings.Fields(m[1])
			c, rest, err := root.Find(args)
			if err != nil || c == root {
				t.Errorf("rule %s recommends `migrate %s`: no such command (%v)", r.ID, m[1], err)
				continue
			}
			for _, arg := range rest {
				if !strings.HasPrefix(arg, "--") {
					continue
				}
				name, _, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
				if c.Flags().Lookup(name) == nil && c.InheritedFlags().Lookup(name) == nil {
					t.Errorf("rule %s recommends `migrate %s`: %s has no flag --%s", r.ID, m[1], c.CommandPath(), name)
				}
			}
		}
	}
	if found == 0 {
		t.Fatal("no rule recommends a migrate command: the test checks nothing")
	}
}
