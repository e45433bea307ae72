package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/renameio/v2"
	"gopkg.in/yaml.v3"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
)

// Audiences the emulator names in the configuration it writes: the public
// cloud's, so the driver asks its authority for the same scopes it would in
// Azure. The emulator accepts any token it issued, whatever its audience.
const (
	ServiceManagementAudience = "https://management.core.windows.net/"
	ResourceManagerAudience   = "https://management.azure.com/"
)

// Resource providers preflight reads.
const (
	ProviderMigrate = "Microsoft.ClassicInfrastructureMigrate"
	ProviderCompute = "Microsoft.Compute"
)

// Options configure a Server.
type Options struct {
	// SubscriptionID is the only subscription served; others are 404. Empty
	// serves any.
	SubscriptionID string
	// TenantID is the tenant of the authority; empty means "emulator".
	TenantID string
	// ClientID and ClientSecret are what the token endpoint accepts; empty
	// accepts any client id or secret.
	ClientID     string
	ClientSecret string
	// TokenLifetime of issued tokens; zero means an hour.
	TokenLifetime time.Duration
	// FaultRate is the share of management calls answered with a transient
	// fault (429 with Retry-After: 1, 503, 500). Half of the faults on
	// migration calls and on the Resource Manager calls that change
	// something (PUT a disk, VM or image; DELETE; a VM's deallocate or
	// start) come after the call took effect, as a lost response. The
	// authority is never faulted.
	FaultRate float64
	// Seed makes the faults reproducible: each request's fault is derived
	// from (Seed, its operation, its attempt), not from arrival order.
	Seed int64
	// Latency is added to every management call, as a network would.
	Latency time.Duration
	// Providers overrides the registration state of resource providers
	// ("Registered", "NotRegistered", ...); absent ones are Registered.
	Providers map[string]string
	// Log receives one line per request (method, path, status, duration).
	// Nil logs nothing. Query strings are not logged.
	Log func(string)

	// Compute serves the Resource Manager VM, disk and image calls of the
	// disk step; nil answers them 501. DiskData is the classic VHDs' and
	// managed disks' content behind them (the simulator serves both).
	Compute  cloud.Compute
	DiskData cloud.DiskData
	// Platform serves availability sets (read and aligned, on Azure and
	// in the Hub mode) and, off the Hub mode, Convert To Managed Disks
	// (platform.go); nil answers them 501.
	Platform cloud.PlatformConversion
	// BlobEndpoint is Azurite's blob endpoint with the account in its path
	// (http://127.0.0.1:PORT/devstoreaccount1): page data goes there, and
	// the SAS grant-access answers point there. Empty: no page data.
	BlobEndpoint string
	// StackHub serves as Azure Stack Hub does: Resource Manager only (the
	// Service Management routes answer 404: Hub has no classic side),
	// every storage account a Resource Manager one, the Hub's managed disk
	// API versions and limits, no convertToManagedDisks (stackhub.go);
	// WriteConfig writes cloud AzureStackHub without a Service Management
	// endpoint.
	StackHub bool
	// BlobAccountName and BlobAccountKey are the account's credentials;
	// empty ones are Azurite's well-known devstoreaccount1 and its key.
	BlobAccountName string
	BlobAccountKey  string
}

// Server is the emulator. Start it, point the azure driver at URL (or at
// the configuration WriteConfig writes), Close it.
type Server struct {
	m cloud.Migrator
	d cloud.Discoverer
	o Options

	mu       sync.Mutex
	attempts map[string]int // requests per operation, for decide
	// classic keeps each classic storage account as last discovered, for
	// the Resource Manager list once Commit has removed it.
	classic map[string]smapi.StorageService
	tokens  map[string]time.Time
	ops     map[string]*operation
	armOps  map[string]*armOp
	// exts are the VM extensions PUT through the emulator, by VM key.
	exts    map[string][]cloud.Extension
	blobs   *blobStore
	url     string
	certPEM []byte
	srv     *http.Server
	ln      net.Listener
	done    chan struct{}
	serr    error

	// ctx bounds the asynchronous operations; Close cancels it and waits.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Server over m (the migration calls) and d (the discovery
// reads). It does not listen until Start.
func New(m cloud.Migrator, d cloud.Discoverer, o Options) *Server {
	if o.TenantID == "" {
		o.TenantID = "emulator"
	}
	return &Server{
		m: m, d: d, o: o,
		attempts: map[string]int{},
		classic:  map[string]smapi.StorageService{},
		tokens:   map[string]time.Time{},
		ops:      map[string]*operation{},
		armOps:   map[string]*armOp{},
		exts:     map[string][]cloud.Extension{},
	}
}

// Start listens on addr (e.g. "127.0.0.1:0") with TLS from a fresh
// self-signed certificate and serves in the background. It returns the base
// URL, with a trailing slash ("https://127.0.0.1:PORT/"). ctx bounds only
// the start itself.
func (s *Server) Start(ctx context.Context, addr string) (string, error) {
	if s.srv != nil {
		return "", errors.New("emulator: already started")
	}
	blobs, err := newBlobStore(s.o)
	if err != nil {
		return "", fmt.Errorf("emulator: %w", err)
	}
	s.blobs = blobs
	pair, pemBytes, err := selfSigned(time.Now())
	if err != nil {
		return "", fmt.Errorf("emulator: certificate: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	host := ln.Addr().(*net.TCPAddr)
	name := host.IP.String()
	if host.IP.IsUnspecified() {
		name = "127.0.0.1"
	}
	s.url = fmt.Sprintf("https://%s/", net.JoinHostPort(name, fmt.Sprint(host.Port)))
	s.certPEM = pemBytes
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv = &http.Server{
		Handler:           s.routes(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.ln = tls.NewListener(ln, s.srv.TLSConfig)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serr = err
		}
	}()
	return s.url, nil
}

// Serve starts on addr, calls ready with the URL, and serves until ctx is
// done; it is what `migrate sim serve` runs.
func (s *Server) Serve(ctx context.Context, addr string, ready func(url string)) error {
	u, err := s.Start(ctx, addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(u)
	}
	select {
	case <-ctx.Done():
	case <-s.done:
	}
	// ctx is done by now: the shutdown gets its values but not its
	// cancellation, or in-flight requests would be cut at once.
	return s.shutdown(context.WithoutCancel(ctx))
}

// URL is the base URL, with a trailing slash; empty before Start.
func (s *Server) URL() string { return s.url }

// CertPEM is the server's certificate in PEM; trust it to talk to the
// server.
func (s *Server) CertPEM() []byte { return s.certPEM }

// Close stops serving, cancels operations in flight and waits for them.
func (s *Server) Close() error { return s.shutdown(context.Background()) }

// shutdown lets in-flight requests finish for up to 5s past ctx.
func (s *Server) shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	s.cancel()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	s.wg.Wait()
	if err == nil {
		err = s.serr
	}
	return err
}

// Config is the configuration document WriteConfig writes: the azure
// driver's settings under "azure". Secrets are never in it: the client id
// and secret come from AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.
type Config struct {
	Driver string      `yaml:"driver"`
	Azure  AzureConfig `yaml:"azure"`
}

// AzureConfig is the "azure" section, keyed as azure.Config reads it.
type AzureConfig struct {
	Cloud                     string `yaml:"cloud"`
	SubscriptionID            string `yaml:"subscriptionId"`
	TenantID                  string `yaml:"tenantId"`
	ServiceManagementEndpoint string `yaml:"serviceManagementEndpoint,omitempty"`
	ServiceManagementAudience string `yaml:"serviceManagementAudience,omitempty"`
	ResourceManagerEndpoint   string `yaml:"resourceManagerEndpoint"`
	Audience                  string `yaml:"audience"`
	AuthorityHost             string `yaml:"authorityHost"`
	DisableInstanceDiscovery  bool   `yaml:"disableInstanceDiscovery"`
	CAFile                    string `yaml:"caFile"`
	Credential                string `yaml:"credential"`
	// BlobEndpoint is where the driver reads VHDs: the emulator's front
	// for Options.BlobEndpoint (blobproxy.go);
	// on real clouds it is absent and derived from each VHD's account.
	BlobEndpoint string `yaml:"blobEndpoint,omitempty"`
}

// WriteConfig writes a configuration pointing the azure driver at this
// server to path, and the certificate to trust beside it
// (<path without extension>-ca.pem, named in caFile as an absolute path).
// Call it after Start.
func (s *Server) WriteConfig(path string) error {
	if s.url == "" {
		return errors.New("emulator: write config: server not started")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("emulator: write config: %w", err)
	}
	ca := strings.TrimSuffix(abs, filepath.Ext(abs)) + "-ca.pem"
	if err := writeFile(ca, s.certPEM); err != nil {
		return fmt.Errorf("emulator: write certificate: %w", err)
	}
	cfg := AzureConfig{
		Cloud:                     "custom",
		SubscriptionID:            s.o.SubscriptionID,
		TenantID:                  s.o.TenantID,
		ServiceManagementEndpoint: s.url,
		ServiceManagementAudience: ServiceManagementAudience,
		ResourceManagerEndpoint:   s.url,
		Audience:                  ResourceManagerAudience,
		AuthorityHost:             s.url,
		DisableInstanceDiscovery:  true,
		CAFile:                    ca,
		Credential:                "clientsecret",
	}
	if s.o.BlobEndpoint != "" {
		// The driver reads VHDs through the emulator's front, which
		// serves what Azurite lacks (blobproxy.go).
		name := s.o.BlobAccountName
		if name == "" {
			name = DevAccountName
		}
		cfg.BlobEndpoint = s.blobFront(name)
	}
	if s.o.StackHub {
		cfg.Cloud, cfg.ServiceManagementEndpoint, cfg.ServiceManagementAudience = "AzureStackHub", "", ""
	}
	c := Config{Driver: "azure", Azure: cfg}
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("emulator: write config: %w", err)
	}
	b = append([]byte("# Written by `migrate sim serve`. The client id and secret come from\n# AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, never from this file.\n"), b...)
	if err := writeFile(abs, b); err != nil {
		return fmt.Errorf("emulator: write config: %w", err)
	}
	return nil
}

// writeFile writes atomically (temp file, fsync, rename), so a reader
// polling for the file never sees half of it.
func writeFile(path string, b []byte) error {
	return renameio.WriteFile(path, b, 0o600)
}
