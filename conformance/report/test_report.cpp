#include "conformance/report/test_report.h"

#include <cmath>

#include "conformance/redaction.h"
#include "conformance/report/exchange_text.h"
#include "fhir/profiles/test_report_profile.h"
#include "fhir/types/datetime.h"

namespace mes::conformance {

namespace {

using fhir::Value;

Value str(std::string_view s) {
  return Value::string(printableText(s));
}

Value extension(std::string_view url, std::string_view valueType, Value value) {
  Value e = Value::object();
  e.set("url", Value::string(std::string(url)));
  e.set(valueType, std::move(value));
  return e;
}

// A code fence longer than any run of backticks in the text.
std::string fence(const std::string& text) {
  size_t longest = 0;
  size_t run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

std::string exchangeMarkdown(const Exchange& exchange) {
  const Exchange shown = redact(exchange);
  const std::string text = exchangeText(shown);
  const std::string f = fence(text);
  return exchangeLine(shown) + "\n\n" + f + "http\n" + text + f + "\n";
}

Value actionOf(const TestResult& result, const Action& action) {
  ActionResult written = action.result;
  if (result.outcome == Outcome::kSkip && written == ActionResult::kPass) {
    written = ActionResult::kSkip;
  }
  Value detail = Value::object();
  detail.set("result", Value::string(std::string(actionResultName(written))));
  std::string message = action.message;
  if (action.kind == Action::Kind::kOperation && action.exchange &&
      *action.exchange < result.exchanges.size()) {
    message = exchangeMarkdown(result.exchanges[*action.exchange]);
  }
  if (!message.empty()) detail.set("message", str(message));
  Value out = Value::object();
  out.set(action.kind == Action::Kind::kOperation ? "operation" : "assert", std::move(detail));
  return out;
}

Value testOf(const TestResult& result) {
  Value test = Value::object();
  Value extensions = Value::array();
  for (const std::string& id : result.test.requirements) {
    extensions.push(extension(fhir::kVerifiesRequirementUrl, "valueCode", Value::string(id)));
  }
  extensions.push(
      extension(kTestRequiredUrl, "valueBoolean", Value::boolean(result.test.required)));
  extensions.push(extension(kTestOutcomeUrl, "valueCode",
                            Value::string(std::string(outcomeName(result.outcome)))));
  test.set("extension", std::move(extensions));
  test.set("name", str(result.test.id));
  std::string description = result.test.title;
  if (!result.test.description.empty()) description += " — " + result.test.description;
  description += "\n\nOutcome: " + std::string(outcomeName(result.outcome)) + ". " + result.message;
  test.set("description", str(description));
  Value actions = Value::array();
  for (const Action& action : result.actions) actions.push(actionOf(result, action));
  test.set("action", std::move(actions));
  return test;
}

}  // namespace

fhir::Value toTestReport(const RunReport& report) {
  const RunSummary summary = summarize(report);
  Value out = Value::object();
  out.set("resourceType", Value::string("TestReport"));
  out.set("name", str(report.title));
  out.set("status", Value::string("completed"));
  Value script = Value::object();
  Value identifier = Value::object();
  identifier.set("system", Value::string(std::string(kTestPlanSystem)));
  identifier.set("value", str(report.suite));
  script.set("identifier", std::move(identifier));
  script.set("display", str("mes-conformance " + report.suite + " test plan"));
  out.set("testScript", std::move(script));
  out.set("result", Value::string(summary.failed + summary.errors > 0 ? "fail" : "pass"));
  if (summary.score) {
    out.set("score", Value::number(std::round(*summary.score * 10.0) / 10.0));
  }
  out.set("tester", str(report.tester));
  out.set("issued", Value::string(fhir::formatInstant(report.finishedMs)));
  Value participants = Value::array();
  for (const Participant& p : report.participants) {
    Value participant = Value::object();
    participant.set("type", Value::string(p.type));
    participant.set("uri", str(p.uri));
    if (!p.display.empty()) participant.set("display", str(p.display));
    participants.push(std::move(participant));
  }
  out.set("participant", std::move(participants));
  Value tests = Value::array();
  for (const TestResult& r : report.results) tests.push(testOf(r));
  if (!tests.items().empty()) out.set("test", std::move(tests));
  return out;
}

}  // namespace mes::conformance
