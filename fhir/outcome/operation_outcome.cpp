#include "fhir/outcome/operation_outcome.h"

namespace mes::fhir {
namespace {

std::string_view genericMessage(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid:
      return "The request is malformed.";
    case ErrorKind::kUnauthorized:
      return "Authentication is required.";
    case ErrorKind::kForbidden:
      return "Access refused.";
    case ErrorKind::kNotFound:
      return "Resource not found.";
    case ErrorKind::kMethodNotAllowed:
      return "This method is not allowed on this resource.";
    case ErrorKind::kNotAcceptable:
      return "None of the accepted formats can be produced.";
    case ErrorKind::kConflict:
      return "The request conflicts with the current state.";
    case ErrorKind::kGone:
      return "The resource has been deleted.";
    case ErrorKind::kPreconditionFailed:
      return "The resource version does not match.";
    case ErrorKind::kTooLarge:
      return "The request body is too large.";
    case ErrorKind::kUnsupportedMediaType:
      return "This content type is not supported.";
    case ErrorKind::kUnprocessable:
      return "The resource breaks a profile rule.";
    case ErrorKind::kInternal:
      return "The server could not complete the request.";
    case ErrorKind::kUnavailable:
      return "The service is temporarily unavailable.";
  }
  return "The server could not complete the request.";
}

std::string_view severityOf(const std::string& severity) {
  if (severity == "fatal" || severity == "error" || severity == "warning" ||
      severity == "information") {
    return severity;
  }
  return "error";
}

Value issue(std::string_view severity, std::string_view code, const std::string& projectCode,
            std::string message, const std::string& expression) {
  Value out = Value::object();
  out.set("severity", Value::string(std::string(severity)));
  out.set("code", Value::string(std::string(code)));
  Value details = Value::object();
  if (!projectCode.empty()) {
    Value coding = Value::object();
    coding.set("system", Value::string(std::string(kErrorCodeSystem)));
    coding.set("code", Value::string(projectCode));
    details.set("coding", Value::array()).push(std::move(coding));
  }
  if (!message.empty()) details.set("text", Value::string(message));
  if (!details.members().empty()) out.set("details", std::move(details));
  if (!message.empty()) out.set("diagnostics", Value::string(std::move(message)));
  if (!expression.empty()) out.set("expression", Value::array()).push(Value::string(expression));
  return out;
}

Value outcome(Value issues) {
  Value out = Value::object();
  out.set("resourceType", Value::string("OperationOutcome"));
  out.set("issue", std::move(issues));
  return out;
}

}  // namespace

std::string_view issueTypeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid:
      return "invalid";
    case ErrorKind::kUnprocessable:
      return "processing";
    case ErrorKind::kNotFound:
      return "not-found";
    case ErrorKind::kGone:
      return "deleted";
    case ErrorKind::kConflict:
    case ErrorKind::kPreconditionFailed:
      return "conflict";
    case ErrorKind::kTooLarge:
      return "too-long";
    case ErrorKind::kForbidden:
      return "forbidden";
    case ErrorKind::kUnauthorized:
      return "login";
    case ErrorKind::kUnsupportedMediaType:
    case ErrorKind::kNotAcceptable:
    case ErrorKind::kMethodNotAllowed:
      return "not-supported";
    case ErrorKind::kInternal:
      return "exception";
    case ErrorKind::kUnavailable:
      return "transient";
  }
  return "exception";
}

Value operationOutcome(const Error& error) {
  Value issues = Value::array();
  for (const Problem& p : error.problems) {
    const std::string_view code = p.issueType.empty() ? issueTypeFor(error.kind) : p.issueType;
    issues.push(issue(severityOf(p.severity), code, p.code, p.message, p.expression));
  }
  if (issues.items().empty()) {
    issues.push(
        issue("error", issueTypeFor(error.kind), {}, std::string(genericMessage(error.kind)), {}));
  }
  return outcome(std::move(issues));
}

Value informationOutcome(std::string message) {
  Value issues = Value::array();
  issues.push(issue("information", "informational", {}, std::move(message), {}));
  return outcome(std::move(issues));
}

}  // namespace mes::fhir
