// The requirement catalogues (conformance/requirements.h): the built-in files parse, the server
// plan names only requirements that exist and covers every one, the readers refuse what is
// malformed, and the coverage text says what a reader needs.
#include "conformance/requirements.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <set>

#include "conformance/server/server_plan.h"

using namespace mes::conformance;
namespace bdata = boost::unit_test::data;

namespace {

struct BadFile {
  const char* name;
  const char* json;
  const char* problem;  // the start of the first problem's message
};
std::ostream& operator<<(std::ostream& os, const BadFile& b) {
  return os << b.name;
}

#define GW_REQ(id) \
  R"({"id": ")" id R"(", "section": "§1", "statement_fr": "fr", "statement_en": "en"})"

const BadFile kBadGatewayFiles[] = {
    {"not json", "{", "f.json: $: not JSON"},
    {"no requirements", R"({"version":"1","title_fr":"t","title_en":"t","requirements":[]})",
     "f.json: $.requirements: must be a non-empty array"},
    {"id form",
     R"({"version":"1","title_fr":"t","title_en":"t","requirements":[)" GW_REQ("SEC-01") "]}",
     "f.json: $.requirements[0].id: \"SEC-01\" is not of the form GW-<AREA>-<nn>"},
    {"duplicate",
     R"({"version":"1","title_fr":"t","title_en":"t","requirements":[)" GW_REQ(
         "GW-AB-01") "," GW_REQ("GW-AB-01") "]}",
     "f.json: $.requirements[1].id: \"GW-AB-01\" appears twice"},
    {"unknown member",
     R"({"version":"1","title_fr":"t","title_en":"t","extra":1,"requirements":[)" GW_REQ(
         "GW-AB-01") "]}",
     "f.json: $.extra: unknown member"},
    {"missing statement",
     R"({"version":"1","title_fr":"t","title_en":"t","requirements":[{"id":"GW-AB-01","section":"§1","statement_fr":"fr"}]})",
     "f.json: $.requirements[0].statement_en: missing"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(conformance_requirements)

BOOST_AUTO_TEST_CASE(built_in_catalogues_parse) {
  const RequirementCatalogue& gw = gatewayRequirements();
  BOOST_TEST(gw.requirements.size() >= 40u);
  BOOST_TEST(gw.find("GW-PAIR-06")->reference == "SPEC §1");
  BOOST_TEST(!gw.find("GW-PAIR-06")->statementFr.empty());
  const RequirementCatalogue& criteria = registryCriteria();
  BOOST_TEST(criteria.requirements.size() == 41u);
  const Requirement* sec01 = criteria.find("SEC-01");
  BOOST_REQUIRE(sec01 != nullptr);
  BOOST_TEST(sec01->reference == "Security");
  BOOST_TEST((sec01->namedTests == std::vector<std::string>{"client.pkce-s256", "client.state"}));
  BOOST_TEST(!criteria.find("SEC-02")->testable);  // evidenced by a document
}

BOOST_AUTO_TEST_CASE(the_server_plan_names_known_requirements_and_unique_ids) {
  const std::vector<TestCase> tests = server::serverTestCases();
  const Coverage coverage = computeCoverage(gatewayRequirements(), tests);
  BOOST_TEST(coverage.unknown.empty());
  for (const CoverageRow& row : coverage.rows) {
    BOOST_TEST(!row.tests.empty(), row.requirement->id << " is covered by no test");
  }
  BOOST_TEST(tests.size() >= 60u);
  std::set<std::string> ids;
  for (const TestCase& t : tests) {
    BOOST_TEST(ids.insert(t.id).second, t.id << " twice");
    BOOST_TEST(t.id.rfind("server.", 0) == 0u, t.id);
    BOOST_TEST(!t.requirements.empty(), t.id << " verifies nothing");
    BOOST_TEST(!t.title.empty());
    BOOST_TEST(!t.description.empty());
  }
}

BOOST_DATA_TEST_CASE(malformed_gateway_files_are_refused_with_the_location,
                     bdata::make(kBadGatewayFiles), b) {
  auto parsed = parseGatewayRequirements(b.json, "f.json");
  BOOST_REQUIRE(!parsed);
  BOOST_TEST(parsed.error().problems.front().message.rfind(b.problem, 0) == 0u,
             parsed.error().problems.front().message);
}

BOOST_AUTO_TEST_CASE(coverage_lists_tests_gaps_and_unknown_ids) {
  auto catalogue = parseGatewayRequirements(
      R"({"version":"1","title_fr":"t","title_en":"Gateway","requirements":[)" GW_REQ(
          "GW-AB-01") "," GW_REQ("GW-AB-02") "]}",
      "f.json");
  BOOST_REQUIRE(catalogue);
  const std::vector<TestCase> tests = {{"server.a", "A", "a", {"GW-AB-01"}, true},
                                       {"server.b", "B", "b", {"GW-AB-01", "GW-ZZ-99"}, false}};
  const Coverage coverage = computeCoverage(*catalogue, tests);
  BOOST_TEST(coverage.covered() == 1u);
  BOOST_TEST((coverage.rows[0].tests == std::vector<std::string>{"server.a", "server.b"}));
  BOOST_TEST(coverage.unknown.size() == 1u);
  const std::string text = formatCoverage(*catalogue, coverage, false);
  BOOST_TEST(
      text.find("GW-AB-01 [SPEC §1]\n  en\n  covered by server.a\n  covered by server.b\n") !=
      std::string::npos);
  BOOST_TEST(text.find("GW-AB-02 [SPEC §1]\n  en\n  NOT COVERED by any test\n") !=
             std::string::npos);
  BOOST_TEST(text.find("1 of 2 testable requirements covered") != std::string::npos);
  BOOST_TEST(
      text.find("Test server.b names GW-ZZ-99, which is no requirement of this catalogue.") !=
      std::string::npos);
  BOOST_TEST(formatCoverage(*catalogue, coverage, true).find("  fr\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(client_coverage_names_the_tests_the_criteria_expect) {
  const Coverage coverage = computeCoverage(registryCriteria(), {});
  const std::string text = formatCoverage(registryCriteria(), coverage, false);
  BOOST_TEST(text.find("named test client.pkce-s256 is not in the suite") != std::string::npos);
  BOOST_TEST(text.find("evidenced by a document or a questionnaire answer, not by a test") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
