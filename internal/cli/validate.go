package cli

import (
	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/report"
	"github.com/migrate-tool/migrate/pkg/validate"
)

func (a *app) newValidateCmd() *cobra.Command {
	var listRules, offline bool
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
			if listRules {
				return a.printRules()
			}
			if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
				return badInput(err)
			}
			if offline {
				return a.validateOffline(args)
			}
			s, err := a.openSession(cmd.Context(), "validate", "", nil, args)
			if err != nil {
				return err
			}
			defer s.Close()
			units := s.units
			prog := a.newProgress(len(unitsOrAll(s, units)))
			defer prog.Close()
			res, err := phases.Execute(cmd.Context(), a.phaseOptions(s, phases.ModeValidate, units, prog.Event))
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
		},
	}
	c.Flags().BoolVar(&listRules, "list-rules", false, "print the rule catalogue and exit")
	c.Flags().BoolVar(&offline, "offline", false, "the offline rules only; do not call the driver")
	return c
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
