package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/migrate-tool/migrate/pkg/convert"
)

// renderMeta writes what a change board asks first: whose estate, where
// to, from which inventory, when and by what, on which timing assumptions.
func renderMeta(bw *bufio.Writer, m *Meta, f *forecastDoc) {
	or := func(s string) string {
		if s == "" {
			return "–"
		}
		return cell(inline(s))
	}
	fmt.Fprintln(bw, "| | |")
	fmt.Fprintln(bw, "| --- | --- |")
	fmt.Fprintf(bw, "| Subscription | %s |\n", or(m.Subscription))
	fmt.Fprintf(bw, "| Tenant | %s |\n", or(m.Tenant))
	fmt.Fprintf(bw, "| Target cloud | %s |\n", or(m.Cloud))
	fmt.Fprintf(bw, "| Inventory | %s |\n", or(m.InventoryFile))
	fmt.Fprintf(bw, "| Inventory SHA-256 | %s |\n", or(m.InventorySHA256))
	fmt.Fprintf(bw, "| Date | %s |\n", or(m.Date))
	fmt.Fprintf(bw, "| Tool version | %s |\n", or(m.ToolVersion))
	if f != nil && len(f.Assumptions) > 0 {
		fmt.Fprintf(bw, "| Timing model | %s (every assumption under \"Change window\") |\n", cell(inline(f.Assumptions[0])))
	}
	fmt.Fprintln(bw)
	if m.Graph != "" {
		fmt.Fprintf(bw, "![Dependency graph](%s)\n\n", m.Graph)
	}
}

// renderWindow writes the change window's likely timeline, as offsets from
// its start, and the timing model's assumptions.
func renderWindow(bw *bufio.Writer, f *forecastDoc) {
	fmt.Fprint(bw, "\n## Change window\n\n")
	fmt.Fprintf(bw, "Likely %s, pessimistic %s with %s, from the first Validate to the end of the disk step. Times below are the likely timeline, as offsets from the start.\n",
		f.Total.Likely.Text, f.Total.Pessimistic.Text, plural(f.Parallel, "worker", "workers"))
	fmt.Fprint(bw, "\n| Wave | Start | End |\n| ---: | ---: | ---: |\n")
	for _, w := range f.Waves {
		fmt.Fprintf(bw, "| %d | %s | %s |\n", w.Wave, w.Start.Text, w.End.Text)
	}
	fmt.Fprint(bw, "\nEach unit's management plane is locked from its Prepare to the end of its Commit.\n\n")
	fmt.Fprint(bw, "| Unit | Validate | Locked from | Committed |\n| --- | ---: | ---: | ---: |\n")
	for _, u := range f.Units {
		fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", cell(code(u.ID)), u.Start.Text, u.LockStart.Text, u.End.Text)
	}
	if len(f.Downtime) > 0 {
		fmt.Fprint(bw, "\n| VM | Down for | From | To |\n| --- | --- | ---: | ---: |\n")
		for _, d := range f.Downtime {
			fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", cell(code(d.VM)), d.Cause, d.Start.Text, d.End.Text)
		}
	}
	if len(f.DiskStep) > 0 {
		fmt.Fprint(bw, "\n| Disk batch | Start | End | VMs |\n| ---: | ---: | ---: | --- |\n")
		for _, b := range f.DiskStep {
			fmt.Fprintf(bw, "| %d | %s | %s | %s |\n", b.Batch, b.Start.Text, b.End.Text, cell(codeList(b.VMs, ", ")))
		}
	}
	fmt.Fprint(bw, "\nTiming model:\n\n")
	for _, a := range f.Assumptions {
		fmt.Fprintf(bw, "- %s\n", inline(a))
	}
}

// vmDowntime says how long each of a unit's VMs is down for the migration:
// "–" without a forecast or VMs, "none" in a VNet.
func vmDowntime(u unitDoc) string {
	switch {
	case u.VMDowntime == nil:
		return "–"
	case u.VMDowntime.Pessimistic.Seconds == 0:
		return "none"
	}
	return fmt.Sprintf("%s (up to %s)", u.VMDowntime.Likely.Text, u.VMDowntime.Pessimistic.Text)
}

// renderMarkdown writes a report a person keeps: summary, units by wave,
// findings grouped by unit with their recommendations, and the dependency
// graph as a mermaid flowchart (rendered by GitHub, GitLab and most wikis).
func renderMarkdown(w io.Writer, d *document) error {
	bw := bufio.NewWriter(w)
	s := d.Summary
	fmt.Fprint(bw, "# Migration plan\n\n")
	if m := d.meta; m != nil {
		renderMeta(bw, m, s.Forecast)
	}
	fmt.Fprint(bw, "## Summary\n\n")
	fmt.Fprintln(bw, "| | |")
	fmt.Fprintln(bw, "| --- | --- |")
	fmt.Fprintf(bw, "| Units | %d |\n", s.Units)
	fmt.Fprintf(bw, "| Waves | %d |\n", s.Waves)
	fmt.Fprintf(bw, "| Virtual machines | %d |\n", s.VMs)
	fmt.Fprintf(bw, "| Disk volume | %s |\n", gib(s.DiskBytes))
	fmt.Fprintf(bw, "| Findings | %s, %s, %s |\n", plural(s.Errors, "error", "errors"),
		plural(s.Warnings, "warning", "warnings"), plural(s.Infos, "info", "infos"))
	if len(s.Blocked) > 0 {
		fmt.Fprintf(bw, "| Blocked units | %s |\n", cell(codeList(s.Blocked, ", ")))
	}
	if len(s.CriticalPath) > 0 {
		fmt.Fprintf(bw, "| Critical path | %s |\n", cell(codeList(s.CriticalPath, " → ")))
	}
	if f := s.Forecast; f != nil {
		fmt.Fprintf(bw, "| Forecast | %s likely, %s pessimistic with %s (migration %s to %s; lower bound %s, critical path %s, total work %s) |\n",
			f.Total.Likely.Text, f.Total.Pessimistic.Text, plural(f.Parallel, "worker", "workers"),
			f.Migration.Likely.Text, f.Migration.Pessimistic.Text, f.LowerBound.Text, f.CriticalPath.Text, f.TotalWork.Text)
	}
	if c := d.Conversion; c != nil {
		fmt.Fprintf(bw, "| Disk step | %s in %s over %s; the longest VM is down %s |\n", plural(c.Summary.VMs, "VM", "VMs"),
			plural(len(c.Batches), "batch", "batches"), showSeconds(c.Summary.WindowSeconds), showSeconds(c.Summary.DowntimeSeconds))
	}

	fmt.Fprint(bw, "\n## Units by wave\n")
	if len(d.Units) == 0 {
		fmt.Fprint(bw, "\nNo units.\n")
	}
	counts := d.findingCounts()
	for wave, units := range d.byWave() {
		fmt.Fprintf(bw, "\n### Wave %d\n\n", wave)
		fmt.Fprintln(bw, "| Unit | Scope | Downtime | Downtime per VM | VMs | Disk | Depends on | Findings |")
		fmt.Fprintln(bw, "| --- | --- | --- | --- | ---: | ---: | --- | --- |")
		for _, u := range units {
			deps := "–"
			if len(u.DependsOn) > 0 {
				deps = codeList(u.DependsOn, ", ")
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %d | %s | %s | %s |\n",
				cell(code(u.ID)), u.Scope, u.Downtime, vmDowntime(u), u.VMs, gib(u.DiskBytes), cell(deps), counts[u.ID])
		}
	}

	if f := s.Forecast; f != nil {
		renderWindow(bw, f)
	}

	fmt.Fprint(bw, "\n## Findings\n")
	if len(d.Findings) == 0 {
		fmt.Fprint(bw, "\nNo findings.\n")
	}
	for _, g := range d.findingGroups() {
		if g.unit == "" {
			fmt.Fprint(bw, "\n### Not tied to a unit\n\n")
		} else {
			fmt.Fprintf(bw, "\n### %s\n\n", code(g.unit))
		}
		for _, f := range g.findings {
			on := ""
			if f.Resource != "" {
				on = " on " + code(f.Resource)
			}
			fmt.Fprintf(bw, "- **%s** %s%s: %s\n", f.Severity, code(f.Rule), on, inline(f.Message))
			if f.Recommendation != "" {
				fmt.Fprintf(bw, "  - Recommendation: %s\n", inline(f.Recommendation))
			}
		}
	}

	if c := d.Conversion; c != nil {
		renderConversionMarkdown(bw, c)
	}

	fmt.Fprint(bw, "\n## Dependency graph\n\nAn arrow points from a unit to the units that wait for it.\n\n")
	fmt.Fprintln(bw, "```mermaid")
	fmt.Fprintln(bw, "flowchart LR")
	node := map[string]string{}
	for i, u := range d.Units {
		node[u.ID] = fmt.Sprintf("u%d", i)
	}
	for wave, units := range d.byWave() {
		fmt.Fprintf(bw, "  subgraph wave%d [\"Wave %d\"]\n", wave, wave)
		for _, u := range units {
			fmt.Fprintf(bw, "    %s[\"%s<br/>%s, downtime %s\"]\n", node[u.ID], mermaidText(u.ID), u.Scope, u.Downtime)
		}
		fmt.Fprintln(bw, "  end")
	}
	for _, u := range d.Units {
		for _, dep := range u.DependsOn {
			if n, ok := node[dep]; ok {
				fmt.Fprintf(bw, "  %s --> %s\n", n, node[u.ID])
			}
		}
	}
	var blocked, downstream []string
	for _, u := range d.Units {
		switch {
		case d.blocked[u.ID]:
			blocked = append(blocked, node[u.ID])
		case d.downstream[u.ID]:
			downstream = append(downstream, node[u.ID])
		}
	}
	if len(blocked) > 0 {
		fmt.Fprintf(bw, "  classDef blocked fill:%s,stroke:#cc0000\n  class %s blocked\n", colourBlocked, strings.Join(blocked, ","))
	}
	if len(downstream) > 0 {
		fmt.Fprintf(bw, "  classDef waiting fill:%s,stroke:#b45f06\n  class %s waiting\n", colourDownstream, strings.Join(downstream, ","))
	}
	fmt.Fprintln(bw, "```")
	return bw.Flush()
}

// findingCounts summarises each unit's findings for the units tables, e.g.
// "1 error, 2 warnings"; "–" when there are none.
func (d *document) findingCounts() map[string]string {
	type count struct{ e, w, i int }
	c := map[string]*count{}
	for _, f := range d.Findings {
		x := c[f.Unit]
		if x == nil {
			x = &count{}
			c[f.Unit] = x
		}
		switch f.Severity {
		case "error":
			x.e++
		case "warning":
			x.w++
		default:
			x.i++
		}
	}
	out := map[string]string{}
	for _, u := range d.Units {
		x := c[u.ID]
		if x == nil {
			out[u.ID] = "–"
			continue
		}
		var parts []string
		if x.e > 0 {
			parts = append(parts, plural(x.e, "error", "errors"))
		}
		if x.w > 0 {
			parts = append(parts, plural(x.w, "warning", "warnings"))
		}
		if x.i > 0 {
			parts = append(parts, plural(x.i, "info", "infos"))
		}
		out[u.ID] = strings.Join(parts, ", ")
	}
	return out
}

type findingGroup struct {
	unit     string
	findings []findingDoc
}

// findingGroups groups findings by unit: units in plan order, then units the
// plan does not know (sorted, as the findings are), then findings without a
// unit.
func (d *document) findingGroups() []findingGroup {
	byUnit := map[string][]findingDoc{}
	var unknown []string
	known := map[string]bool{}
	for _, u := range d.Units {
		known[u.ID] = true
	}
	for _, f := range d.Findings {
		if _, seen := byUnit[f.Unit]; !seen && !known[f.Unit] && f.Unit != "" {
			unknown = append(unknown, f.Unit)
		}
		byUnit[f.Unit] = append(byUnit[f.Unit], f)
	}
	var out []findingGroup
	for _, u := range d.Units {
		if fs := byUnit[u.ID]; len(fs) > 0 {
			out = append(out, findingGroup{u.ID, fs})
		}
	}
	for _, id := range unknown {
		out = append(out, findingGroup{id, byUnit[id]})
	}
	if fs := byUnit[""]; len(fs) > 0 {
		out = append(out, findingGroup{"", fs})
	}
	return out
}

// code renders s as an inline code span, choosing a fence longer than any
// run of backticks inside it (CommonMark).
func code(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

func codeList(ids []string, sep string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = code(id)
	}
	return strings.Join(parts, sep)
}

// cell escapes a table cell: a pipe would end it, even inside a code span.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// inline keeps free text on its list item: newlines would end it.
func inline(s string) string { return strings.Join(strings.Fields(s), " ") }

// mermaidText escapes text inside a quoted mermaid label, where quotes end
// the label, < > & would be read as HTML and a pipe as an edge label.
func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "&", "#amp;", "#", "#35;", "|", "#124;")
	return r.Replace(s)
}

// renderConversionMarkdown writes the disk step: each VM's method, batch,
// downtime and pre-copy, its disks, the batches (who is down together,
// when, for how long) and the whole window, why each method, what a
// recreate drops, and what the plan refuses.
func renderConversionMarkdown(bw *bufio.Writer, c *convert.Plan) {
	cs := c.Summary
	fmt.Fprint(bw, "\n## Disk conversion\n\n")
	fmt.Fprintf(bw, "After Commit, %s on %s (%s) move from unmanaged VHDs to managed disks in %s over %s; the longest VM is down about %s.\n\n",
		plural(cs.VMs, "VM", "VMs"), plural(cs.Disks, "disk", "disks"), gib(cs.Bytes), plural(len(c.Batches), "batch", "batches"),
		showSeconds(cs.WindowSeconds), showSeconds(cs.DowntimeSeconds))
	fmt.Fprintln(bw, "| VM | Method | Batch | Disk | LUN | Size | Type | Tier | Movement | Downtime | Pre-copy |")
	fmt.Fprintln(bw, "| --- | --- | ---: | --- | ---: | ---: | --- | --- | --- | ---: | ---: |")
	for _, v := range c.VMs {
		for i, dk := range v.Disks() {
			vm, method, batch, down, pre := cell(code(v.ID)), v.Method, batchName(v.Batch), showSeconds(v.DowntimeSeconds), "–"
			if v.PrecopySeconds > 0 {
				pre = showSeconds(v.PrecopySeconds)
			}
			if method == "" {
				method = "–"
			}
			if batch == "-" {
				batch = "–"
			}
			if i > 0 {
				vm, method, batch, down, pre = "", "", "", "", ""
			}
			lun := "OS"
			if dk.LUN >= 0 {
				lun = fmt.Sprint(dk.LUN)
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", vm, method, batch, cell(code(dk.Name)), lun,
				gib(dk.SizeBytes), dk.AccountType, dk.Tier, cell(movement(dk)), down, pre)
		}
	}
	if len(c.Batches) > 0 {
		fmt.Fprintf(bw, "\n### Batches\n\nAt most %d VMs are down together, never two of one availability set; a batch starts when the one before runs again and its VMs' pre-copies, which run while they run, are done. Times are from the start of the disk step.\n\n", c.Parallel)
		fmt.Fprintln(bw, "| Batch | Down from | Down for | VMs |")
		fmt.Fprintln(bw, "| ---: | ---: | ---: | --- |")
		for _, b := range c.Batches {
			fmt.Fprintf(bw, "| %d | %s | %s | %s |\n", b.Index, showSeconds(b.StartSeconds), showSeconds(b.DowntimeSeconds), cell(codeList(b.VMs, ", ")))
		}
	}
	if rs := methodReasons(c); len(rs) > 0 {
		fmt.Fprint(bw, "\n### Methods\n\n")
		for _, r := range rs {
			fmt.Fprintf(bw, "- **%s** (%s): %s\n", r.method, plural(r.vms, "VM", "VMs"), inline(r.reason))
		}
	}
	var dropped []string
	for _, v := range c.VMs {
		for _, x := range v.Dropped {
			dropped = append(dropped, fmt.Sprintf("- %s: %s\n", code(v.ID), inline(x)))
		}
	}
	if len(dropped) > 0 {
		fmt.Fprint(bw, "\n### Not carried over by the recreate\n\n")
		for _, x := range dropped {
			fmt.Fprint(bw, x)
		}
	}
	var refused []string
	for _, v := range c.VMs {
		for _, p := range v.Problems {
			refused = append(refused, fmt.Sprintf("- **refused** %s: %s\n", code(v.ID), inline(p)))
		}
	}
	if len(refused) > 0 {
		fmt.Fprintln(bw)
		for _, x := range refused {
			fmt.Fprint(bw, x)
		}
	}
}
