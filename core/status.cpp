#include "core/status.h"

namespace mes {

int httpStatusOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid: return 400;
    case ErrorKind::kUnauthorized: return 401;
    case ErrorKind::kForbidden: return 403;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kMethodNotAllowed: return 405;
    case ErrorKind::kNotAcceptable: return 406;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kGone: return 410;
    case ErrorKind::kPreconditionFailed: return 412;
    case ErrorKind::kTooLarge: return 413;
    case ErrorKind::kUnsupportedMediaType: return 415;
    case ErrorKind::kUnprocessable: return 422;
    case ErrorKind::kInternal: return 500;
    case ErrorKind::kUnavailable: return 503;
  }
  return 500;
}

}  // namespace mes
