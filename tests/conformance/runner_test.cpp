// The run loop and the scope of a test body (conformance/runner.h): how each way of ending a
// body becomes an outcome with its message and actions, clean-ups, --only selection, and how
// answers are described in messages.
#include "conformance/runner.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <stdexcept>

#include "conformance/fake_http_client.h"

using namespace mes;
using namespace mes::conformance;
namespace bdata = boost::unit_test::data;

namespace {

TestCase testCase(std::string id) {
  return {std::move(id), "A title", "A description", {"GW-SEC-01"}, true};
}

TestResult runOne(const TestBody& body, test::FakeHttpClient* client = nullptr) {
  static ManualClock clock(1'700'000'000'000);
  PlannedTest planned{testCase("server.example"), body};
  std::vector<TestResult> results = runTests({&planned}, clock, client);
  BOOST_REQUIRE_EQUAL(results.size(), 1u);
  return results.front();
}

struct EndingCase {
  const char* name;
  TestBody body;
  Outcome outcome;
  const char* message;
  ActionResult lastAction;
};

std::ostream& operator<<(std::ostream& os, const EndingCase& c) {
  return os << c.name;
}

const EndingCase kEndings[] = {
    {"two checks hold",
     [](TestScope& t) {
       t.expect(true, "201 Created", "");
       t.expect(true, "a Location header", "");
     },
     Outcome::kPass, "2 checks passed.", ActionResult::kPass},
    {"a check fails and ends the body",
     [](TestScope& t) {
       t.expect(true, "201 Created", "");
       t.expect(false, "422 for a weight in pounds", "201 Created");
       t.expect(true, "never reached", "");
     },
     Outcome::kFail, "Expected 422 for a weight in pounds; got 201 Created.", ActionResult::kFail},
    {"skip", [](TestScope& t) { t.skip("The token lives 600 s, longer than --max-wait 60 s."); },
     Outcome::kSkip, "The token lives 600 s, longer than --max-wait 60 s.", ActionResult::kSkip},
    {"error", [](TestScope& t) { t.error("The pairing failed."); }, Outcome::kError,
     "The pairing failed.", ActionResult::kError},
    {"an exception", [](TestScope&) { throw std::runtime_error("boom"); }, Outcome::kError,
     "The test stopped on an unexpected error: boom", ActionResult::kError},
    {"no check at all", [](TestScope&) {}, Outcome::kError, "The test made no check.",
     ActionResult::kError},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(conformance_runner)

BOOST_DATA_TEST_CASE(each_ending_gives_its_outcome_message_and_last_action, bdata::make(kEndings),
                     c) {
  const TestResult r = runOne(c.body);
  BOOST_TEST(outcomeName(r.outcome) == outcomeName(c.outcome));
  BOOST_TEST(r.message == c.message);
  BOOST_REQUIRE(!r.actions.empty());
  BOOST_TEST(actionResultName(r.actions.back().result) == actionResultName(c.lastAction));
  BOOST_TEST(r.test.id == "server.example");
}

BOOST_AUTO_TEST_CASE(exchanges_are_recorded_as_operations_and_a_missing_answer_is_an_error) {
  test::FakeHttpClient fake;
  fake.on("GET", "http://gw/fhir/metadata",
          test::jsonResponse(200, R"({"resourceType":"CapabilityStatement"})"));
  fake.unreachable("http://down/");
  const TestResult r = runOne(
      [](TestScope& t) {
        http::ClientRequest request{"GET", "http://gw/fhir/metadata", {}, {}};
        request.headers.add("Accept", "application/fhir+json");
        const http::ClientResponse ok = t.send(request);
        t.expect(ok.status == 200, "200", describeResponse(ok));
        t.send({"GET", "http://down/fhir/metadata", {}, {}});
        t.expect(true, "never reached", "");
      },
      &fake);
  BOOST_TEST(outcomeName(r.outcome) == "error");
  BOOST_TEST(r.message ==
             "GET http://down/fhir/metadata got no response: The exchange with "
             "http://down/ failed: Connection refused");
  BOOST_REQUIRE_EQUAL(r.exchanges.size(), 2u);
  BOOST_TEST(r.exchanges[0].status == 200);
  BOOST_TEST(r.exchanges[0].requestHeaders.get("Accept") == "application/fhir+json");
  BOOST_TEST(r.exchanges[0].responseBody == R"({"resourceType":"CapabilityStatement"})");
  BOOST_TEST(r.exchanges[1].status == 0);
  BOOST_TEST(!r.exchanges[1].failure.empty());
  BOOST_TEST((r.actions[0].kind == Action::Kind::kOperation));
  BOOST_TEST(r.actions[0].message == "GET http://gw/fhir/metadata → 200 OK");
  BOOST_TEST(*r.actions[0].exchange == 0u);
  BOOST_TEST((r.actions[1].kind == Action::Kind::kAssert));
  BOOST_TEST(actionResultName(r.actions[2].result) == "error");  // the operation without answer
}

BOOST_AUTO_TEST_CASE(clean_ups_run_latest_first_whatever_the_end_and_only_warn) {
  test::FakeHttpClient fake;
  fake.unreachable("http://down/");
  std::vector<std::string> order;
  const TestResult r = runOne(
      [&order](TestScope& t) {
        t.atEnd([&order] { order.push_back("first registered"); });
        t.atEnd([&order, &t] {
          order.push_back("second registered");
          t.send({"DELETE", "http://down/fhir/Observation/1", {}, {}});
        });
        t.expect(false, "412 for a stale If-Match", "200 OK");
      },
      &fake);
  BOOST_TEST((order == std::vector<std::string>{"second registered", "first registered"}));
  BOOST_TEST(outcomeName(r.outcome) == "fail");  // the clean-up's failure changes nothing
  BOOST_TEST(r.message == "Expected 412 for a stale If-Match; got 200 OK.");
  BOOST_REQUIRE_GE(r.actions.size(), 3u);
  BOOST_TEST(actionResultName(r.actions[r.actions.size() - 2].result) == "warning");  // the DELETE
  BOOST_TEST(actionResultName(r.actions.back().result) == "warning");
  BOOST_TEST(r.actions.back().message.rfind("Clean-up: ", 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_passed_body_keeps_its_pass_when_a_clean_up_fails) {
  const TestResult r = runOne([](TestScope& t) {
    t.atEnd([&t] { t.expect(false, "204 on delete", "500"); });
    t.expect(true, "201 Created", "");
  });
  BOOST_TEST(outcomeName(r.outcome) == "pass");
  BOOST_TEST(actionResultName(r.actions.back().result) == "warning");
}

BOOST_AUTO_TEST_CASE(only_selects_in_plan_order_and_refuses_unknown_ids_with_suggestions) {
  const std::vector<TestCase> all = {testCase("server.pkce-missing"),
                                     testCase("server.pkce-plain-refused"),
                                     testCase("server.token-missing")};
  auto everything = selectTests(all, {});
  BOOST_REQUIRE(everything);
  BOOST_TEST((*everything == std::vector<size_t>{0, 1, 2}));
  auto two = selectTests(all, {"server.token-missing", "server.pkce-missing"});
  BOOST_REQUIRE(two);
  BOOST_TEST((*two == std::vector<size_t>{0, 2}));
  auto unknown = selectTests(all, {"server.pkce-plain", "server.token-missing", "bogus"});
  BOOST_REQUIRE(!unknown);
  BOOST_REQUIRE_EQUAL(unknown.error().problems.size(), 2u);
  BOOST_TEST(unknown.error().problems[0].message ==
             "No test has the id \"server.pkce-plain\". Did you mean server.pkce-missing, "
             "server.pkce-plain-refused?");
  BOOST_TEST(unknown.error().problems[1].message == "No test has the id \"bogus\".");
}

BOOST_AUTO_TEST_CASE(responses_are_described_with_what_they_say) {
  http::ClientResponse outcome = test::jsonResponse(
      422,
      R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"value",)"
      R"("details":{"coding":[{"system":"urn:mes-gateway:error-code","code":"unit-mismatch"}]},)"
      R"("diagnostics":"The unit must be kg."}]})");
  outcome.reason = "Unprocessable Entity";
  BOOST_TEST(describeResponse(outcome) ==
             "422 Unprocessable Entity, OperationOutcome: [unit-mismatch] The unit must be kg.");
  BOOST_TEST(describeResponse(test::jsonResponse(
                 400, R"({"error":"invalid_grant","error_description":"Bad code."})")) ==
             "400, error invalid_grant (Bad code.)");
  http::ClientResponse redirect;
  redirect.status = 302;
  redirect.reason = "Found";
  redirect.headers.add("Location", "https://app.example/cb?error=invalid_request");
  BOOST_TEST(describeResponse(redirect) ==
             "302 Found to https://app.example/cb?error=invalid_request");
  BOOST_TEST(describeResponse(test::jsonResponse(500, "oops\x01")) == "500: oops?");
  BOOST_TEST(describeResponse(test::jsonResponse(200, "{}")) == "200 OK");
}

BOOST_AUTO_TEST_SUITE_END()
