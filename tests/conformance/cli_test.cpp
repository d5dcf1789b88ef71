// The mes-conformance command line (conformance/cli.h) with a fake HTTP client: exit statuses
// for every way a run ends, refusals of bad arguments, and the list / requirements commands.
#include "conformance/cli.h"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <sstream>

#include "conformance/fake_http_client.h"
#include "conformance/report/report_files.h"
#include "conformance/test_model.h"

using namespace mes;
using namespace mes::conformance;

namespace {

constexpr const char* kMetadata = R"({"resourceType":"CapabilityStatement","fhirVersion":"4.0.1",
 "rest":[{"mode":"server","resource":[
  {"type":"Observation","searchInclude":["Observation:device"],"interaction":[{"code":"create"},{"code":"read"},
   {"code":"update"},{"code":"delete"},{"code":"search-type"}]},
  {"type":"DocumentReference","interaction":[{"code":"create"},{"code":"read"},{"code":"search-type"}]},
  {"type":"Binary","interaction":[{"code":"read"}]},
  {"type":"Appointment","interaction":[{"code":"create"},{"code":"read"},{"code":"update"},{"code":"search-type"}]}]}]})";

// Hands the run a client that forwards to the test's fake, which the test keeps.
class Borrowed final : public http::HttpClient {
 public:
  explicit Borrowed(http::HttpClient& client) : client_(client) {}
  Result<http::ClientResponse> send(const http::ClientRequest& request) override {
    return client_.send(request);
  }

 private:
  http::HttpClient& client_;
};

struct Cli {
  test::FakeHttpClient fake;
  ManualClock clock{1'764'000'000'000};
  std::ostringstream out;
  std::ostringstream err;

  int run(const std::vector<std::string>& args) {
    CliEnvironment env;
    env.makeClient = [this](const http::ClientOptions&) -> std::unique_ptr<http::HttpClient> {
      return std::make_unique<Borrowed>(fake);
    };
    env.clock = &clock;
    env.sleep = [this](int64_t ms) { clock.advance(ms); };
    env.out = &out;
    env.err = &err;
    return runCli(args, env);
  }
};

http::ClientResponse fhirJson(std::string body) {
  return test::jsonResponse(200, std::move(body), "application/fhir+json");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conformance_cli)

BOOST_AUTO_TEST_CASE(bad_arguments_cannot_run) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"run"},
           {"run", "--base-url", "ftp://gw"},
           {"run", "--base-url", "http://gw", "--max-wait", "soon"},
           {"run", "--base-url", "http://gw", "--access-token", "t"},
           {"run", "--base-url", "http://gw", "--only"},
           {"run", "--base-url", "http://gw", "--bogus"},
           {"list", "--suite", "desktop"}}) {
    Cli cli;
    BOOST_TEST(cli.run(args) == kExitCannotRun);
    BOOST_TEST(!cli.err.str().empty());
  }
}

BOOST_AUTO_TEST_CASE(unknown_only_ids_are_refused_before_anything_is_sent) {
  Cli cli;
  BOOST_TEST(cli.run({"run", "--base-url", "http://gw", "--only", "server.jwks", "server.nope"}) ==
             kExitCannotRun);
  BOOST_TEST(cli.err.str().find("No test has the id \"server.nope\".") != std::string::npos);
  BOOST_TEST(cli.fake.sent.empty());
}

BOOST_AUTO_TEST_CASE(an_unreachable_gateway_cannot_run) {
  Cli cli;
  cli.fake.unreachable("http://gw/");
  BOOST_TEST(cli.run({"run", "--base-url", "http://gw"}) == kExitCannotRun);
  BOOST_TEST(cli.err.str().find("cannot reach the gateway at http://gw") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_passing_run_exits_0_and_writes_reports) {
  Cli cli;
  cli.fake.on("GET", "http://gw/fhir/metadata", fhirJson(kMetadata));
  const auto dir =
      std::filesystem::temp_directory_path() / ("mes-cli-" + std::to_string(::getpid()));
  BOOST_TEST(cli.run({"run", "--base-url", "http://gw/", "--only", "server.capability-statement",
                      "--report-dir", dir.string()}) == kExitPass);
  BOOST_TEST(cli.out.str().find("PASS  server.capability-statement") != std::string::npos);
  BOOST_TEST(
      cli.out.str().find("1 tests: 1 passed, 0 failed, 0 errors, 0 skipped. Verdict: pass.") !=
      std::string::npos);
  BOOST_TEST(std::filesystem::exists(dir / kTestReportFile));
  BOOST_TEST(std::filesystem::exists(dir / kJUnitFile));
  BOOST_TEST(std::filesystem::exists(dir / kHtmlFile));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_failing_required_test_exits_1_with_what_was_expected) {
  Cli cli;
  std::string noAgenda = kMetadata;
  noAgenda.replace(noAgenda.find("Appointment"), 11, "Appointmentx");
  cli.fake.on("GET", "http://gw/fhir/metadata", fhirJson(noAgenda));
  BOOST_TEST(cli.run({"run", "--base-url", "http://gw", "--only", "server.capability-statement"}) ==
             kExitFailed);
  BOOST_TEST(cli.out.str().find("FAIL  server.capability-statement") != std::string::npos);
  BOOST_TEST(cli.out.str().find("Expected the resource Appointment; got it is not listed.") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(list_and_requirements_print_the_suites) {
  Cli cli;
  BOOST_TEST(cli.run({"list"}) == 0);
  BOOST_TEST(cli.out.str().find("server.jwks  required  ") != std::string::npos);
  Cli coverage;
  BOOST_TEST(coverage.run({"requirements", "--lang", "fr"}) == 0);
  BOOST_TEST(coverage.out.str().find("GW-DISC-04 [SPEC §0, §1]\n  Les clés publiques") !=
             std::string::npos);
  Cli client;
  BOOST_TEST(client.run({"requirements", "--suite", "client"}) == 0);
  BOOST_TEST(client.out.str().find("SEC-01 [Security]") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
