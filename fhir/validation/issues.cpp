#include "fhir/validation/issues.h"

#include <algorithm>

namespace mes::fhir {

Path Path::member(std::string_view name) const {
  Path p = *this;
  p.text_.reserve(text_.size() + 1 + name.size());
  p.text_ += '.';
  p.text_ += name;
  return p;
}

Path Path::index(size_t i) const {
  Path p = *this;
  p.text_ += '[';
  p.text_ += std::to_string(i);
  p.text_ += ']';
  return p;
}

std::string_view issueTypeCode(IssueType type) {
  switch (type) {
    case IssueType::kInvalid:
      return "invalid";
    case IssueType::kStructure:
      return "structure";
    case IssueType::kRequired:
      return "required";
    case IssueType::kValue:
      return "value";
    case IssueType::kInvariant:
      return "invariant";
    case IssueType::kCodeInvalid:
      return "code-invalid";
    case IssueType::kExtension:
      return "extension";
    case IssueType::kBusinessRule:
      return "business-rule";
    case IssueType::kNotSupported:
      return "not-supported";
    case IssueType::kProcessing:
      return "processing";
    case IssueType::kDuplicate:
      return "duplicate";
  }
  return "processing";
}

std::string_view describeKind(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return "a boolean";
    case Value::Kind::kNumber:
      return "a number";
    case Value::Kind::kString:
      return "a string";
    case Value::Kind::kArray:
      return "an array";
    case Value::Kind::kObject:
      return "an object";
  }
  return "an unknown JSON value";
}

void Issues::add(IssueSeverity severity, bool structural, IssueType type, std::string code,
                 std::string message, const Path& at) {
  Issue issue;
  issue.severity = severity;
  issue.structural = structural;
  issue.type = type;
  issue.code = std::move(code);
  issue.message = std::move(message);
  issue.expression = at.str();
  if (severity == IssueSeverity::kError) {
    ++errorCount_;
    if (structural) ++structuralCount_;
  }
  issues_.push_back(std::move(issue));
}

void Issues::structural(std::string code, std::string message, const Path& at, IssueType type) {
  add(IssueSeverity::kError, true, type, std::move(code), std::move(message), at);
}

void Issues::error(std::string code, std::string message, const Path& at, IssueType type) {
  add(IssueSeverity::kError, false, type, std::move(code), std::move(message), at);
}

void Issues::warning(std::string code, std::string message, const Path& at, IssueType type) {
  add(IssueSeverity::kWarning, false, type, std::move(code), std::move(message), at);
}

void Issues::wrongType(const Path& at, std::string_view expected, const Value& got) {
  std::string message = at.str();
  message += " must be ";
  message += expected;
  message += "; got ";
  message += describeKind(got.kind());
  message += '.';
  structural("invalid-type", std::move(message), at);
}

void Issues::unknownElement(const Path& at) {
  structural("unknown-element", at.str() + " is not a known FHIR R4 element here.", at);
}

void Issues::missing(const Path& at, std::string_view why) {
  std::string message = at.str() + " is required";
  if (!why.empty()) {
    message += ' ';
    message += why;
  }
  message += '.';
  error("element-missing", std::move(message), at, IssueType::kRequired);
}

void Issues::notAllowed(const Path& at, std::string_view hint) {
  std::string message = at.str() + " is not allowed here";
  if (!hint.empty()) {
    message += "; ";
    message += hint;
  }
  message += '.';
  error("element-not-allowed", std::move(message), at, IssueType::kBusinessRule);
}

bool Issues::checkElements(const Value& object, const Path& at,
                           std::span<const std::string_view> known) {
  const size_t before = errorCount_;
  auto isKnown = [&](std::string_view name) {
    return std::find(known.begin(), known.end(), name) != known.end();
  };
  for (const auto& [name, value] : object.members()) {
    const Path where = at.member(name);
    const bool primitiveExtension = name.size() > 1 && name.front() == '_';
    if (primitiveExtension ? !isKnown(std::string_view(name).substr(1)) : !isKnown(name)) {
      unknownElement(where);
      continue;
    }
    if (primitiveExtension) {
      if (value.isNull()) {
        structural("invalid-type",
                   where.str() + " must not be null; leave the element out instead.", where);
        continue;
      }
      // The id/extension of a primitive: an object, or for a repeating primitive an array
      // aligned with the values (null where an item has none).
      static constexpr std::string_view kElementMembers[] = {"id", "extension"};
      if (value.isArray()) {
        for (size_t i = 0; i < value.items().size(); ++i) {
          const Value& item = value.items()[i];
          if (item.isObject()) {
            checkElements(item, where.index(i), kElementMembers);
          } else if (!item.isNull()) {
            wrongType(where.index(i), "an object or null", item);
          }
        }
      } else if (value.isObject()) {
        checkElements(value, where, kElementMembers);
      } else {
        wrongType(where, "an object", value);
      }
    }
  }
  return errorCount_ == before;
}

Error Issues::toError() const {
  Error e;
  e.kind = structuralCount_ > 0 ? ErrorKind::kInvalid : ErrorKind::kUnprocessable;
  e.problems.reserve(issues_.size());
  for (const Issue& issue : issues_) {
    Problem p;
    p.code = issue.code;
    p.message = issue.message;
    p.expression = issue.expression;
    p.severity = issue.severity == IssueSeverity::kError ? "error" : "warning";
    p.issueType = std::string(issueTypeCode(issue.type));
    e.problems.push_back(std::move(p));
  }
  e.detail = "validation failed with " + std::to_string(errorCount_) + " error(s)";
  return e;
}

Status Issues::toStatus() const {
  if (errorCount_ == 0) return Status::ok();
  return toError();
}

}  // namespace mes::fhir
