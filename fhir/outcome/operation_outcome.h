// FHIR R4 OperationOutcome bodies for every error the /fhir API returns, and for the
// informational outcome of a successful delete.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "fhir/json/value.h"

namespace mes::fhir {

// The system of the project's stable error codes in OperationOutcome.issue.details.coding.
inline constexpr std::string_view kErrorCodeSystem = "urn:mes-gateway:error-code";

// The FHIR IssueType used for a Problem that does not name one, derived from the ErrorKind:
// kInvalid "invalid", kUnprocessable "processing", kNotFound "not-found", kGone "deleted",
// kConflict and kPreconditionFailed "conflict", kTooLarge "too-long", kForbidden "forbidden",
// kUnauthorized "login", kUnsupportedMediaType / kNotAcceptable / kMethodNotAllowed
// "not-supported", kInternal "exception", kUnavailable "transient".
std::string_view issueTypeFor(ErrorKind kind);

// An OperationOutcome with one issue per Problem, in order:
//   severity     Problem::severity (fatal | error | warning | information; anything else is
//                sent as "error"),
//   code         Problem::issueType, or issueTypeFor(error.kind) when empty,
//   details      coding [{system kErrorCodeSystem, code Problem::code}] (when the code is not
//                empty) and text = Problem::message,
//   diagnostics  Problem::message,
//   expression   [Problem::expression] when not empty.
// Error::detail is never written (it is for the log only). An Error without problems still
// gives one issue (severity error, the derived code, a generic sentence for its kind), since
// FHIR requires at least one.
Value operationOutcome(const Error& error);

// An OperationOutcome with one issue: severity "information", code "informational",
// diagnostics and details.text = `message` (e.g. for a successful delete).
Value informationOutcome(std::string message);

}  // namespace mes::fhir
