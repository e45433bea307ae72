package azure

import "regexp"

// redactions replace secrets wherever they appear in a log line: SAS
// signatures, bearer tokens and Authorization headers, OAuth form and JSON
// fields, and anything shaped like a JWT. The order matters: the header
// rule runs before the bare-token rule.
var redactions = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?i)(\bsig=)[^&\s"'<]+`), "${1}REDACTED"},
	{regexp.MustCompile(`(?i)(authorization"?\s*[:=]\s*"?)(bearer\s+|basic\s+)?[^\s",]+`), "${1}${2}REDACTED"},
	{regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9\-_.~+/]+=*`), "${1}REDACTED"},
	{regexp.MustCompile(`(?i)(\b(?:client_secret|access_token|refresh_token|id_token|client_assertion|password)=)[^&\s"']+`), "${1}REDACTED"},
	{regexp.MustCompile(`(?i)("(?:client_secret|access_token|refresh_token|id_token|client_assertion|password)"\s*:\s*")[^"]*`), "${1}REDACTED"},
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`), "REDACTED-JWT"},
}

// Redact returns s with every secret it recognises replaced: SAS signatures
// (sig=), bearer tokens, Authorization header values, client secrets and
// tokens in forms or JSON, and JWT-shaped strings. Apply it to anything
// headed for a log.
func Redact(s string) string {
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}
