package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/inventory/inventorytest"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// TestIndentWriterMatchesEncoder checks that indentWriter gives exactly
// what json.Encoder with SetIndent("", "  ") gives, whole and when the
// compact JSON arrives one byte at a time.
func TestIndentWriterMatchesEncoder(t *testing.T) {
	inv := inventorytest.Synthetic(300, 1)
	p, err := plan.Build(inv)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := convert.Build(inv, convert.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	est := plan.DefaultModel().Window(p, 4, DiskJobs(cp))
	values := map[string]any{
		"estate":  newDocument(Report{Plan: p, Findings: validate.Check(inv, p), Forecast: est, Conversion: cp}),
		"empty":   map[string]any{"a": []int{}, "b": map[string]int{}, "c": [][]int{{}, {}}, "d": map[string]any{"e": map[string]int{}}},
		"strings": []string{`a "quoted" {[,:]} \ back\\slash`, "<html> & \u2028 \t\n", "", `\"`, `}`},
		"scalars": []any{nil, true, false, 0, -1.5e300, "x", map[string]any{}},
		"nested":  map[string]any{"x": []any{[]any{[]any{}}, map[string]any{"y": []any{1, []any{2}}}}},
		"top":     "just a string",
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.NewEncoder(&compact).Encode(v); err != nil {
				t.Fatal(err)
			}
			for _, chunk := range []int{compact.Len(), 1, 7} {
				var got bytes.Buffer
				iw := newIndentWriter(&got)
				for b := compact.Bytes(); len(b) > 0; {
					n := min(chunk, len(b))
					if _, err := iw.Write(b[:n]); err != nil {
						t.Fatal(err)
					}
					b = b[n:]
				}
				if err := iw.Flush(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Errorf("chunks of %d: output differs from json.Encoder with SetIndent:\n got %.300q\nwant %.300q", chunk, got.String(), want.String())
				}
			}
		})
	}
}
