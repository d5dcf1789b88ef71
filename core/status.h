// Errors as values across module boundaries.
//
// An Error carries what the client may see (one or more Problems, each with a stable project
// code, a plain-words message and, where it applies, a FHIRPath location) and what only the
// log may see (detail). Adapters around third-party libraries convert their exceptions into
// Errors; nothing above them throws for expected failures.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace mes {

// What kind of failure this is; the HTTP layer maps it to a status code.
enum class ErrorKind {
  kInvalid,             // 400: the request itself is malformed (syntax, parameters)
  kUnauthorized,        // 401
  kForbidden,           // 403
  kNotFound,            // 404
  kMethodNotAllowed,    // 405
  kNotAcceptable,       // 406
  kConflict,            // 409
  kGone,                // 410: existed, deleted
  kPreconditionFailed,  // 412: If-Match mismatch
  kTooLarge,            // 413
  kUnsupportedMediaType,// 415
  kUnprocessable,       // 422: well-formed but breaks a profile rule
  kInternal,            // 500: broken code or infrastructure; no internals to the client
  kUnavailable,         // 503
};

int httpStatusOf(ErrorKind kind);

// One thing wrong, as the client sees it.
struct Problem {
  std::string code;        // stable project code, e.g. "unit-mismatch"
  std::string message;     // plain words, safe to show
  std::string expression;  // FHIRPath location, e.g. "Observation.valueQuantity.code"; may be empty
  std::string severity = "error";  // error | fatal | warning | information
  std::string issueType;   // FHIR IssueType (invalid, value, required, structure, not-found...);
                           // empty means derived from the ErrorKind
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::vector<Problem> problems;
  std::string detail;  // for the log only; never sent to the client

  static Error make(ErrorKind kind, std::string code, std::string message,
                    std::string expression = {}) {
    Error e;
    e.kind = kind;
    Problem p;
    p.code = std::move(code);
    p.message = std::move(message);
    p.expression = std::move(expression);
    e.problems.push_back(std::move(p));
    return e;
  }
  static Error internal(std::string detail) {
    Error e = make(ErrorKind::kInternal, "internal-error",
                   "The server could not complete the request.");
    e.detail = std::move(detail);
    return e;
  }
  // First problem's code, or empty.
  const std::string& code() const {
    static const std::string kEmpty;
    return problems.empty() ? kEmpty : problems.front().code;
  }
};

// Success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  static Status ok() { return {}; }
  bool isOk() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }
  Error&& takeError() {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

// A value or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(status.takeError()) {}  // NOLINT: only from a failed Status

  bool isOk() const { return v_.index() == 0; }
  explicit operator bool() const { return isOk(); }
  T& value() & {
    assert(isOk());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(isOk());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(isOk());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const {
    assert(!isOk());
    return std::get<1>(v_);
  }
  Error&& takeError() {
    assert(!isOk());
    return std::get<1>(std::move(v_));
  }
  Status status() const { return isOk() ? Status::ok() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace mes

// Early return of a failed Status / Result from a function returning Status or Result<U>.
#define MES_RETURN_IF_ERROR(expr)                         \
  do {                                                    \
    auto mes_status_ = (expr);                            \
    if (!mes_status_.isOk()) return mes_status_.takeError(); \
  } while (false)
