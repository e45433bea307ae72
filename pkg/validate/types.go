package validate

// Severity of a finding.
type Severity string

// Severities: an error blocks its unit, a warning means a setting is dropped
// or needs work after migration, info informs.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding is one rule's verdict on one resource.
type Finding struct {
	Rule           string   `json:"rule"`
	Severity       Severity `json:"severity"`
	Resource       string   `json:"resource"`
	Unit           string   `json:"unit"`
	Message        string   `json:"message"`
	Recommendation string   `json:"recommendation"`
}
