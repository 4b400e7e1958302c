package cases

import "github.com/keptn-conformance/keptn-conformance/conformance/contract"

// Checks lists every check a problem can name, for the self-test: each must be shown to fail on a
// gateway that violates it. contract.CheckRequest is the suite's own (a broken fixture), not a
// gateway's.
var Checks = []string{
	contract.CheckTransport, contract.CheckServerError, contract.CheckStatusDocumented, contract.CheckStatusExpected,
	contract.CheckContentType, contract.CheckBodySchema, contract.CheckBodyUnexpected, contract.CheckHeaders,
	contract.CheckBehaviour,
	CheckUnauthorized, CheckErrorModel,
	CheckSessionLogin, CheckSessionCookie, CheckSessionEnumeration, CheckSessionFixation, CheckSessionEntropy,
	CheckSessionLogout, CheckSessionTamper, CheckSessionExpiry,
	CheckRotationProcedure, CheckRotationEffective, CheckRotationBadSecret, CheckRotationLoad,
	CheckTLSListeners, CheckTLSDefaultCert, CheckTLSCertSwap, CheckTLSProtocols, CheckTLSSNI,
	CheckTLSCipherSuites, CheckTLSHSTS, CheckTLSStrict,
	CheckKeptnCLI,
	CheckHardeningBodyLimit, CheckHardeningStall, CheckHardeningThrottle, CheckHardeningLockout, CheckHardeningNoSniff, CheckHardeningFraming, CheckHardeningNoStore,
}
