package report

import (
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// renderFindings writes the findings table: errors first, then warnings,
// then infos (the unit order within each), with the recommendation beside
// each message. On a terminal (o.Width > 0) the message and recommendation
// columns wrap to its width; in a pipe every finding stays on one line, so
// grep and awk see one record per line.
func renderFindings(w io.Writer, fs []findingDoc, o Options) {
	sorted := append([]findingDoc(nil), fs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return severityOrder(sorted[i].Severity) < severityOrder(sorted[j].Severity)
	})
	rows := [][]string{{"SEVERITY", "RULE", "RESOURCE", "MESSAGE", "RECOMMENDATION"}}
	for _, f := range sorted {
		res := f.Resource
		if res == "" {
			res = "-"
		}
		rows = append(rows, []string{f.Severity, f.Rule, res, oneLine(f.Message), oneLine(f.Recommendation)})
	}
	writeWrapped(w, rows, []int{3, 4}, o.Width, func(row, col int, cell string) string {
		if !o.Color || row == 0 || col != 0 {
			return cell
		}
		return colorSeverity(sorted[row-1].Severity, cell)
	})
}

func severityOrder(s string) int {
	switch s {
	case "error":
		return 0
	case "warning":
		return 1
	}
	return 2
}

// ANSI SGR colours for severities: red, yellow, cyan.
func colorSeverity(sev, cell string) string {
	code := "36"
	switch sev {
	case "error":
		code = "31"
	case "warning":
		code = "33"
	}
	return "\x1b[" + code + "m" + cell + "\x1b[0m"
}

// writeWrapped writes rows as aligned columns two spaces apart. Columns
// listed in wrap share what width leaves after the others (at least 20
// characters each) and are word-wrapped to it; width 0 wraps nothing. The
// last column is never padded. paint decorates a padded cell (colour codes
// must not count in the width, which is why tabwriter is not used here).
func writeWrapped(w io.Writer, rows [][]string, wrap []int, width int, paint func(row, col int, cell string) string) {
	if len(rows) == 0 {
		return
	}
	ncol := len(rows[0])
	widths := make([]int, ncol)
	for _, r := range rows {
		for c, cell := range r {
			widths[c] = max(widths[c], utf8.RuneCountInString(cell))
		}
	}
	isWrap := map[int]bool{}
	for _, c := range wrap {
		isWrap[c] = true
	}
	if width > 0 && len(wrap) > 0 {
		fixed := 2 * (ncol - 1)
		for c := range ncol {
			if !isWrap[c] {
				fixed += widths[c]
			}
		}
		share := max((width-fixed)/len(wrap), 20)
		for _, c := range wrap {
			widths[c] = min(widths[c], share)
		}
	}
	var b strings.Builder
	for ri, r := range rows {
		cols := make([][]string, ncol)
		lines := 1
		for c, cell := range r {
			if width > 0 && isWrap[c] {
				cols[c] = wordWrap(cell, widths[c])
			} else {
				cols[c] = []string{cell}
			}
			lines = max(lines, len(cols[c]))
		}
		for l := range lines {
			var line strings.Builder
			for c := range ncol {
				cell := ""
				if l < len(cols[c]) {
					cell = cols[c][l]
				}
				if c < ncol-1 {
					cell += strings.Repeat(" ", widths[c]-utf8.RuneCountInString(cell)+2)
				}
				if l == 0 && paint != nil {
					cell = paint(ri, c, cell)
				}
				line.WriteString(cell)
			}
			b.WriteString(strings.TrimRight(line.String(), " "))
			b.WriteByte('\n')
		}
	}
	_, _ = io.WriteString(w, b.String()) // the caller's bufio.Writer reports it on Flush
}

// wordWrap breaks s into lines of at most n characters at spaces; a word
// longer than n is cut.
func wordWrap(s string, n int) []string {
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(s) {
		wr := []rune(word)
		for len(wr) > n {
			if len(cur) > 0 {
				lines = append(lines, string(cur))
				cur = nil
			}
			lines = append(lines, string(wr[:n]))
			wr = wr[n:]
		}
		switch {
		case len(cur) == 0:
			cur = wr
		case len(cur)+1+len(wr) <= n:
			cur = append(append(cur, ' '), wr...)
		default:
			lines = append(lines, string(cur))
			cur = wr
		}
	}
	if len(cur) > 0 || len(lines) == 0 {
		lines = append(lines, string(cur))
	}
	return lines
}
