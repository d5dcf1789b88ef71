// The client test plan (SPEC §6, `mes-conformance grade`): what an editor's app must show in a
// sandbox recording, test by test, as data (TestCase: the ids the registry's criteria name,
// docs/registry-criteria.json) with the body that grades it from the recording alone.
//
// Each test judges the exchanges it concerns, in order, and ends
//   - failed, naming every offending exchange (its number in the recording, method, URL with
//     secrets redacted, time) and what was wrong with it; the first offending exchanges are in
//     the report;
//   - passed, saying what it judged (a few judged exchanges are in the report as examples);
//   - skipped, saying what the recording lacks (the app never touched the agenda...).
// The resources the app sent are judged with the gateway's own validation (fhir/profiles):
// one source of truth for what is valid.
//
// Order: pairing and tokens, data, then behaviour under refusals.
#pragma once

#include <vector>

#include "conformance/client/traffic.h"
#include "conformance/runner.h"

namespace mes::conformance::client {

// The plan; the bodies read `traffic`, which must outlive them.
std::vector<PlannedTest> clientPlan(const Traffic& traffic);
// The tests as data only (list, requirements).
std::vector<TestCase> clientTestCases();

}  // namespace mes::conformance::client
