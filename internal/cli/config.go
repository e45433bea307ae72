package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/report"
)

// Config is the typed configuration every command reads, decoded once from
// flags, environment, the config file and defaults (in that precedence) by
// viper's Unmarshal.
type Config struct {
	Inventory string    `mapstructure:"inventory"`
	Driver    string    `mapstructure:"driver"`
	StateDir  string    `mapstructure:"stateDir"`
	Output    string    `mapstructure:"output"`
	Query     string    `mapstructure:"query"` // --query: JMESPath applied to structured output
	Verbose   bool      `mapstructure:"verbose"`
	Parallel  int       `mapstructure:"parallel"`
	Sim       SimConfig `mapstructure:"sim"`
	// NoProgress is --no-progress: plain progress lines even on a terminal.
	NoProgress bool `mapstructure:"-"`
	// ConfigFile is the file the configuration was read from, if any.
	ConfigFile string `mapstructure:"-"`
	// Azure is the `azure` section, with AZURE_SUBSCRIPTION_ID,
	// AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH,
	// AZURE_FEDERATED_TOKEN_FILE and --subscription over the file's keys.
	// Secrets are never in it (the driver reads them from the environment).
	Azure azure.Config `mapstructure:"azure"`
	// Timing overrides the forecast's timing model per operation
	// (`timing.validate`, `timing.prepare`, `timing.commit`,
	// `timing.restart` in the config file): a measured or agreed duration
	// per unit (per VM for restart).
	Timing map[plan.Operation]time.Duration `mapstructure:"-"`
}

// SimConfig configures the embedded simulator.
type SimConfig struct {
	Latency   time.Duration `mapstructure:"latency"`
	FaultRate float64       `mapstructure:"faultRate"`
	Seed      int64         `mapstructure:"seed"`
	// TimeScale multiplies simulated latencies and Retry-After; tests only.
	TimeScale float64 `mapstructure:"timeScale"`
}

// globalKeys binds each config key to its flag and environment variable.
var globalKeys = []struct{ key, flag, env string }{
	{"inventory", "inventory", "MIGRATE_INVENTORY"},
	{"driver", "driver", "MIGRATE_DRIVER"},
	{"stateDir", "state-dir", "MIGRATE_STATE_DIR"},
	{"output", "output", ""},
	{"query", "query", ""},
	{"verbose", "verbose", "MIGRATE_VERBOSE"},
	{"parallel", "parallel", "MIGRATE_PARALLEL"},
	{"sim.latency", "sim-latency", "MIGRATE_SIM_LATENCY"},
	{"sim.faultRate", "sim-fault-rate", "MIGRATE_SIM_FAULT_RATE"},
	{"sim.seed", "sim-seed", "MIGRATE_SIM_SEED"},
	{"sim.timeScale", "", "MIGRATE_SIM_TIME_SCALE"},
	// The azure driver's non-secret keys that azidentity and the Azure CLI
	// also read from the environment: the environment beats the file, as
	// for every other key.
	{"azure.subscriptionId", "subscription", azure.EnvSubscriptionID},
	{"azure.tenantId", "", azure.EnvTenantID},
	{"azure.clientId", "", azure.EnvClientID},
	{"azure.certificateFile", "", azure.EnvCertificatePath},
	{"azure.federatedTokenFile", "", azure.EnvFederatedTokenFile},
}

// addGlobalFlags declares the global flags of cli.md.
func addGlobalFlags(f *pflag.FlagSet) {
	f.String("config", "", "configuration file (default ./migrate.yaml when it exists) [$MIGRATE_CONFIG]")
	f.String("inventory", "", "inventory file (JSON or YAML) [$MIGRATE_INVENTORY]")
	f.String("driver", "sim", "cloud driver: sim or azure [$MIGRATE_DRIVER]")
	f.String("state-dir", "./.migrate", "state directory: journal, lock, simulator state [$MIGRATE_STATE_DIR]")
	f.StringP("output", "o", "table", "output format: table, json, yaml, tsv, none (plus dot, markdown where a command says)")
	f.String("query", "", "JMESPath query applied to json, yaml and tsv output, as az --query")
	f.Bool("no-progress", false, "plain timestamped progress lines instead of the live view on a terminal")
	f.BoolP("verbose", "v", false, "log each cloud call to stderr, secrets redacted [$MIGRATE_VERBOSE]")
	f.Int("parallel", 4, "units migrated at once [$MIGRATE_PARALLEL]")
	f.Duration("sim-latency", 0, "how long each simulated Prepare/Commit/Abort takes [$MIGRATE_SIM_LATENCY]")
	f.Float64("sim-fault-rate", 0, "share of simulated calls answered with a transient fault [$MIGRATE_SIM_FAULT_RATE]")
	f.Int64("sim-seed", 1, "seed of the simulated faults [$MIGRATE_SIM_SEED]")
	f.String("subscription", "", "azure driver: the subscription to act on (azure.subscriptionId) [$AZURE_SUBSCRIPTION_ID]")
}

// loadConfig decodes flags > environment > config file > defaults with
// viper: flags bound with BindPFlag, the documented variables (and only
// those) read through getenv, which tests inject, and the result decoded by
// Unmarshal. Viper's own BindEnv would read the process environment and
// bypass that injection, so each variable is put in viper's override layer
// only when its flag was not given, which keeps flag > env.
func loadConfig(flags *pflag.FlagSet, getenv func(string) string) (*Config, error) {
	v := viper.New()
	v.SetDefault("inventory", "")
	v.SetDefault("driver", "sim")
	v.SetDefault("stateDir", "./.migrate")
	v.SetDefault("output", "table")
	v.SetDefault("verbose", false)
	v.SetDefault("parallel", 4)
	v.SetDefault("sim.latency", "0s")
	v.SetDefault("sim.faultRate", 0.0)
	v.SetDefault("sim.seed", 1)
	v.SetDefault("sim.timeScale", 1.0)
	v.SetDefault("azure.subscriptionId", "")

	cfgFile, _ := flags.GetString("config")
	if cfgFile == "" {
		cfgFile = getenv("MIGRATE_CONFIG")
	}
	explicit := cfgFile != ""
	if !explicit {
		if _, err := os.Stat("migrate.yaml"); err == nil {
			cfgFile = "migrate.yaml"
		}
	}
	if cfgFile != "" {
		v.SetConfigFile(cfgFile)
		if !strings.HasSuffix(cfgFile, ".json") && !strings.HasSuffix(cfgFile, ".toml") {
			v.SetConfigType("yaml")
		}
		if err := v.ReadInConfig(); err != nil {
			if errors.Is(err, fs.ErrNotExist) && !explicit {
				cfgFile = ""
			} else {
				return nil, badInputf("read configuration %s: %v", cfgFile, err)
			}
		}
	}
	for _, k := range globalKeys {
		var f *pflag.Flag
		if k.flag != "" {
			if f = flags.Lookup(k.flag); f != nil {
				if err := v.BindPFlag(k.key, f); err != nil {
					return nil, fmt.Errorf("bind flag %s: %w", k.flag, err)
				}
			}
		}
		if k.env != "" && (f == nil || !f.Changed) {
			if val := getenv(k.env); val != "" {
				v.Set(k.key, val)
			}
		}
	}

	c := &Config{}
	hooks := mapstructure.ComposeDecodeHookFunc(boolWords, secondsToDuration, dateAsString,
		mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(","))
	if err := v.Unmarshal(c, viper.DecodeHook(hooks)); err != nil {
		return nil, badInputf("configuration: %v", err)
	}
	if f := flags.Lookup("no-progress"); f != nil {
		c.NoProgress = f.Value.String() == "true"
	}
	if err := report.CheckQuery(c.Query); err != nil {
		return nil, badInput(err)
	}
	c.ConfigFile = cfgFile
	if c.Parallel < 1 {
		return nil, badInputf("parallel: want a whole number of at least 1, got %v", v.Get("parallel"))
	}
	if c.Sim.Latency < 0 {
		return nil, badInputf("sim latency: want a duration such as 2s or 30m, got %v", v.Get("sim.latency"))
	}
	// NaN compares false with every bound, so "--sim-fault-rate NaN"
	// passed a 0..1 check and made every call fault: finite numbers only.
	if !finite(c.Sim.FaultRate) || c.Sim.FaultRate < 0 || c.Sim.FaultRate > 1 {
		return nil, badInputf("sim fault rate: want a number from 0 to 1, got %v", v.Get("sim.faultRate"))
	}
	if !finite(c.Sim.TimeScale) || c.Sim.TimeScale <= 0 {
		return nil, badInputf("sim time scale: want a positive number, got %v", v.Get("sim.timeScale"))
	}
	switch c.Driver {
	case "sim", "azure":
	default:
		return nil, badInputf("driver: want sim or azure, got %q", c.Driver)
	}
	if c.StateDir == "" {
		return nil, badInputf("state-dir: must not be empty")
	}
	c.Timing = map[plan.Operation]time.Duration{}
	for _, op := range plan.Operations() {
		key := "timing." + string(op)
		if !v.IsSet(key) {
			continue
		}
		var d time.Duration
		if err := v.UnmarshalKey(key, &d, viper.DecodeHook(hooks)); err != nil || d <= 0 {
			return nil, badInputf("%s: want a positive duration such as 20m, got %v", key, v.Get(key))
		}
		c.Timing[op] = d
	}
	return c, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// boolWords lets a boolean be written as the words people use in
// environment variables (yes/no, on/off) besides strconv's.
func boolWords(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Bool {
		return data, nil
	}
	switch strings.ToLower(strings.TrimSpace(data.(string))) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return nil, fmt.Errorf("want true or false, got %q", data)
}

// dateAsString keeps an unquoted YAML date (an API version such as
// `compute: 2020-06-01`, which YAML reads as a timestamp) as the string it
// was written as.
func dateAsString(from, to reflect.Type, data any) (any, error) {
	if to.Kind() != reflect.String || from != reflect.TypeOf(time.Time{}) {
		return data, nil
	}
	t := data.(time.Time)
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly), nil
	}
	return t.Format(time.RFC3339), nil
}

// secondsToDuration reads a bare number in a YAML file (latency: 2) as
// seconds, as the configuration always has, not as nanoseconds.
func secondsToDuration(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeOf(time.Duration(0)) {
		return data, nil
	}
	switch from.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return time.Duration(reflect.ValueOf(data).Int()) * time.Second, nil
	}
	return data, nil
}
