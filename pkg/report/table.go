package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/migrate-tool/migrate/pkg/convert"
)

// renderTable writes the units by wave, the findings and a summary line as
// aligned text columns for a terminal.
func renderTable(w io.Writer, d *document, o Options) error {
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
		renderFindings(bw, d.Findings, o)
	}
	if err := renderConversionTable(bw, d.Conversion); err != nil {
		return err
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, summaryLine(d))
	return bw.Flush()
}

// renderConversionTable lists the disk step: one row per disk.
func renderConversionTable(w io.Writer, c *convert.Plan) error {
	if c == nil {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VM	DISK	LUN	SIZE	TYPE	TIER	MOVEMENT	DOWNTIME")
	for _, v := range c.VMs {
		for i, dk := range v.Disks() {
			vm, down := v.ID, (time.Duration(v.DowntimeSeconds) * time.Second).String()
			if i > 0 {
				vm, down = "", ""
			}
			lun := "os"
			if dk.LUN >= 0 {
				lun = fmt.Sprint(dk.LUN)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", vm, dk.Name, lun, gib(dk.SizeBytes), dk.AccountType, dk.Tier, movement(dk), down)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := c.Summary
	fmt.Fprintf(w, "Disk conversion: %s, %s, %s; longest VM downtime %s.\n", plural(s.VMs, "VM", "VMs"), plural(s.Disks, "disk", "disks"),
		gib(s.Bytes), time.Duration(s.DowntimeSeconds)*time.Second)
	for _, v := range c.VMs {
		for _, p := range v.Problems {
			fmt.Fprintf(w, "  %s: %s\n", v.ID, p)
		}
	}
	return nil
}

// movement says how a disk's data moves, with its caps.
func movement(d convert.DiskPlan) string {
	m := d.Movement
	if d.Staged {
		m += " via staging"
	}
	var caps []string
	if d.MaxBandwidth > 0 {
		caps = append(caps, fmt.Sprintf("%d MB/s", d.MaxBandwidth/1_000_000))
	}
	if d.MaxIOPS > 0 {
		caps = append(caps, fmt.Sprintf("%d IOPS", d.MaxIOPS))
	}
	if len(caps) > 0 {
		m += " (" + strings.Join(caps, ", ") + ")"
	}
	return m
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
		line += fmt.Sprintf(" Forecast: %s likely, %s pessimistic with %s (migration %s to %s).", f.Total.Likely.Text, f.Total.Pessimistic.Text,
			plural(f.Parallel, "worker", "workers"), f.Migration.Likely.Text, f.Migration.Pessimistic.Text)
	}
	return line
}

// oneLine keeps a message on one table row: tabs and newlines would break
// the columns.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
