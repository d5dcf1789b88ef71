// The generic validation engine: a collector of every problem found in one pass over a
// resource, each with its stable project code, a plain-words message, its FHIRPath location
// and its FHIR IssueType, and the conversion of what was collected into one mes::Error.
//
// Two families of problems, which decide the HTTP status of the whole result:
//  - structural: the JSON does not have the shape FHIR R4 gives the element (wrong JSON type,
//    unknown element, null or empty element, malformed primitive such as a bad id or
//    dateTime). Any structural problem makes the result ErrorKind::kInvalid (400).
//  - rule: well-formed, but breaks an R4 cardinality or a profile / business rule (missing
//    required element, wrong unit, value out of range...). When every error is a rule problem
//    the result is ErrorKind::kUnprocessable (422).
// Warnings never make a result fail; they travel with the errors when there are any.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/json/value.h"

namespace mes::fhir {

// A FHIRPath location being built while walking a resource, e.g.
// Path("Observation").member("component").index(1).member("valueQuantity") gives
// "Observation.component[1].valueQuantity". Indexes are 0-based, as in FHIRPath.
class Path {
 public:
  explicit Path(std::string_view root) : text_(root) {}

  Path member(std::string_view name) const;
  Path index(size_t i) const;

  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

// FHIR R4 IssueType codes used by validation (http://hl7.org/fhir/issue-type).
enum class IssueType {
  kInvalid,       // invalid
  kStructure,     // structure
  kRequired,      // required
  kValue,         // value
  kInvariant,     // invariant
  kCodeInvalid,   // code-invalid
  kExtension,     // extension
  kBusinessRule,  // business-rule
  kNotSupported,  // not-supported
  kProcessing,    // processing
  kDuplicate,     // duplicate
};

// The FHIR code of `type`, e.g. "code-invalid".
std::string_view issueTypeCode(IssueType type);

enum class IssueSeverity { kError, kWarning };

struct Issue {
  IssueSeverity severity = IssueSeverity::kError;
  bool structural = false;
  IssueType type = IssueType::kProcessing;
  std::string code;        // stable project code, kebab-case
  std::string message;     // plain words, safe to show
  std::string expression;  // FHIRPath location
};

// Collects problems. Never stops at the first one: validators keep walking and report
// everything they find, in document order.
class Issues {
 public:
  // A structural problem (see the file comment): the whole result becomes 400.
  void structural(std::string code, std::string message, const Path& at,
                  IssueType type = IssueType::kStructure);
  // A rule problem: 422 unless a structural problem was also found.
  void error(std::string code, std::string message, const Path& at,
             IssueType type = IssueType::kProcessing);
  // Reported alongside errors; alone it never fails validation.
  void warning(std::string code, std::string message, const Path& at,
               IssueType type = IssueType::kProcessing);

  // Structural "invalid-type": `at` must be `expected` (e.g. "a string", "an array of
  // objects"); the message names the JSON type found instead.
  void wrongType(const Path& at, std::string_view expected, const Value& got);
  // Structural "unknown-element": `at` is not an element of its R4 type.
  void unknownElement(const Path& at);
  // Rule "element-missing" (IssueType required): `at` is required and absent. `why` completes
  // the sentence "<at> is required" when not empty, e.g. "for every measure".
  void missing(const Path& at, std::string_view why = {});
  // Rule "element-not-allowed": `at` is an R4 element the profile forbids; `hint` says what to
  // send instead, when not empty.
  void notAllowed(const Path& at, std::string_view hint = {});

  // Checks the member names of the JSON object `object`, located at `at`, against the R4
  // element names `known` of its type. Reports, structurally: unknown names ("unknown-element")
  // and "_name" primitive-extension siblings that are not an object (or an array of objects
  // and nulls) holding only "id" and "extension" ("invalid-type", "unknown-element"). "_name"
  // is accepted only when "name" is in `known`. The content of known members (their JSON type,
  // null, emptiness) is left to the readers of their types, so that each problem is reported
  // once. Returns true when no problem was found.
  // `object` must be a JSON object (the caller checks the type first).
  bool checkElements(const Value& object, const Path& at, std::span<const std::string_view> known);

  bool hasErrors() const { return errorCount_ > 0; }
  bool hasStructuralErrors() const { return structuralCount_ > 0; }
  size_t errorCount() const { return errorCount_; }
  const std::vector<Issue>& issues() const { return issues_; }

  // Ok when no error was collected (warnings are then dropped; read issues() to keep them).
  // Otherwise one Error holding every issue (errors and warnings, in the order found) as
  // Problems: kind kInvalid if any is structural, else kUnprocessable.
  Status toStatus() const;
  // As toStatus(), for a caller that already knows hasErrors(); precondition: hasErrors().
  Error toError() const;

 private:
  void add(IssueSeverity severity, bool structural, IssueType type, std::string code,
           std::string message, const Path& at);

  std::vector<Issue> issues_;
  size_t errorCount_ = 0;
  size_t structuralCount_ = 0;
};

// "a string", "an array"... for messages.
std::string_view describeKind(Value::Kind kind);

}  // namespace mes::fhir
