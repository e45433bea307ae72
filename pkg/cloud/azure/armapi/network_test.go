package armapi

import (
	"strings"
	"testing"
)

func TestClassicVNetName(t *testing.T) {
	const sub = "aaaa-bbbb"
	tests := []struct {
		id   string
		name string
		ok   bool
	}{
		{"/subscriptions/aaaa-bbbb/resourceGroups/Default-Networking/providers/Microsoft.ClassicNetwork/virtualNetworks/v1", "v1", true},
		{"/SUBSCRIPTIONS/AAAA-BBBB/resourcegroups/rg/providers/microsoft.classicnetwork/VIRTUALNETWORKS/v2", "v2", true},
		{"/subscriptions/other/resourceGroups/Default-Networking/providers/Microsoft.ClassicNetwork/virtualNetworks/v1", "", false},
		{"/subscriptions/aaaa-bbbb/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1", "", false},
		{"/subscriptions/aaaa-bbbb/resourceGroups/rg/providers/Microsoft.ClassicNetwork/virtualNetworks/v1/subnets/s", "", false},
		{"v1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		name, ok := ClassicVNetName(tt.id, sub)
		if name != tt.name || ok != tt.ok {
			t.Errorf("ClassicVNetName(%q) = %q, %v; want %q, %v", tt.id, name, ok, tt.name, tt.ok)
		}
	}
}

func FuzzClassicVNetName(f *testing.F) {
	f.Add("/subscriptions/s/resourceGroups/Default-Networking/providers/Microsoft.ClassicNetwork/virtualNetworks/v", "s")
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", "s")
	f.Add("//", "")
	f.Fuzz(func(t *testing.T, id, sub string) {
		name, ok := ClassicVNetName(id, sub)
		if !ok {
			return
		}
		if name == "" || strings.Contains(name, "/") {
			t.Fatalf("ClassicVNetName(%q, %q) = %q", id, sub, name)
		}
		back := ResourceID(sub, ClassicNetworkingResourceGroup, TypeClassicVirtualNetworks, name)
		if n, ok := ClassicVNetName(back, sub); !ok || n != name {
			t.Fatalf("round trip of %q through %q: %q, %v", name, back, n, ok)
		}
	})
}
