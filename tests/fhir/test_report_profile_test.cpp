// The TestReport check of the registry's evidence (fhir/profiles/test_report_profile.h): one
// table of edits of a valid report and the exact problems (code@FHIRPath) and status each gives,
// then what the registry reads from a valid one (tests, outcomes, requirement ids).
#include "fhir/profiles/test_report_profile.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "fhir/json_edit.h"

using namespace mes::fhir;
using mes::test::actualProblems;
using mes::test::apply;
using mes::test::Edit;
using mes::test::parseTestJson;
namespace bdata = boost::unit_test::data;

namespace {

#define REQ(id) \
  R"({"url":"urn:mes-gateway:StructureDefinition:verifies-requirement","valueCode":")" id R"("})"
#define PASS_ASSERT R"({"assert":{"result":"pass","message":"ok"}})"
#define FAIL_ASSERT R"({"assert":{"result":"fail","message":"401 expected, got 200"}})"

constexpr const char* kValid = R"({
  "resourceType": "TestReport",
  "id": "run-2026-11-23",
  "name": "mes-conformance client suite",
  "status": "completed",
  "testScript": {"reference": "TestScript/mes-client-suite", "display": "Client suite 1.0"},
  "result": "pass",
  "score": 100,
  "tester": "mes-conformance 0.1.0",
  "issued": "2026-11-23T10:15:00+01:00",
  "participant": [
    {"type": "test-engine", "uri": "urn:mes-conformance", "display": "mes-conformance"},
    {"type": "client", "uri": "https://tensio.example/app"}
  ],
  "setup": {"action": [{"operation": {"result": "pass", "message": "sandbox started"}}]},
  "test": [
    {"name": "client.pkce-s256", "description": "PKCE S256 used",
     "extension": [)" REQ("SEC-01") R"(],
     "action": [)" PASS_ASSERT R"(]},
    {"name": "client.no-token-in-url",
     "extension": [)" REQ("SEC-03") R"(, )" REQ("SEC-04") R"(],
     "action": [{"operation": {"result": "pass"}}, {"assert": {"result": "warning"}}]},
    {"name": "client.refresh", "action": [{"assert": {"result": "skip"}}]}
  ],
  "teardown": {"action": [{"operation": {"result": "pass"}}]}
})";

struct Case {
  const char* what;
  Edit edit1;
  Edit edit2;
  int status;          // 0 = valid; else 400 or 422
  const char* expect;  // "code@expression" separated by spaces, in order; "" when valid
};
std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.what;
}

// clang-format off
const Case kCases[] = {
    {"valid", {}, {}, 0, ""},
    {"minimal", {"setup"}, {"test"}, 0, ""},
    {"fail result with a failed test", {"result", R"("fail")"}, {"test.0.action.0", FAIL_ASSERT}, 0, ""},
    {"pending", {"status", R"("in-progress")"}, {"result", R"("pending")"}, 0, ""},
    {"identifier instead of reference", {"testScript",
     R"({"identifier":{"system":"urn:mes-conformance","value":"client-suite"}})"}, {}, 0, ""},
    {"not a TestReport", {"resourceType", R"("Observation")"}, {}, 400,
     "resource-type-mismatch@TestReport.resourceType"},
    {"unknown element", {"verdict", R"("ok")"}, {}, 400, "unknown-element@TestReport.verdict"},
    {"status missing", {"status"}, {}, 422, "element-missing@TestReport.status"},
    {"status unknown", {"status", R"("done")"}, {}, 422, "code-invalid@TestReport.status"},
    {"status wrong type", {"status", "1"}, {}, 400, "invalid-type@TestReport.status"},
    {"result missing", {"result"}, {}, 422, "element-missing@TestReport.result"},
    {"result unknown", {"result", R"("ok")"}, {}, 422, "code-invalid@TestReport.result"},
    {"testScript missing", {"testScript"}, {}, 422, "element-missing@TestReport.testScript"},
    {"testScript display only", {"testScript", R"({"display":"a script"})"}, {}, 422,
     "element-missing@TestReport.testScript.reference"},
    {"testScript a string", {"testScript", R"("TestScript/x")"}, {}, 400,
     "invalid-type@TestReport.testScript"},
    {"score above 100", {"score", "101"}, {}, 422, "score-out-of-range@TestReport.score"},
    {"score negative", {"score", "-1"}, {}, 422, "score-out-of-range@TestReport.score"},
    {"score a string", {"score", R"("100")"}, {}, 400, "invalid-type@TestReport.score"},
    {"issued malformed", {"issued", R"("yesterday")"}, {}, 400, "invalid-datetime@TestReport.issued"},
    {"tester empty", {"tester", R"("")"}, {}, 400, "empty-element@TestReport.tester"},
    {"participant without type", {"participant.1.type"}, {}, 422,
     "element-missing@TestReport.participant[1].type"},
    {"participant type unknown", {"participant.1.type", R"("browser")"}, {}, 422,
     "code-invalid@TestReport.participant[1].type"},
    {"participant without uri", {"participant.0.uri"}, {}, 422,
     "element-missing@TestReport.participant[0].uri"},
    {"participant not an array", {"participant", R"({"type":"client","uri":"x"})"}, {}, 400,
     "invalid-type@TestReport.participant"},
    {"setup without actions", {"setup", R"({"id":"s1"})"}, {}, 422, "element-missing@TestReport.setup.action"},
    {"setup action with both", {"setup.action.0",
     R"({"operation":{"result":"pass"},"assert":{"result":"pass"}})"}, {}, 422,
     "action-invalid@TestReport.setup.action[0]"},
    {"test action with neither", {"test.0.action.0", R"({"id":"a1"})"}, {}, 422,
     "action-invalid@TestReport.test[0].action[0]"},
    {"test without actions", {"test.2.action"}, {}, 422, "element-missing@TestReport.test[2].action"},
    {"test actions empty", {"test.2.action", "[]"}, {}, 400, "empty-element@TestReport.test[2].action"},
    {"assert without result", {"test.0.action.0", R"({"assert":{"message":"?"}})"}, {}, 422,
     "element-missing@TestReport.test[0].action[0].assert.result"},
    {"assert result unknown", {"test.0.action.0", R"({"assert":{"result":"ok"}})"}, {}, 422,
     "code-invalid@TestReport.test[0].action[0].assert.result"},
    {"operation unknown element", {"setup.action.0.operation.code", R"("x")"}, {}, 400,
     "unknown-element@TestReport.setup.action[0].operation.code"},
    {"teardown action with an assert", {"teardown.action.0", R"({"assert":{"result":"pass"}})"}, {},
     400, "unknown-element@TestReport.teardown.action[0].assert "
          "element-missing@TestReport.teardown.action[0].operation"},
    {"passing report with a failed test", {"test.1.action.1", FAIL_ASSERT}, {}, 422,
     "result-inconsistent@TestReport.test[1].action[1].assert.result"},
    {"passing report with a failed setup", {"setup.action.0.operation.result", R"("error")"}, {}, 422,
     "result-inconsistent@TestReport.setup.action[0].operation.result"},
    {"requirement as valueString", {"test.0.extension.0",
     R"({"url":"urn:mes-gateway:StructureDefinition:verifies-requirement","valueString":"SEC-01"})"},
     {}, 422, "requirement-invalid@TestReport.test[0].extension[0]"},
    {"requirement code with spaces", {"test.0.extension.0", REQ(" SEC-01")}, {}, 400,
     "invalid-primitive@TestReport.test[0].extension[0].valueCode"},
    {"extension without url", {"test.0.extension.0", R"({"valueCode":"SEC-01"})"}, {}, 422,
     "element-missing@TestReport.test[0].extension[0].url"},
    {"modifier extension refused", {"test.0.modifierExtension", "[" REQ("SEC-01") "]"}, {}, 422,
     "element-not-allowed@TestReport.test[0].modifierExtension"},
    {"contained refused", {"contained", R"([{"resourceType":"TestScript"}])"}, {}, 422,
     "element-not-allowed@TestReport.contained"},
    {"empty action is malformed", {"test.0.action.0", "{}"}, {}, 400,
     "empty-element@TestReport.test[0].action[0] action-invalid@TestReport.test[0].action[0]"},
    {"many problems at once", {"status"}, {"score", "250"}, 422,
     "element-missing@TestReport.status score-out-of-range@TestReport.score"},
};
// clang-format on

}  // namespace

BOOST_AUTO_TEST_SUITE(test_report_profile)

BOOST_DATA_TEST_CASE(test_report_table, bdata::make(kCases), c) {
  Value report = parseTestJson(kValid);
  apply(report, c.edit1);
  apply(report, c.edit2);
  mes::test::expectOutcome(validateTestReport(report), c.status, c.expect);
}

BOOST_AUTO_TEST_CASE(what_the_registry_reads) {
  auto result = validateTestReport(parseTestJson(kValid));
  BOOST_REQUIRE(result.isOk());
  BOOST_TEST(result->name == "mes-conformance client suite");
  BOOST_TEST(result->status == "completed");
  BOOST_TEST(result->result == "pass");
  BOOST_TEST(result->score == "100");
  BOOST_TEST(result->tester == "mes-conformance 0.1.0");
  BOOST_TEST(result->issued == "2026-11-23T10:15:00+01:00");
  BOOST_TEST(result->testScript == "TestScript/mes-client-suite");
  BOOST_TEST(result->participants ==
             (std::vector<std::string>{"test-engine urn:mes-conformance",
                                       "client https://tensio.example/app"}));
  BOOST_TEST(!result->setupFailed);
  BOOST_REQUIRE_EQUAL(result->tests.size(), 3U);
  BOOST_TEST(result->tests[0].name == "client.pkce-s256");
  BOOST_TEST(result->tests[0].outcome == "pass");
  BOOST_TEST(result->tests[0].requirements == std::vector<std::string>{"SEC-01"});
  BOOST_TEST(result->tests[1].outcome == "pass");  // a warning does not fail a test
  BOOST_TEST(result->tests[1].requirements == (std::vector<std::string>{"SEC-03", "SEC-04"}));
  BOOST_TEST(result->tests[2].outcome == "skip");
  BOOST_TEST(result->tests[2].requirements.empty());
  BOOST_TEST(result->tests[2].expression == "TestReport.test[2]");
}

BOOST_AUTO_TEST_CASE(a_failed_setup_fails_every_test_and_unnamed_tests_get_their_index) {
  Value report = parseTestJson(kValid);
  apply(report, {"result", R"("fail")"});
  apply(report, {"setup.action.0.operation.result", R"("fail")"});
  apply(report, {"test.0.name"});
  auto result = validateTestReport(report);
  BOOST_REQUIRE(result.isOk());
  BOOST_TEST(result->setupFailed);
  for (const auto& test : result->tests) BOOST_TEST(test.outcome == "fail");
  BOOST_TEST(result->tests[0].name == "test[0]");
}

BOOST_AUTO_TEST_CASE(a_requirement_named_twice_counts_once) {
  Value report = parseTestJson(kValid);
  apply(report, {"test.0.extension.1", REQ("SEC-01")});
  auto result = validateTestReport(report);
  BOOST_REQUIRE(result.isOk());
  BOOST_TEST(result->tests[0].requirements == std::vector<std::string>{"SEC-01"});
}

BOOST_AUTO_TEST_SUITE_END()
