#include "conformance/report/junit.h"

#include <cstdio>

#include "conformance/redaction.h"
#include "conformance/report/exchange_text.h"
#include "core/markup.h"
#include "fhir/types/datetime.h"

namespace mes::conformance {

namespace {

std::string seconds(int64_t ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", static_cast<double>(ms) / 1000.0);
  return buffer;
}

std::string property(std::string_view name, std::string_view value) {
  return "<property name=\"" + xmlEscape(name) + "\" value=\"" + xmlEscape(value) + "\"/>";
}

std::string transcript(const TestResult& r) {
  std::string out;
  for (const Action& action : r.actions) {
    if (action.kind == Action::Kind::kOperation && action.exchange) {
      out += "--- " + exchangeText(redact(r.exchanges[*action.exchange])) + "\n";
    } else {
      out += "[" + std::string(actionResultName(action.result)) + "] " + action.message + "\n";
    }
  }
  return out;
}

}  // namespace

std::string xmlEscape(std::string_view text) {
  return escapeMarkup(printableText(text));
}

std::string toJUnitXml(const RunReport& report) {
  const RunSummary s = summarize(report);
  const std::string counts = " tests=\"" + std::to_string(s.total) + "\" failures=\"" +
                             std::to_string(s.failed) + "\" errors=\"" + std::to_string(s.errors) +
                             "\" skipped=\"" + std::to_string(s.skipped) + "\" time=\"" +
                             seconds(report.finishedMs - report.startedMs) + "\"";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"mes-conformance\"" + counts + ">\n";
  out += "  <testsuite name=\"" + xmlEscape(report.suite) + "\"" + counts + " timestamp=\"" +
         fhir::formatInstant(report.startedMs) + "\">\n";
  out += "    <properties>\n";
  out += "      " + property("title", report.title) + "\n";
  out += "      " + property("tester", report.tester) + "\n";
  for (const Participant& p : report.participants) {
    out += "      " + property(p.type, p.uri) + "\n";
  }
  out += "      " + property("verdict", verdictName(s.verdict)) + "\n";
  out += "    </properties>\n";
  for (const TestResult& r : report.results) {
    out += "    <testcase classname=\"" + xmlEscape(report.suite) + "\" name=\"" +
           xmlEscape(r.test.id) + "\" time=\"" + seconds(r.durationMs) + "\">\n";
    out += "      <properties>\n";
    out += "        " + property("title", r.test.title) + "\n";
    out += "        " + property("required", r.test.required ? "true" : "false") + "\n";
    for (const std::string& id : r.test.requirements) {
      out += "        " + property("requirement", id) + "\n";
    }
    out += "      </properties>\n";
    switch (r.outcome) {
      case Outcome::kPass:
        break;
      case Outcome::kFail:
        out += "      <failure message=\"" + xmlEscape(r.message) + "\" type=\"fail\">" +
               xmlEscape(r.message) + "</failure>\n";
        break;
      case Outcome::kError:
        out += "      <error message=\"" + xmlEscape(r.message) + "\" type=\"error\">" +
               xmlEscape(r.message) + "</error>\n";
        break;
      case Outcome::kSkip:
        out += "      <skipped message=\"" + xmlEscape(r.message) + "\"/>\n";
        break;
    }
    out += "      <system-out>" + xmlEscape(transcript(r)) + "</system-out>\n";
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace mes::conformance
