package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/report"
)

func (a *app) newSimCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "sim",
		Short: "The simulated classic cloud: its history, and serving it over the real protocols",
	}
	c.AddCommand(a.newSimHistoryCmd(), a.newSimServeCmd())
	return c
}

func (a *app) newSimHistoryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "history",
		Short: "Every operation the simulated cloud received, in order",
		Long: `history prints every Validate, Prepare, Commit and Abort (and disk step
operation) the simulated cloud in the state directory received, in order, with
the migration state each call found and its result (Succeeded, Failed, or the
transient fault it was answered with). It is how a run proves that no Commit
reached a unit twice.

It only reads: it takes no lock and changes nothing in the state directory,
so it answers while a run or sim serve is using the simulator.`,
		Example: `  migrate sim history
  migrate sim history -o json | jq '[.operations[] | select(.op=="Commit" and .stateBefore=="Committed")] | length'`,
		Args: wantArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
				return badInput(err)
			}
			// A reader: no lock, nothing written, and an answer while a run
			// or `sim serve` holds the simulator.
			var ops []sim.Operation
			s, err := sim.OpenReadOnly(cmd.Context(), a.cfg.StateDir, sim.Options{})
			switch {
			case errors.Is(err, sim.ErrNoCloud):
				// Nothing has been run against the simulator here: it
				// received nothing.
				fmt.Fprintf(a.io.ErrOut, "migrate: no simulated cloud in %s yet\n", a.cfg.StateDir)
			case err != nil:
				return fmt.Errorf("sim history: %w", err)
			default:
				defer func() { _ = s.Close() }() // read-only
				if ops, err = s.History(cmd.Context()); err != nil {
					return fmt.Errorf("sim history: %w", err)
				}
			}
			if ops == nil {
				ops = []sim.Operation{}
			}
			if a.structured() {
				return a.writeDoc(sim.HistoryDocument{Operations: ops})
			}
			t := newTable(a.io.Out, "SEQ", "TIME", "OP", "UNIT", "STATE BEFORE", "RESULT")
			for _, o := range ops {
				t.row(fmt.Sprint(o.Seq), o.Time.Format("2006-01-02T15:04:05.000Z"), o.Op, o.Unit, string(o.StateBefore), o.Result)
			}
			t.flush()
			return nil
		},
	}
}

func (a *app) newSimServeCmd() *cobra.Command {
	var addr, writeConfig, blobEndpoint string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulated cloud over the Service Management and Resource Manager protocols",
		Long: `serve puts the simulator of the state directory behind the wire protocols the
azure driver speaks: Service Management (XML) for the migration calls and
discovery, Resource Manager (JSON) for the disk step, an OAuth authority so
azidentity's client-secret flow runs unchanged, TLS with a generated
certificate, bearer tokens required. --sim-latency, --sim-fault-rate and
--sim-seed apply (faults become real 429 with Retry-After, 503 and 500).

--write-config FILE writes a configuration that points the azure driver at
this server (endpoints, authority, audience, the certificate to trust);
credentials come from AZURE_TENANT_ID, AZURE_CLIENT_ID and
AZURE_CLIENT_SECRET, never from the file. When AZURE_CLIENT_ID and
AZURE_CLIENT_SECRET are set here, the authority accepts only them.

It serves until interrupted.`,
		Example: `  migrate sim serve --inventory estate.json --addr 127.0.0.1:0 --write-config emu.yaml &
  AZURE_CLIENT_ID=app AZURE_CLIENT_SECRET=s3cret migrate --config emu.yaml run --yes`,
		Args: wantArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			s, inv, err := a.openConfiguredSim(cmd.Context())
			if err != nil {
				return err
			}
			defer keepCloseErr(&err, s.Close)
			o := emulator.Options{
				TenantID:     a.io.Getenv("AZURE_TENANT_ID"),
				ClientID:     a.io.Getenv("AZURE_CLIENT_ID"),
				ClientSecret: a.io.Getenv("AZURE_CLIENT_SECRET"),
				FaultRate:    a.cfg.Sim.FaultRate,
				Seed:         a.cfg.Sim.Seed,
			}
			if inv != nil {
				o.SubscriptionID = inv.SubscriptionID
			}
			if a.cfg.Verbose {
				o.Log = func(line string) { fmt.Fprintln(a.io.ErrOut, line) }
			}
			if blobEndpoint != "" {
				// The disk step: Resource Manager VMs and disks from the
				// simulator, page data in the Azurite at blobEndpoint.
				o.Compute, o.DiskData, o.BlobEndpoint = s, s, blobEndpoint
			}
			// Availability sets are served on both profiles (Azure Stack
			// Hub needs an Aligned set for managed-disk VMs too); the Hub
			// mode refuses the conversion and the classic routes.
			o.Platform = s
			o.StackHub = s.Profile() == inventory.CloudAzureStackHub
			srv := emulator.New(s, s, o)
			// A server has nothing to drain: the first interrupt stops it.
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			go func() {
				select {
				case <-a.drain:
					cancel()
				case <-ctx.Done():
				}
			}()
			err = srv.Serve(ctx, addr, func(url string) {
				if writeConfig != "" {
					if err := srv.WriteConfig(writeConfig); err != nil {
						fmt.Fprintf(a.io.ErrOut, "migrate: write config: %v\n", err)
					}
				}
				fmt.Fprintf(a.io.ErrOut, "serving the simulated cloud at %s\n", strings.TrimSuffix(url, "/"))
			})
			if ctx.Err() != nil && cmd.Context().Err() == nil {
				return nil // stopped by the operator
			}
			return err
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	c.Flags().StringVar(&writeConfig, "write-config", "", "write a configuration pointing the azure driver at this server")
	c.Flags().StringVar(&blobEndpoint, "blob-endpoint", "", "the Azurite blob endpoint holding page data for the disk step")
	return c
}
