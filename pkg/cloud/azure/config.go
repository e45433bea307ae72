package azure

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
)

// Cloud names accepted in Config.Cloud.
const (
	CloudAzurePublic       = "AzurePublic"
	CloudAzureUSGovernment = "AzureUSGovernment"
	CloudAzureChina        = "AzureChina"
	CloudAzureStackHub     = "AzureStackHub"
	CloudCustom            = "custom"
)

// cloudAliases are the names `az cloud list` prints (AzureCloud,
// AzureChinaCloud, AzureUSGovernment), which operators type, for the
// driver's own names.
var cloudAliases = map[string]string{
	"azurecloud":      CloudAzurePublic,
	"azurechinacloud": CloudAzureChina,
}

// CanonicalCloud is the driver's name for a cloud name as configured
// (either spelling, any case); an unknown name is returned as it is.
func CanonicalCloud(name string) string {
	if name == "" {
		return CloudAzurePublic
	}
	if a, ok := cloudAliases[strings.ToLower(name)]; ok {
		return a
	}
	for _, n := range []string{CloudAzurePublic, CloudAzureUSGovernment, CloudAzureChina, CloudAzureStackHub, CloudCustom} {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

// Credential kinds accepted in Config.Credential.
const (
	CredentialDefault          = "default"
	CredentialClientSecret     = "clientsecret"
	CredentialCertificate      = "certificate"
	CredentialManagedIdentity  = "managedidentity"
	CredentialWorkloadIdentity = "workloadidentity"
	CredentialAzureCLI         = "azurecli"
)

// Config is the azure driver's configuration: the "azure" section of the
// configuration file (keys as the yaml/mapstructure tags spell them).
// Secrets are not read from the file: ClientSecret and CertificatePassword
// come from the environment (ApplyEnv).
type Config struct {
	// Cloud is AzurePublic (default), AzureUSGovernment, AzureChina,
	// AzureStackHub or custom. AzureStackHub and custom take their
	// endpoints from the fields below; AzureStackHub also turns on the
	// Microsoft.Compute preflight and its API profile.
	Cloud          string `yaml:"cloud" mapstructure:"cloud"`
	SubscriptionID string `yaml:"subscriptionId" mapstructure:"subscriptionId"`
	TenantID       string `yaml:"tenantId" mapstructure:"tenantId"`

	// Endpoints, required for custom and AzureStackHub (which takes no
	// Service Management endpoint), optional overrides otherwise.
	ServiceManagementEndpoint string      `yaml:"serviceManagementEndpoint" mapstructure:"serviceManagementEndpoint"`
	ServiceManagementAudience string      `yaml:"serviceManagementAudience" mapstructure:"serviceManagementAudience"`
	ResourceManagerEndpoint   string      `yaml:"resourceManagerEndpoint" mapstructure:"resourceManagerEndpoint"`
	Audience                  string      `yaml:"audience" mapstructure:"audience"`
	AuthorityHost             string      `yaml:"authorityHost" mapstructure:"authorityHost"`
	DisableInstanceDiscovery  bool        `yaml:"disableInstanceDiscovery" mapstructure:"disableInstanceDiscovery"`
	APIVersions               APIVersions `yaml:"apiVersions" mapstructure:"apiVersions"`
	// BlobEndpoint, when set, replaces the blob service of every VHD's
	// storage account: a VHD at https://ACCOUNT.blob.SUFFIX/C/B is read at
	// BLOBENDPOINT/C/B, signed for the account named by BlobEndpoint's
	// last path segment (Azurite's http://127.0.0.1:PORT/devstoreaccount1,
	// as `migrate sim serve` writes it). Leave it empty on real clouds:
	// there the endpoint is the VHD URI's own, derived from the account
	// name, and the key signing the read SAS is that account's.
	BlobEndpoint string `yaml:"blobEndpoint" mapstructure:"blobEndpoint"`
	// CAFile is a PEM file of extra root certificates (a custom cloud's, or
	// the emulator's), trusted besides the system's.
	CAFile string `yaml:"caFile" mapstructure:"caFile"`

	// Credential is the kind of credential (default: DefaultAzureCredential).
	Credential string `yaml:"credential" mapstructure:"credential"`
	// ClientID is the application (client secret, certificate, workload
	// identity) or the user-assigned managed identity.
	ClientID string `yaml:"clientId" mapstructure:"clientId"`
	// CertificateFile is a PEM or PKCS#12 file with the certificate and key.
	CertificateFile string `yaml:"certificateFile" mapstructure:"certificateFile"`
	// FederatedTokenFile is the workload identity's token file.
	FederatedTokenFile string `yaml:"federatedTokenFile" mapstructure:"federatedTokenFile"`

	// ClientSecret and CertificatePassword never come from a file.
	ClientSecret        string `yaml:"-" mapstructure:"-"`
	CertificatePassword string `yaml:"-" mapstructure:"-"`
}

// APIVersions are the API versions the driver sends; empty ones take the
// cloud's defaults.
type APIVersions struct {
	// ServiceManagement is the x-ms-version header.
	ServiceManagement string `yaml:"serviceManagement" mapstructure:"serviceManagement"`
	// Resources is the Resource Manager resources API (providers).
	Resources string `yaml:"resources" mapstructure:"resources"`
	// Compute and Disks are for the disk step (Azure Stack Hub profiles
	// pin older ones: by default compute and disks 2017-12-01 there, and
	// disks 2019-07-01 selects a profile with createOption Upload).
	Compute string `yaml:"compute" mapstructure:"compute"`
	Disks   string `yaml:"disks" mapstructure:"disks"`
	// Storage is Microsoft.Storage (storage account list and listKeys,
	// to sign read SAS for VHDs).
	Storage string `yaml:"storage" mapstructure:"storage"`
	// Network is Microsoft.Network (the virtual network list discovery
	// reads classic VNets' peerings from, and the regional usages it reads
	// target.quotas from).
	Network string `yaml:"network" mapstructure:"network"`
	// Authorization is Microsoft.Authorization (the role assignments on
	// classic resources, and their role definitions, that discovery reads).
	Authorization string `yaml:"authorization" mapstructure:"authorization"`
	// AlertRules, MetricAlerts and Autoscale are Microsoft.Insights, which
	// versions each resource type apart: the alert rules and autoscale
	// settings on classic VMs that discovery counts.
	AlertRules   string `yaml:"alertRules" mapstructure:"alertRules"`
	MetricAlerts string `yaml:"metricAlerts" mapstructure:"metricAlerts"`
	Autoscale    string `yaml:"autoscale" mapstructure:"autoscale"`
	// Web, HDInsight, APIManagement and DomainServices are Microsoft.Web,
	// Microsoft.HDInsight, Microsoft.ApiManagement and Microsoft.AAD (the
	// App Service Environments, clusters, API Management services and
	// managed domains discovery files under the classic VNets they run
	// in).
	Web            string `yaml:"web" mapstructure:"web"`
	HDInsight      string `yaml:"hdinsight" mapstructure:"hdinsight"`
	APIManagement  string `yaml:"apiManagement" mapstructure:"apiManagement"`
	DomainServices string `yaml:"domainServices" mapstructure:"domainServices"`
	// Blob is the newest Blob service version the target's storage
	// accepts, "" for a current one. Below cloud.PageCopyMinVersion the
	// pre-copy streams pages instead of copying them server side (an Azure
	// Stack Hub stamp before its 2005 update accepts up to 2017-11-09).
	Blob string `yaml:"blob" mapstructure:"blob"`
}

// Environment variables ApplyEnv reads, azidentity's names.
const (
	EnvTenantID            = "AZURE_TENANT_ID"
	EnvClientID            = "AZURE_CLIENT_ID"
	EnvClientSecret        = "AZURE_CLIENT_SECRET" //nolint:gosec // G101: the name of the variable, not a secret
	EnvCertificatePath     = "AZURE_CLIENT_CERTIFICATE_PATH"
	EnvCertificatePassword = "AZURE_CLIENT_CERTIFICATE_PASSWORD" //nolint:gosec // G101: the name of the variable, not a secret
	EnvFederatedTokenFile  = "AZURE_FEDERATED_TOKEN_FILE"
	EnvSubscriptionID      = "AZURE_SUBSCRIPTION_ID"
)

// ApplyEnv fills what the configuration leaves empty from the environment
// (lookup is os.LookupEnv in the CLI): tenant, client id, certificate path,
// token file and subscription; the client secret and certificate password
// only ever come from here.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) {
	set := func(dst *string, key string) {
		if *dst == "" {
			if v, ok := lookup(key); ok {
				*dst = v
			}
		}
	}
	set(&c.TenantID, EnvTenantID)
	set(&c.ClientID, EnvClientID)
	set(&c.ClientSecret, EnvClientSecret)
	set(&c.CertificateFile, EnvCertificatePath)
	set(&c.CertificatePassword, EnvCertificatePassword)
	set(&c.FederatedTokenFile, EnvFederatedTokenFile)
	set(&c.SubscriptionID, EnvSubscriptionID)
}

// ReadConfigFile reads the "azure" section of a configuration file such as
// `migrate sim serve --write-config` writes. The CLI, which decodes its own
// configuration with viper, does not need it; tests and tools do.
func ReadConfigFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read azure config: %w", err)
	}
	var doc struct {
		Azure Config `yaml:"azure"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return Config{}, fmt.Errorf("read azure config %s: %w", path, err)
	}
	return doc.Azure, nil
}

// endpoints are a cloud's resolved addresses.
type endpoints struct {
	cloud                                       string // canonical name
	sm, smAudience, arm, armAudience, authority string
	stackHub                                    bool
	api                                         APIVersions
}

// Default API versions: the first Service Management version with the
// migration calls, the resources API every cloud serves, and on Azure
// Stack Hub the managed disks versions its documentation lists
// (learn.microsoft.com azure-stack/user/azure-stack-managed-disk-
// considerations, "API versions": 2017-03-30 and 2017-12-01; the seed
// reference 000_* quotes it) with the compute version of the same
// profile. Newer Hub builds serve newer profiles (2020-09-01-hybrid:
// compute 2020-06-01, disks 2019-07-01); an operator selects them with
// apiVersions.compute and apiVersions.disks, and needs disks 2019-03-01 or
// later for createOption Upload (the pre-copy).
const (
	defaultResourcesAPI = "2021-04-01"
	stackHubComputeAPI  = "2017-12-01"
	stackHubDisksAPI    = "2017-12-01"
	publicComputeAPI    = "2024-07-01"
	publicDisksAPI      = "2024-03-02"
	stackHubStorageAPI  = "2019-06-01"
	publicStorageAPI    = "2023-01-01"
	// publicNetworkAPI is the stable Microsoft.Network version whose REST
	// spec (Azure/azure-rest-api-specs .../Microsoft.Network/stable/
	// 2024-05-01/virtualNetwork.json, VirtualNetworks_ListAll; usage.json,
	// Usages_List) discovery's virtual network list and usages follow. Azure Stack Hub's 2020-09-01-hybrid
	// profile serves Microsoft.Network 2018-11-01 (the profile's client,
	// @azure/arm-network-profile-2020-09-01-hybrid, is generated from
	// stable/2018-11-01); no classic discovery runs there, the default
	// only keeps the profile whole.
	publicNetworkAPI   = "2024-05-01"
	stackHubNetworkAPI = "2018-11-01"
	// The Microsoft.Authorization version whose REST spec
	// (azure-rest-api-specs specification/authorization/resource-manager/
	// Microsoft.Authorization/stable/2022-04-01) has the list and the
	// definition read discovery makes, served by Azure, Azure US Government
	// and Azure China alike. Azure Stack Hub has no default of its own: its
	// profiles stop at older versions, but discovery of a classic estate is
	// refused there before anything is sent (classicRefused).
	defaultAuthorizationAPI = "2022-04-01"
	// Microsoft.Insights, the stable versions of the subscription lists
	// discovery reads (azure-rest-api-specs specification/monitor/
	// resource-manager/Microsoft.Insights/stable/2016-03-01/
	// alertRules_API.json, 2018-03-01/metricAlert_API.json, 2015-04-01/
	// autoscale_API.json), the oldest that have them, served by Azure and
	// its sovereign clouds alike; no classic discovery runs on Azure Stack
	// Hub (classicRefused).
	defaultAlertRulesAPI   = "2016-03-01"
	defaultMetricAlertsAPI = "2018-03-01"
	defaultAutoscaleAPI    = "2015-04-01"
	// webAPI, hdinsightAPI and apiManagementAPI are the versions of the
	// App Service Environment, HDInsight cluster and API Management lists
	// discovery reads (platformservices.go cites their specs); the Python
	// SDKs realclient drives (azure.mgmt.web, hdinsight, apimanagement)
	// default to them. domainServicesAPI is the last Microsoft.AAD
	// version that reports a managed domain's subnet on its properties,
	// as the classic-VNet domains were deployed.
	webAPI            = "2022-03-01"
	hdinsightAPI      = "2021-06-01"
	apiManagementAPI  = "2021-08-01"
	domainServicesAPI = "2017-06-01"
)

var knownClouds = map[string]endpoints{
	CloudAzurePublic: {
		sm: "https://management.core.windows.net/", smAudience: "https://management.core.windows.net/",
		arm: "https://management.azure.com/", armAudience: "https://management.core.windows.net/",
		authority: "https://login.microsoftonline.com/",
	},
	CloudAzureUSGovernment: {
		sm: "https://management.core.usgovcloudapi.net/", smAudience: "https://management.core.usgovcloudapi.net/",
		arm: "https://management.usgovcloudapi.net/", armAudience: "https://management.core.usgovcloudapi.net/",
		authority: "https://login.microsoftonline.us/",
	},
	CloudAzureChina: {
		sm: "https://management.core.chinacloudapi.cn/", smAudience: "https://management.core.chinacloudapi.cn/",
		arm: "https://management.chinacloudapi.cn/", armAudience: "https://management.core.chinacloudapi.cn/",
		authority: "https://login.chinacloudapi.cn/",
	},
}

// resolve checks c and works out its endpoints, reporting every problem at
// once.
func (c Config) resolve() (endpoints, error) {
	var errs []error
	name := CanonicalCloud(c.Cloud)
	var e endpoints
	e.cloud = name
	switch {
	case strings.EqualFold(name, CloudAzureStackHub), strings.EqualFold(name, CloudCustom):
		// Azure Stack Hub has no Service Management side at all: the
		// driver is a target of the disk step there, and sends no classic
		// call (classicRefused), so no endpoint is needed or used.
		e.stackHub = strings.EqualFold(name, CloudAzureStackHub)
		for key, v := range map[string]string{"resourceManagerEndpoint": c.ResourceManagerEndpoint, "audience": c.Audience, "authorityHost": c.AuthorityHost} {
			if v == "" {
				errs = append(errs, fmt.Errorf("azure.%s: required for cloud %s", key, name))
			}
		}
		if !e.stackHub && c.ServiceManagementEndpoint == "" {
			errs = append(errs, fmt.Errorf("azure.serviceManagementEndpoint: required for cloud %s", name))
		}
	default:
		k, ok := knownClouds[name]
		if !ok {
			for n, v := range knownClouds {
				if strings.EqualFold(n, name) {
					k, ok = v, true
				}
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("azure.cloud: %q: want AzurePublic (or AzureCloud), AzureUSGovernment, AzureChina (or AzureChinaCloud), AzureStackHub or custom", c.Cloud))
		}
		e = k
		e.cloud = name
	}
	override := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if !e.stackHub {
		override(&e.sm, c.ServiceManagementEndpoint)
		override(&e.smAudience, c.ServiceManagementAudience)
	}
	override(&e.arm, c.ResourceManagerEndpoint)
	override(&e.armAudience, c.Audience)
	override(&e.authority, c.AuthorityHost)
	if e.smAudience == "" && !e.stackHub {
		e.smAudience = e.sm
	}
	for _, p := range []*string{&e.sm, &e.arm, &e.authority} {
		if *p != "" && !strings.HasSuffix(*p, "/") {
			*p += "/"
		}
	}
	for key, v := range map[string]string{"serviceManagementEndpoint": e.sm, "resourceManagerEndpoint": e.arm, "authorityHost": e.authority} {
		if v != "" && !strings.HasPrefix(v, "https://") {
			errs = append(errs, fmt.Errorf("azure.%s: %q: must be https (bearer tokens are never sent in clear)", key, v))
		}
	}
	if c.SubscriptionID == "" {
		errs = append(errs, errors.New("azure.subscriptionId: required (or AZURE_SUBSCRIPTION_ID)"))
	}
	e.api = c.APIVersions
	// Each API's default, and Azure Stack Hub's where its profile differs
	// (empty: the same); a version the configuration gives is kept.
	for _, d := range []struct {
		v           *string
		public, hub string
	}{
		{&e.api.ServiceManagement, smapi.Version, ""},
		{&e.api.Resources, defaultResourcesAPI, ""},
		{&e.api.Compute, publicComputeAPI, stackHubComputeAPI},
		{&e.api.Disks, publicDisksAPI, stackHubDisksAPI},
		{&e.api.Storage, publicStorageAPI, stackHubStorageAPI},
		{&e.api.Network, publicNetworkAPI, stackHubNetworkAPI},
		{&e.api.Authorization, defaultAuthorizationAPI, ""},
		{&e.api.AlertRules, defaultAlertRulesAPI, ""},
		{&e.api.MetricAlerts, defaultMetricAlertsAPI, ""},
		{&e.api.Autoscale, defaultAutoscaleAPI, ""},
		{&e.api.Web, webAPI, ""},
		{&e.api.HDInsight, hdinsightAPI, ""},
		{&e.api.APIManagement, apiManagementAPI, ""},
		{&e.api.DomainServices, domainServicesAPI, ""},
	} {
		switch {
		case *d.v != "":
		case e.stackHub && d.hub != "":
			*d.v = d.hub
		default:
			*d.v = d.public
		}
	}
	if c.BlobEndpoint != "" {
		if _, err := blobEndpointAccount(c.BlobEndpoint); err != nil {
			errs = append(errs, fmt.Errorf("azure.blobEndpoint: %w", err))
		}
	}
	switch strings.ToLower(c.Credential) {
	case "", CredentialDefault, CredentialManagedIdentity, CredentialAzureCLI:
	case CredentialClientSecret:
		if c.TenantID == "" || c.ClientID == "" || c.ClientSecret == "" {
			errs = append(errs, errors.New("azure.credential clientsecret: needs tenantId, clientId and AZURE_CLIENT_SECRET in the environment"))
		}
	case CredentialCertificate:
		if c.TenantID == "" || c.ClientID == "" || c.CertificateFile == "" {
			errs = append(errs, errors.New("azure.credential certificate: needs tenantId, clientId and certificateFile"))
		}
	case CredentialWorkloadIdentity:
	default:
		errs = append(errs, fmt.Errorf("azure.credential: %q: want default, clientsecret, certificate, managedidentity, workloadidentity or azurecli", c.Credential))
	}
	return e, errors.Join(errs...)
}
