// The conformance harness's model: tests as data, their results, and a run's report.
//
// A TestCase is what a test declares (id, title, description, the requirement ids it verifies,
// whether it is required); it is the same for the server suite (`mes-conformance run`, which
// plays an app against a gateway) and the client suite (`grade`, which judges an app from a
// recording of its traffic). A TestResult is what one execution found: an outcome, a plain
// message, the HTTP exchanges behind it and the actions (each exchange, each check) in the
// order they happened. Reports (conformance/report/) are written from a RunReport alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/message.h"

namespace mes::conformance {

// A test's outcome.
//   pass   every check held;
//   fail   a check did not: the gateway (or app) does not do what the requirement says;
//   skip   the test could not be carried out with the means given (no patient login for a
//          gateway that is not ours, a token lifetime longer than --max-wait...); the message
//          says which;
//   error  the test could not be completed for another reason (the connection broke, a
//          step it depends on failed, the harness's own data was refused by its validator).
enum class Outcome { kPass, kFail, kSkip, kError };
std::string_view outcomeName(Outcome outcome);  // "pass", "fail", "skip", "error"

struct TestCase {
  std::string id;                         // stable, "<suite>.<name>": "server.pkce-plain-refused"
  std::string title;                      // one line, plain words
  std::string description;                // what is checked and why an app relies on it
  std::vector<std::string> requirements;  // ids of the suite's requirement catalogue
  bool required = true;                   // a required test must pass for the run to pass
};

// One HTTP exchange, as sent and as received (nothing redacted here; see redaction.h).
struct Exchange {
  std::string method;
  std::string url;
  http::Headers requestHeaders;
  std::string requestBody;
  int status = 0;  // 0 when no response came (see failure)
  std::string reason;
  http::Headers responseHeaders;
  std::string responseBody;
  std::string failure;  // why no response came; empty when one did
  int64_t startedMs = 0;
  int64_t durationMs = 0;
};

// R4 report-action-result-codes.
enum class ActionResult { kPass, kSkip, kFail, kWarning, kError };
std::string_view actionResultName(ActionResult result);

// One step of a test: an operation (an HTTP exchange) or an assert (a check).
struct Action {
  enum class Kind { kOperation, kAssert };
  Kind kind = Kind::kAssert;
  ActionResult result = ActionResult::kPass;
  std::string message;
  std::optional<size_t> exchange;  // index into TestResult::exchanges (operations)
};

struct TestResult {
  TestCase test;
  Outcome outcome = Outcome::kPass;
  std::string message;  // why: the failed check, the skip reason, the error; a pass's summary
  std::vector<Action> actions;
  std::vector<Exchange> exchanges;
  int64_t startedMs = 0;
  int64_t durationMs = 0;
};

// FHIR TestReport.participant.
struct Participant {
  std::string type;  // test-engine | server | client
  std::string uri;
  std::string display;
};

struct RunReport {
  std::string suite;   // "server" or "client"
  std::string title;   // e.g. "Server test plan against http://127.0.0.1:8080"
  std::string tester;  // "mes-conformance 0.1.0"
  std::vector<Participant> participants;
  int64_t startedMs = 0;
  int64_t finishedMs = 0;
  std::vector<TestResult> results;  // in run order
};

// The verdict of a run.
//   pass        every required test passed;
//   fail        a required test failed or ended in error;
//   incomplete  no required test failed, but some were skipped: not shown to conform.
enum class Verdict { kPass, kFail, kIncomplete };
std::string_view verdictName(Verdict verdict);

struct RunSummary {
  size_t total = 0;
  size_t passed = 0;
  size_t failed = 0;
  size_t skipped = 0;
  size_t errors = 0;
  size_t requiredNotPassed = 0;  // required tests that failed, errored or were skipped
  Verdict verdict = Verdict::kPass;
  // 100 × passed / (total − skipped), nullopt when every test was skipped.
  std::optional<double> score;
};
RunSummary summarize(const RunReport& report);

// Exit statuses of `mes-conformance run` and `grade`.
inline constexpr int kExitPass = 0;        // every required test passed
inline constexpr int kExitFailed = 1;      // a required test failed or ended in error
inline constexpr int kExitCannotRun = 2;   // bad arguments, target unreachable, reports unwritable
inline constexpr int kExitIncomplete = 3;  // nothing failed, but required tests were skipped
int exitStatusFor(Verdict verdict);

}  // namespace mes::conformance
