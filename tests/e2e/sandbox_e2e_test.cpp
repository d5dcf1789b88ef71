// End to end: `mes-conformance sandbox` with a scripted app (tests/e2e/sample_app.h) talking to
// it, then `mes-conformance grade` on the recording (issue #6 point 3). The well-behaved app
// passes every test of the client plan, and its TestReport is accepted by the registry's
// evidence upload of a running gateway, which then shows the criteria it verifies as evidenced;
// each misbehaving app fails exactly the tests its habit breaks.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/harness_reports.h"
#include "e2e/sample_app.h"
#include "fhir/json/json.h"
#include "fhir/profiles/test_report_profile.h"
#include "integration/oauth_fixture.h"
#include "integration/support/gateway_process.h"
#include "integration/support/registry.h"

using namespace mes;
using namespace mes::itest;
using mes::e2e::Misbehaviour;
using mes::e2e::slurp;
using mes::e2e::withOutcome;
namespace bdata = boost::unit_test::data;

namespace {

constexpr const char* kConformanceBinary = MES_CONFORMANCE_BIN;
constexpr const char* kClientId = "carnet-tensio";
constexpr const char* kRedirectUri = "http://127.0.0.1:8765/callback";


// `mes-conformance sandbox` as an editor runs it, its output in <dir>/sandbox.out.
class Sandbox {
 public:
  explicit Sandbox(const std::filesystem::path& dir) : dir_(dir), out_(dir / "sandbox.out") {
    port_ = pickFreePort();
    const std::vector<std::string> args = {kConformanceBinary,
                                           "sandbox",
                                           "--session",
                                           session().string(),
                                           "--port",
                                           std::to_string(port_),
                                           "--client-id",
                                           kClientId,
                                           "--redirect-uri",
                                           kRedirectUri,
                                           "--name",
                                           "Carnet Tensio",
                                           "--access-token-seconds",
                                           "30",
                                           "--retry-after",
                                           "1"};
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int fd = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(kConformanceBinary, argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (output().find("MES sandbox ready") == std::string::npos) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        BOOST_FAIL("the sandbox exited before it was ready:\n" << output());
      }
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                            "the sandbox is not ready after 90 s:\n"
                                << output());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Sandbox() {
    if (pid_ > 0) stop();
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  std::filesystem::path session() const { return dir_ / "session"; }
  uint16_t port() const { return port_; }
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string output() const { return slurp(out_); }

  // What the sandbox printed about Patient/demo: its login and password.
  std::pair<std::string, std::string> demoPatient() const {
    std::smatch m;
    const std::string text = output();
    static const std::regex kLine("Patient/demo  login (\\S+)  password (\\S+)");
    BOOST_REQUIRE_MESSAGE(std::regex_search(text, m, kLine), "no test patient printed:\n" << text);
    return {m[1], m[2]};
  }

  // The n-th one-time code the sandbox printed for Patient/demo, waiting for it.
  std::string loginCode(int nth) const {
    static const std::regex kCode("One-time login code for Patient/demo \\([^)]*\\): (\\d{6})");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string text = output();
      int seen = 0;
      for (auto it = std::sregex_iterator(text.begin(), text.end(), kCode);
           it != std::sregex_iterator(); ++it) {
        if (++seen == nth) return (*it)[1];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("the sandbox printed no login code #" + std::to_string(nth));
  }

  // SIGTERM, as Ctrl-C would; the exit status.
  int stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }

 private:
  std::filesystem::path dir_;
  std::filesystem::path out_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

struct Graded : e2e::TestOutcomes {
  int exitStatus = -1;
  std::string output;
  std::string testReportText;
  fhir::Value testReport;
};

Graded grade(const Sandbox& sandbox, const std::filesystem::path& reports) {
  const std::string command = std::string(kConformanceBinary) + " grade --session '" +
                              sandbox.session().string() + "' --report-dir '" + reports.string() +
                              "' > '" + reports.string() + ".out' 2>&1";
  Graded g;
  const int status = std::system(command.c_str());
  g.exitStatus = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  g.output = slurp(reports.string() + ".out");
  BOOST_TEST_MESSAGE("mes-conformance grade (exit " << g.exitStatus << "):\n" << g.output);
  g.testReportText = slurp(reports / "testreport.json");
  auto json = fhir::parseJson(g.testReportText);
  BOOST_REQUIRE_MESSAGE(json.isOk(), "testreport.json is not JSON; output:\n" << g.output);
  g.testReport = std::move(json).value();
  static_cast<e2e::TestOutcomes&>(g) = e2e::outcomesOf(g.testReport);
  return g;
}


std::string joined(const std::set<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += id + " ";
  return out;
}

// Runs the app against a fresh sandbox, stops it (exit 0), grades the recording.
Graded sessionOf(Misbehaviour misbehaviour, const TempDir& dir,
                 std::string* sandboxOutput = nullptr) {
  Sandbox sandbox(dir.path());
  const auto [login, password] = sandbox.demoPatient();
  e2e::SampleAppSettings app;
  app.port = sandbox.port();
  app.baseUrl = sandbox.baseUrl();
  app.clientId = kClientId;
  app.redirectUri = kRedirectUri;
  app.login = login;
  app.password = password;
  app.loginCode = [&sandbox](int nth) { return sandbox.loginCode(nth); };
  app.misbehaviour = misbehaviour;
  std::string stopped;
  try {
    e2e::runSampleApp(app);
  } catch (const std::exception& e) {
    stopped = e.what();
  }
  if (misbehaviour == Misbehaviour::kNoPkce) {  // its pairing is refused: its whole session
    BOOST_TEST(stopped.find("the pairing was refused: invalid_request") != std::string::npos,
               stopped);
  } else {
    BOOST_TEST(stopped.empty(), "the app stopped: " << stopped);
  }
  BOOST_TEST(sandbox.stop() == 0);
  const std::string out = sandbox.output();
  BOOST_TEST_MESSAGE("sandbox output:\n" << out);
  BOOST_TEST(out.find("Recorded ") != std::string::npos);
  if (sandboxOutput != nullptr) *sandboxOutput = out;
  return grade(sandbox, dir.path() / "reports");
}

struct Misbehaving {
  Misbehaviour app;
  std::set<std::string> failing;  // exactly these tests fail
  const char* mentioned;          // and the first one's message names the habit with this text
};
std::ostream& operator<<(std::ostream& os, const Misbehaving& m) {
  return os << m.app;
}

const Misbehaving kMisbehaving[] = {
    {Misbehaviour::kNoPkce, {"client.pkce-s256"}, "no code_challenge"},
    {Misbehaviour::kInvalidMeasures, {"client.measures-valid"}, "[unit-mismatch]"},
    {Misbehaviour::kPageSize500, {"client.search-rules"}, "_count=500"},
    {Misbehaviour::kTokenInQuery, {"client.no-token-in-url"}, "parameter access_token"},
    {Misbehaviour::kRepairing, {"client.refresh-rotation"}, "paired Patient/demo again"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_e2e)

BOOST_AUTO_TEST_CASE(a_well_behaved_app_passes_every_test_and_its_report_evidences_criteria) {
  TempDir dir("mes-sandbox-e2e");
  std::string sandboxOutput;
  const Graded g = sessionOf(Misbehaviour::kNone, dir, &sandboxOutput);
  // What the editor saw: the URLs, the patients, the code as it was sent, the faults.
  BOOST_TEST(sandboxOutput.find("/fhir/.well-known/smart-configuration") != std::string::npos);
  BOOST_TEST(sandboxOutput.find("One-time login code for Patient/demo") != std::string::npos);
  BOOST_TEST(sandboxOutput.find("the sandbox answered 401 itself") != std::string::npos);
  BOOST_TEST(sandboxOutput.find("the sandbox answered 503 itself") != std::string::npos);

  BOOST_TEST(g.exitStatus == 0);
  BOOST_TEST(g.outcomes.size() == 17u);
  BOOST_TEST(withOutcome(g, {"fail", "error", "skip"}).empty(),
             "not passed: " << joined(withOutcome(g, {"fail", "error", "skip"})));
  for (const auto& [id, message] : g.failures) BOOST_TEST_MESSAGE(id << ": " << message);
  auto summary = fhir::validateTestReport(g.testReport);
  BOOST_REQUIRE_MESSAGE(summary.isOk(), "the TestReport does not pass the registry's check");
  BOOST_TEST(summary->result == "pass");
  BOOST_TEST(summary->score == "100");
  BOOST_TEST((std::find(summary->participants.begin(), summary->participants.end(),
                        std::string("client urn:mes-conformance:client:") + kClientId) !=
              summary->participants.end()));
  // Tokens and passwords never reach the reports.
  static const std::regex kJwt("eyJ[A-Za-z0-9_-]+\\.eyJ");
  const std::string html = slurp(dir.path() / "reports" / "report.html");
  for (const std::string& text :
       {g.testReportText, html, slurp(dir.path() / "reports" / "junit.xml")}) {
    BOOST_TEST(!std::regex_search(text, kJwt));
  }
  BOOST_TEST(html.find("Conforme") != std::string::npos);

  // The report goes to the registry of a running gateway as the service's evidence.
  GatewayProcess gw;
  seedDemoData(gw.dataDir());
  oauthtest::CliResult made = oauthtest::runCli(
      gw.dataDir(), "account add --login admin@ans.example --role admin", kRegistryPassword);
  BOOST_REQUIRE_MESSAGE(made.status == 0, made.out);
  const RegistryUser admin = registryLogin(gw, "admin@ans.example");
  HttpResponse org =
      registryCall(gw, admin, "POST", "/organisations",
                   R"({"legal_name":"Tensio SAS","siret":"732 829 320 00074",)"
                   R"("editor_oid":"urn:oid:1.2.250.1.999.42","contact":"r@t.example"})");
  BOOST_REQUIRE_MESSAGE(org.status == 201, org.body);
  const std::string orgId = *fhir::parseJson(org.body)->findString("organisation_id");
  for (const auto& [login, role] : {std::pair{"editeur@tensio.example", "editor"},
                                    std::pair{"evaluatrice@ans.example", "evaluator"}}) {
    HttpResponse account =
        registryCall(gw, admin, "POST", "/accounts",
                     std::string(R"({"login":")") + login + R"(","role":")" + role +
                         R"(","organisation_id":")" + (std::string(role) == "editor" ? orgId : "") +
                         R"(","password":")" + kRegistryPassword + R"("})");
    BOOST_REQUIRE_MESSAGE(account.status == 201, account.body);
  }
  const RegistryUser editor = registryLogin(gw, "editeur@tensio.example");
  HttpResponse service = registryCall(
      gw, editor, "POST", "/services",
      R"({"name":"Carnet Tensio","description":"Carnet de tension artérielle relié au tensiomètre.",)"
      R"("category":"measures","website":"https://tensio.example","contact":"dpo@tensio.example",)"
      R"("client_type":"public","redirect_uris":["https://tensio.example/callback"],)"
      R"("requested_accesses":["mesures.read","mesures.write","documents.deposit","agenda.write","offline"]})");
  BOOST_REQUIRE_MESSAGE(service.status == 201, service.body);
  const std::string id = *fhir::parseJson(service.body)->findString("client_id");
  HttpResponse uploaded =
      registryCall(gw, editor, "POST", "/services/" + id + "/evidence", g.testReportText);
  BOOST_REQUIRE_MESSAGE(uploaded.status == 201, uploaded.body);

  std::set<std::string> verified;  // every criterion the report's (passed) tests name
  for (const fhir::TestReportTest& t : summary->tests) {
    verified.insert(t.requirements.begin(), t.requirements.end());
  }
  BOOST_TEST(verified.size() == 17u);
  auto checklist =
      fhir::parseJson(registryCall(gw, editor, "GET", "/services/" + id + "/evaluation").body);
  BOOST_REQUIRE(checklist);
  size_t evidenced = 0;
  for (const fhir::Value& c : checklist->find("criteria")->items()) {
    const std::string criterion = *c.findString("id");
    const bool shown = c.find("evidenced_by_passed_test")->asBool();
    BOOST_TEST(shown == (verified.count(criterion) != 0), criterion);
    evidenced += shown ? 1 : 0;
  }
  BOOST_TEST(evidenced == verified.size());
  // The evaluator's checklist page says so, test by test.
  BOOST_TEST(registryCall(gw, editor, "POST", "/services/" + id + "/submit",
                          R"({"reason":"Rapport du bac à sable joint"})")
                 .status == 200);
  const RegistryUser evaluator = registryLogin(gw, "evaluatrice@ans.example");
  BOOST_TEST(
      registryCall(gw, evaluator, "POST", "/services/" + id + "/start-evaluation", "").status ==
      200);
  HttpResponse page =
      gw.client().get("/registry/services/" + id + "/evaluation", evaluator.browser.headers());
  BOOST_TEST(page.status == 200);
  for (const char* test : {"client.pkce-s256", "client.measures-valid", "client.retry-after"}) {
    BOOST_TEST(page.body.find(std::string("✓ Vérifié par le test ") + test) != std::string::npos,
               test);
  }
}

BOOST_DATA_TEST_CASE(a_misbehaving_app_fails_exactly_its_tests, bdata::make(kMisbehaving), m) {
  TempDir dir("mes-sandbox-e2e");
  const Graded g = sessionOf(m.app, dir);
  BOOST_TEST(g.exitStatus == 1);
  BOOST_TEST(withOutcome(g, {"fail", "error"}) == m.failing,
             "failed: " << joined(withOutcome(g, {"fail", "error"})));
  for (const std::string& id : m.failing) {
    const auto it = g.failures.find(id);
    BOOST_REQUIRE(it != g.failures.end());
    BOOST_TEST(it->second.find(m.mentioned) != std::string::npos, id << ": " << it->second);
  }
  auto summary = fhir::validateTestReport(g.testReport);
  BOOST_REQUIRE(summary);
  BOOST_TEST(summary->result == "fail");
}

BOOST_AUTO_TEST_SUITE_END()
