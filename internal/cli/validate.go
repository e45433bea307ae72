package cli

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/report"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// ValidateOptions are what validate is asked.
type ValidateOptions struct {
	// ListRules: print the rule catalogue instead.
	ListRules bool
	// Offline: the offline rules only, no driver.
	Offline bool
	// Units are the units named; none means every unit of the plan.
	Units []string
}

// newValidateCmd is validate; runF, when set, is run instead of
// runValidate (tests of the flags).
func (a *app) newValidateCmd(runF func(context.Context, *ValidateOptions) error) *cobra.Command {
	if runF == nil {
		runF = a.runValidate
	}
	o := &ValidateOptions{}
	c := &cobra.Command{
		Use:   "validate [UNIT...]",
		Short: "Every documented blocker offline, then the platform's own Validate",
		Long: `validate runs every rule of the offline catalogue (documented unsupported
features and configurations, and the checks the platform's Validate does not
make but Prepare fails on), then the platform's own Validate through the
driver, and merges the findings: rule "platform" for the platform's
messages. Each finding names its rule, severity, resource and the unit it
blocks, with a recommendation.

It exits 3 when a selected unit has a blocking (error) finding, 0 otherwise.
--offline skips the driver. --list-rules prints the catalogue.`,
		Example: `  migrate validate --inventory estate.json
  migrate validate --inventory estate.json vnet/contoso-vnet -o json | jq '.findings[] | select(.severity=="error")'
  migrate validate --list-rules`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Units = args
			return runF(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.ListRules, "list-rules", false, "print the rule catalogue and exit")
	c.Flags().BoolVar(&o.Offline, "offline", false, "the offline rules only; do not call the driver")
	return c
}

// runValidate runs the offline rules and the platform's Validate on the
// units named.
func (a *app) runValidate(ctx context.Context, o *ValidateOptions) (err error) {
	if o.ListRules {
		return a.printRules()
	}
	if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
		return badInput(err)
	}
	if o.Offline {
		return a.validateOffline(o.Units)
	}
	s, err := a.openSession(ctx, "validate", "", nil, o.Units)
	if err != nil {
		return err
	}
	defer keepCloseErr(&err, s.Close)
	units := s.units
	prog := a.newProgress(s.plan, len(unitsOrAll(s, units)))
	defer prog.Close()
	res, err := phases.Execute(ctx, a.phaseOptions(s, phases.ModeValidate, units, prog.Event))
	prog.Close()
	if err != nil {
		return err
	}
	fs := findingsFor(s, units, res)
	if err := report.RenderWith(a.io.Out, report.Report{Plan: s.plan, Findings: fs}, a.renderOptions()); err != nil {
		return err
	}
	if countErrors(fs) > 0 {
		return &ExitError{Code: ExitBlocked}
	}
	if code := res.ExitCode(); code != ExitOK && code != ExitBlocked {
		return &ExitError{Code: code}
	}
	return nil
}

func (a *app) validateOffline(args []string) error {
	_, p, err := a.loadPlan()
	if err != nil {
		return err
	}
	inv, _ := a.loadInventory()
	units, err := selectUnits(p, args)
	if err != nil {
		return err
	}
	sel := map[string]bool{}
	for _, u := range units {
		sel[u] = true
	}
	var fs []validate.Finding
	for _, f := range validate.Check(inv, p) {
		if len(sel) == 0 || sel[f.Unit] {
			fs = append(fs, f)
		}
	}
	if err := report.RenderWith(a.io.Out, report.Report{Plan: p, Findings: fs}, a.renderOptions()); err != nil {
		return err
	}
	if countErrors(fs) > 0 {
		return &ExitError{Code: ExitBlocked}
	}
	return nil
}

func (a *app) printRules() error {
	rules := validate.Rules()
	if a.structured() {
		return a.writeDoc(map[string]any{"rules": rules})
	}
	t := newTable(a.io.Out, "RULE", "SEVERITY", "RECOMMENDATION")
	for _, r := range rules {
		t.row(r.ID, string(r.Severity), r.Recommendation)
	}
	t.flush()
	return nil
}

// mergeFindings merges the offline findings with the platform's (rule
// "platform") so every command counts a problem once: an exact repeat (same
// rule, resource, unit and message) is dropped, and so is a platform finding
// that an offline finding of the same unit and severity already reports.
// The platform's Validate returns only messages (no rule id), so "already
// reports" is read from them: every resource the platform message names (the
// word after "VM", "HostedService", "Virtual Network", "Extension", ...)
// and what it says is deployed ("has X deployed") must appear in the
// offline finding's message (the first sentence of the platform's, which
// states the problem; the rest advises). A platform message naming something no offline
// finding covers stays, with the platform's own words. The result is sorted
// (validate.Sort).
func mergeFindings(fs []validate.Finding) []validate.Finding {
	type key struct{ rule, resource, unit, message string }
	seen := map[key]bool{}
	var offline, platform, out []validate.Finding
	for _, f := range fs {
		k := key{f.Rule, f.Resource, f.Unit, f.Message}
		if seen[k] {
			continue
		}
		seen[k] = true
		if f.Rule == validate.RulePlatform {
			platform = append(platform, f)
		} else {
			offline = append(offline, f)
		}
	}
	out = append(out, offline...)
	for _, p := range platform {
		names := platformNames(p.Message)
		covered := false
		for _, o := range offline {
			if o.Unit == p.Unit && o.Severity == p.Severity && len(names) > 0 && mentionsAll(o.Message, names) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	validate.Sort(out)
	return out
}

// platformKinds are the words before a name in the platform's messages
// (azure-docs, migration-classic-resource-manager-errors.md).
var platformKinds = []string{"vm", "hostedservice", "deployment", "role", "network", "extension", "disk", "account", "endpoint", "peering", "gateway", "state"}

// platformNames are the names a platform message gives: the word after one
// of platformKinds, and X in "has X deployed".
func platformNames(msg string) []string {
	// The first sentence states the problem; the rest advises.
	if i := strings.Index(msg, ". "); i > 0 {
		msg = msg[:i]
	}
	words := strings.Fields(msg)
	var names []string
	for i := 0; i+1 < len(words); i++ {
		w := strings.ToLower(strings.Trim(words[i], ".,:;()"))
		next := strings.Trim(words[i+1], ".,:;()")
		switch {
		case slices.Contains(platformKinds, w) && next != "" && !isFiller(next):
			names = append(names, next)
		case w == "has" && i+2 < len(words) && strings.EqualFold(words[i+2], "deployed"):
			names = append(names, next)
		}
	}
	return names
}

func isFiller(w string) bool {
	switch strings.ToLower(w) {
	case "a", "an", "the", "is", "in", "with", "which", "and", "of", "to", "that", "has", "contains":
		return true
	}
	return false
}

// mentionsAll reports whether msg names every one of names, compared without
// case, spaces or punctuation ("ApiManagement" is "API Management").
func mentionsAll(msg string, names []string) bool {
	m := squash(msg)
	for _, n := range names {
		if !strings.Contains(m, squash(n)) {
			return false
		}
	}
	return true
}

func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
