package realclient_test

import (
	"testing"
)

// TestRoleAssignmentsPythonSDK serves the classic estate of every-rule.json
// (unmigrated, no Azurite: the reads are Resource Manager's alone) and
// reads the role assignments on its classic resources the way discover
// does, through azure.mgmt.authorization: the subscription's assignment
// list, page after page, then each role definition by id for its roleName.
func TestRoleAssignmentsPythonSDK(t *testing.T) {
	py := python(t)
	pythonModule(t, py, "azure.mgmt.authorization")
	inv := everyRuleEstate(t)
	golden(t, "rm_rbac.golden.json", runClassicRMScript(t, py, "rm_rbac.py", inv))
}
