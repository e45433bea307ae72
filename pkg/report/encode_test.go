package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type encodeFixture struct {
	Zebra string         `json:"zebra"`
	Apple int            `json:"apple"`
	Items []encodeItem   `json:"items"`
	Extra map[string]int `json:"extra"`
}

type encodeItem struct {
	ID    string   `json:"id"`
	OK    bool     `json:"ok"`
	Tags  []string `json:"tags"`
	Note  *string  `json:"note"`
	Inner struct {
		X int `json:"x"`
	} `json:"inner"`
}

func encoded(t *testing.T, format, query string, v any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, format, query, v); err != nil {
		t.Fatalf("Encode %s %q: %v", format, query, err)
	}
	return buf.String()
}

// The keys come in the struct's order in JSON and YAML alike (YAML used to
// be re-read into a map, which sorted them).
func TestEncodeKeyOrderSameInJSONAndYAML(t *testing.T) {
	v := encodeFixture{Zebra: "z", Apple: 1, Items: []encodeItem{{ID: "a", Tags: []string{"x"}}}, Extra: map[string]int{"b": 2, "a": 1}}
	j := encoded(t, FormatJSON, "", v)
	y := encoded(t, FormatYAML, "", v)
	for _, doc := range []string{j, y} {
		z, a, i, e := strings.Index(doc, "zebra"), strings.Index(doc, "apple"), strings.Index(doc, "items"), strings.Index(doc, "extra")
		if z > a || a > i || i > e {
			t.Errorf("keys out of struct order:\n%s", doc)
		}
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal([]byte(j), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(y), &fromYAML); err != nil {
		t.Fatal(err)
	}
	jb, _ := json.Marshal(fromJSON)
	yb, _ := json.Marshal(fromYAML)
	if string(jb) != string(yb) {
		t.Errorf("JSON and YAML differ:\n%s\n%s", jb, yb)
	}
}

func TestEncodeQueryAndTSV(t *testing.T) {
	note := "n"
	v := encodeFixture{Items: []encodeItem{{ID: "a", OK: true, Tags: []string{"x", "y"}, Note: &note}, {ID: "b\tc"}}}
	tests := []struct {
		format, query, want string
	}{
		{FormatJSON, "items[].id", "[\n  \"a\",\n  \"b\\tc\"\n]\n"},
		{FormatTSV, "items[].id", "a\nb c\n"},
		// JMESPath objects are unordered: after a query the keys are sorted
		// (id, inner, note, ok, tags); a nested object is an empty field, a
		// list its length, null empty.
		{FormatTSV, "items[0]", "a\t\tn\ttrue\t2\n"},
		{FormatTSV, "items[1]", "b c\t\t\tfalse\t\n"},
		{FormatTSV, "length(items)", "2\n"},
		{FormatYAML, "items[0].tags", "- x\n- y\n"},
		{FormatNone, "items", ""},
	}
	for _, tt := range tests {
		if got := encoded(t, tt.format, tt.query, v); got != tt.want {
			t.Errorf("%s %q = %q, want %q", tt.format, tt.query, got, tt.want)
		}
	}
	if err := Encode(&bytes.Buffer{}, FormatJSON, "items[", v); !errors.Is(err, ErrQuery) {
		t.Errorf("bad query: %v, want ErrQuery", err)
	}
	if err := CheckQuery("items[?"); !errors.Is(err, ErrQuery) {
		t.Errorf("CheckQuery: %v, want ErrQuery", err)
	}
}

func TestISO8601(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "PT0S", 4 * time.Hour: "PT4H", 90*time.Minute + 5*time.Second: "PT1H30M5S",
		1500 * time.Millisecond: "PT2S", 45 * time.Second: "PT45S",
	} {
		if got := ISO8601(d); got != want {
			t.Errorf("ISO8601(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestWrappedFindingsFitWidth(t *testing.T) {
	long := strings.Repeat("word ", 60)
	fs := []findingDoc{
		{Severity: "info", Rule: "r1", Resource: "x", Message: "i", Recommendation: "-"},
		{Severity: "error", Rule: "r2", Resource: "y", Message: long, Recommendation: long},
	}
	var buf bytes.Buffer
	renderFindings(&buf, fs, Options{Width: 100})
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	for _, l := range lines {
		if len(l) > 100 {
			t.Errorf("line of %d > 100: %q", len(l), l)
		}
	}
	if !strings.HasPrefix(lines[1], "error") {
		t.Errorf("errors not first:\n%s", buf.String())
	}
	buf.Reset()
	renderFindings(&buf, fs, Options{})
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Errorf("unwrapped table has %d lines, want 3:\n%s", n, buf.String())
	}
	buf.Reset()
	renderFindings(&buf, fs, Options{Color: true})
	if !strings.Contains(buf.String(), "\x1b[31merror") {
		t.Errorf("no colour on error:\n%q", buf.String())
	}
}
