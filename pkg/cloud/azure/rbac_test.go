package azure

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

func TestClassicScope(t *testing.T) {
	const sub = "6c1b0b6f-0000-4000-8000-00000000c10d"
	for _, tt := range []struct {
		scope string
		kind  classicKind
		name  string
	}{
		{"/subscriptions/" + sub + "/resourceGroups/web/providers/Microsoft.ClassicCompute/domainNames/web", classicCloudService, "web"},
		{"/SUBSCRIPTIONS/" + strings.ToUpper(sub) + "/resourcegroups/Default-Networking/providers/microsoft.classicnetwork/VIRTUALNETWORKS/Net", classicVNet, "Net"},
		{"/subscriptions/" + sub + "/resourceGroups/Default-Storage-WestUS/providers/Microsoft.ClassicStorage/storageAccounts/vhds", classicStorage, "vhds"},
		// Not the classic resource's own: inherited from above, a scope
		// below it, another subscription, a Resource Manager type.
		{"/subscriptions/" + sub, 0, ""},
		{"/subscriptions/" + sub + "/resourceGroups/web", 0, ""},
		{"/", 0, ""},
		{"/providers/Microsoft.Management/managementGroups/root", 0, ""},
		{"/subscriptions/" + sub + "/resourceGroups/web/providers/Microsoft.ClassicCompute/domainNames/web/slots/Production", 0, ""},
		{"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/web/providers/Microsoft.ClassicCompute/domainNames/web", 0, ""},
		{"/subscriptions/" + sub + "/resourceGroups/web/providers/Microsoft.Storage/storageAccounts/vhds", 0, ""},
		{"/subscriptions/" + sub + "/resourceGroups/web/providers/Microsoft.ClassicCompute/domainNames/", 0, ""},
	} {
		kind, name, ok := classicScope(tt.scope, sub)
		if ok != (tt.kind != 0) || kind != tt.kind || name != tt.name {
			t.Errorf("classicScope(%q) = %v, %q, %v; want %v, %q", tt.scope, kind, name, ok, tt.kind, tt.name)
		}
	}
}

// TestDiscoverRoleAssignmentsPagesAndDefinitions reads a two-page list
// from a fake Resource Manager: only the assignments at the discovered
// classic resources' own scopes are recorded, each role definition is read
// once (and none for a resource not discovered),
// a deleted definition is named by its GUID, and the order is role, then
// principal.
func TestDiscoverRoleAssignmentsPagesAndDefinitions(t *testing.T) {
	const sub = "6c1b0b6f-0000-4000-8000-00000000c10d"
	rg := "/subscriptions/" + sub + "/resourceGroups/"
	def := func(g string) string {
		return "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + g
	}
	assignment := func(scope, principal, role string) string {
		return `{"properties":{"scope":"` + scope + `","principalId":"` + principal + `","roleDefinitionId":"` + def(role) + `"}}`
	}
	pages := map[string]string{
		"": `{"value":[` + assignment("/subscriptions/"+sub, "everyone", "reader") + `,` +
			assignment(rg+"web/providers/Microsoft.ClassicCompute/domainNames/web", "p2", "reader") + `,` +
			assignment(rg+"web", "group-admin", "owner") + `],"nextLink":"https://arm.example/subscriptions/` + sub +
			`/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$skipToken=2"}`,
		"2": `{"value":[` + assignment(rg+"web/providers/Microsoft.ClassicCompute/domainNames/WEB", "p1", "reader") + `,` +
			assignment(rg+"Default-Storage-WestUS/providers/Microsoft.ClassicStorage/storageAccounts/vhds", "p3", "gone") + `,` +
			assignment(rg+"Default-Networking/providers/Microsoft.ClassicNetwork/virtualNetworks/net", "p4", "owner") + `,` +
			assignment(rg+"gone/providers/Microsoft.ClassicCompute/domainNames/gone", "p5", "committed-only") + `]}`,
	}
	roles := map[string]string{"reader": "Reader", "owner": "Owner"}
	reads := map[string]int{}
	tr := func(r *http.Request) (*http.Response, error) {
		reply := func(status int, body string) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
				Body: io.NopCloser(strings.NewReader(body))}, nil
		}
		if v := r.URL.Query().Get("api-version"); v != defaultAuthorizationAPI {
			return reply(http.StatusBadRequest, `{"error":{"code":"InvalidApiVersionParameter","message":"`+v+`"}}`)
		}
		if strings.HasSuffix(r.URL.Path, "/roleAssignments") {
			return reply(http.StatusOK, pages[r.URL.Query().Get("$skipToken")])
		}
		g := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		reads[g]++
		if n, ok := roles[g]; ok {
			return reply(http.StatusOK, `{"id":"`+def(g)+`","name":"`+g+`","properties":{"roleName":"`+n+`","type":"BuiltInRole"}}`)
		}
		return reply(http.StatusNotFound, `{"error":{"code":"RoleDefinitionDoesNotExist","message":"The specified role definition with ID '`+g+`' does not exist."}}`)
	}
	d, err := New(t.Context(), Config{Cloud: CloudCustom, SubscriptionID: sub,
		ServiceManagementEndpoint: "https://sm.example/", ResourceManagerEndpoint: "https://arm.example/",
		Audience: "https://arm.example/", AuthorityHost: "https://login.example/"},
		Options{Credential: &azfake.TokenCredential{}, Transport: transporter(tr),
			Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{
		CloudServices:   []inventory.CloudService{{Name: "web"}, {Name: "other"}},
		VirtualNetworks: []inventory.VirtualNetwork{{Name: "net"}},
		StorageAccounts: []inventory.StorageAccount{{Name: "vhds"}},
	}
	if err := d.discoverRoleAssignments(t.Context(), inv); err != nil {
		t.Fatal(err)
	}
	want := map[string][]inventory.RoleAssignment{
		"web":   {{Principal: "p1", Role: "Reader"}, {Principal: "p2", Role: "Reader"}},
		"other": {},
		"net":   {{Principal: "p4", Role: "Owner"}},
		"vhds":  {{Principal: "p3", Role: "gone"}},
	}
	got := map[string][]inventory.RoleAssignment{
		"web": inv.CloudServices[0].RoleAssignments, "other": inv.CloudServices[1].RoleAssignments,
		"net": inv.VirtualNetworks[0].RoleAssignments, "vhds": inv.StorageAccounts[0].RoleAssignments,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("role assignments\n got %v\nwant %v", got, want)
	}
	if want := map[string]int{"reader": 1, "owner": 1, "gone": 1}; !reflect.DeepEqual(reads, want) {
		t.Errorf("role definition reads %v, want each once: %v", reads, want)
	}
}

type transporter func(*http.Request) (*http.Response, error)

func (f transporter) Do(r *http.Request) (*http.Response, error) { return f(r) }
