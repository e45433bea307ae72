package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/report"
)

// Config is the typed configuration every command reads, decoded once from
// flags, environment, the config file and defaults (in that precedence).
type Config struct {
	Inventory string
	Driver    string
	StateDir  string
	Output    string
	Query     string // --query: JMESPath applied to structured output
	Verbose   bool
	Parallel  int
	Sim       SimConfig
	// NoProgress is --no-progress: plain progress lines even on a terminal.
	NoProgress bool
	// ConfigFile is the file the configuration was read from, if any.
	ConfigFile string
	// Azure is the raw `azure` section, decoded by the azure driver.
	Azure map[string]any
	// Timing overrides the forecast's timing model per operation
	// (`timing.validate`, `timing.prepare`, `timing.commit`,
	// `timing.restart` in the config file): a measured or agreed duration
	// per unit (per VM for restart).
	Timing map[plan.Operation]time.Duration
}

// SimConfig configures the embedded simulator.
type SimConfig struct {
	Latency   time.Duration
	FaultRate float64
	Seed      int64
	// TimeScale multiplies simulated latencies and Retry-After; tests only.
	TimeScale float64
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
}

// loadConfig decodes flags > environment > config file > defaults.
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
	// Environment and flags are applied by hand rather than through
	// viper.AutomaticEnv so that exactly the documented variables count.
	for _, k := range globalKeys {
		if k.env != "" {
			if val := getenv(k.env); val != "" {
				v.Set(k.key, val)
			}
		}
		if k.flag != "" {
			if f := flags.Lookup(k.flag); f != nil && f.Changed {
				v.Set(k.key, f.Value.String())
			}
		}
	}

	c := &Config{ConfigFile: cfgFile}
	var err error
	c.Inventory = v.GetString("inventory")
	c.Driver = v.GetString("driver")
	c.StateDir = v.GetString("stateDir")
	c.Output = v.GetString("output")
	c.Query = v.GetString("query")
	if f := flags.Lookup("no-progress"); f != nil {
		c.NoProgress = f.Value.String() == "true"
	}
	if err := report.CheckQuery(c.Query); err != nil {
		return nil, badInput(err)
	}
	if c.Verbose, err = parseBool(v.Get("verbose")); err != nil {
		return nil, badInputf("verbose: %v", err)
	}
	if c.Parallel, err = parseInt(v.Get("parallel")); err != nil || c.Parallel < 1 {
		return nil, badInputf("parallel: want a whole number of at least 1, got %v", v.Get("parallel"))
	}
	if c.Sim.Latency, err = parseDuration(v.Get("sim.latency")); err != nil || c.Sim.Latency < 0 {
		return nil, badInputf("sim latency: want a duration such as 2s or 30m, got %v", v.Get("sim.latency"))
	}
	if c.Sim.FaultRate, err = parseFloat(v.Get("sim.faultRate")); err != nil || c.Sim.FaultRate < 0 || c.Sim.FaultRate > 1 {
		return nil, badInputf("sim fault rate: want a number from 0 to 1, got %v", v.Get("sim.faultRate"))
	}
	seed, err := parseInt(v.Get("sim.seed"))
	if err != nil {
		return nil, badInputf("sim seed: want a whole number, got %v", v.Get("sim.seed"))
	}
	c.Sim.Seed = int64(seed)
	if c.Sim.TimeScale, err = parseFloat(v.Get("sim.timeScale")); err != nil || c.Sim.TimeScale <= 0 {
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
	c.Azure = v.GetStringMap("azure")
	c.Timing = map[plan.Operation]time.Duration{}
	for _, op := range plan.Operations() {
		key := "timing." + string(op)
		if !v.IsSet(key) {
			continue
		}
		d, err := parseDuration(v.Get(key))
		if err != nil || d <= 0 {
			return nil, badInputf("%s: want a positive duration such as 20m, got %v", key, v.Get(key))
		}
		c.Timing[op] = d
	}
	return c, nil
}

func parseBool(x any) (bool, error) {
	switch t := x.(type) {
	case bool:
		return t, nil
	case string:
		switch strings.ToLower(t) {
		case "1", "true", "yes", "on":
			return true, nil
		case "0", "false", "no", "off", "":
			return false, nil
		}
	}
	return false, fmt.Errorf("want true or false, got %v", x)
}

func parseInt(x any) (int, error) {
	switch t := x.(type) {
	case int:
		return t, nil
	case int64:
		return int(t), nil
	case float64:
		if t == float64(int(t)) {
			return int(t), nil
		}
	case string:
		var n int
		_, err := fmt.Sscanf(strings.TrimSpace(t), "%d", &n)
		if err == nil && fmt.Sprint(n) == strings.TrimSpace(t) {
			return n, nil
		}
	}
	return 0, fmt.Errorf("want a whole number, got %v", x)
}

func parseFloat(x any) (float64, error) {
	switch t := x.(type) {
	case float64:
		return t, nil
	case int:
		return float64(t), nil
	case int64:
		return float64(t), nil
	case string:
		var f float64
		if _, err := fmt.Sscanf(strings.TrimSpace(t), "%g", &f); err == nil {
			return f, nil
		}
	}
	return 0, fmt.Errorf("want a number, got %v", x)
}

func parseDuration(x any) (time.Duration, error) {
	switch t := x.(type) {
	case time.Duration:
		return t, nil
	case string:
		return time.ParseDuration(strings.TrimSpace(t))
	case int:
		return time.Duration(t) * time.Second, nil
	}
	return 0, fmt.Errorf("want a duration, got %v", x)
}
