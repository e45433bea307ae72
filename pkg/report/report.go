package report

import (
	"fmt"
	"io"
	"time"

	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// Report is what the plan and validate commands print: the plan, the
// findings on it and, optionally, a forecast of the run.
type Report struct {
	Plan     *plan.Plan
	Findings []validate.Finding
	// Forecast is the change window's forecast (plan.Model.Window);
	// optional, nil leaves it out of every rendering.
	Forecast *plan.ChangeWindow
	// Conversion is the disk step's plan (unmanaged VHDs to managed
	// disks); optional, nil leaves it out.
	Conversion *convert.Plan
	// Meta is what a change board asks first; the Markdown report opens
	// with it. Optional; other formats leave it out (they stay
	// byte-identical run after run, and Meta has a date).
	Meta *Meta
}

// Meta says where a report comes from.
type Meta struct {
	Subscription string
	// Tenant is the Microsoft Entra tenant, "" when not configured.
	Tenant          string
	Cloud           string
	InventoryFile   string
	InventorySHA256 string
	// Date is when the report was made, as the caller formats it.
	Date        string
	ToolVersion string
	// Graph is the file name of the dependency graph drawn as an SVG
	// beside the Markdown, "" when none was drawn.
	Graph string
}

// Render writes r to w in format (see Formats). An unknown format is a
// *FormatError and nothing is written.
func Render(w io.Writer, r Report, format string) error {
	return RenderWith(w, r, Options{Format: format})
}

// Options are how RenderWith renders.
type Options struct {
	Format string
	// Query is a JMESPath expression applied to the document (json, yaml,
	// tsv), as `az --query`.
	Query string
	// Width wraps the table's long columns to a terminal this wide; 0
	// leaves every row on one line (a pipe).
	Width int
	// Color marks severities with ANSI colours in the table.
	Color bool
}

// RenderWith writes r to w as o says. An unknown format is a *FormatError
// and nothing is written.
func RenderWith(w io.Writer, r Report, o Options) error {
	format := o.Format
	if err := Validate(format); err != nil {
		return err
	}
	d := newDocument(r)
	var err error
	switch format {
	case FormatTable:
		err = renderTable(w, d, o)
	case FormatJSON, FormatYAML, FormatTSV, FormatNone:
		err = Encode(w, format, o.Query, d)
	case FormatMarkdown:
		err = renderMarkdown(w, d)
	case FormatDOT:
		err = renderDOT(w, d)
	}
	if err != nil {
		return fmt.Errorf("render %s report: %w", format, err)
	}
	return nil
}

// document is the structure JSON and YAML render (cli.md "JSON shapes") and
// the others read from. Slices are never nil, so empty lists render as [].
type document struct {
	Units    []unitDoc    `json:"units" yaml:"units"`
	Findings []findingDoc `json:"findings" yaml:"findings"`
	Summary  summaryDoc   `json:"summary" yaml:"summary"`
	// Conversion is the disk step's plan, when given.
	Conversion *convert.Plan `json:"conversion,omitempty" yaml:"conversion,omitempty"`

	meta *Meta

	// blocked are the units with an error finding; downstream the units
	// that depend on a blocked one and so cannot run either.
	blocked    map[string]bool
	downstream map[string]bool
	plan       *plan.Plan
}

type unitDoc struct {
	ID        string   `json:"id" yaml:"id"`
	Scope     string   `json:"scope" yaml:"scope"`
	Resources []string `json:"resources" yaml:"resources"`
	DependsOn []string `json:"dependsOn" yaml:"dependsOn"`
	Wave      int      `json:"wave" yaml:"wave"`
	Downtime  string   `json:"downtime" yaml:"downtime"`
	VMs       int      `json:"vms" yaml:"vms"`
	DiskBytes int64    `json:"diskBytes" yaml:"diskBytes"`
	// VMDowntime is how long each of the unit's VMs is down, when a forecast
	// is given: "none" in a VNet, else the likely and pessimistic restart.
	VMDowntime *rangeDoc `json:"vmDowntime,omitempty" yaml:"vmDowntime,omitempty"`
}

type findingDoc struct {
	Rule           string `json:"rule" yaml:"rule"`
	Severity       string `json:"severity" yaml:"severity"`
	Resource       string `json:"resource" yaml:"resource"`
	Unit           string `json:"unit" yaml:"unit"`
	Message        string `json:"message" yaml:"message"`
	Recommendation string `json:"recommendation" yaml:"recommendation"`
}

type summaryDoc struct {
	Units        int          `json:"units" yaml:"units"`
	Errors       int          `json:"errors" yaml:"errors"`
	Warnings     int          `json:"warnings" yaml:"warnings"`
	Waves        int          `json:"waves" yaml:"waves"`
	Infos        int          `json:"infos" yaml:"infos"`
	VMs          int          `json:"vms" yaml:"vms"`
	DiskBytes    int64        `json:"diskBytes" yaml:"diskBytes"`
	Blocked      []string     `json:"blocked" yaml:"blocked"`
	CriticalPath []string     `json:"criticalPath" yaml:"criticalPath"`
	Forecast     *forecastDoc `json:"forecast,omitempty" yaml:"forecast,omitempty"`
}

// forecastDoc is the change window's forecast. Each duration is given
// twice: in whole seconds, and as an ISO 8601 duration for consumers that
// want a string (Text, as Go prints it, is for the renderings for people).
type forecastDoc struct {
	Parallel int `json:"parallel" yaml:"parallel"`
	// Migration runs from the first Validate to the last Commit; Total to
	// the end of the disk step.
	Migration    rangeDoc       `json:"migration" yaml:"migration"`
	Total        rangeDoc       `json:"total" yaml:"total"`
	LowerBound   durationDoc    `json:"lowerBound" yaml:"lowerBound"`
	CriticalPath durationDoc    `json:"criticalPath" yaml:"criticalPath"`
	TotalWork    durationDoc    `json:"totalWork" yaml:"totalWork"`
	Assumptions  []string       `json:"assumptions" yaml:"assumptions"`
	Waves        []spanDoc      `json:"waves" yaml:"waves"`
	Units        []unitSpanDoc  `json:"units" yaml:"units"`
	Downtime     []downtimeDoc  `json:"downtime" yaml:"downtime"`
	DiskStep     []diskBatchDoc `json:"diskStep" yaml:"diskStep"`
}

type durationDoc struct {
	Seconds int64  `json:"seconds" yaml:"seconds"`
	ISO8601 string `json:"iso8601" yaml:"iso8601"`
	Text    string `json:"-" yaml:"-"`
}

type rangeDoc struct {
	Likely      durationDoc `json:"likely" yaml:"likely"`
	Pessimistic durationDoc `json:"pessimistic" yaml:"pessimistic"`
}

type spanDoc struct {
	Wave  int         `json:"wave" yaml:"wave"`
	Start durationDoc `json:"start" yaml:"start"`
	End   durationDoc `json:"end" yaml:"end"`
}

type unitSpanDoc struct {
	ID        string      `json:"id" yaml:"id"`
	Start     durationDoc `json:"start" yaml:"start"`
	LockStart durationDoc `json:"lockStart" yaml:"lockStart"`
	End       durationDoc `json:"end" yaml:"end"`
}

type downtimeDoc struct {
	VM    string      `json:"vm" yaml:"vm"`
	Unit  string      `json:"unit,omitempty" yaml:"unit,omitempty"`
	Cause string      `json:"cause" yaml:"cause"`
	Start durationDoc `json:"start" yaml:"start"`
	End   durationDoc `json:"end" yaml:"end"`
}

type diskBatchDoc struct {
	Batch int         `json:"batch" yaml:"batch"`
	Start durationDoc `json:"start" yaml:"start"`
	End   durationDoc `json:"end" yaml:"end"`
	VMs   []string    `json:"vms" yaml:"vms"`
}

func dur(d time.Duration) durationDoc {
	return durationDoc{Seconds: seconds(d), ISO8601: ISO8601(d), Text: d.String()}
}

// ISO8601 formats d, rounded up to the second, as an ISO 8601 duration
// (PT4H, PT1H30M5S, PT0S), the string form of a duration in every
// machine-readable output.
func ISO8601(d time.Duration) string {
	s := seconds(d)
	if s <= 0 {
		return "PT0S"
	}
	h, m, sec := s/3600, s%3600/60, s%60
	out := "PT"
	if h > 0 {
		out += fmt.Sprintf("%dH", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dM", m)
	}
	if sec > 0 {
		out += fmt.Sprintf("%dS", sec)
	}
	return out
}

func rng(r plan.Range) rangeDoc {
	return rangeDoc{Likely: dur(r.Likely), Pessimistic: dur(r.Pessimistic)}
}

func newForecastDoc(w *plan.ChangeWindow) *forecastDoc {
	f := &forecastDoc{
		Parallel:     w.Parallel,
		Migration:    rng(plan.Range{Likely: w.Likely.Makespan, Pessimistic: w.Pessimistic.Makespan}),
		Total:        rng(w.Total),
		LowerBound:   dur(w.Likely.LowerBound),
		CriticalPath: dur(w.Likely.CriticalPath),
		TotalWork:    dur(w.Likely.TotalWork),
		Assumptions:  append([]string{}, w.Assumptions...),
		Waves:        []spanDoc{},
		Units:        []unitSpanDoc{},
		Downtime:     []downtimeDoc{},
		DiskStep:     []diskBatchDoc{},
	}
	for _, x := range w.Waves {
		f.Waves = append(f.Waves, spanDoc{Wave: x.Wave, Start: dur(x.Start), End: dur(x.End)})
	}
	for _, x := range w.Units {
		f.Units = append(f.Units, unitSpanDoc{ID: x.ID, Start: dur(x.Start), LockStart: dur(x.LockStart), End: dur(x.End)})
	}
	for _, x := range w.Downtime {
		f.Downtime = append(f.Downtime, downtimeDoc{VM: x.VM, Unit: x.Unit, Cause: x.Cause, Start: dur(x.Start), End: dur(x.End)})
	}
	for _, x := range w.DiskStep {
		f.DiskStep = append(f.DiskStep, diskBatchDoc{Batch: x.Batch, Start: dur(x.Start), End: dur(x.End), VMs: append([]string{}, x.VMs...)})
	}
	return f
}

func newDocument(r Report) *document {
	p := r.Plan
	if p == nil {
		p = &plan.Plan{}
	}
	d := &document{
		Units:      make([]unitDoc, 0, len(p.Units)),
		Findings:   make([]findingDoc, 0, len(r.Findings)),
		Conversion: r.Conversion,
		plan:       p,
		meta:       r.Meta,
	}
	d.Summary.Units = len(p.Units)
	d.Summary.Waves = p.Waves
	d.Summary.CriticalPath = append([]string{}, p.CriticalPath...)
	for _, u := range p.Units {
		d.Units = append(d.Units, unitDoc{
			ID:        u.ID,
			Scope:     string(u.Scope),
			Resources: append([]string{}, u.Resources...),
			DependsOn: append([]string{}, u.DependsOn...),
			Wave:      u.Wave,
			Downtime:  string(u.Downtime),
			VMs:       u.VMs,
			DiskBytes: u.DiskBytes,
		})
		d.Summary.VMs += u.VMs
		// A VM's disks count in its own unit and again in its storage
		// account's unit; every registered disk is in exactly one storage
		// unit, so the total is theirs alone.
		if u.Scope == plan.ScopeStorage {
			d.Summary.DiskBytes += u.DiskBytes
		}
	}
	fs := append([]validate.Finding(nil), r.Findings...)
	validate.Sort(fs)
	for _, f := range fs {
		d.Findings = append(d.Findings, findingDoc{
			Rule: f.Rule, Severity: string(f.Severity), Resource: f.Resource,
			Unit: f.Unit, Message: f.Message, Recommendation: f.Recommendation,
		})
		switch f.Severity {
		case validate.SeverityError:
			d.Summary.Errors++
		case validate.SeverityWarning:
			d.Summary.Warnings++
		case validate.SeverityInfo:
			d.Summary.Infos++
		}
	}
	d.blocked = validate.Blocked(fs)
	d.Summary.Blocked = []string{}
	var blocked []string
	for _, u := range p.Units {
		if d.blocked[u.ID] {
			d.Summary.Blocked = append(d.Summary.Blocked, u.ID)
			blocked = append(blocked, u.ID)
		}
	}
	d.downstream = map[string]bool{}
	if len(blocked) > 0 {
		for _, id := range p.Downstream(blocked...) {
			d.downstream[id] = true
		}
	}
	if w := r.Forecast; w != nil {
		d.Summary.Forecast = newForecastDoc(w)
		byID := map[string]plan.UnitWindow{}
		for _, uw := range w.Units {
			byID[uw.ID] = uw
		}
		for i := range d.Units {
			if uw, ok := byID[d.Units[i].ID]; ok && d.Units[i].VMs > 0 {
				r := rng(uw.VMDowntime)
				d.Units[i].VMDowntime = &r
			}
		}
	}
	return d
}

func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// gib formats a byte count in GiB: whole numbers plainly, others with one
// decimal.
func gib(b int64) string {
	const g = int64(1) << 30
	if b%g == 0 {
		return fmt.Sprintf("%d GiB", b/g)
	}
	return fmt.Sprintf("%.1f GiB", float64(b)/float64(g))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// byWave groups the units by wave, in plan order.
func (d *document) byWave() [][]unitDoc {
	var waves [][]unitDoc
	for _, u := range d.Units {
		for len(waves) <= u.Wave {
			waves = append(waves, nil)
		}
		waves[u.Wave] = append(waves[u.Wave], u)
	}
	return waves
}

// DiskJobs turns the disk step's plan into the jobs of the change window's
// forecast, in the plan's batches: each VM down for the conversion plan's
// estimate, likely, and twice that pessimistic (the plan gives one figure,
// at its assumed rates; half those rates is the pessimistic assumption),
// its pre-copy (while it runs) likewise. VMs the plan refuses are left
// out: they are not converted.
func DiskJobs(cp *convert.Plan) []plan.DiskJob {
	if cp == nil {
		return nil
	}
	var jobs []plan.DiskJob
	for _, v := range cp.VMs {
		if len(v.Problems) > 0 || v.Batch < 0 {
			continue
		}
		d := time.Duration(v.DowntimeSeconds) * time.Second
		lead := time.Duration(v.PrecopySeconds) * time.Second
		id := v.ClassicID
		if id == "" {
			id = v.ID
		}
		jobs = append(jobs, plan.DiskJob{VM: id, Duration: plan.Range{Likely: d, Pessimistic: 2 * d}, Batch: v.Batch,
			Lead: plan.Range{Likely: lead, Pessimistic: 2 * lead}})
	}
	return jobs
}
