#include "conformance/test_model.h"

namespace mes::conformance {

std::string_view outcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kFail:
      return "fail";
    case Outcome::kSkip:
      return "skip";
    case Outcome::kError:
      return "error";
  }
  return "error";
}

std::string_view actionResultName(ActionResult result) {
  switch (result) {
    case ActionResult::kPass:
      return "pass";
    case ActionResult::kSkip:
      return "skip";
    case ActionResult::kFail:
      return "fail";
    case ActionResult::kWarning:
      return "warning";
    case ActionResult::kError:
      return "error";
  }
  return "error";
}

std::string_view verdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kIncomplete:
      return "incomplete";
  }
  return "fail";
}

RunSummary summarize(const RunReport& report) {
  RunSummary s;
  bool requiredFailed = false;
  bool requiredSkipped = false;
  for (const TestResult& r : report.results) {
    ++s.total;
    switch (r.outcome) {
      case Outcome::kPass:
        ++s.passed;
        break;
      case Outcome::kFail:
        ++s.failed;
        break;
      case Outcome::kSkip:
        ++s.skipped;
        break;
      case Outcome::kError:
        ++s.errors;
        break;
    }
    if (r.test.required && r.outcome != Outcome::kPass) {
      ++s.requiredNotPassed;
      if (r.outcome == Outcome::kSkip) {
        requiredSkipped = true;
      } else {
        requiredFailed = true;
      }
    }
  }
  s.verdict = requiredFailed    ? Verdict::kFail
              : requiredSkipped ? Verdict::kIncomplete
                                : Verdict::kPass;
  const size_t run = s.total - s.skipped;
  if (run > 0) s.score = 100.0 * static_cast<double>(s.passed) / static_cast<double>(run);
  return s;
}

int exitStatusFor(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return kExitPass;
    case Verdict::kFail:
      return kExitFailed;
    case Verdict::kIncomplete:
      return kExitIncomplete;
  }
  return kExitFailed;
}

}  // namespace mes::conformance
