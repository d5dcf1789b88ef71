// libFuzzer target: a registry request body through parseJson, then validateTestReport
// (fhir/profiles/test_report_profile.h) as an uploaded conformance report, and the registry's
// body readers (gateway/registry/registry_json.h) as each API body.
//
// Checked on every parsed input:
//  - a refused report is kInvalid or kUnprocessable with at least one problem, each with a
//    code, a message and a FHIRPath expression rooted at TestReport;
//  - an accepted report keeps the header's promises: status and result are R4 codes, the score
//    is empty or a number from 0 to 100, one summary per test with an outcome pass, fail or
//    skip and requirement ids without repeats, every test failed when the setup failed, no
//    failed test in a report whose result is pass;
//  - a reader refuses only with kInvalid (400) and problems with a code and a message, or
//    kUnprocessable (422) for the decision's outcome; what it accepts is read again the same.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "fhir/profiles/test_report_profile.h"
#include "fuzz/fuzz_check.h"
#include "gateway/registry/registry_json.h"

namespace {

using mes::ErrorKind;
using mes::fhir::Value;
using mes::fuzz::describe;

std::string report(std::string_view body) {
  return "body: " + mes::fuzz::printable(body);
}

void checkReport(const Value& value, std::string_view body) {
  auto summary = mes::fhir::validateTestReport(value);
  if (!summary) {
    const mes::Error& e = summary.error();
    const auto where = [&] { return describe(e) + "\n" + report(body); };
    MES_FUZZ_CHECK(e.kind == ErrorKind::kInvalid || e.kind == ErrorKind::kUnprocessable, where());
    MES_FUZZ_CHECK(!e.problems.empty(), where());
    for (const mes::Problem& p : e.problems) {
      MES_FUZZ_CHECK(!p.code.empty() && !p.message.empty(), where());
      MES_FUZZ_CHECK(p.expression.rfind("TestReport", 0) == 0, where());
    }
    return;
  }
  const auto& s = *summary;
  const auto where = [&] { return report(body); };
  const std::set<std::string> statuses = {"completed", "in-progress", "waiting", "stopped",
                                          "entered-in-error"};
  MES_FUZZ_CHECK(statuses.count(s.status) == 1, where());
  MES_FUZZ_CHECK(s.result == "pass" || s.result == "fail" || s.result == "pending", where());
  if (!s.score.empty()) {
    const double score = std::stod(s.score);
    MES_FUZZ_CHECK(score >= 0 && score <= 100, where());
  }
  const Value* tests = value.find("test");
  MES_FUZZ_CHECK(s.tests.size() == (tests != nullptr ? tests->items().size() : 0), where());
  for (const auto& t : s.tests) {
    MES_FUZZ_CHECK(t.outcome == "pass" || t.outcome == "fail" || t.outcome == "skip", where());
    MES_FUZZ_CHECK(!s.setupFailed || t.outcome == "fail", where());
    MES_FUZZ_CHECK(s.result != "pass" || t.outcome != "fail", where());
    std::set<std::string> unique(t.requirements.begin(), t.requirements.end());
    MES_FUZZ_CHECK(unique.size() == t.requirements.size(), where());
  }
}

template <typename Read>
void checkReader(Read&& read, const Value& value, std::string_view body, bool may422) {
  auto first = read(value);
  if (!first) {
    const mes::Error& e = first.error();
    const auto where = [&] { return describe(e) + "\n" + report(body); };
    MES_FUZZ_CHECK(e.kind == ErrorKind::kInvalid || (may422 && e.kind == ErrorKind::kUnprocessable),
                   where());
    MES_FUZZ_CHECK(!e.problems.empty(), where());
    for (const mes::Problem& p : e.problems) {
      MES_FUZZ_CHECK(!p.code.empty() && !p.message.empty(), where());
    }
    return;
  }
  MES_FUZZ_CHECK(read(value).isOk(), report(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  mes::fhir::ParseLimits limits;
  limits.maxDepth = 32;
  auto parsed = mes::fhir::parseJson(body, limits);
  if (!parsed) return 0;
  namespace r = mes::gateway::registry;
  checkReport(*parsed, body);
  checkReader(r::draftFromJson, *parsed, body, false);
  checkReader(r::decisionFromJson, *parsed, body, true);
  checkReader([](const Value& v) { return r::markFromJson(v, "SEC-01"); }, *parsed, body, false);
  checkReader(r::organisationFromJson, *parsed, body, false);
  checkReader(r::accountFromJson, *parsed, body, false);
  checkReader(r::reasonFromJson, *parsed, body, false);
  return 0;
}
