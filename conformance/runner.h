// Running tests: the scope a test body works in, the selection of `--only`, and the loop that
// runs a plan in order.
//
// A test body is a function of a TestScope. It sends HTTP requests through the scope (each
// exchange is recorded as an operation) and states what it expects (each expectation is an
// assert). The first expectation that does not hold ends the test as failed; skip() and
// error() end it as skipped or in error. Ending a test early unwinds the body with an internal
// exception that runTests() catches: it never leaves the runner. Anything else a body throws
// ends the test in error with its message.
//
//   void pkcePlainRefused(TestScope& t) {
//     http::ClientResponse r = t.send({"GET", authorizeUrl});
//     t.expect(r.status == 302, "302, a redirect back to the app with an error",
//              describeStatus(r));
//   }
//
// Clean-up: atEnd(f) registers f to run when the body ends, however it ends, latest first.
// Its exchanges are recorded too; a clean-up whose request fails or whose expectation does not
// hold is recorded as a warning and does not change the outcome.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/test_model.h"
#include "core/clock.h"
#include "core/status.h"
#include "gateway/http/http_client.h"

namespace mes::conformance {

class TestScope {
 public:
  // `client` may be null for suites that only judge recorded exchanges (then send() ends the
  // test in error).
  TestScope(const TestCase& test, const Clock& clock, http::HttpClient* client);
  TestScope(const TestScope&) = delete;
  TestScope& operator=(const TestScope&) = delete;

  const TestCase& test() const { return result_.test; }
  const Clock& clock() const { return clock_; }

  // Sends the request and records the exchange. A request that gets no response ends the test
  // in error, naming the request and the failure.
  http::ClientResponse send(const http::ClientRequest& request);
  // The same, but a missing response is returned instead of ending the test.
  Result<http::ClientResponse> trySend(const http::ClientRequest& request);
  // Records an exchange made elsewhere (a recording, a fixture); returns its index.
  size_t record(Exchange exchange, std::string message = {});

  // An assert: passes with `expectation` as its message, or ends the test as failed with
  // "Expected <expectation>; got <actual>."
  void expect(bool ok, std::string_view expectation, std::string_view actual);
  // Ends the test as failed with this message (already phrased in full).
  [[noreturn]] void fail(std::string message);
  // Ends the test as skipped: `reason` says what was missing to carry it out.
  [[noreturn]] void skip(std::string reason);
  // Ends the test in error.
  [[noreturn]] void error(std::string message);
  // A remark in the report that changes no outcome: a passed assert, or a warning when
  // `warning` (something an app should know that the contract does not forbid).
  void note(std::string message, bool warning = false);

  void atEnd(std::function<void()> cleanup);

  // What the run loop uses; test bodies do not call these.
  struct Stop {};  // thrown to end a body early; caught by runTests()
  void runCleanups();
  TestResult finish(std::optional<Outcome> thrownOutcome, std::string thrownMessage);

 private:
  [[noreturn]] void stop(Outcome outcome, ActionResult action, std::string message);

  TestResult result_;
  const Clock& clock_;
  http::HttpClient* client_;
  std::vector<std::function<void()>> cleanups_;
  bool cleaningUp_ = false;
  std::optional<Outcome> stoppedWith_;
};

// The body of a test of a suite that runs live.
using TestBody = std::function<void(TestScope&)>;
struct PlannedTest {
  TestCase test;
  TestBody body;
};

// The tests of `all` that `only` names, in the order of `all` (the run order does not depend
// on the order of --only); every test when `only` is empty. kInvalid "test-unknown" naming
// every id that is no test of the suite (and, for each, the ids that start alike).
Result<std::vector<size_t>> selectTests(const std::vector<TestCase>& all,
                                        const std::vector<std::string>& only);

// Runs the tests in order and returns their results. `onResult` (optional) hears each result
// as soon as it is known (progress lines).
std::vector<TestResult> runTests(const std::vector<const PlannedTest*>& tests, const Clock& clock,
                                 http::HttpClient* client,
                                 const std::function<void(const TestResult&)>& onResult = {});

// "201 Created" and, for an error answer, what it says: the OperationOutcome's codes and
// diagnostics, the OAuth error and its description, or the start of the body.
std::string describeResponse(const http::ClientResponse& response);

}  // namespace mes::conformance
