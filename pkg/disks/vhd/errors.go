package vhd

import (
	"errors"
	"fmt"
	"strings"
)

// FormatError reports a VHD that breaks the format: the byte offset in the
// file and the field that is wrong. Callers map it to "bad input" (exit 2).
type FormatError struct {
	// Path is the file the problem is in (a parent's path for a problem in
	// a differencing chain).
	Path string
	// Offset is the byte offset in the file of the faulty field.
	Offset int64
	// Field names the structure and field, e.g. "footer.checksum".
	Field string
	// Problem says what is wrong in words.
	Problem string
}

func (e *FormatError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("vhd: %s at offset %d: %s", e.Field, e.Offset, e.Problem)
	}
	return fmt.Sprintf("vhd %s: %s at offset %d: %s", e.Path, e.Field, e.Offset, e.Problem)
}

// ErrSizeNotMiB is returned when a fixed VHD would have a virtual size that
// is not a whole number of MiB: Azure refuses such a disk.
var ErrSizeNotMiB = errors.New("virtual size is not a whole number of MiB")

func formatErr(path string, off int64, field, format string, args ...any) *FormatError {
	return &FormatError{Path: path, Offset: off, Field: field, Problem: fmt.Sprintf(format, args...)}
}

// LoopError is a differencing chain whose parent locators lead back to a
// disk already in it. Chain lists the files in the order they were opened,
// the child first and the file met twice last. Callers map it to "bad
// input" (exit 2).
type LoopError struct {
	Chain []string
}

func (e *LoopError) Error() string {
	return fmt.Sprintf("vhd %s: the parent chain loops: %s", e.Chain[0], strings.Join(e.Chain, " -> "))
}
