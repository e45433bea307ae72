package cli

import (
	"fmt"
	"os"
	"strconv"

	"github.com/migrate-tool/migrate/pkg/plan"
)

// savedDiskStep reads the disk step a saved plan was made with (its
// options.diskStep and parallel, from which its methods and batches
// follow on the inventory loadSavedPlan found unchanged) and makes it
// the run's: a disk step flag left out takes the saved value; one given
// with another value is refused (exit 2, nothing changed), and so is a
// --parallel other than the plan's, since its batches rest on it.
// Staging, key file and cipher are how the bytes travel, not what the
// plan decided: they come from the command line.
func (a *app) savedDiskStep(file string, f *convertFlags) error {
	r, err := os.Open(file)
	if err != nil {
		return badInput(fmt.Errorf("--plan: %w", err))
	}
	defer func() { _ = r.Close() }() // read only: nothing to lose
	art, err := plan.ReadArtifact(r)
	if err != nil {
		return badInput(fmt.Errorf("--plan %s: %w", file, err))
	}
	if art.Options.Parallel != 0 && art.Options.Parallel != a.cfg.Parallel {
		return badInputf("--plan %s: its disk step's batches were planned with --parallel %d, not %d: give --parallel %d or plan again (nothing was changed)",
			file, art.Options.Parallel, a.cfg.Parallel, art.Options.Parallel)
	}
	saved := art.Options.DiskStep
	for _, s := range []struct {
		flag string
		v    *string
	}{
		{"method", &f.method}, {"change-rate", &f.changeRate}, {"disk-api-version", &f.diskAPIVersion},
		{"max-bandwidth", &f.bandwidth}, {"account-type", &f.accountType},
	} {
		if err := takeSaved(file, s.flag, saved[s.flag], s.v); err != nil {
			return err
		}
	}
	stream := ""
	if f.stream {
		stream = "true"
	}
	if err := takeSaved(file, "stream", saved["stream"], &stream); err != nil {
		return err
	}
	f.stream = stream == "true"
	iops := ""
	if f.iops != 0 {
		iops = strconv.Itoa(f.iops)
	}
	if err := takeSaved(file, "max-iops", saved["max-iops"], &iops); err != nil {
		return err
	}
	if iops != "" {
		if f.iops, err = strconv.Atoi(iops); err != nil {
			return badInput(fmt.Errorf("--plan %s: max-iops %q: %w", file, iops, err))
		}
	}
	return nil
}

// takeSaved makes a disk step flag the saved plan's: *v "" (not given)
// takes the saved value; another value than the saved one is refused.
func takeSaved(file, flag, saved string, v *string) error {
	switch {
	case *v == "":
		*v = saved
	case *v != saved:
		was := "without it"
		if saved != "" {
			was = fmt.Sprintf("with --%s %s", flag, saved)
		}
		return badInputf("--plan %s: its disk step was planned %s, not --%s %s: leave the flag out to run the saved plan, or plan again (nothing was changed)",
			file, was, flag, *v)
	}
	return nil
}
