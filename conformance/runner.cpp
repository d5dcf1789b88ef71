#include "conformance/runner.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "conformance/report/exchange_text.h"
#include "fhir/json/json.h"

namespace mes::conformance {

namespace {

Exchange exchangeOf(const http::ClientRequest& request) {
  Exchange e;
  e.method = request.method;
  e.url = request.url;
  e.requestHeaders = request.headers;
  e.requestBody = request.body;
  return e;
}

}  // namespace

TestScope::TestScope(const TestCase& test, const Clock& clock, http::HttpClient* client)
    : clock_(clock), client_(client) {
  result_.test = test;
  result_.startedMs = clock.nowMs();
}

Result<http::ClientResponse> TestScope::trySend(const http::ClientRequest& request) {
  Exchange e = exchangeOf(request);
  e.startedMs = clock_.nowMs();
  if (client_ == nullptr) {
    e.failure = "this suite makes no requests";
    record(std::move(e));
    return Error::make(ErrorKind::kInternal, "no-client", "This suite makes no requests.");
  }
  Result<http::ClientResponse> response = client_->send(request);
  e.durationMs = clock_.nowMs() - e.startedMs;
  if (!response) {
    e.failure = response.error().problems.empty() ? std::string("no response")
                                                  : response.error().problems.front().message;
  } else {
    e.status = response->status;
    e.reason = response->reason;
    e.responseHeaders = response->headers;
    e.responseBody = response->body;
  }
  record(std::move(e));
  return response;
}

http::ClientResponse TestScope::send(const http::ClientRequest& request) {
  Result<http::ClientResponse> response = trySend(request);
  if (!response) {
    const std::string why = response.error().problems.empty()
                                ? std::string("no response")
                                : response.error().problems.front().message;
    stop(Outcome::kError, ActionResult::kError,
         request.method + " " + request.url + " got no response: " + why);
  }
  return std::move(response).value();
}

size_t TestScope::record(Exchange exchange, std::string message) {
  Action action;
  action.kind = Action::Kind::kOperation;
  action.result = exchange.failure.empty() ? ActionResult::kPass
                  : cleaningUp_            ? ActionResult::kWarning
                                           : ActionResult::kError;
  action.message = message.empty() ? exchangeLine(exchange) : std::move(message);
  action.exchange = result_.exchanges.size();
  result_.exchanges.push_back(std::move(exchange));
  result_.actions.push_back(std::move(action));
  return result_.exchanges.size() - 1;
}

void TestScope::expect(bool ok, std::string_view expectation, std::string_view actual) {
  if (ok) {
    Action action;
    action.message = std::string(expectation);
    result_.actions.push_back(std::move(action));
    return;
  }
  std::string message = "Expected " + std::string(expectation) + "; got " + std::string(actual);
  if (message.back() != '.') message += '.';
  stop(Outcome::kFail, ActionResult::kFail, std::move(message));
}

void TestScope::fail(std::string message) {
  stop(Outcome::kFail, ActionResult::kFail, std::move(message));
}

void TestScope::skip(std::string reason) {
  stop(Outcome::kSkip, ActionResult::kSkip, std::move(reason));
}

void TestScope::error(std::string message) {
  stop(Outcome::kError, ActionResult::kError, std::move(message));
}

void TestScope::note(std::string message, bool warning) {
  Action action;
  action.result = warning ? ActionResult::kWarning : ActionResult::kPass;
  action.message = std::move(message);
  result_.actions.push_back(std::move(action));
}

void TestScope::atEnd(std::function<void()> cleanup) {
  cleanups_.push_back(std::move(cleanup));
}

void TestScope::stop(Outcome outcome, ActionResult result, std::string message) {
  Action action;
  action.result = cleaningUp_ ? ActionResult::kWarning : result;
  action.message = cleaningUp_ ? "Clean-up: " + message : message;
  result_.actions.push_back(std::move(action));
  if (!cleaningUp_ && !stoppedWith_) {
    stoppedWith_ = outcome;
    result_.message = std::move(message);
  }
  throw Stop{};
}

void TestScope::runCleanups() {
  cleaningUp_ = true;
  while (!cleanups_.empty()) {
    std::function<void()> cleanup = std::move(cleanups_.back());
    cleanups_.pop_back();
    try {
      cleanup();
    } catch (const Stop&) {
      // Recorded as a warning by stop().
    } catch (const std::exception& e) {
      note(std::string("Clean-up failed: ") + e.what(), true);
    }
  }
  cleaningUp_ = false;
}

TestResult TestScope::finish(std::optional<Outcome> thrownOutcome, std::string thrownMessage) {
  if (thrownOutcome && !stoppedWith_) {
    stoppedWith_ = thrownOutcome;
    result_.message = thrownMessage;
    Action action;
    action.result = ActionResult::kError;
    action.message = std::move(thrownMessage);
    result_.actions.push_back(std::move(action));
  }
  if (stoppedWith_) {
    result_.outcome = *stoppedWith_;
  } else {
    result_.outcome = Outcome::kPass;
    const auto checks =
        std::count_if(result_.actions.begin(), result_.actions.end(), [](const Action& a) {
          return a.kind == Action::Kind::kAssert && a.result == ActionResult::kPass;
        });
    if (checks == 0) {
      // A body that checked nothing has shown nothing: that is the harness's bug, not a pass.
      result_.outcome = Outcome::kError;
      result_.message = "The test made no check.";
      Action action;
      action.result = ActionResult::kError;
      action.message = result_.message;
      result_.actions.push_back(std::move(action));
    } else {
      result_.message =
          checks == 1 ? "1 check passed." : std::to_string(checks) + " checks passed.";
    }
  }
  result_.durationMs = clock_.nowMs() - result_.startedMs;
  return std::move(result_);
}

Result<std::vector<size_t>> selectTests(const std::vector<TestCase>& all,
                                        const std::vector<std::string>& only) {
  std::vector<size_t> chosen;
  if (only.empty()) {
    for (size_t i = 0; i < all.size(); ++i) chosen.push_back(i);
    return chosen;
  }
  Error unknown;
  unknown.kind = ErrorKind::kInvalid;
  for (const std::string& id : only) {
    if (std::any_of(all.begin(), all.end(), [&](const TestCase& t) { return t.id == id; }))
      continue;
    std::string message = "No test has the id \"" + id + "\".";
    std::vector<std::string> alike;
    const std::string stem =
        id.substr(0, std::min<size_t>(id.size(), id.find('-', id.find('.') + 1)));
    for (const TestCase& t : all) {
      if (!stem.empty() && t.id.rfind(stem, 0) == 0 && alike.size() < 5) alike.push_back(t.id);
    }
    if (!alike.empty()) {
      message += " Did you mean";
      for (size_t i = 0; i < alike.size(); ++i) message += (i == 0 ? " " : ", ") + alike[i];
      message += "?";
    }
    unknown.problems.push_back({"test-unknown", message, {}, "error", {}});
  }
  if (!unknown.problems.empty()) return unknown;
  for (size_t i = 0; i < all.size(); ++i) {
    if (std::find(only.begin(), only.end(), all[i].id) != only.end()) chosen.push_back(i);
  }
  return chosen;
}

std::vector<TestResult> runTests(const std::vector<const PlannedTest*>& tests, const Clock& clock,
                                 http::HttpClient* client,
                                 const std::function<void(const TestResult&)>& onResult) {
  std::vector<TestResult> results;
  for (const PlannedTest* planned : tests) {
    TestScope scope(planned->test, clock, client);
    std::optional<Outcome> thrown;
    std::string thrownMessage;
    try {
      planned->body(scope);
    } catch (const TestScope::Stop&) {
      // The scope recorded why.
    } catch (const std::exception& e) {
      thrown = Outcome::kError;
      thrownMessage = std::string("The test stopped on an unexpected error: ") + e.what();
    }
    scope.runCleanups();
    results.push_back(scope.finish(thrown, std::move(thrownMessage)));
    if (onResult) onResult(results.back());
  }
  return results;
}

std::string describeResponse(const http::ClientResponse& response) {
  std::string out = std::to_string(response.status);
  if (!response.reason.empty()) out += " " + response.reason;
  if (response.status >= 300 && response.status < 400 && response.headers.has("Location")) {
    return out + " to " + response.headers.get("Location");
  }
  if (response.status < 400 || response.body.empty()) return out;
  Result<fhir::Value> json = fhir::parseJson(response.body);
  if (json && json->isObject()) {
    const std::string* type = json->findString("resourceType");
    const fhir::Value* issues = json->find("issue");
    if (type != nullptr && *type == "OperationOutcome" && issues != nullptr && issues->isArray()) {
      std::string said;
      for (const fhir::Value& issue : issues->items()) {
        std::string code;
        if (const fhir::Value* details = issue.find("details")) {
          if (const fhir::Value* codings = details->find("coding"); codings && codings->isArray()) {
            for (const fhir::Value& c : codings->items()) {
              if (const std::string* s = c.findString("code")) code = *s;
            }
          }
        }
        const std::string* diagnostics = issue.findString("diagnostics");
        said += (said.empty() ? "" : "; ") + (code.empty() ? "" : "[" + code + "] ") +
                (diagnostics ? *diagnostics : std::string());
      }
      return out + ", OperationOutcome: " + said;
    }
    if (const std::string* error = json->findString("error")) {
      const std::string* description = json->findString("error_description");
      return out + ", error " + *error + (description ? " (" + *description + ")" : "");
    }
  }
  const std::string_view body(response.body);
  return out + ": " + printableText(body.substr(0, 200)) + (body.size() > 200 ? "…" : "");
}

}  // namespace mes::conformance
