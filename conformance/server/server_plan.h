// The server test plan (the "cahier de tests" of SPEC §6): every test `mes-conformance run`
// plays against a gateway, in run order, as data (TestCase) with its body. The order is fixed:
// discovery, pairing, token security, measures, documents, agenda, then the tests that revoke
// tokens (each leaves the session to be paired again, so they come last).
#pragma once

#include <vector>

#include "conformance/runner.h"
#include "conformance/server/server_context.h"

namespace mes::conformance::server {

// The plan; the bodies use `context`, which must outlive them.
std::vector<PlannedTest> serverPlan(ServerContext& context);
// The tests as data only (list, requirements): the plan's TestCases.
std::vector<TestCase> serverTestCases();

}  // namespace mes::conformance::server
