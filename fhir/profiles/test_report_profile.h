// The conformance report an editor or an evaluator attaches to a service in the referencing
// registry (SPEC §5, §6): a FHIR R4 TestReport as `mes-conformance` writes it, and its
// validation. Pure: no store, no clock.
//
// Convention for the requirements a test verifies (SPEC §6 "Every test declares the requirement
// ids it verifies"): each TestReport.test carries one extension per requirement,
//   {"url": "urn:mes-gateway:StructureDefinition:verifies-requirement", "valueCode": "SEC-01"}
// naming an id of the registry's criteria (docs/registry-criteria.json). Which ids exist is the
// registry's business (it refuses unknown ones); this file checks the shape.
//
// A test's outcome, read from its actions (R4 report-action-result-codes):
//   fail  any action of the test, or of the setup, is fail or error;
//   pass  otherwise, when at least one action of the test is pass (skip and warning do not
//         fail a test);
//   skip  otherwise (every action skipped or only warnings).
// A setup that failed fails every test: nothing its tests did can be relied on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/json/value.h"

namespace mes::fhir {

inline constexpr std::string_view kVerifiesRequirementUrl =
    "urn:mes-gateway:StructureDefinition:verifies-requirement";

struct TestReportTest {
  std::string name;         // TestReport.test.name, or "test[<index>]" when it has none
  std::string description;  // may be empty
  std::string outcome;      // pass | fail | skip (see above)
  std::vector<std::string> requirements;  // the verifies-requirement codes, in order
  std::string expression;                 // its FHIRPath location, e.g. "TestReport.test[2]"
};

struct TestReportSummary {
  std::string name;        // TestReport.name, may be empty
  std::string status;      // completed | in-progress | waiting | stopped | entered-in-error
  std::string result;      // pass | fail | pending
  std::string score;       // the decimal as written ("87.5"), empty when absent
  std::string tester;      // may be empty
  std::string issued;      // the dateTime as written, empty when absent
  std::string testScript;  // testScript.reference, else identifier system|value, else display
  std::vector<std::string> participants;  // "<type> <uri>" each
  bool setupFailed = false;
  std::vector<TestReportTest> tests;
};

// Every problem in one pass:
//  - structural (400): resourceType "TestReport"; R4 element names only, at every level
//    ("unknown-element"); the JSON type and lexical form of every element read ("invalid-type",
//    "invalid-primitive", "invalid-datetime", "empty-element");
//  - rule (422): status, testScript and result required, with their R4 codes ("code-invalid");
//    testScript with a reference or an identifier; participant.type (test-engine, client,
//    server) and participant.uri required; setup.action and test.action required and each with
//    exactly one of operation or assert (R4 inv-1, inv-2: "action-invalid"); teardown.action
//    required, each with an operation; every operation and assert with a result (pass, skip,
//    fail, warning, error); score between 0 and 100 ("score-out-of-range"); a report whose
//    result is pass while an action failed ("result-inconsistent", at that action); a
//    verifies-requirement extension whose value is not a valueCode ("requirement-invalid");
//    implicitRules, contained and modifierExtension refused ("element-not-allowed").
Result<TestReportSummary> validateTestReport(const Value& report);

}  // namespace mes::fhir
