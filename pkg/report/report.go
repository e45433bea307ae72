package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// Report is what the plan and validate commands print: the plan, the
// findings on it and, optionally, a forecast of the run.
type Report struct {
	Plan     *plan.Plan
	Findings []validate.Finding
	// Forecast is optional; nil leaves it out of every rendering.
	Forecast *plan.Estimate
	// Conversion is the disk step's plan (unmanaged VHDs to managed
	// disks); optional, nil leaves it out.
	Conversion *convert.Plan
}

// Render writes r to w in format (see Formats). An unknown format is a
// *FormatError and nothing is written.
func Render(w io.Writer, r Report, format string) error {
	if err := Validate(format); err != nil {
		return err
	}
	d := newDocument(r)
	var err error
	switch format {
	case FormatTable:
		err = renderTable(w, d)
	case FormatJSON:
		iw := newIndentWriter(w)
		if err = json.NewEncoder(iw).Encode(d); err == nil {
			err = iw.Flush()
		}
	case FormatYAML:
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err = enc.Encode(d); err == nil {
			err = enc.Close()
		}
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

// forecastDoc gives each duration twice: as Go prints it for people and in
// whole seconds for scripts.
type forecastDoc struct {
	Parallel            int    `json:"parallel" yaml:"parallel"`
	Makespan            string `json:"makespan" yaml:"makespan"`
	MakespanSeconds     int64  `json:"makespanSeconds" yaml:"makespanSeconds"`
	LowerBound          string `json:"lowerBound" yaml:"lowerBound"`
	LowerBoundSeconds   int64  `json:"lowerBoundSeconds" yaml:"lowerBoundSeconds"`
	CriticalPath        string `json:"criticalPath" yaml:"criticalPath"`
	CriticalPathSeconds int64  `json:"criticalPathSeconds" yaml:"criticalPathSeconds"`
	TotalWork           string `json:"totalWork" yaml:"totalWork"`
	TotalWorkSeconds    int64  `json:"totalWorkSeconds" yaml:"totalWorkSeconds"`
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
	if e := r.Forecast; e != nil {
		d.Summary.Forecast = &forecastDoc{
			Parallel:            e.Parallel,
			Makespan:            e.Makespan.String(),
			MakespanSeconds:     seconds(e.Makespan),
			LowerBound:          e.LowerBound.String(),
			LowerBoundSeconds:   seconds(e.LowerBound),
			CriticalPath:        e.CriticalPath.String(),
			CriticalPathSeconds: seconds(e.CriticalPath),
			TotalWork:           e.TotalWork.String(),
			TotalWorkSeconds:    seconds(e.TotalWork),
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
