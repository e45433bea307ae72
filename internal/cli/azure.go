package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// openAzure builds the azure driver from the configuration file's `azure:`
// section and the AZURE_* environment, and runs its preflight before
// anything can change.
func (a *app) openAzure(ctx context.Context, j *journal.Journal) (cloud.Migrator, func() error, error) {
	d, err := a.azureDriver(ctx, j)
	if err != nil {
		return nil, nil, err
	}
	if err := d.Preflight(ctx); err != nil {
		return nil, nil, fmt.Errorf("preflight: %w", err)
	}
	return d, func() error { return nil }, nil
}

func (a *app) azureDriver(ctx context.Context, j *journal.Journal) (*azure.Driver, error) {
	var cfg azure.Config
	if a.cfg.ConfigFile != "" {
		c, err := azure.ReadConfigFile(a.cfg.ConfigFile)
		if err != nil {
			return nil, badInput(fmt.Errorf("azure configuration: %w", err))
		}
		cfg = c
	}
	cfg.ApplyEnv(func(k string) (string, bool) {
		v := a.io.Getenv(k)
		return v, v != ""
	})
	var o azure.Options
	if j != nil {
		o.Tokens = journalTokens{j}
	}
	if v := a.io.Getenv("MIGRATE_AZURE_POLL_INTERVAL"); v != "" {
		// Tuning for emulators and tests; Azure's own operations take
		// minutes and the default backoff suits them.
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, badInputf("MIGRATE_AZURE_POLL_INTERVAL: want a duration such as 100ms, got %q", v)
		}
		o.PollInterval, o.MaxPollInterval = d, 4*d
	}
	if a.cfg.Verbose {
		o.Log = func(line string) { fmt.Fprintln(a.io.ErrOut, line) }
	}
	d, err := azure.New(ctx, cfg, o)
	if err != nil {
		return nil, badInput(fmt.Errorf("azure driver: %w", err))
	}
	return d, nil
}

// journalTokens keeps the azure driver's resume tokens in the journal, so a
// long-running operation started before a crash is polled, not started
// again. Tokens hold polling URLs only, never a secret.
type journalTokens struct{ j *journal.Journal }

const tokenPrefix = "azure/token/"

func (t journalTokens) Get(key string) (string, bool) {
	b, ok, err := t.j.Doc(tokenPrefix + key)
	if err != nil || !ok {
		return "", false
	}
	return string(b), true
}

func (t journalTokens) Put(key, token string) error {
	return t.j.PutDoc(tokenPrefix+key, []byte(token))
}

func (t journalTokens) Delete(key string) error { return t.j.DeleteDoc(tokenPrefix + key) }
