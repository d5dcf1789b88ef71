// End to end: `mes-conformance run` against the freshly built gateway (every test must pass,
// and its three reports must be readable), and against the same gateway behind
// mes-defect-proxy with one planted defect each (exactly the tests that should fail fail, and
// their messages name the defect). This is the project's end-to-end test (issue #6 points 5, 6).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "fhir/json/json.h"
#include "e2e/harness_reports.h"
#include "fhir/profiles/test_report_profile.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"
#include "integration/support/pairing.h"

using namespace mes;
using namespace mes::itest;
using mes::e2e::outcomesOf;
using mes::e2e::slurp;
using mes::e2e::withOutcome;
namespace bdata = boost::unit_test::data;

namespace {

constexpr const char* kConformanceBinary = MES_CONFORMANCE_BIN;
constexpr const char* kProxyBinary = MES_DEFECT_PROXY_BIN;


int exitStatusOf(int waitStatus) {
  return WIFEXITED(waitStatus) ? WEXITSTATUS(waitStatus) : 128;
}

// Writes what `mes-gateway seed-demo` prints (the test patients and app) to <dir>/seed.json.
std::string writeSeed(const GatewayProcess& gw) {
  const std::string path = gw.dataDir() + "/seed.json";
  const std::string command = std::string(kGatewayBinary) + " seed-demo --data-dir '" +
                              gw.dataDir() + "' --log-level warn > '" + path + "' 2>/dev/null";
  BOOST_REQUIRE_EQUAL(std::system(command.c_str()), 0);
  return path;
}

struct HarnessRun : e2e::TestOutcomes {
  int exitStatus = -1;
  std::string output;
  fhir::Value testReport;
};

// `arguments` after `run --base-url <baseUrl>`; the reports go to reportDir.
HarnessRun runHarnessWith(const std::string& baseUrl, const std::string& arguments,
                          const std::string& reportDir) {
  const std::string command = std::string(kConformanceBinary) + " run --base-url " + baseUrl + " " +
                              arguments + " --report-dir '" + reportDir + "' > '" + reportDir +
                              ".out' 2>&1";
  HarnessRun run;
  run.exitStatus = exitStatusOf(std::system(command.c_str()));
  run.output = slurp(reportDir + ".out");
  BOOST_TEST_MESSAGE("mes-conformance run (exit " << run.exitStatus << "):\n" << run.output);
  auto json = fhir::parseJson(slurp(reportDir + "/testreport.json"));
  BOOST_REQUIRE_MESSAGE(json.isOk(), "testreport.json is not JSON; output:\n" << run.output);
  run.testReport = std::move(json).value();
  static_cast<e2e::TestOutcomes&>(run) = outcomesOf(run.testReport);
  return run;
}

HarnessRun runHarness(const std::string& baseUrl, const GatewayProcess& gw, const std::string& seed,
                      const std::string& reportDir, int maxWait) {
  return runHarnessWith(baseUrl,
                        "--seed '" + seed + "' --outbox '" + gw.dataDir() + "/outbox' --max-wait " +
                            std::to_string(maxWait),
                        reportDir);
}


int xmllint(const std::string& args) {
  return exitStatusOf(std::system(("xmllint --noout " + args + " 2>&1").c_str()));
}

// mes-defect-proxy on `port` in front of `upstream`, stopped (SIGTERM) with the object.
class DefectProxy {
 public:
  DefectProxy(uint16_t port, const std::string& upstream, const std::string& defect,
              const std::string& log) {
    const std::string portText = std::to_string(port);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(kProxyBinary, kProxyBinary, "--port", portText.c_str(), "--upstream",
              upstream.c_str(), "--defect", defect.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    HttpClient client("127.0.0.1", port);
    client.setTimeoutMs(2000);
    for (int attempt = 0; attempt < 200; ++attempt) {
      try {
        if (client.get("/healthz").status == 200) return;
      } catch (const std::exception&) {
        // Not listening yet.
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_FAIL("mes-defect-proxy did not answer on port " << port << ": " << slurp(log));
  }
  ~DefectProxy() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  DefectProxy(const DefectProxy&) = delete;
  DefectProxy& operator=(const DefectProxy&) = delete;

 private:
  pid_t pid_ = -1;
};

struct PlantedDefect {
  const char* defect;
  std::set<std::string> failing;  // exactly these tests fail
  const char* mentioned;          // and their message names the defect with this text
};
std::ostream& operator<<(std::ostream& os, const PlantedDefect& d) {
  return os << d.defect;
}

const PlantedDefect kDefects[] = {
    {"plain-pkce", {"server.pkce-plain-refused"}, "code_challenge_method=plain"},
    {"pounds", {"server.measure-weight-pounds-refused"}, "a weight in pounds"},
    {"leak", {"server.other-patient-read"}, "leaked another patient's measure"},
    {"ignore-if-match", {"server.measure-update-if-match-stale"}, "ignored If-Match"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(conformance_e2e)

BOOST_AUTO_TEST_CASE(our_gateway_passes_every_test_and_the_reports_are_readable) {
  GatewayOptions options;
  options.extraArgs = {"--oauth-access-token-seconds",
                       "30"};  // the expired-token test waits for it
  GatewayProcess gw(options);
  const std::string seed = writeSeed(gw);
  const std::string reports = gw.dataDir() + "/reports";
  const HarnessRun run = runHarness(gw.baseUrl(), gw, seed, reports, 45);
  BOOST_TEST(run.exitStatus == 0);
  BOOST_TEST(run.outcomes.size() >= 60u);
  BOOST_TEST(
      withOutcome(run, {"fail", "error", "skip"}).empty(), "not passed: " << [&] {
        std::string s;
        for (const std::string& id : withOutcome(run, {"fail", "error", "skip"})) s += id + " ";
        return s;
      }());
  for (const auto& [id, message] : run.failures) BOOST_TEST_MESSAGE(id << ": " << message);

  auto summary = fhir::validateTestReport(run.testReport);
  BOOST_REQUIRE_MESSAGE(summary.isOk(), "the TestReport does not pass the registry's check");
  BOOST_TEST(summary->result == "pass");
  BOOST_TEST(summary->score == "100");
  BOOST_TEST(summary->tests.size() == run.outcomes.size());
  const std::string report = slurp(reports + "/testreport.json");
  const std::string junit = slurp(reports + "/junit.xml");
  const std::string html = slurp(reports + "/report.html");
  auto seedJson = fhir::parseJson(slurp(seed));
  BOOST_REQUIRE(seedJson);
  static const std::regex kJwt("eyJ[A-Za-z0-9_-]+\\.eyJ");  // a token's header and claims
  for (const std::string& text : {report, junit, html}) {
    // Secrets never reach a report: the patients' passwords, tokens.
    BOOST_TEST(text.find(*seedJson->findString("password")) == std::string::npos);
    BOOST_TEST(!std::regex_search(text, kJwt));
    BOOST_TEST(text.find("[redacted]") != std::string::npos);
  }
  BOOST_TEST(xmllint("'" + reports + "/junit.xml'") == 0);
  BOOST_TEST(xmllint("'" + reports + "/report.html'") == 0);  // well-formed as XML too
  BOOST_TEST(junit.find("tests=\"" + std::to_string(run.outcomes.size()) +
                        "\" failures=\"0\" errors=\"0\" skipped=\"0\"") != std::string::npos);
  BOOST_TEST(html.find("Conforme") != std::string::npos);
  for (const auto& [id, outcome] : run.outcomes) BOOST_TEST(html.find(id) != std::string::npos, id);
}

BOOST_DATA_TEST_CASE(a_planted_defect_fails_exactly_its_tests, bdata::make(kDefects), d) {
  const uint16_t proxyPort = pickFreePort();
  const std::string publicUrl = "http://127.0.0.1:" + std::to_string(proxyPort);
  GatewayOptions options;
  options.extraArgs = {"--public-url", publicUrl};
  GatewayProcess gw(options);
  const std::string seed = writeSeed(gw);
  DefectProxy proxy(proxyPort, gw.baseUrl(), d.defect, gw.dataDir() + "/proxy.log");
  // --max-wait 0: the expired-token test is skipped (tokens live 10 minutes here).
  const HarnessRun run = runHarness(publicUrl, gw, seed, gw.dataDir() + "/reports", 0);
  BOOST_TEST(run.exitStatus == 1);
  BOOST_TEST(withOutcome(run, {"fail", "error"}) == d.failing);
  BOOST_TEST((withOutcome(run, {"skip"}) == std::set<std::string>{"server.token-expired"}));
  for (const std::string& id : d.failing) {
    const auto it = run.failures.find(id);
    BOOST_REQUIRE(it != run.failures.end());
    BOOST_TEST(it->second.find(d.mentioned) != std::string::npos, id << ": " << it->second);
  }
  auto summary = fhir::validateTestReport(run.testReport);
  BOOST_REQUIRE(summary);
  BOOST_TEST(summary->result == "fail");
}

BOOST_AUTO_TEST_CASE(
    with_tokens_only_the_tests_that_drive_pairing_are_skipped_and_the_run_is_incomplete) {
  // Someone else's gateway: no patient login, no outbox; the app's tokens are given instead.
  GatewayProcess gw;
  const DemoSeed seed = seedDemoData(gw.dataDir());
  const PairingResult patient = pairDemo(gw, seed, seed.scope);
  const PairingResult other = pairDemo(gw, seed.asOtherPatient(), seed.scope);
  const HarnessRun run = runHarnessWith(
      gw.baseUrl(),
      "--client-id " + seed.clientId + " --redirect-uri " + seed.redirectUri + " --patient-id " +
          seed.patientId + " --access-token " + patient.accessToken + " --refresh-token " +
          patient.refreshToken + " --other-patient-id " + seed.otherPatientId +
          " --other-access-token " + other.accessToken + " --max-wait 0",
      gw.dataDir() + "/reports");
  BOOST_TEST(run.exitStatus == 3);  // nothing failed, required tests were skipped
  BOOST_TEST(withOutcome(run, {"fail", "error"}).empty());
  const std::set<std::string> skipped = {"server.pairing-authorization-code",
                                         "server.pairing-id-token",
                                         "server.pairing-consent-partial",
                                         "server.pairing-consent-denied",
                                         "server.pkce-verifier-wrong",
                                         "server.pkce-verifier-missing",
                                         "server.code-replay",
                                         "server.redirect-uri-token-mismatch",
                                         "server.refresh-rotation",
                                         "server.scope-narrowed-by-refresh",
                                         "server.token-expired",
                                         "server.refresh-reuse-detected",
                                         "server.revocation"};
  BOOST_TEST(withOutcome(run, {"skip"}) == skipped);
  // The authorization requests need only the client: they ran.
  BOOST_TEST(run.outcomes.at("server.pkce-plain-refused") == "pass");
  BOOST_TEST(
      run.output.find(
          "Driving the pairing needs the test patient's portal login and password (--seed) and "
          "the gateway's outbox directory for the one-time code (--outbox), which were not "
          "given.") != std::string::npos);
  auto summary = fhir::validateTestReport(run.testReport);
  BOOST_REQUIRE(summary);
  BOOST_TEST(summary->result == "pass");  // R4 has no "incomplete": nothing failed
  for (const fhir::TestReportTest& t : summary->tests) {
    BOOST_TEST(t.outcome == (skipped.count(t.name) != 0 ? "skip" : "pass"), t.name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
