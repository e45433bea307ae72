package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/report"
)

// simFlags are the global flags only the simulator reads; simUsers are the
// commands that may run it (every other command's help leaves them out).
var (
	simFlags = []string{"sim-latency", "sim-fault-rate", "sim-seed"}
	simUsers = map[string]bool{
		"migrate validate": true, "migrate run": true, "migrate prepare": true, "migrate commit": true,
		"migrate abort": true, "migrate resume": true, "migrate status": true,
		"migrate disks convert": true, "migrate sim history": true, "migrate sim serve": true,
		"migrate inventory discover": true,
	}
	// unitArgs are the commands whose arguments are unit ids.
	unitArgs = map[string]bool{
		"migrate validate": true, "migrate prepare": true, "migrate commit": true, "migrate abort": true,
	}
	// vmArgs are the commands whose arguments are VM ids.
	vmArgs = map[string]bool{"migrate disks convert": true}
	// groupExamples are the examples of the commands that only group
	// others, and of the help topics, kept here rather than in each
	// group's file so the tree gets them in one place.
	groupExamples = map[string]string{
		"migrate disks": `  migrate disks inspect web1-os.vhd
  migrate disks copy web1-os.vhd web1-os.raw
  migrate disks convert --inventory estate.json --yes`,
		"migrate inventory": `  migrate inventory check estate.json
  migrate inventory discover -f estate.json`,
		"migrate sim": `  migrate sim history -o json
  migrate sim serve --inventory estate.json --addr 127.0.0.1:0 --write-config emu.yaml`,
		"migrate exit-codes":  "  migrate help exit-codes",
		"migrate environment": "  migrate help environment",
	}
)

// finishCommandTree adds what every command shares once the tree is built:
// completion of flag values (-o, --driver, --cloud) and of unit ids and VM
// names from the plan, simulator flags left out of the help of commands that
// never run the simulator, and an example on cobra's completion command.
func (a *app) finishCommandTree(root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion(report.Formats()...))
	_ = root.RegisterFlagCompletionFunc("driver", fixedCompletion("sim", "azure"))
	root.InitDefaultCompletionCmd()
	walk(root, func(c *cobra.Command) {
		path := c.CommandPath()
		if ex, ok := groupExamples[path]; ok && c.Example == "" {
			c.Example = ex
		}
		if c.Name() == "completion" && c.Example == "" {
			c.Example = "  source <(migrate completion bash)\n  migrate completion zsh > \"${fpath[1]}/_migrate\""
		}
		if c.Parent() != nil && c.Parent().Name() == "completion" && c.Example == "" {
			c.Example = "  migrate completion " + c.Name() + " > migrate." + c.Name()
		}
		if c.Flags().Lookup("cloud") != nil {
			_ = c.RegisterFlagCompletionFunc("cloud", fixedCompletion(cloudNames()...))
		}
		switch {
		case unitArgs[path] && c.ValidArgsFunction == nil:
			c.ValidArgsFunction = a.completeFromPlan(false)
		case vmArgs[path] && c.ValidArgsFunction == nil:
			c.ValidArgsFunction = a.completeFromPlan(true)
		}
		if !simUsers[path] && c.Runnable() {
			hideInHelp(c, simFlags)
		}
	})
}

// cloudNames are the inventory's cloud names and `az cloud list`'s.
func cloudNames() []string {
	return []string{
		inventory.CloudAzurePublic, inventory.CloudAzureUSGovernment, inventory.CloudAzureChina, inventory.CloudAzureStackHub,
		"AzureCloud", "AzureChinaCloud", "AzureUSGovernment",
	}
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

func fixedCompletion(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFromPlan completes unit ids (or, with vms, the VMs' classic ids)
// from the plan of the configured inventory. Completion runs no
// PersistentPreRunE of its own, so it decodes the configuration itself; an
// error completes nothing (cobra shows it only with its debug log).
func (a *app) completeFromPlan(vms bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		// Decoded again from this command's flags: the root's
		// PersistentPreRunE ran for the hidden __complete command, which
		// parses none.
		cfg, err := loadConfig(cmd.Flags(), a.io.Getenv)
		if err != nil {
			cobra.CompErrorln(err.Error())
			return nil, none
		}
		a.cfg = cfg
		inv, p, err := a.loadPlan()
		if err != nil {
			cobra.CompErrorln(err.Error())
			return nil, none
		}
		taken := map[string]bool{}
		for _, arg := range args {
			taken[arg] = true
		}
		var out []cobra.Completion
		add := func(id, desc string) {
			if !taken[id] && strings.HasPrefix(id, toComplete) {
				out = append(out, cobra.CompletionWithDesc(id, desc))
			}
		}
		if vms {
			for _, cs := range inv.CloudServices {
				for _, r := range cs.Deployment.Roles {
					if r.Kind == inventory.RoleVirtualMachine {
						add("cloudservice/"+cs.Name+"/"+r.Name, "VM")
					}
				}
			}
			return out, none
		}
		for _, u := range p.Units {
			add(u.ID, string(u.Scope))
		}
		return out, none
	}
}

// hideInHelp leaves names out of c's help: they are persistent flags of the
// root, shared by every command, so they are hidden while c's help is drawn
// and shown again after.
func hideInHelp(c *cobra.Command, names []string) {
	c.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		var hidden []*pflag.Flag
		for _, n := range names {
			if f := cmd.InheritedFlags().Lookup(n); f != nil && !f.Hidden {
				f.Hidden = true
				hidden = append(hidden, f)
			}
		}
		defer func() {
			for _, f := range hidden {
				f.Hidden = false
			}
		}()
		cmd.Root().HelpFunc()(cmd, args)
	})
}
