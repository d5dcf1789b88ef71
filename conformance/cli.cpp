#include "conformance/cli.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>

#include "conformance/client/client_plan.h"
#include "conformance/client/sandbox.h"
#include "conformance/report/report_files.h"
#include "conformance/requirements.h"
#include "conformance/runner.h"
#include "conformance/server/server_plan.h"
#include "fhir/json/json.h"

#ifndef MES_VERSION
#define MES_VERSION "0.0.0"
#endif

namespace mes::conformance {

namespace {

constexpr const char* kUsage =
    "mes-conformance: the MES conformance harness (SPEC §6)\n"
    "\n"
    "  mes-conformance run --base-url URL [options]\n"
    "      Plays a reference app against the gateway at URL (its issuer; the FHIR base is\n"
    "      URL/fhir) and runs the server test plan.\n"
    "      --seed FILE            the JSON `mes-gateway seed-demo` prints (patient_id, login,\n"
    "                             password, other_patient, client_id, redirect_uri): the test\n"
    "                             patients and app, to drive the pairing through the portal\n"
    "      --outbox DIR           the gateway's outbox directory, where the one-time login\n"
    "                             codes arrive (<data-dir>/outbox)\n"
    "      --client-id ID, --redirect-uri URI   the app, when not in --seed\n"
    "      --access-token T [--refresh-token T] --patient-id ID\n"
    "                             someone else's gateway: a token of a paired app instead of\n"
    "                             driving the pairing (tests that must drive it are skipped)\n"
    "      --other-access-token T --other-patient-id ID\n"
    "                             the same for a second patient (other-patient tests)\n"
    "      --fhir-base URL        when the FHIR base is not URL/fhir\n"
    "      --only ID...           run only these tests (ids as `list` prints them)\n"
    "      --report-dir DIR       write testreport.json (FHIR TestReport), junit.xml and\n"
    "                             report.html there\n"
    "      --max-wait SECONDS     longest wait for a token to expire (default 60); a longer\n"
    "                             token lifetime skips the expired-token test\n"
    "      --timeout SECONDS      per request (default 30)\n"
    "      --insecure             https: do not verify the server certificate\n"
    "  mes-conformance sandbox --session DIR --client-id ID --redirect-uri URI... [options]\n"
    "      Serves a gateway for your app on --port (8090): two test patients, your app\n"
    "      registered, every exchange recorded in DIR (a new directory). Ctrl-C stops it.\n"
    "      --client-type public|confidential   (default public); confidential needs\n"
    "      --jwks FILE            the app's public JWK Set (private_key_jwt)\n"
    "      --accesses ID...       the MES access families it asks for (mesures.read,\n"
    "                             mesures.write, documents.read, documents.deposit,\n"
    "                             agenda.write, identity, offline; default every one)\n"
    "      --name NAME, --editor NAME, --editor-oid OID   how the consent page names it\n"
    "      --port P, --listen ADDR (127.0.0.1), --public-url URL (http://ADDR:P)\n"
    "      --access-token-seconds N   access token lifetime (default 60, 30 to 3600)\n"
    "      --refuse-token-at N    the N-th request with a token to /fhir gets 401 once\n"
    "                             (default 3; 0 never)\n"
    "      --unavailable-at N     the N-th write to /fhir gets 503 once (default 2; 0 never)\n"
    "      --retry-after SECONDS  that 503's Retry-After (default 3)\n"
    "      --keep-body-bytes N    larger bodies are recorded as size, SHA-256 and a prefix\n"
    "                             (default 2097152)\n"
    "      --gateway PATH         the mes-gateway binary (default: beside this program)\n"
    "  mes-conformance grade --session DIR [--report-dir DIR] [--only ID...]\n"
    "      Grades the recording of a sandbox session with the client test plan and writes\n"
    "      the reports (default --report-dir: DIR/report).\n"
    "  mes-conformance list [--suite server|client]\n"
    "      The tests: id, required or optional, title, requirement ids.\n"
    "  mes-conformance requirements [--suite server|client] [--lang en|fr]\n"
    "      Each requirement with the tests that verify it, and those no test covers.\n"
    "  mes-conformance --help | --version\n"
    "\n"
    "Exit status of run and grade: 0 every required test passed; 1 a required test failed or\n"
    "ended in error; 2 could not run (bad arguments, unknown test ids, gateway unreachable,\n"
    "no session, reports unwritable); 3 nothing failed, but required tests were skipped.\n"
    "Of sandbox: 0 stopped cleanly; 1 its gateway stopped by itself or the recording failed;\n"
    "2 could not start.\n";

class Args {
 public:
  explicit Args(const std::vector<std::string>& args) : args_(args) {}

  // Parses --name value pairs and flags; `multi` options take every following non-option word.
  bool parse(const std::vector<std::string>& valued, const std::vector<std::string>& flags,
             const std::vector<std::string>& multi, std::string& problem) {
    for (size_t i = 0; i < args_.size(); ++i) {
      const std::string& a = args_[i];
      const auto isOne = [&](const std::vector<std::string>& names) {
        return std::find(names.begin(), names.end(), a) != names.end();
      };
      if (isOne(flags)) {
        flags_[a] = true;
      } else if (isOne(valued)) {
        if (i + 1 >= args_.size() || args_[i + 1].rfind("--", 0) == 0) {
          problem = a + " needs a value.";
          return false;
        }
        if (values_.count(a) != 0) {
          problem = a + " is given twice.";
          return false;
        }
        values_[a] = args_[++i];
      } else if (isOne(multi)) {
        size_t taken = 0;
        while (i + 1 < args_.size() && args_[i + 1].rfind("--", 0) != 0) {
          std::stringstream words(args_[++i]);
          std::string word;
          while (std::getline(words, word, ',')) {
            if (!word.empty()) lists_[a].push_back(word);
          }
          ++taken;
        }
        if (taken == 0) {
          problem = a + " needs at least one value.";
          return false;
        }
      } else {
        problem = "Unknown argument \"" + a + "\".";
        return false;
      }
    }
    return true;
  }

  std::string value(const std::string& name, std::string fallback = {}) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  bool flag(const std::string& name) const { return flags_.count(name) != 0; }
  std::vector<std::string> list(const std::string& name) const {
    auto it = lists_.find(name);
    return it == lists_.end() ? std::vector<std::string>{} : it->second;
  }

 private:
  const std::vector<std::string>& args_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> flags_;
  std::map<std::string, std::vector<std::string>> lists_;
};

int usageError(CliEnvironment& env, const std::string& problem) {
  *env.err << "mes-conformance: " << problem << "\nSee mes-conformance --help.\n";
  return kExitCannotRun;
}

std::optional<int> positiveSeconds(const std::string& text) {
  if (text.empty() || text.size() > 6 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoi(text);
}

// The suites `list` and `requirements` know: their tests and their requirement catalogue.
struct SuiteView {
  std::vector<TestCase> tests;
  const RequirementCatalogue* catalogue = nullptr;
};

std::optional<SuiteView> suiteNamed(const std::string& name) {
  if (name == "server") return SuiteView{server::serverTestCases(), &gatewayRequirements()};
  if (name == "client") return SuiteView{client::clientTestCases(), &registryCriteria()};
  return std::nullopt;
}

int listCommand(const std::vector<std::string>& args, CliEnvironment& env) {
  Args parsed(args);
  std::string problem;
  if (!parsed.parse({"--suite"}, {}, {}, problem)) return usageError(env, problem);
  const std::optional<SuiteView> suite = suiteNamed(parsed.value("--suite", "server"));
  if (!suite) return usageError(env, "--suite is server or client.");
  for (const TestCase& t : suite->tests) {
    std::string requirements;
    for (const std::string& id : t.requirements)
      requirements += (requirements.empty() ? "" : " ") + id;
    *env.out << t.id << "  " << (t.required ? "required" : "optional") << "  " << t.title << "  ["
             << requirements << "]\n";
  }
  *env.out << suite->tests.size() << " tests.\n";
  return 0;
}

int requirementsCommand(const std::vector<std::string>& args, CliEnvironment& env) {
  Args parsed(args);
  std::string problem;
  if (!parsed.parse({"--suite", "--lang"}, {}, {}, problem)) return usageError(env, problem);
  const std::optional<SuiteView> suite = suiteNamed(parsed.value("--suite", "server"));
  if (!suite) return usageError(env, "--suite is server or client.");
  const std::string lang = parsed.value("--lang", "en");
  if (lang != "en" && lang != "fr") return usageError(env, "--lang is en or fr.");
  const Coverage coverage = computeCoverage(*suite->catalogue, suite->tests);
  *env.out << formatCoverage(*suite->catalogue, coverage, lang == "fr");
  return 0;
}

// Reads the seed-demo JSON into the target.
Status readSeed(const std::string& path, server::ServerTarget& target) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::make(ErrorKind::kInvalid, "seed-unreadable", "Cannot read --seed " + path + ".");
  }
  std::stringstream text;
  text << in.rdbuf();
  Result<fhir::Value> json = fhir::parseJson(text.str());
  if (!json || !json->isObject()) {
    return Error::make(
        ErrorKind::kInvalid, "seed-invalid",
        "--seed " + path + " is not the JSON object `mes-gateway seed-demo` prints.");
  }
  const auto str = [](const fhir::Value& v, std::string_view key) {
    const std::string* s = v.findString(key);
    return s != nullptr ? *s : std::string();
  };
  target.patient.id = str(*json, "patient_id");
  target.patient.login = str(*json, "login");
  target.patient.password = str(*json, "password");
  target.clientId = str(*json, "client_id");
  target.redirectUri = str(*json, "redirect_uri");
  if (const fhir::Value* other = json->find("other_patient"); other && other->isObject()) {
    target.other.id = str(*other, "patient_id");
    target.other.login = str(*other, "login");
    target.other.password = str(*other, "password");
  }
  if (target.patient.id.empty()) {
    return Error::make(ErrorKind::kInvalid, "seed-invalid",
                       "--seed " + path + " names no patient_id.");
  }
  return Status::ok();
}

const char* label(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "PASS ";
    case Outcome::kFail:
      return "FAIL ";
    case Outcome::kSkip:
      return "SKIP ";
    case Outcome::kError:
      return "ERROR";
  }
  return "";
}

// The tests of `plan` --only names (all without it); nullopt after saying which ids are unknown.
std::optional<std::vector<const PlannedTest*>> selectPlanned(const std::vector<PlannedTest>& plan,
                                                             const std::vector<std::string>& only,
                                                             const std::string& listCommand,
                                                             CliEnvironment& env) {
  std::vector<TestCase> cases;
  for (const PlannedTest& p : plan) cases.push_back(p.test);
  Result<std::vector<size_t>> chosen = selectTests(cases, only);
  if (!chosen) {
    for (const Problem& p : chosen.error().problems)
      *env.err << "mes-conformance: " << p.message << "\n";
    *env.err << "`" << listCommand << "` prints the test ids.\n";
    return std::nullopt;
  }
  std::vector<const PlannedTest*> out;
  for (size_t i : *chosen) out.push_back(&plan[i]);
  return out;
}

// Prints each result as it comes (run and grade alike).
void printResult(CliEnvironment& env, const TestResult& r) {
  *env.out << label(r.outcome) << " " << r.test.id << "  " << r.test.title << "\n";
  if (r.outcome != Outcome::kPass) *env.out << "       " << r.message << "\n";
  env.out->flush();
}

// The summary line, the reports when asked, and the exit status.
int finishRun(const RunReport& report, const RequirementCatalogue& catalogue,
              const std::string& reportDir, CliEnvironment& env) {
  const RunSummary s = summarize(report);
  *env.out << "\n"
           << s.total << " tests: " << s.passed << " passed, " << s.failed << " failed, "
           << s.errors << " errors, " << s.skipped
           << " skipped. Verdict: " << verdictName(s.verdict) << ".\n";
  if (!reportDir.empty()) {
    Status written = writeReports(report, &catalogue, reportDir);
    if (!written) {
      *env.err << "mes-conformance: " << written.error().problems.front().message << "\n";
      return kExitCannotRun;
    }
    *env.out << "Reports: " << (std::filesystem::path(reportDir) / kHtmlFile).string() << ", "
             << kTestReportFile << ", " << kJUnitFile << "\n";
  }
  return exitStatusFor(s.verdict);
}

Status createReportDir(const std::string& reportDir) {
  if (reportDir.empty()) return Status::ok();
  std::error_code ec;
  std::filesystem::create_directories(reportDir, ec);
  if (ec || !std::filesystem::is_directory(reportDir)) {
    return Error::make(ErrorKind::kInvalid, "report-dir",
                       "--report-dir " + reportDir + " cannot be created: " + ec.message());
  }
  return Status::ok();
}

int runCommand(const std::vector<std::string>& args, CliEnvironment& env) {
  Args parsed(args);
  std::string problem;
  if (!parsed.parse(
          {"--base-url", "--fhir-base", "--seed", "--outbox", "--client-id", "--redirect-uri",
           "--access-token", "--refresh-token", "--patient-id", "--other-access-token",
           "--other-patient-id", "--report-dir", "--max-wait", "--timeout"},
          {"--insecure"}, {"--only"}, problem)) {
    return usageError(env, problem);
  }
  server::ServerTarget target;
  target.baseUrl = parsed.value("--base-url");
  if (target.baseUrl.rfind("http://", 0) != 0 && target.baseUrl.rfind("https://", 0) != 0) {
    return usageError(env, "--base-url is required: the gateway's http(s) base URL.");
  }
  target.fhirBase = parsed.value("--fhir-base");
  if (parsed.has("--seed")) {
    Status seeded = readSeed(parsed.value("--seed"), target);
    if (!seeded) return usageError(env, seeded.error().problems.front().message);
  }
  target.outboxDir = parsed.value("--outbox");
  if (parsed.has("--client-id")) target.clientId = parsed.value("--client-id");
  if (parsed.has("--redirect-uri")) target.redirectUri = parsed.value("--redirect-uri");
  if (parsed.has("--patient-id")) target.patient.id = parsed.value("--patient-id");
  target.patient.accessToken = parsed.value("--access-token");
  target.patient.refreshToken = parsed.value("--refresh-token");
  if (parsed.has("--other-patient-id")) target.other.id = parsed.value("--other-patient-id");
  target.other.accessToken = parsed.value("--other-access-token");
  if (!target.patient.accessToken.empty() && target.patient.id.empty()) {
    return usageError(env, "--access-token needs --patient-id (the patient the token is for).");
  }
  if (!target.other.accessToken.empty() && target.other.id.empty()) {
    return usageError(env, "--other-access-token needs --other-patient-id.");
  }
  if (!target.outboxDir.empty() && !std::filesystem::is_directory(target.outboxDir)) {
    return usageError(env, "--outbox " + target.outboxDir + " is not a directory.");
  }
  const std::optional<int> maxWait = positiveSeconds(parsed.value("--max-wait", "60"));
  if (!maxWait) return usageError(env, "--max-wait takes a whole number of seconds.");
  target.maxWaitSeconds = *maxWait;
  const std::optional<int> timeout = positiveSeconds(parsed.value("--timeout", "30"));
  if (!timeout || *timeout == 0)
    return usageError(env, "--timeout takes a whole number of seconds, at least 1.");

  server::ServerContext context(target, *env.clock, env.sleep);
  const std::vector<PlannedTest> plan = server::serverPlan(context);
  std::optional<std::vector<const PlannedTest*>> selected =
      selectPlanned(plan, parsed.list("--only"), "mes-conformance list", env);
  if (!selected) return kExitCannotRun;
  const std::string reportDir = parsed.value("--report-dir");
  if (Status made = createReportDir(reportDir); !made) {
    return usageError(env, made.error().problems.front().message);
  }

  http::ClientOptions options;
  options.timeout = std::chrono::seconds(*timeout);
  options.verifyTls = !parsed.flag("--insecure");
  std::unique_ptr<http::HttpClient> client = env.makeClient(options);
  // Can the gateway be reached at all? Any answer will do; none is "could not run".
  Result<http::ClientResponse> probe = client->send({"GET", context.fhirUrl("/metadata"), {}, {}});
  if (!probe) {
    *env.err << "mes-conformance: cannot reach the gateway at " << context.target().baseUrl << ": "
             << probe.error().problems.front().message << "\n";
    return kExitCannotRun;
  }

  RunReport report;
  report.suite = "server";
  report.title = "MES gateway server test plan against " + context.target().baseUrl;
  report.tester = std::string("mes-conformance ") + toolVersion();
  report.participants = {{"test-engine", "urn:mes-conformance:" + std::string(toolVersion()),
                          "mes-conformance (reference app)"},
                         {"server", context.target().fhirBase, "the gateway under test"}};
  report.startedMs = env.clock->nowMs();
  *env.out << "Running " << selected->size() << " tests against " << context.target().baseUrl
           << "\n";
  report.results = runTests(*selected, *env.clock, client.get(),
                            [&](const TestResult& r) { printResult(env, r); });
  report.finishedMs = env.clock->nowMs();
  return finishRun(report, gatewayRequirements(), reportDir, env);
}

std::optional<int> wholeNumber(const std::string& text, int low, int high) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int n = std::stoi(text);
  if (n < low || n > high) return std::nullopt;
  return n;
}

int sandboxCommand(const std::vector<std::string>& args, CliEnvironment& env) {
  Args parsed(args);
  std::string problem;
  if (!parsed.parse({"--session", "--port", "--listen", "--public-url", "--client-id",
                     "--client-type", "--jwks", "--name", "--editor", "--editor-oid",
                     "--access-token-seconds", "--refuse-token-at", "--unavailable-at",
                     "--retry-after", "--keep-body-bytes", "--gateway"},
                    {}, {"--redirect-uri", "--accesses"}, problem)) {
    return usageError(env, problem);
  }
  client::SandboxSettings s;
  s.sessionDir = parsed.value("--session");
  if (s.sessionDir.empty()) return usageError(env, "--session DIR is required: a new directory.");
  s.clientId = parsed.value("--client-id");
  if (s.clientId.empty()) return usageError(env, "--client-id is required: your app's client id.");
  s.redirectUris = parsed.list("--redirect-uri");
  if (s.redirectUris.empty()) {
    return usageError(env, "--redirect-uri is required: the URI(s) your app receives codes at.");
  }
  const std::string type = parsed.value("--client-type", "public");
  if (type == "public") {
    s.clientType = "public";
  } else if (type == "confidential" || type == "confidential-asymmetric") {
    s.clientType = "confidential-asymmetric";
    s.jwksFile = parsed.value("--jwks");
    if (s.jwksFile.empty()) {
      return usageError(env, "--client-type confidential needs --jwks FILE (the public JWK Set).");
    }
  } else {
    return usageError(env, "--client-type is public or confidential.");
  }
  if (parsed.has("--jwks") && s.clientType == "public") {
    return usageError(env, "--jwks is for --client-type confidential.");
  }
  s.listen = parsed.value("--listen", s.listen);
  s.publicUrl = parsed.value("--public-url");
  if (!s.publicUrl.empty() && s.publicUrl.rfind("http://", 0) != 0 &&
      s.publicUrl.rfind("https://", 0) != 0) {
    return usageError(env, "--public-url is an http(s) URL.");
  }
  if (parsed.has("--name")) s.name = parsed.value("--name");
  if (parsed.has("--editor")) s.editor = parsed.value("--editor");
  if (parsed.has("--editor-oid")) s.editorOid = parsed.value("--editor-oid");
  s.accesses = parsed.list("--accesses");
  if (Result<std::string> scopes = client::scopesOfAccesses(s.accesses); !scopes) {
    return usageError(env, scopes.error().problems.front().message);
  }
  s.gatewayBinary = parsed.value("--gateway");
  struct Bounded {
    const char* flag;
    int* target;
    int low;
    int high;
  };
  int keep = static_cast<int>(s.keepBodyBytes);
  for (const Bounded& b : {Bounded{"--port", &s.port, 1, 65535},
                           Bounded{"--access-token-seconds", &s.accessTokenSeconds, 30, 3600},
                           Bounded{"--refuse-token-at", &s.faults.refuseTokenAt, 0, 1000000},
                           Bounded{"--unavailable-at", &s.faults.unavailableAt, 0, 1000000},
                           Bounded{"--retry-after", &s.faults.retryAfterSeconds, 1, 3600},
                           Bounded{"--keep-body-bytes", &keep, 0, 64 << 20}}) {
    if (!parsed.has(b.flag)) continue;
    const std::optional<int> n = wholeNumber(parsed.value(b.flag), b.low, b.high);
    if (!n) {
      return usageError(env, std::string(b.flag) + " takes a whole number from " +
                                 std::to_string(b.low) + " to " + std::to_string(b.high) + ".");
    }
    *b.target = *n;
  }
  s.keepBodyBytes = static_cast<size_t>(keep);
  return client::runSandbox(s, env);
}

int gradeCommand(const std::vector<std::string>& args, CliEnvironment& env) {
  Args parsed(args);
  std::string problem;
  if (!parsed.parse({"--session", "--report-dir"}, {}, {"--only"}, problem)) {
    return usageError(env, problem);
  }
  const std::string session = parsed.value("--session");
  if (session.empty()) return usageError(env, "--session DIR is required: a sandbox session.");
  Result<client::Recording> recording = client::readRecording(session);
  if (!recording) {
    for (const Problem& p : recording.error().problems) {
      *env.err << "mes-conformance: " << p.message << "\n";
    }
    return kExitCannotRun;
  }
  const std::string reportDir =
      parsed.value("--report-dir", (std::filesystem::path(session) / "report").string());
  if (Status made = createReportDir(reportDir); !made) {
    return usageError(env, made.error().problems.front().message);
  }
  const client::Traffic traffic(std::move(recording).value());
  const std::vector<PlannedTest> plan = client::clientPlan(traffic);
  std::optional<std::vector<const PlannedTest*>> selected =
      selectPlanned(plan, parsed.list("--only"), "mes-conformance list --suite client", env);
  if (!selected) return kExitCannotRun;
  const client::SessionInfo& info = traffic.info();
  RunReport report;
  report.suite = "client";
  report.title = "Client test plan: " + info.clientName + " (" + info.clientId +
                 "), sandbox session of " + info.publicUrl;
  report.tester = std::string("mes-conformance ") + toolVersion();
  report.participants = {
      {"test-engine", "urn:mes-conformance:" + std::string(toolVersion()),
       "mes-conformance grade (sandbox recording)"},
      {"client", "urn:mes-conformance:client:" + http::percentEncode(info.clientId),
       info.clientName + " (" + info.clientId + ")"},
      {"server", info.fhirBase, "the sandbox gateway"}};
  report.startedMs = info.startedMs;
  report.finishedMs = info.stoppedMs.value_or(env.clock->nowMs());
  *env.out << "Grading " << traffic.all().size() << " recorded exchanges of " << info.clientName
           << " (" << info.clientId << ")\n";
  for (const std::string& warning : traffic.warnings()) *env.out << "Note: " << warning << "\n";
  report.results =
      runTests(*selected, *env.clock, nullptr, [&](const TestResult& r) { printResult(env, r); });
  return finishRun(report, registryCriteria(), reportDir, env);
}

}  // namespace

const char* toolVersion() {
  return MES_VERSION;
}

int runCli(const std::vector<std::string>& args, CliEnvironment& env) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    *(args.empty() ? env.err : env.out) << kUsage;
    return args.empty() ? kExitCannotRun : 0;
  }
  if (args[0] == "--version") {
    *env.out << "mes-conformance " << toolVersion() << "\n";
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const std::string& a : rest) {
    if (a == "--help" || a == "-h") {
      *env.out << kUsage;
      return 0;
    }
  }
  if (args[0] == "run") return runCommand(rest, env);
  if (args[0] == "sandbox") return sandboxCommand(rest, env);
  if (args[0] == "grade") return gradeCommand(rest, env);
  if (args[0] == "list") return listCommand(rest, env);
  if (args[0] == "requirements") return requirementsCommand(rest, env);
  return usageError(env, "unknown command \"" + args[0] + "\".");
}

}  // namespace mes::conformance
