package inventory

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLen is the longest name the spec allows, in characters.
const maxNameLen = 80

// nameProblem says what is wrong with a resource name, or "" if it is well
// formed: 1-80 printable characters without / \ ? # (they would break the URL
// paths names are put into).
func nameProblem(s string) string {
	if s == "" {
		return "name must not be empty"
	}
	if !utf8.ValidString(s) {
		return "name is not valid UTF-8"
	}
	n := 0
	for _, r := range s {
		n++
		switch {
		case r == '/' || r == '\\' || r == '?' || r == '#':
			return fmt.Sprintf("name %q must not contain %q", s, r)
		case !unicode.IsPrint(r):
			return fmt.Sprintf("name %q must not contain the control or non-printable character %U", s, r)
		}
	}
	if n > maxNameLen {
		return fmt.Sprintf("name %q is %d characters long, expected at most %d", s, n, maxNameLen)
	}
	return ""
}

// guidProblem checks the 8-4-4-4-12 hexadecimal form of a subscription id.
func guidProblem(s string) string {
	if len(s) != 36 {
		return fmt.Sprintf("expected a subscription id like 6c1b0b6f-0000-4000-8000-000000000001, got %q", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return fmt.Sprintf("expected a subscription id like 6c1b0b6f-0000-4000-8000-000000000001, got %q", s)
			}
			continue
		}
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return fmt.Sprintf("expected a subscription id like 6c1b0b6f-0000-4000-8000-000000000001, got %q", s)
		}
	}
	return ""
}

// cidrProblem checks an IPv4 prefix in CIDR notation whose host bits are
// zero (the platform refuses 10.0.1.5/24 as an address prefix).
func cidrProblem(s string) string {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return fmt.Sprintf("expected an IPv4 prefix in CIDR notation such as 10.0.0.0/16, got %q", s)
	}
	if m := p.Masked(); m != p {
		return fmt.Sprintf("prefix %q has host bits set, expected %s", s, m)
	}
	return ""
}

// ipv4Problem checks a dotted-quad IPv4 address.
func ipv4Problem(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return fmt.Sprintf("expected an IPv4 address such as 10.0.1.4, got %q", s)
	}
	return ""
}

// vhdURIProblem checks a blob URL: http(s), a host, a container and a blob
// name. A blob name holding "/" is well formed here; the blob-name-slash rule
// judges it.
func vhdURIProblem(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Sprintf("expected a blob URL such as https://account.blob.core.windows.net/vhds/disk.vhd, got %q", s)
	}
	container, blob, ok := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if !ok || container == "" || blob == "" {
		return fmt.Sprintf("blob URL %q must name a container and a blob", s)
	}
	return ""
}

// suffixProblem checks a resource group suffix: the characters a resource
// group name may hold.
func suffixProblem(s string) string {
	for _, r := range s {
		if r != '-' && r != '_' && r != '.' && r != '(' && r != ')' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return fmt.Sprintf("resource group suffix %q may hold only letters, digits, '-', '_', '.', '(' and ')'", s)
		}
	}
	if len(s) > 64 {
		return fmt.Sprintf("resource group suffix %q is longer than 64 characters", s)
	}
	return ""
}
