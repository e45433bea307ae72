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

// renderConversionTable lists the disk step: one row per disk, each VM's
// method, batch, downtime and pre-copy; then the batches (who is down
// together, when, for how long), why each method, and what a recreate
// drops.
func renderConversionTable(w io.Writer, c *convert.Plan) error {
	if c == nil {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VM\tMETHOD\tBATCH\tDISK\tLUN\tSIZE\tTYPE\tTIER\tMOVEMENT\tDOWNTIME\tPRE-COPY")
	for _, v := range c.VMs {
		for i, dk := range v.Disks() {
			vm, method, batch, down, pre := v.ID, v.Method, batchName(v.Batch), showSeconds(v.DowntimeSeconds), "-"
			if v.PrecopySeconds > 0 {
				pre = showSeconds(v.PrecopySeconds)
			}
			if method == "" {
				method = "-"
			}
			if i > 0 {
				vm, method, batch, down, pre = "", "", "", "", ""
			}
			lun := "os"
			if dk.LUN >= 0 {
				lun = fmt.Sprint(dk.LUN)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", vm, method, batch, dk.Name, lun, gib(dk.SizeBytes), dk.AccountType, dk.Tier, movement(dk), down, pre)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := c.Summary
	fmt.Fprintf(w, "Disk conversion: %s, %s, %s; longest VM downtime %s; %s over %s.\n", plural(s.VMs, "VM", "VMs"), plural(s.Disks, "disk", "disks"),
		gib(s.Bytes), showSeconds(s.DowntimeSeconds), plural(len(c.Batches), "batch", "batches"), showSeconds(s.WindowSeconds))
	if len(c.Batches) > 0 {
		fmt.Fprintf(w, "\nBatches: at most %d VMs down together, never two of one availability set; pre-copies run while the VMs run.\n", c.Parallel)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "BATCH\tDOWN FROM\tDOWN FOR\tVMS")
		for _, b := range c.Batches {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", b.Index, showSeconds(b.StartSeconds), showSeconds(b.DowntimeSeconds), strings.Join(b.VMs, ", "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if rs := methodReasons(c); len(rs) > 0 {
		fmt.Fprintln(w)
		for _, r := range rs {
			fmt.Fprintf(w, "Method %s (%s): %s\n", r.method, plural(r.vms, "VM", "VMs"), oneLine(r.reason))
		}
	}
	for _, v := range c.VMs {
		for _, d := range v.Dropped {
			fmt.Fprintf(w, "  %s drops %s\n", v.ID, oneLine(d))
		}
	}
	for _, v := range c.VMs {
		for _, p := range v.Problems {
			fmt.Fprintf(w, "  %s: %s\n", v.ID, p)
		}
	}
	return nil
}

// reason is one method and why, with how many VMs it applies to.
type reason struct {
	method, reason string
	vms            int
}

// methodReasons are the plan's methods and their reasons, in the order
// the VMs first give them: one line each rather than one per VM.
func methodReasons(c *convert.Plan) []reason {
	var out []reason
	at := map[[2]string]int{}
	for _, v := range c.VMs {
		if v.Method == "" {
			continue
		}
		k := [2]string{v.Method, v.MethodReason}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, reason{method: v.Method, reason: v.MethodReason})
		}
		out[i].vms++
	}
	return out
}

// batchName is a VM's batch for people: "-" when it is in none.
func batchName(b int) string {
	if b < 0 {
		return "-"
	}
	return fmt.Sprint(b)
}

// showSeconds prints whole seconds as Go prints a duration (4m40s).
func showSeconds(s int64) string { return (time.Duration(s) * time.Second).String() }

// movement says how a disk's data moves, with its caps.
func movement(d convert.DiskPlan) string {
	m := d.Movement
	if m == convert.MovePlatform {
		return "platform conversion"
	}
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
