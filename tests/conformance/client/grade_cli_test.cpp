// `mes-conformance grade`, `sandbox` (its refusals: the sandbox itself runs in
// tests/e2e/sandbox_e2e_test.cpp), and `list` / `requirements` for the client suite.
#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/cli.h"
#include "conformance/client/recording_builder.h"
#include "conformance/report/report_files.h"
#include "fhir/profiles/test_report_profile.h"

using namespace mes;
using namespace mes::test;
using namespace mes::conformance;

namespace {

struct Run {
  ManualClock clock{kStartMs};
  std::ostringstream out;
  std::ostringstream err;

  int operator()(const std::vector<std::string>& args) {
    CliEnvironment env;
    env.makeClient = [](const http::ClientOptions&) -> std::unique_ptr<http::HttpClient> {
      return nullptr;  // neither grade nor a refused sandbox makes a request
    };
    env.clock = &clock;
    env.sleep = [this](int64_t ms) { clock.advance(ms); };
    env.out = &out;
    env.err = &err;
    env.stopRequested = [] { return true; };
    return runCli(args, env);
  }
};

struct ScratchDir {
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mes-grade-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

// Writes a recording as the sandbox would.
std::string saveSession(const client::Recording& recording, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  BOOST_REQUIRE(client::writeSessionInfo(dir, recording.info).isOk());
  auto writer = client::RecordingWriter::open(dir);
  BOOST_REQUIRE(writer.isOk());
  for (const client::RecordedExchange& e : recording.exchanges) {
    BOOST_REQUIRE((*writer)->append(e).isOk());
  }
  BOOST_REQUIRE((*writer)->close().isOk());
  return dir.string();
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(grade_cli)

BOOST_AUTO_TEST_CASE(a_well_behaved_session_grades_to_exit_0_with_the_three_reports) {
  ScratchDir dir;
  const std::string session = saveSession(record(Session{}), dir.path / "session");
  Run run;
  BOOST_TEST(run({"grade", "--session", session}) == kExitPass);
  BOOST_TEST(run.out.str().find("Grading ") == 0u);
  BOOST_TEST(run.out.str().find("PASS  client.retry-after") != std::string::npos);
  BOOST_TEST(run.out.str().find("17 tests: 17 passed") != std::string::npos);
  // Reports by default in <session>/report.
  const std::filesystem::path reports = dir.path / "session" / "report";
  for (const char* file : {kTestReportFile, kJUnitFile, kHtmlFile}) {
    BOOST_TEST(std::filesystem::exists(reports / file), file);
  }
  auto json = fhir::parseJson(slurp(reports / kTestReportFile));
  BOOST_REQUIRE(json.isOk());
  auto summary = fhir::validateTestReport(*json);
  BOOST_REQUIRE(summary.isOk());
  BOOST_TEST(summary->result == "pass");
  BOOST_TEST(summary->tests.size() == 17u);
  BOOST_TEST(
      (std::find(summary->participants.begin(), summary->participants.end(),
                 "client urn:mes-conformance:client:carnet") != summary->participants.end()));
  BOOST_TEST(summary->testScript == "urn:mes-conformance:test-plan|client");
}

BOOST_AUTO_TEST_CASE(a_flawed_session_exits_1_and_an_empty_one_3) {
  ScratchDir dir;
  Session flawed;
  flawed.countParam = "500";
  Run run;
  BOOST_TEST(run({"grade", "--session", saveSession(record(flawed), dir.path / "a"), "--report-dir",
                  (dir.path / "out").string()}) == kExitFailed);
  BOOST_TEST(run.out.str().find("FAIL  client.search-rules") != std::string::npos);
  BOOST_TEST(std::filesystem::exists(dir.path / "out" / kHtmlFile));

  RecordingBuilder empty;
  Run again;
  BOOST_TEST(again({"grade", "--session", saveSession(empty.recording(), dir.path / "b")}) ==
             kExitIncomplete);
  BOOST_TEST(again.out.str().find("17 skipped") != std::string::npos);

  Run one;
  BOOST_TEST(one({"grade", "--session", (dir.path / "a").string(), "--only", "client.pkce-s256"}) ==
             kExitPass);
  BOOST_TEST(one.out.str().find("1 tests: 1 passed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(grade_refuses_what_is_no_session) {
  ScratchDir dir;
  Run none;
  BOOST_TEST(none({"grade"}) == kExitCannotRun);
  BOOST_TEST(none.err.str().find("--session DIR is required") != std::string::npos);
  Run empty;
  BOOST_TEST(empty({"grade", "--session", dir.path.string()}) == kExitCannotRun);
  BOOST_TEST(empty.err.str().find("is no sandbox session") != std::string::npos);
  Run unknown;
  const std::string session = saveSession(record(Session{}), dir.path / "s");
  BOOST_TEST(unknown({"grade", "--session", session, "--only", "client.pkce"}) == kExitCannotRun);
  BOOST_TEST(unknown.err.str().find("Did you mean client.pkce-s256?") != std::string::npos,
             unknown.err.str());
}

BOOST_AUTO_TEST_CASE(sandbox_refuses_bad_arguments_before_starting_anything) {
  ScratchDir dir;
  const std::string fresh = (dir.path / "fresh").string();
  std::filesystem::create_directories(dir.path / "used");
  std::ofstream(dir.path / "used" / "session.json") << "{}";
  const std::vector<std::string> base = {"sandbox",
                                         "--session",
                                         fresh,
                                         "--client-id",
                                         "carnet",
                                         "--redirect-uri",
                                         "https://carnet.example/cb"};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  struct Case {
    std::vector<std::string> args;
    const char* said;
  };
  for (const Case& c : std::vector<Case>{
           {{"sandbox", "--client-id", "x", "--redirect-uri", "https://x/cb"}, "--session DIR"},
           {{"sandbox", "--session", fresh, "--redirect-uri", "https://x/cb"}, "--client-id"},
           {{"sandbox", "--session", fresh, "--client-id", "x"}, "--redirect-uri is required"},
           {with({"--client-type", "confidential"}), "needs --jwks FILE"},
           {with({"--jwks", "keys.json"}), "--jwks is for --client-type confidential"},
           {with({"--client-type", "native"}), "--client-type is public or confidential"},
           {with({"--accesses", "mesures.read,dossier.write"}), "\"dossier.write\" is no MES"},
           {with({"--port", "0"}), "--port takes a whole number from 1 to 65535"},
           {with({"--access-token-seconds", "5"}), "--access-token-seconds takes"},
           {with({"--retry-after", "soon"}), "--retry-after takes"},
           {with({"--public-url", "ftp://x"}), "--public-url is an http(s) URL"},
           {with({"--gateway", (dir.path / "nothing").string()}), "cannot run the gateway"},
           {{"sandbox", "--session", (dir.path / "used").string(), "--client-id", "x",
             "--redirect-uri", "https://x/cb", "--gateway", "/bin/true"},
            "is not empty"},
       }) {
    Run run;
    BOOST_TEST(run(c.args) == kExitCannotRun, c.said);
    BOOST_TEST(run.err.str().find(c.said) != std::string::npos, c.said << " — " << run.err.str());
  }
  BOOST_TEST(!std::filesystem::exists(fresh));  // nothing was created
}

BOOST_AUTO_TEST_CASE(list_and_requirements_show_the_client_plan) {
  Run list;
  BOOST_TEST(list({"list", "--suite", "client"}) == 0);
  BOOST_TEST(list.out.str().find("client.documents-valid  optional") != std::string::npos);
  BOOST_TEST(list.out.str().find("17 tests.") != std::string::npos);
  Run requirements;
  BOOST_TEST(requirements({"requirements", "--suite", "client"}) == 0);
  const std::string text = requirements.out.str();
  BOOST_TEST(text.find("SEC-01 [Security]") != std::string::npos);
  BOOST_TEST(text.find("  covered by client.pkce-s256\n  covered by client.state\n") !=
             std::string::npos);
  BOOST_TEST(text.find("is not in the suite") == std::string::npos);
  BOOST_TEST(text.find("17 of 17 testable requirements covered (41 requirements in all)") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
