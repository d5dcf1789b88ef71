#include "fhir/profiles/test_report_profile.h"

#include <algorithm>
#include <span>
#include <string_view>

#include "fhir/profiles/domain_resource.h"
#include "fhir/types/datatypes.h"
#include "fhir/validation/issues.h"

namespace mes::fhir {
namespace {

// R4 TestReport (4.0.1) and its backbone elements.
// clang-format off
constexpr std::string_view kReportElements[] = {
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
    "modifierExtension", "identifier", "name", "status", "testScript", "result", "score",
    "tester", "issued", "participant", "setup", "test", "teardown"};
// clang-format on
constexpr std::string_view kParticipantElements[] = {"id",   "extension", "modifierExtension",
                                                     "type", "uri",       "display"};
constexpr std::string_view kPhaseElements[] = {"id", "extension", "modifierExtension", "action"};
constexpr std::string_view kTestElements[] = {"id",   "extension",   "modifierExtension",
                                              "name", "description", "action"};
constexpr std::string_view kActionElements[] = {"id", "extension", "modifierExtension", "operation",
                                                "assert"};
constexpr std::string_view kTeardownActionElements[] = {"id", "extension", "modifierExtension",
                                                        "operation"};
constexpr std::string_view kResultElements[] = {"id",     "extension", "modifierExtension",
                                                "result", "message",   "detail"};

constexpr std::string_view kStatuses[] = {"completed", "in-progress", "waiting", "stopped",
                                          "entered-in-error"};
constexpr std::string_view kResults[] = {"pass", "fail", "pending"};
constexpr std::string_view kParticipantTypes[] = {"test-engine", "client", "server"};
constexpr std::string_view kActionResults[] = {"pass", "skip", "fail", "warning", "error"};

// What the actions of one phase (setup, one test, teardown) came to.
struct ActionTally {
  bool anyPass = false;
  bool anyFailure = false;     // fail or error
  std::string firstFailureAt;  // FHIRPath of the first failing result
};

// The members every backbone element shares: element names, id, extension, no modifiers.
bool readBackbone(const Value& item, const Path& at, std::string_view what,
                  std::span<const std::string_view> known, Issues& issues) {
  if (!checkObject(item, at, what, known, issues)) return false;
  if (const Value* v = item.find("id")) readString(*v, at.member("id"), issues);
  if (const Value* v = item.find("extension")) readExtensions(*v, at.member("extension"), issues);
  if (item.find("modifierExtension") != nullptr) {
    issues.notAllowed(at.member("modifierExtension"),
                      "the gateway does not accept modifier extensions");
  }
  return true;
}

// An operation or assert result: {result, message, detail}.
void readResult(const Value& value, const Path& at, Issues& issues, ActionTally& tally) {
  if (!readBackbone(value, at, "an object", kResultElements, issues)) return;
  if (const Value* v = value.find("message")) readString(*v, at.member("message"), issues);
  if (const Value* v = value.find("detail")) readUri(*v, at.member("detail"), issues);
  const Value* result = value.find("result");
  if (result == nullptr) {
    issues.missing(at.member("result"), "(pass, skip, fail, warning or error)");
    return;
  }
  std::optional<std::string> code =
      readCodeFrom(*result, at.member("result"), issues, kActionResults);
  if (!code) return;
  if (*code == "pass") tally.anyPass = true;
  if ((*code == "fail" || *code == "error") && !tally.anyFailure) {
    tally.anyFailure = true;
    tally.firstFailureAt = at.member("result").str();
  }
}

// The action list of a phase. `teardown`: operations only.
ActionTally readActions(const Value& phase, const Path& at, Issues& issues, bool teardown) {
  ActionTally tally;
  const Value* actions = phase.find("action");
  if (actions == nullptr) {
    issues.missing(at.member("action"), "(at least one action)");
    return tally;
  }
  forEachItem(*actions, at.member("action"), issues, [&](const Value& item, const Path& p) {
    const auto known = teardown ? std::span<const std::string_view>(kTeardownActionElements)
                                : std::span<const std::string_view>(kActionElements);
    if (!readBackbone(item, p, "an action object", known, issues)) return;
    const Value* operation = item.find("operation");
    const Value* assertion = teardown ? nullptr : item.find("assert");
    if (operation != nullptr) readResult(*operation, p.member("operation"), issues, tally);
    if (assertion != nullptr) readResult(*assertion, p.member("assert"), issues, tally);
    if (teardown && operation == nullptr) {
      issues.missing(p.member("operation"), "in every teardown action");
    } else if (!teardown && (operation == nullptr) == (assertion == nullptr)) {
      issues.error("action-invalid",
                   p.str() +
                       " must hold either an operation or an assert, not both and not "
                       "neither (R4 inv-1, inv-2).",
                   p, IssueType::kInvariant);
    }
  });
  return tally;
}

std::string referenceText(const Reference& ref) {
  if (ref.reference) return *ref.reference;
  if (ref.identifier && ref.identifier->value) {
    return ref.identifier->system.value_or("") + "|" + *ref.identifier->value;
  }
  return ref.display.value_or("");
}

}  // namespace

Result<TestReportSummary> validateTestReport(const Value& report) {
  Issues issues;
  if (!checkResourceType(report, "TestReport", issues)) return issues.toError();
  const Path root("TestReport");
  issues.checkElements(report, root, kReportElements);
  checkDomainResource(report, root, issues);
  TestReportSummary out;

  if (const Value* v = report.find("identifier"))
    readIdentifier(*v, root.member("identifier"), issues);
  if (const Value* v = report.find("name"))
    out.name = readString(*v, root.member("name"), issues).value_or("");
  if (const Value* v = report.find("status")) {
    out.status = readCodeFrom(*v, root.member("status"), issues, kStatuses).value_or("");
  } else {
    issues.missing(root.member("status"),
                   "(completed, in-progress, waiting, stopped or entered-in-error)");
  }
  if (const Value* v = report.find("testScript")) {
    if (std::optional<Reference> ref = readReference(*v, root.member("testScript"), issues)) {
      if (!ref->reference && !ref->identifier) {
        issues.missing(root.member("testScript").member("reference"),
                       "(or an identifier): the report must name the test script it ran");
      }
      out.testScript = referenceText(*ref);
    }
  } else {
    issues.missing(root.member("testScript"), "(the TestScript the report ran)");
  }
  if (const Value* v = report.find("result")) {
    out.result = readCodeFrom(*v, root.member("result"), issues, kResults).value_or("");
  } else {
    issues.missing(root.member("result"), "(pass, fail or pending)");
  }
  if (const Value* v = report.find("score")) {
    if (std::optional<Decimal> score = readDecimal(*v, root.member("score"), issues)) {
      out.score = score->text;
      if (score->value < 0 || score->value > 100) {
        issues.error("score-out-of-range",
                     "TestReport.score is a percentage between 0 and 100; got " + score->text + ".",
                     root.member("score"), IssueType::kValue);
      }
    }
  }
  if (const Value* v = report.find("tester"))
    out.tester = readString(*v, root.member("tester"), issues).value_or("");
  if (const Value* v = report.find("issued")) {
    if (readDateTime(*v, root.member("issued"), issues)) out.issued = v->text();
  }
  if (const Value* v = report.find("participant")) {
    forEachItem(*v, root.member("participant"), issues, [&](const Value& item, const Path& p) {
      if (!readBackbone(item, p, "a participant object", kParticipantElements, issues)) return;
      std::string type;
      std::string uri;
      if (const Value* t = item.find("type")) {
        type = readCodeFrom(*t, p.member("type"), issues, kParticipantTypes).value_or("");
      } else {
        issues.missing(p.member("type"), "(test-engine, client or server)");
      }
      if (const Value* u = item.find("uri")) {
        uri = readUri(*u, p.member("uri"), issues).value_or("");
      } else {
        issues.missing(p.member("uri"), "in every participant");
      }
      if (const Value* d = item.find("display")) readString(*d, p.member("display"), issues);
      if (!type.empty() && !uri.empty()) out.participants.push_back(type + " " + uri);
    });
  }

  // The actions, then what the report claims against what they say.
  std::string firstFailureAt;
  if (const Value* setup = report.find("setup")) {
    const Path at = root.member("setup");
    if (readBackbone(*setup, at, "an object", kPhaseElements, issues)) {
      ActionTally tally = readActions(*setup, at, issues, false);
      out.setupFailed = tally.anyFailure;
      firstFailureAt = tally.firstFailureAt;
    }
  }
  if (const Value* tests = report.find("test")) {
    forEachItem(*tests, root.member("test"), issues, [&](const Value& item, const Path& p) {
      if (!readBackbone(item, p, "a test object", kTestElements, issues)) return;
      TestReportTest test;
      test.expression = p.str();
      test.name = p.str().substr(std::string_view("TestReport.").size());
      if (const Value* n = item.find("name")) {
        if (auto name = readString(*n, p.member("name"), issues)) test.name = *name;
      }
      if (const Value* d = item.find("description")) {
        test.description = readString(*d, p.member("description"), issues).value_or("");
      }
      if (const Value* extensions = item.find("extension")) {
        // readBackbone has checked their shape; here only what the convention adds.
        if (extensions->isArray()) {
          for (size_t i = 0; i < extensions->items().size(); ++i) {
            const Value& ext = extensions->items()[i];
            const std::string* url = ext.isObject() ? ext.findString("url") : nullptr;
            if (url == nullptr || *url != kVerifiesRequirementUrl) continue;
            const Path at = p.member("extension").index(i);
            const Value* code = ext.find("valueCode");
            if (code == nullptr) {
              issues.error("requirement-invalid",
                           at.str() + " must carry the requirement id as valueCode.", at,
                           IssueType::kExtension);
            } else if (code->isString() &&
                       std::find(test.requirements.begin(), test.requirements.end(),
                                 code->text()) == test.requirements.end()) {
              // Its lexical form is readExtensions's: a bad code already failed the report.
              test.requirements.push_back(code->text());
            }
          }
        }
      }
      ActionTally tally = readActions(item, p, issues, false);
      if (tally.anyFailure && firstFailureAt.empty()) firstFailureAt = tally.firstFailureAt;
      if (tally.anyFailure || out.setupFailed) {
        test.outcome = "fail";
      } else {
        test.outcome = tally.anyPass ? "pass" : "skip";
      }
      out.tests.push_back(std::move(test));
    });
  }
  if (const Value* teardown = report.find("teardown")) {
    const Path at = root.member("teardown");
    if (readBackbone(*teardown, at, "an object", kPhaseElements, issues)) {
      readActions(*teardown, at, issues, true);
    }
  }
  if (out.result == "pass" && !firstFailureAt.empty()) {
    issues.error("result-inconsistent",
                 "TestReport.result is pass, but " + firstFailureAt +
                     " failed: a report that passes has no failed action.",
                 Path(firstFailureAt), IssueType::kBusinessRule);
  }
  if (issues.hasErrors()) return issues.toError();
  return out;
}

}  // namespace mes::fhir
