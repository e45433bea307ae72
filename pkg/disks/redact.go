package disks

import (
	"net/url"
	"strings"
)

// RedactURL returns rawURL fit for an error message or a log: every query
// value (a SAS's sig, se, sp...) becomes "REDACTED" and sig is dropped
// outright, and any password in the user info goes too. A string that does
// not parse loses everything from its first '?'.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		if i := strings.IndexByte(rawURL, '?'); i >= 0 {
			return rawURL[:i] + "?REDACTED"
		}
		return rawURL
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.EqualFold(k, "sig") {
				q.Del(k)
				continue
			}
			q[k] = []string{"REDACTED"}
		}
		u.RawQuery = q.Encode()
		if u.RawQuery == "" {
			u.RawQuery = "REDACTED"
		}
	}
	u.Fragment = ""
	return u.String()
}

// RedactError returns err with every occurrence of rawURL's query string and
// of each query value (raw and decoded) replaced, so an error from a lower
// layer (net/http puts the whole URL in *url.Error) cannot leak a SAS. The
// result still unwraps to err for errors.Is and errors.As.
func RedactError(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	secrets := urlSecrets(rawURL)
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		clean = strings.ReplaceAll(clean, s, "REDACTED")
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

// urlSecrets lists the strings of rawURL that must not be shown, longest
// first so that a whole query is replaced before its parts.
func urlSecrets(rawURL string) []string {
	i := strings.IndexByte(rawURL, '?')
	if i < 0 {
		return nil
	}
	raw := rawURL[i+1:]
	out := []string{raw}
	for _, kv := range strings.Split(raw, "&") {
		_, v, _ := strings.Cut(kv, "=")
		if len(v) < 4 {
			// Short values (sr=b, sp=r) are not secret and would mangle
			// the message.
			continue
		}
		out = append(out, v)
		if d, err := url.QueryUnescape(v); err == nil && d != v {
			out = append(out, d)
		}
	}
	return out
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
