package realclient_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
)

// setsOnly is a cloud.PlatformConversion for tests: Classic availability
// sets derived from the simulator's VMs (the simulator's own
// implementation is built apart), aligned in memory; it converts nothing.
type setsOnly struct {
	cloud.Compute
	mu      sync.Mutex
	aligned map[string]int
}

func (p *setsOnly) GetAvailabilitySet(ctx context.Context, rg, name string) (cloud.AvailabilitySet, error) {
	vms, err := p.ListVMs(ctx)
	if err != nil {
		return cloud.AvailabilitySet{}, err
	}
	set := cloud.AvailabilitySet{ResourceGroup: rg, Name: name, SKU: cloud.AvailabilitySetClassic, FaultDomains: 3, UpdateDomains: 5, MaxAlignedFaultDomains: 2}
	for _, vm := range vms {
		if strings.EqualFold(vm.ResourceGroup, rg) && strings.EqualFold(vm.AvailabilitySet, name) {
			set.VMs, set.Location = append(set.VMs, vm.Name), vm.Location
		}
	}
	if len(set.VMs) == 0 {
		return cloud.AvailabilitySet{}, cloud.ErrNotFound
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if fd, ok := p.aligned[strings.ToLower(rg+"/"+name)]; ok {
		set.SKU, set.FaultDomains = cloud.AvailabilitySetAligned, fd
	}
	return set, nil
}

func (p *setsOnly) AlignAvailabilitySet(_ context.Context, rg, name string, faultDomains int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.aligned[strings.ToLower(rg+"/"+name)] = faultDomains
	return nil
}

func (p *setsOnly) ConvertToManagedDisks(context.Context, string, string) error {
	return errors.New("setsOnly converts nothing")
}

// TestPlatformPythonSDK reads an availability set's SKU, the region's
// fault domain limits and a VM's extensions from the emulator through
// azure.mgmt.compute, aligns the set and adds an extension with the SDK's
// own poller.
func TestPlatformPythonSDK(t *testing.T) {
	py := python(t)
	inv := cloudtest.Inventory()
	s, err := sim.Open(t.TempDir(), inv, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	for _, u := range []string{cloudtest.UnitVNet, cloudtest.UnitLegacy, cloudtest.UnitStorage} {
		tg := cloudtest.Target(u)
		if err := s.Prepare(ctx, tg); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	srv := emulator.New(s, s, emulator.Options{SubscriptionID: inv.SubscriptionID, ClientID: "app", ClientSecret: "s3cret-for-tests",
		Compute: s, DiskData: s, Platform: &setsOnly{Compute: s, aligned: map[string]int{}}})
	if _, err := srv.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "rm_platform.py"), cloudtest.ServiceWeb+"-Migrated", "web1", "web-as", "westus")
	cmd.Env = append(os.Environ(), "BASE_URI="+srv.URL(), "SUBSCRIPTION_ID="+inv.SubscriptionID,
		"TOKEN="+token(t, srv, emulator.ResourceManagerAudience+".default"), "REQUESTS_CA_BUNDLE="+ca)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rm_platform.py: %v\n%s", err, stderr.String())
	}
	golden(t, "rm_platform.golden.json", stdout.Bytes())
}
