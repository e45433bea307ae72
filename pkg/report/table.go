package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// renderTable writes the units by wave, the findings and a summary line as
// aligned text columns for a terminal.
func renderTable(w io.Writer, d *document) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tUNIT\tSCOPE\tDOWNTIME\tVMS\tDISK\tDEPENDS ON")
	for _, u := range d.Units {
		deps := "-"
		if len(u.DependsOn) > 0 {
			deps = strings.Join(u.DependsOn, ", ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", u.Wave, u.ID, u.Scope, u.Downtime, u.VMs, gib(u.DiskBytes), deps)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(bw)
	if len(d.Findings) == 0 {
		fmt.Fprintln(bw, "No findings.")
	} else {
		tw = tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tRULE\tRESOURCE\tMESSAGE")
		for _, f := range d.Findings {
			res := f.Resource
			if res == "" {
				res = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.Rule, res, oneLine(f.Message))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, summaryLine(d))
	return bw.Flush()
}

// summaryLine is the one-line summary that ends the table.
func summaryLine(d *document) string {
	s := d.Summary
	line := fmt.Sprintf("%s in %s, %s, %s of disks; %s, %s, %s.",
		plural(s.Units, "unit", "units"), plural(s.Waves, "wave", "waves"),
		plural(s.VMs, "VM", "VMs"), gib(s.DiskBytes),
		plural(s.Errors, "error", "errors"), plural(s.Warnings, "warning", "warnings"),
		plural(s.Infos, "info", "infos"))
	if len(s.Blocked) > 0 {
		line += fmt.Sprintf(" Blocked: %s.", strings.Join(s.Blocked, ", "))
	}
	if len(s.CriticalPath) > 0 {
		line += fmt.Sprintf(" Critical path: %s.", strings.Join(s.CriticalPath, " -> "))
	}
	if f := s.Forecast; f != nil {
		line += fmt.Sprintf(" Forecast: %s with %s (lower bound %s).", f.Makespan, plural(f.Parallel, "worker", "workers"), f.LowerBound)
	}
	return line
}

// oneLine keeps a message on one table row: tabs and newlines would break
// the columns.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
