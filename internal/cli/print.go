package cli

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/report"
)

// structured reports whether -o asks for a document (json, yaml, tsv,
// none) rather than a table for people.
func (a *app) structured() bool { return report.Structured(a.cfg.Output) }

// writeDoc writes v as the command's one document in -o's format, with
// --query applied. Inside a run that also converts disks (see
// combineOutput) it keeps v instead, so the run prints one document with
// both parts.
func (a *app) writeDoc(v any) error {
	if c := a.printer.combined; c != nil {
		switch x := v.(type) {
		case resultDoc:
			c.Run = &x
			return nil
		case convert.Result:
			c.Conversion = &x
			return nil
		}
	}
	if err := report.Encode(a.io.Out, a.cfg.Output, a.cfg.Query, v); err != nil {
		if errors.Is(err, report.ErrQuery) {
			return badInput(err)
		}
		return fmt.Errorf("print %s: %w", a.cfg.Output, err)
	}
	return nil
}

// printer is the output state of one invocation.
type printer struct {
	// combined collects a run's parts while `run --convert-disks` prints
	// as one document; nil otherwise.
	combined *runConvertDoc
}

// runConvertDoc is what `run --convert-disks -o json|yaml` prints: the
// migration's result and the disk step's, as one document (cli.md "JSON
// shapes"). Conversion is absent when no VM reached the disk step.
type runConvertDoc struct {
	Run        *resultDoc      `json:"run"`
	Conversion *convert.Result `json:"conversion,omitempty"`
}

// oneDocument makes the structured output of the run and disk steps that
// follow one document, written by the function it returns when both are
// done, whatever their outcome (defer it); an error writing it is kept in
// *errp unless *errp already holds one. Tables print as they come.
func (a *app) oneDocument(errp *error) func() {
	if !a.structured() {
		return func() {}
	}
	c := &runConvertDoc{}
	a.printer.combined = c
	return func() {
		a.printer.combined = nil
		if c.Run == nil && c.Conversion == nil {
			return
		}
		if err := a.writeDoc(*c); err != nil && *errp == nil {
			*errp = err
		}
	}
}

// renderOptions are the report's rendering options for this invocation:
// the format and query, and on a terminal its width and colour.
func (a *app) renderOptions() report.Options {
	o := report.Options{Format: a.cfg.Output, Query: a.cfg.Query}
	if a.io.OutTTY {
		o.Width = a.io.Width()
		o.Color = a.io.Color()
	}
	return o
}

// table is a minimal aligned text table.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		fmt.Fprint(t.tw, c)
	}
	fmt.Fprintln(t.tw)
}

func (t *table) flush() { _ = t.tw.Flush() }
