package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(cfgFile, []byte("inventory: from-file.json\nparallel: 3\nsim:\n  latency: 2s\n  faultRate: 0.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		flags    []string
		env      map[string]string
		wantInv  string
		wantPar  int
		wantLat  time.Duration
		wantRate float64
	}{
		{"defaults", nil, nil, "", 4, 0, 0},
		{"file", []string{"--config", cfgFile}, nil, "from-file.json", 3, 2 * time.Second, 0.5},
		{"env beats file", []string{"--config", cfgFile}, map[string]string{"MIGRATE_INVENTORY": "env.json", "MIGRATE_PARALLEL": "7", "MIGRATE_SIM_LATENCY": "5s"}, "env.json", 7, 5 * time.Second, 0.5},
		{"flag beats env", []string{"--config", cfgFile, "--inventory", "flag.json", "--parallel", "9", "--sim-fault-rate", "0.1"}, map[string]string{"MIGRATE_INVENTORY": "env.json", "MIGRATE_PARALLEL": "7"}, "flag.json", 9, 2 * time.Second, 0.1},
		{"config from env", nil, map[string]string{"MIGRATE_CONFIG": cfgFile}, "from-file.json", 3, 2 * time.Second, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			addGlobalFlags(fs)
			if err := fs.Parse(tt.flags); err != nil {
				t.Fatal(err)
			}
			c, err := loadConfig(fs, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if c.Inventory != tt.wantInv || c.Parallel != tt.wantPar || c.Sim.Latency != tt.wantLat || c.Sim.FaultRate != tt.wantRate {
				t.Errorf("got inventory %q parallel %d latency %s rate %g", c.Inventory, c.Parallel, c.Sim.Latency, c.Sim.FaultRate)
			}
		})
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, env := range []map[string]string{
		{"MIGRATE_PARALLEL": "0"},
		{"MIGRATE_PARALLEL": "two"},
		{"MIGRATE_SIM_FAULT_RATE": "1.5"},
		{"MIGRATE_SIM_FAULT_RATE": "NaN"},
		{"MIGRATE_SIM_FAULT_RATE": "-Inf"},
		{"MIGRATE_SIM_TIME_SCALE": "NaN"},
		{"MIGRATE_SIM_TIME_SCALE": "+Inf"},
		{"MIGRATE_SIM_LATENCY": "soon"},
		{"MIGRATE_DRIVER": "aws"},
		{"MIGRATE_CONFIG": "/nonexistent/m.yaml"},
	} {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		addGlobalFlags(fs)
		_, err := loadConfig(fs, func(k string) string { return env[k] })
		if exitCode(err) != ExitBadInput {
			t.Errorf("%v: exit %d (%v), want 2", env, exitCode(err), err)
		}
	}
}

// TestAzureSubscriptionPrecedence checks the azure section follows the
// documented precedence too: --subscription > AZURE_SUBSCRIPTION_ID > file.
func TestAzureSubscriptionPrecedence(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(cfgFile, []byte("driver: azure\nazure:\n  cloud: AzureCloud\n  subscriptionId: from-file\n  tenantId: file-tenant\n  apiVersions:\n    compute: 2020-06-01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		flags []string
		env   map[string]string
		want  string
	}{
		{"file", nil, nil, "from-file"},
		{"env beats file", nil, map[string]string{"AZURE_SUBSCRIPTION_ID": "from-env"}, "from-env"},
		{"flag beats env", []string{"--subscription", "from-flag"}, map[string]string{"AZURE_SUBSCRIPTION_ID": "from-env"}, "from-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			addGlobalFlags(fs)
			if err := fs.Parse(append([]string{"--config", cfgFile}, tt.flags...)); err != nil {
				t.Fatal(err)
			}
			c, err := loadConfig(fs, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if c.Azure.SubscriptionID != tt.want {
				t.Errorf("subscription %q, want %q", c.Azure.SubscriptionID, tt.want)
			}
			if c.Azure.Cloud != "AzureCloud" || c.Azure.TenantID != "file-tenant" || c.Azure.APIVersions.Compute != "2020-06-01" {
				t.Errorf("azure section decoded as %+v", c.Azure)
			}
		})
	}
}
