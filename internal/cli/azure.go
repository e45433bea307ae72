package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// openAzure builds the azure driver from the configuration (`azure:`
// section, AZURE_* environment, --subscription), refuses an inventory of
// another subscription before anything is sent, and runs its preflight
// before anything can change.
func (a *app) openAzure(ctx context.Context, inv *inventory.Inventory, j *journal.Journal) (cloud.Migrator, func() error, error) {
	d, err := a.azureDriver(ctx, j)
	if err != nil {
		return nil, nil, err
	}
	if inv != nil && !strings.EqualFold(inv.SubscriptionID, d.SubscriptionID()) {
		return nil, nil, badInputf("the inventory is for subscription %s but the azure driver is configured for subscription %s (azure.subscriptionId, $%s or --subscription): refusing to act on another subscription",
			inv.SubscriptionID, d.SubscriptionID(), azure.EnvSubscriptionID)
	}
	if err := d.Preflight(ctx); err != nil {
		return nil, nil, fmt.Errorf("preflight: %w", err)
	}
	return d, func() error { return nil }, nil
}

func (a *app) azureDriver(ctx context.Context, j *journal.Journal) (*azure.Driver, error) {
	cfg := a.cfg.Azure
	if a.diskAPIVersion != "" {
		// --disk-api-version: the profile the operator chose for this
		// command's disk calls.
		cfg.APIVersions.Disks = a.diskAPIVersion
	}
	cfg.ApplyEnv(func(k string) (string, bool) {
		v := a.io.Getenv(k)
		return v, v != ""
	})
	if cfg.SubscriptionID == "" && strings.EqualFold(cfg.Credential, azure.CredentialAzureCLI) {
		// As the Azure CLI itself acts on its default subscription, so does
		// the driver when it signs in through it and none is configured.
		acct, err := azureCLIAccount(ctx)
		if err != nil {
			return nil, badInput(fmt.Errorf("azure driver: no subscription configured, and the Azure CLI's default could not be read: %w", err))
		}
		cfg.SubscriptionID = acct.ID
		if cfg.TenantID == "" {
			cfg.TenantID = acct.TenantID
		}
	}
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
	if v := a.io.Getenv("MIGRATE_AZURE_TIME_SCALE"); v != "" {
		// Tuning for emulators and tests, as the simulator's own time
		// scale: the delays the emulator's faults ask for (Retry-After)
		// are waited scaled. Azure's own are waited as asked.
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 1) {
			return nil, badInputf("MIGRATE_AZURE_TIME_SCALE: want a number above 0 such as 0.001, got %q", v)
		}
		o.TimeScale = f
	}
	// Every HTTP attempt (method, path, status, duration; secrets already
	// redacted by the driver) goes to the run log, and with -v to stderr.
	verbose := a.cfg.Verbose
	o.Log = func(line string) {
		a.log.call(line)
		if verbose {
			fmt.Fprintln(a.io.ErrOut, line)
		}
	}
	d, err := azure.New(ctx, cfg, o)
	if err != nil {
		return nil, badInput(fmt.Errorf("azure driver: %w", err))
	}
	// One line naming what every later call acts on, before the first.
	tenant := d.TenantID()
	if tenant == "" {
		tenant = "(chosen by the credential)"
	}
	fmt.Fprintf(a.io.ErrOut, "driver azure, cloud %s, subscription %s, tenant %s\n", d.Cloud(), d.SubscriptionID(), tenant)
	return d, nil
}

// cliAccount is what `az account show` says of the default subscription.
type cliAccount struct {
	ID       string `json:"id"`
	TenantID string `json:"tenantId"`
}

// azureCLIAccount reads the Azure CLI's default subscription.
func azureCLIAccount(ctx context.Context) (cliAccount, error) {
	out, err := exec.CommandContext(ctx, "az", "account", "show", "--output", "json").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return cliAccount{}, fmt.Errorf("az account show: %s", strings.TrimSpace(string(ee.Stderr)))
		}
		return cliAccount{}, fmt.Errorf("az account show: %w", err)
	}
	var acct cliAccount
	if err := json.Unmarshal(out, &acct); err != nil || acct.ID == "" {
		return cliAccount{}, fmt.Errorf("az account show: no subscription id in its answer")
	}
	return acct, nil
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
