// A run as a FHIR R4 TestReport: what the registry (SPEC §5) takes as evidence, and what
// passes fhir::validateTestReport (fhir/profiles/test_report_profile.h).
//
//  - status completed; result fail when a test failed or ended in error, else pass;
//    score = RunSummary::score rounded to 0.1; tester; issued = the end of the run;
//    testScript.identifier {system urn:mes-conformance:test-plan, value: the suite};
//    participant: the test engine and the server and/or client, as the RunReport lists them.
//  - one test per TestResult, in run order: name = the test id, description = its title and
//    description; extensions: one verifies-requirement (valueCode) per requirement id,
//    urn:mes-gateway:StructureDefinition:test-required (valueBoolean) and
//    urn:mes-gateway:StructureDefinition:test-outcome (valueCode pass | fail | skip | error,
//    which keeps "error" apart from "fail").
//  - one action per Action, in order: an operation for each exchange, its message the
//    exchange as Markdown (the request and response text, redacted, in a code block); an
//    assert for each check, with its message.
//  - the registry reads a test's outcome from its actions (any fail or error: fail; any pass:
//    pass; else skip). So that it reads a skipped test as skipped, the actions of a skipped
//    test that passed before the skip are written as skip.
#pragma once

#include <string_view>

#include "conformance/test_model.h"
#include "fhir/json/value.h"

namespace mes::conformance {

inline constexpr std::string_view kTestRequiredUrl =
    "urn:mes-gateway:StructureDefinition:test-required";
inline constexpr std::string_view kTestOutcomeUrl =
    "urn:mes-gateway:StructureDefinition:test-outcome";
inline constexpr std::string_view kTestPlanSystem = "urn:mes-conformance:test-plan";

fhir::Value toTestReport(const RunReport& report);

}  // namespace mes::conformance
