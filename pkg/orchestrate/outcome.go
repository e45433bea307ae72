package orchestrate

// Status is how a step, or a command made of steps, ended. The values are
// ranked: a command made of several steps ends as the worst of them.
type Status int

const (
	// Done: everything asked was done.
	Done Status = iota
	// Refused: the input or usage was bad and nothing was changed.
	Refused
	// Blocked: findings block some units (and those downstream); the
	// rest may have gone on.
	Blocked
	// Failed: an operation failed; the rest went on where it could.
	Failed
	// Interrupted: stopped with work half done; resume continues it.
	Interrupted
)

func (s Status) String() string {
	switch s {
	case Done:
		return "done"
	case Refused:
		return "refused"
	case Blocked:
		return "blocked"
	case Failed:
		return "failed"
	case Interrupted:
		return "interrupted"
	}
	return "unknown"
}

// Worst is the status that decides a command made of several steps: an
// interrupted command must be resumed before anything else matters; a
// failure needs the operator more urgently than findings already shown.
func Worst(ss ...Status) Status {
	out := Done
	for _, s := range ss {
		if s > out {
			out = s
		}
	}
	return out
}

// Step names a step of an orchestrated command.
type Step string

// The steps.
const (
	StepPhases Step = "phases"
	StepDisks  Step = "disks"
	// StepConfirm is the operator's answer to the one question before an
	// irreversible change.
	StepConfirm Step = "confirm"
	// StepJournal is reading or writing what the command records for
	// resume.
	StepJournal Step = "journal"
)

// StepOutcome is how one step ended. Err is set when the step ended by an
// error rather than with a result it printed itself.
type StepOutcome struct {
	Step   Step
	What   string
	Status Status
	Err    error
}

// Next is what the operator runs next.
type Next string

// What to run next.
const (
	NextNothing Next = ""
	// NextResume: `migrate resume` continues (after an interrupt), or
	// finishes once what failed is fixed.
	NextResume Next = "resume"
	// NextValidate: `migrate validate` lists the blocking findings.
	NextValidate Next = "validate"
	// NextFix: the input was refused; fix it and run the command again.
	NextFix Next = "fix the input"
)

// Outcome is how an orchestrated command ended: every step that ran, in
// order, and the worst of them.
type Outcome struct {
	Steps []StepOutcome
	// Status is the worst of Steps (Done when none ran).
	Status Status
	// Err is the error of the step that decided Status, nil when that
	// step ended with a result of its own (already printed).
	Err error
}

// Next says what the operator runs next.
func (o Outcome) Next() Next {
	switch o.Status {
	case Interrupted, Failed:
		return NextResume
	case Blocked:
		return NextValidate
	case Refused:
		return NextFix
	}
	return NextNothing
}

// Finished are the steps that ended Done.
func (o Outcome) Finished() []StepOutcome { return o.with(Done) }

// FailedSteps are the steps that ended Failed.
func (o Outcome) FailedSteps() []StepOutcome { return o.with(Failed) }

func (o Outcome) with(s Status) []StepOutcome {
	var out []StepOutcome
	for _, st := range o.Steps {
		if st.Status == s {
			out = append(out, st)
		}
	}
	return out
}

// add records a step; it decides the outcome when it is worse than every
// step before it (the first of equals keeps it).
func (o *Outcome) add(st StepOutcome) {
	if len(o.Steps) == 0 || st.Status > o.Status {
		o.Status, o.Err = st.Status, st.Err
	}
	o.Steps = append(o.Steps, st)
}

// stop records a step that ends the command: it decides the outcome
// whatever came before (a refusal or an interrupt says what to do next
// better than an earlier failure).
func (o *Outcome) stop(st StepOutcome) {
	o.Steps = append(o.Steps, st)
	o.Status, o.Err = st.Status, st.Err
}
