// The three reports of a run (conformance/report/) and the redaction behind them: a run with
// every outcome becomes a TestReport the registry's check accepts and reads as we do, JUnit XML
// with the right counts, and an HTML page; secrets never reach any of them; hostile text is
// escaped.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/redaction.h"
#include "conformance/report/exchange_text.h"
#include "conformance/report/html_report.h"
#include "conformance/report/junit.h"
#include "conformance/report/report_files.h"
#include "conformance/report/test_report.h"
#include "conformance/requirements.h"
#include "fhir/json/json.h"
#include "fhir/profiles/test_report_profile.h"

using namespace mes;
using namespace mes::conformance;

namespace {

constexpr const char* kAccessToken =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJkZW1vIn0.c2VjcmV0LXNpZ25hdHVyZQ";

Exchange tokenExchange() {
  Exchange e;
  e.method = "POST";
  e.url = "http://gw/oauth/token";
  e.requestHeaders.add("Content-Type", "application/x-www-form-urlencoded");
  e.requestBody =
      "grant_type=authorization_code&code=AUTHCODE123&code_verifier=VERIFIER456&client_id=demo-app";
  e.status = 200;
  e.reason = "OK";
  e.responseHeaders.add("Content-Type", "application/json");
  e.responseBody =
      std::string(R"({"access_token":")") + kAccessToken +
      R"(","refresh_token":"REFRESH789","token_type":"Bearer","scope":"patient/Observation.rs"})";
  return e;
}

Exchange fhirExchange() {
  Exchange e;
  e.method = "POST";
  e.url = "http://gw/fhir/Observation?access_token=LEAKED";
  e.requestHeaders.add("Authorization", std::string("Bearer ") + kAccessToken);
  e.requestHeaders.add("Cookie", "mes_portal=SESSIONID; other=XYZ");
  e.requestHeaders.add("Content-Type", "application/fhir+json");
  e.requestBody = R"({"resourceType":"Observation","code":{"coding":[{"code":"29463-7"}]}})";
  e.status = 422;
  e.reason = "Unprocessable Entity";
  e.responseHeaders.add("Set-Cookie", "mes_portal=NEWSESSION; Path=/portal; HttpOnly");
  e.responseBody =
      R"({"resourceType":"OperationOutcome","issue":[{"diagnostics":"<script>alert('x')</script> & more"}]})";
  return e;
}

TestResult resultOf(std::string id, Outcome outcome, std::vector<Action> actions,
                    std::vector<Exchange> exchanges = {}, bool required = true) {
  TestResult r;
  r.test = {std::move(id),
            "Title <b>bold</b>",
            "Checks \"things\" & more",
            {"GW-MES-02", "GW-SEC-01"},
            required};
  r.outcome = outcome;
  r.message = "Expected 422 <unit-mismatch>; got 201.";
  r.actions = std::move(actions);
  r.exchanges = std::move(exchanges);
  r.durationMs = 12;
  return r;
}

Action op(size_t index, ActionResult result = ActionResult::kPass) {
  Action a;
  a.kind = Action::Kind::kOperation;
  a.result = result;
  a.message = "an exchange";
  a.exchange = index;
  return a;
}

Action check(ActionResult result, std::string message = "201 Created") {
  Action a;
  a.result = result;
  a.message = std::move(message);
  return a;
}

RunReport sampleRun() {
  RunReport run;
  run.suite = "server";
  run.title = "Server test plan against http://gw";
  run.tester = "mes-conformance 0.1.0";
  run.participants = {{"test-engine", "urn:mes-conformance:0.1.0", "mes-conformance"},
                      {"server", "http://gw/fhir", "the gateway"}};
  run.startedMs = 1'764'000'000'000;
  run.finishedMs = run.startedMs + 2'500;
  run.results.push_back(resultOf("server.passes", Outcome::kPass,
                                 {op(0), check(ActionResult::kPass)}, {tokenExchange()}));
  run.results.push_back(resultOf(
      "server.fails", Outcome::kFail,
      {op(0), check(ActionResult::kPass), check(ActionResult::kFail, "Expected 422; got 201.")},
      {fhirExchange()}));
  run.results.push_back(
      resultOf("server.skipped", Outcome::kSkip,
               {op(0), check(ActionResult::kPass, "token obtained"),
                check(ActionResult::kSkip, "Token lifetime 600 s > --max-wait 60 s.")},
               {tokenExchange()}));
  run.results.push_back(resultOf("server.errored", Outcome::kError,
                                 {check(ActionResult::kError, "The pairing failed.")}, {}, false));
  return run;
}

std::string textOf(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void expectNoSecret(const std::string& text) {
  for (const char* secret : {"AUTHCODE123", "VERIFIER456", "REFRESH789", "c2VjcmV0LXNpZ25hdHVyZQ",
                             "eyJzdWIiOiJkZW1vIn0", "LEAKED", "SESSIONID", "NEWSESSION"}) {
    BOOST_TEST(text.find(secret) == std::string::npos, secret << " leaked");
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conformance_reports)

BOOST_AUTO_TEST_CASE(redaction_removes_every_secret_and_keeps_what_explains) {
  const Exchange token = redact(tokenExchange());
  BOOST_TEST(
      token.requestBody ==
      "grant_type=authorization_code&code=[redacted]&code_verifier=[redacted]&client_id=demo-app");
  BOOST_TEST(
      token.responseBody ==
      R"({"access_token":"[redacted]","refresh_token":"[redacted]","token_type":"Bearer","scope":"patient/Observation.rs"})");
  const Exchange fhir = redact(fhirExchange());
  BOOST_TEST(fhir.url == "http://gw/fhir/Observation?access_token=[redacted]");
  // The JWT's header part stays: it says which algorithm the token claimed.
  BOOST_TEST(fhir.requestHeaders.get("Authorization") ==
             "Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.[redacted]");
  BOOST_TEST(fhir.requestHeaders.get("Cookie") == "mes_portal=[redacted]; other=[redacted]");
  BOOST_TEST(fhir.responseHeaders.get("Set-Cookie") ==
             "mes_portal=[redacted]; Path=/portal; HttpOnly");
  BOOST_TEST(fhir.requestBody == fhirExchange().requestBody);  // FHIR "code" is no secret
  BOOST_TEST(redactUrl("https://app/cb?code=abc&state=s1#frag") ==
             "https://app/cb?code=[redacted]&state=s1#frag");
  BOOST_TEST(redactUrl("http://127.0.0.1:8765/callback?code=abc") ==
             "http://127.0.0.1:8765/callback?code=[redacted]");
  // A FHIR search's code is the LOINC code, shown; a token in that URL is still hidden.
  BOOST_TEST(redactUrl("http://gw/fhir/Observation?code=http://loinc.org|8867-4&_count=1") ==
             "http://gw/fhir/Observation?code=http://loinc.org|8867-4&_count=1");
  BOOST_TEST(redactUrl("http://gw/fhir/Observation?code=8867-4&access_token=t") ==
             "http://gw/fhir/Observation?code=8867-4&access_token=[redacted]");
  BOOST_TEST(redactUrl("http://gw/fhir/cb?code=abc&state=s") == "http://gw/fhir/cb?code=[redacted]&state=s");
  BOOST_TEST(redactFormBody("grant_type=authorization_code&code=abc") ==
             "grant_type=authorization_code&code=[redacted]");
  BOOST_TEST(redactAuthorization("Basic ZGVtbzpzZWNyZXQ=") == "Basic [redacted]");
  BOOST_TEST(redactAuthorization("Bearer opaque") == "Bearer [redacted]");
}

BOOST_AUTO_TEST_CASE(test_report_passes_the_registry_check_and_reads_as_we_do) {
  const RunReport run = sampleRun();
  const fhir::Value report = toTestReport(run);
  auto summary = fhir::validateTestReport(report);
  BOOST_REQUIRE_MESSAGE(summary.isOk(),
                        (summary ? std::string()
                                 : summary.error().problems.front().expression + ": " +
                                       summary.error().problems.front().message));
  BOOST_TEST(summary->status == "completed");
  BOOST_TEST(summary->result == "fail");
  BOOST_TEST(summary->score == "33.3");  // 1 passed of 3 run (the skip does not count)
  BOOST_TEST(summary->tester == "mes-conformance 0.1.0");
  BOOST_TEST(summary->issued == "2025-11-24T16:00:02.500Z");
  BOOST_TEST(
      (summary->participants ==
       std::vector<std::string>{"test-engine urn:mes-conformance:0.1.0", "server http://gw/fhir"}));
  BOOST_REQUIRE_EQUAL(summary->tests.size(), 4u);
  const std::vector<std::string> outcomes = {"pass", "fail", "skip",
                                             "fail" /* error reads as fail */};
  for (size_t i = 0; i < 4; ++i) {
    BOOST_TEST(summary->tests[i].name == run.results[i].test.id);
    BOOST_TEST(summary->tests[i].outcome == outcomes[i], run.results[i].test.id);
    BOOST_TEST(
        (summary->tests[i].requirements == std::vector<std::string>{"GW-MES-02", "GW-SEC-01"}));
  }
  const std::string json = fhir::toJson(report);
  expectNoSecret(json);
  BOOST_TEST(json.find(R"("valueCode":"error")") != std::string::npos);  // test-outcome keeps it
  BOOST_TEST(json.find("test-required") != std::string::npos);
  // The exchange is in the operation's message, as a code block.
  BOOST_TEST(json.find("```http\\nPOST http://gw/oauth/token") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_all_passing_run_is_a_passing_report) {
  RunReport run = sampleRun();
  run.results.resize(1);
  auto summary = fhir::validateTestReport(toTestReport(run));
  BOOST_REQUIRE(summary);
  BOOST_TEST(summary->result == "pass");
  BOOST_TEST(summary->score == "100");
}

BOOST_AUTO_TEST_CASE(junit_counts_outcomes_and_escapes_text) {
  const std::string xml = toJUnitXml(sampleRun());
  BOOST_TEST(
      xml.find(
          R"(<testsuites name="mes-conformance" tests="4" failures="1" errors="1" skipped="1" time="2.500">)") !=
      std::string::npos);
  BOOST_TEST(xml.find(R"(<testcase classname="server" name="server.fails" time="0.012">)") !=
             std::string::npos);
  BOOST_TEST(
      xml.find(R"(<failure message="Expected 422 &lt;unit-mismatch&gt;; got 201." type="fail">)") !=
      std::string::npos);
  BOOST_TEST(xml.find(R"(<skipped message=)") != std::string::npos);
  BOOST_TEST(xml.find(R"(<error message=)") != std::string::npos);
  BOOST_TEST(xml.find(R"(<property name="requirement" value="GW-MES-02"/>)") != std::string::npos);
  BOOST_TEST(xml.find("<script>") == std::string::npos);
  BOOST_TEST(xml.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more") !=
             std::string::npos);
  expectNoSecret(xml);
}

BOOST_AUTO_TEST_CASE(html_is_self_contained_escaped_and_opens_failures) {
  const std::string html = toHtml(sampleRun(), &gatewayRequirements());
  BOOST_TEST(html.find("Non conforme") != std::string::npos);
  BOOST_TEST(html.find("Content-Security-Policy") != std::string::npos);
  BOOST_TEST(html.find("<script") == std::string::npos);
  BOOST_TEST(html.find("src=") == std::string::npos);
  BOOST_TEST(html.find("<link") == std::string::npos);
  BOOST_TEST(html.find("Title &lt;b&gt;bold&lt;/b&gt;") != std::string::npos);
  BOOST_TEST(html.find(R"(<details class="test" id="t-server.fails" open>)") != std::string::npos);
  BOOST_TEST(html.find(R"(<details class="test" id="t-server.passes">)") != std::string::npos);
  // The requirement's statements come from the catalogue.
  BOOST_TEST(html.find(gatewayRequirements().find("GW-MES-02")->statementEn.substr(0, 40)) !=
             std::string::npos);
  expectNoSecret(html);
}

BOOST_AUTO_TEST_CASE(binary_and_long_bodies_are_summarised) {
  Exchange e = tokenExchange();
  e.responseHeaders = {};
  e.responseHeaders.add("Content-Type", "image/png");
  e.responseBody = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(200, '\0');
  BOOST_TEST(exchangeText(e).find("(216 bytes of image/png, not text: not shown)") !=
             std::string::npos);
  e.responseHeaders = {};
  e.responseBody = std::string(100, 'a');
  BOOST_TEST(exchangeText(e, 10).find("aaaaaaaaaa\n(cut here: 100 bytes in all)") !=
             std::string::npos);
  BOOST_TEST(printableText("caf\xC3\xA9 \xFF ok\x01") == "café \xEF\xBF\xBD ok?");
}

BOOST_AUTO_TEST_CASE(write_reports_writes_the_three_files) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("mes-conformance-report-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  BOOST_REQUIRE(writeReports(sampleRun(), &gatewayRequirements(), dir / "nested"));
  const auto json = fhir::parseJson(textOf(dir / "nested" / kTestReportFile));
  BOOST_REQUIRE(json);
  BOOST_TEST(fhir::validateTestReport(*json).isOk());
  BOOST_TEST(textOf(dir / "nested" / kJUnitFile).rfind("<?xml", 0) == 0);
  BOOST_TEST(textOf(dir / "nested" / kHtmlFile).rfind("<!DOCTYPE html>", 0) == 0);
  BOOST_TEST(!std::filesystem::exists(dir / "nested" / "junit.xml.tmp"));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
