package validate

import (
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// check is one rule's function: it looks at the inventory (and plan) through
// the checker and reports its findings with checker.add.
type check struct {
	rule string
	fn   func(c *checker)
}

// checks pairs every rule of Rules() with its function, in catalogue order.
func checks() []check {
	return []check{
		{RuleEndpointACL, checkEndpointACL},
		{RuleApplicationGateway, checkApplicationGateway},
		{RuleVNetPeering, checkVNetPeering},
		{RuleMultipleSubnetsPerVM, checkMultipleSubnets},
		{RuleVMWithoutSubnet, checkVMWithoutSubnet},
		{RuleBootDiagnosticsPremium, checkBootDiagnosticsPremium},
		{RuleWebWorkerRoles, checkWebWorkerRoles},
		{RuleVNetWebWorkerRoles, checkVNetWebWorkerRoles},
		{RuleMultipleAvailabilitySets, checkMultipleAvailabilitySets},
		{RuleMixedAvailabilitySet, checkMixedAvailabilitySet},
		{RuleSecurityCenterExtension, checkSecurityCenterExtension},
		{RuleBackupExtension, checkBackupExtension},
		{RuleSiteRecoveryExtension, checkSiteRecoveryExtension},
		{RuleXMLExtension, checkXMLExtension},
		{RuleAlertsAutoscale, checkAlertsAutoscale},
		{RuleClassicExpressRouteCircuit, checkClassicExpressRouteCircuit},
		{RuleExpressRouteOtherSubscription, checkExpressRouteOtherSubscription},
		{RuleExpressRouteAndVPN, checkExpressRouteAndVPN},
		{RuleAppServiceEnvironment, platformService(inventory.PlatformAppServiceEnvironment, "an App Service Environment")},
		{RuleHDInsight, platformService(inventory.PlatformHDInsight, "an HDInsight cluster")},
		{RuleDynamicsLCS, platformService(inventory.PlatformDynamicsLifecycle, "Dynamics Lifecycle Services")},
		{RuleAPIManagement, platformService(inventory.PlatformApiManagement, "an API Management deployment")},
		{RuleAADDomainServices, platformService(inventory.PlatformAzureADDomainServices, "Azure AD Domain Services")},
		{RuleVMTransitionalState, checkVMTransitionalState},
		{RuleBlobNameSlash, checkBlobNameSlash},
		{RuleDiskSizeMismatch, checkDiskSizeMismatch},
		{RulePrivateIPConflict, checkPrivateIPConflict},
		{RuleUnassociatedDisk, checkUnassociatedDisk},
		{RuleClassicImage, checkClassicImage},
		{RuleRBACClassic, checkRBACClassic},
		{RuleVMRestart, checkVMRestart},
		{RuleVMProvisioningTimeout, checkVMProvisioningTimeout},
		{RuleVMAgentNotReady, checkVMAgentNotReady},
		{RuleExtensionStatus, checkExtensionStatus},
		{RuleNotRegionalScope, checkNotRegionalScope},
		{RuleGatewayConnection, checkGatewayConnection},
		{RuleLocalSiteAddressSpace, checkLocalSiteAddressSpace},
		{RuleDestinationVNet, checkDestinationVNet},
		{RuleVIPDNSLost, checkVIPDNSLost},
		{RuleQuotasUnchecked, checkQuotasUnchecked},
		{RuleARMWriteThrottle, checkARMWriteThrottle},
		{RuleARMQuota, checkARMQuota},
		{RuleStackDiskTooLarge, checkStackDiskTooLarge},
		{RuleStackPremiumNoGuarantee, checkStackPremiumNoGuarantee},
		{RuleStackNoDisasterRecovery, checkStackNoDisasterRecovery},
	}
}

// checker is the state of one Check call: the inventory, its index, the plan
// and the findings so far. It lives for one call only (no package state).
type checker struct {
	inv   *inventory.Inventory
	ix    *inventory.Index
	plan  *plan.Plan
	rules map[string]Rule
	rule  string // the rule whose function is running
	out   []Finding
}

// Check runs every rule of Rules() over inv and its plan p and returns every
// finding, each with its unit filled in from p.UnitOf (or, for the per-unit
// rules arm-write-throttle and arm-quota, the unit itself). The findings are
// sorted by unit, severity (error, warning, info), rule, resource and message.
//
// inv should be as inventory.Load returns it (defaults filled, references
// checked); Check tolerates empty defaults (a role state "" counts as Running,
// a location "" as inv.DefaultLocation) and references that do not resolve
// (the rule that needs them skips the resource). p may be nil: the per-unit
// rules are then skipped and findings carry no unit.
func Check(inv *inventory.Inventory, p *plan.Plan) []Finding {
	c := &checker{inv: inv, ix: inventory.NewIndex(inv), plan: p, rules: map[string]Rule{}}
	for _, r := range Rules() {
		c.rules[r.ID] = r
	}
	for _, ch := range checks() {
		c.rule = ch.rule
		ch.fn(c)
	}
	if p != nil {
		for i := range c.out {
			if c.out[i].Unit == "" {
				c.out[i].Unit = p.UnitOf(c.out[i].Resource)
			}
		}
	}
	Sort(c.out)
	return c.out
}

// add reports a finding of the running rule, with the rule's catalogue
// severity and recommendation.
func (c *checker) add(resource, message string) {
	c.out = append(c.out, c.finding(resource, message))
}

// addSeverity reports a finding of the running rule with another severity
// than the catalogue's (arm-quota's warning for an unknown VM size).
func (c *checker) addSeverity(s Severity, resource, message string) {
	f := c.finding(resource, message)
	f.Severity = s
	c.out = append(c.out, f)
}

// addForUnit reports a finding of the running rule whose unit is not the
// resource's own: a disk whose problem fails the Validate of the VM that
// attaches it.
func (c *checker) addForUnit(resource, unitOfResource, message string) {
	f := c.finding(resource, message)
	if c.plan != nil {
		f.Unit = c.plan.UnitOf(unitOfResource)
	}
	c.out = append(c.out, f)
}

// finding makes a finding of the running rule without reporting it.
func (c *checker) finding(resource, message string) Finding {
	r := c.rules[c.rule]
	return Finding{
		Rule:           r.ID,
		Severity:       r.Severity,
		Resource:       resource,
		Message:        message,
		Recommendation: r.Recommendation,
	}
}

// eachVM calls fn for every VirtualMachine role, in inventory order.
func (c *checker) eachVM(fn func(cs *inventory.CloudService, r *inventory.Role)) {
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		for j := range cs.Deployment.Roles {
			if r := &cs.Deployment.Roles[j]; isVM(r) {
				fn(cs, r)
			}
		}
	}
}

// location is where a resource lives: its own location, else the
// inventory's default (Load fills it; unchecked inventories may not).
func (c *checker) location(loc string) string {
	if loc != "" {
		return loc
	}
	return c.inv.DefaultLocation
}

func isVM(r *inventory.Role) bool { return strings.EqualFold(r.Kind, inventory.RoleVirtualMachine) }

func isWebWorker(r *inventory.Role) bool {
	return strings.EqualFold(r.Kind, inventory.RoleWebRole) || strings.EqualFold(r.Kind, inventory.RoleWorkerRole)
}

// severityRank orders severities most severe first.
func severityRank(s Severity) int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	case SeverityInfo:
		return 2
	}
	return 3
}

// Sort sorts findings in place by unit, severity (error, warning, info),
// rule, resource and message: the order Check returns, so merged lists
// (offline plus platform findings) can be put in the same order.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Unit != b.Unit {
			return a.Unit < b.Unit
		}
		if ra, rb := severityRank(a.Severity), severityRank(b.Severity); ra != rb {
			return ra < rb
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Message < b.Message
	})
}

// Blocked returns the units that have at least one error finding: Prepare
// refuses them. Findings without a unit block nothing.
func Blocked(findings []Finding) map[string]bool {
	blocked := map[string]bool{}
	for _, f := range findings {
		if f.Severity == SeverityError && f.Unit != "" {
			blocked[f.Unit] = true
		}
	}
	return blocked
}
