package cases

import "github.com/keptn-conformance/keptn-conformance/conformance/contract"

// Checks lists every check a problem of the case engine can name (profiles.Checks adds the
// procedure profiles'), for the self-test: each must be shown to fail on a gateway that violates
// it. contract.CheckRequest is the suite's own (a broken fixture), not a gateway's.
var Checks = []string{
	contract.CheckTransport, contract.CheckServerError, contract.CheckStatusDocumented, contract.CheckStatusExpected,
	contract.CheckContentType, contract.CheckBodySchema, contract.CheckBodyUnexpected, contract.CheckBodyUndeclared, contract.CheckHeaders,
	contract.CheckBehaviour, CheckPaging, CheckConcurrent,
	CheckUnauthorized, CheckErrorModel,
	CheckRotationProcedure, CheckRotationEffective, CheckRotationBadSecret, CheckRotationLoad,
}
