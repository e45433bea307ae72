package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Colours for units in the graph.
const (
	colourBlocked    = "#f4cccc" // has an error finding
	colourDownstream = "#fff2cc" // depends on a blocked unit
	colourRestart    = "#fce5cd" // VMs restart
	colourNone       = "#d9ead3" // no downtime
)

// renderDOT writes a Graphviz digraph: one cluster per wave, units labelled
// with scope and downtime, edges from a dependency to its dependent, units
// with blocking findings filled red and those downstream of them yellow.
func renderDOT(w io.Writer, d *document) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph migration {")
	fmt.Fprintln(bw, "  rankdir=LR;")
	fmt.Fprintln(bw, `  node [shape=box, style="rounded,filled", fontname="Helvetica"];`)
	for wave, units := range d.byWave() {
		fmt.Fprintf(bw, "  subgraph %s {\n", dotID(fmt.Sprintf("cluster_wave_%d", wave)))
		fmt.Fprintf(bw, "    label=%s;\n", dotID(fmt.Sprintf("Wave %d", wave)))
		fmt.Fprintln(bw, "    style=dashed;")
		for _, u := range units {
			label := fmt.Sprintf("%s\n%s, downtime %s", u.ID, u.Scope, u.Downtime)
			if u.VMs > 0 || u.DiskBytes > 0 {
				label += fmt.Sprintf("\n%s, %s", plural(u.VMs, "VM", "VMs"), gib(u.DiskBytes))
			}
			fill := colourNone
			if u.Downtime != "none" {
				fill = colourRestart
			}
			extra := ""
			switch {
			case d.blocked[u.ID]:
				fill, extra = colourBlocked, `, color="#cc0000", penwidth=2`
				label += "\nBLOCKED"
			case d.downstream[u.ID]:
				fill, extra = colourDownstream, `, color="#b45f06"`
				label += "\nwaits on a blocked unit"
			}
			fmt.Fprintf(bw, "    %s [label=%s, fillcolor=%s%s];\n", dotID(u.ID), dotID(label), dotID(fill), extra)
		}
		fmt.Fprintln(bw, "  }")
	}
	for _, u := range d.Units {
		for _, dep := range u.DependsOn {
			fmt.Fprintf(bw, "  %s -> %s;\n", dotID(dep), dotID(u.ID))
		}
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// dotID quotes s as a DOT string. DOT only escapes the double quote; a
// backslash is doubled so that a name ending in one cannot escape the
// closing quote (and renders as one backslash in labels), and a newline
// becomes the label line break \n.
func dotID(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
