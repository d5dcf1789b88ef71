#include "gateway/router.h"

#include <chrono>

namespace mes::gateway {

const char* interactionName(Interaction interaction) {
  switch (interaction) {
    case Interaction::kPublic: return "public";
    case Interaction::kRead: return "read";
    case Interaction::kVread: return "vread";
    case Interaction::kHistory: return "history";
    case Interaction::kSearch: return "search";
    case Interaction::kCreate: return "create";
    case Interaction::kUpdate: return "update";
    case Interaction::kDelete: return "delete";
    case Interaction::kTransaction: return "transaction";
  }
  return "unknown";
}

Status requirePermission(const RequestContext& context, const std::string& type,
                         oauth::Permission permission) {
  if (!context.scopes || context.scopes->permits(type, permission)) return Status::ok();
  return Error::make(ErrorKind::kForbidden, "consent-missing",
                     "Consent not given, access refused: this access does not allow " +
                         oauth::permissionLetters(permission) + " on " + type + ".");
}

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

namespace {

// A caller-supplied request id is kept when it is short and plain; otherwise we make one.
bool acceptableRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

Router::Router(Logger& logger, AccessPolicy& access, ErrorRenderer renderError, size_t maxBodyBytes)
    : logger_(logger),
      access_(access),
      renderError_(std::move(renderError)),
      maxBodyBytes_(maxBodyBytes) {}

void Router::addErrorRenderer(std::string pathPrefix, ErrorRenderer renderError) {
  prefixRenderers_.emplace_back(std::move(pathPrefix), std::move(renderError));
}

const ErrorRenderer& Router::rendererFor(const std::string& path) const {
  const ErrorRenderer* best = &renderError_;
  size_t bestLength = 0;
  for (const auto& [prefix, renderer] : prefixRenderers_) {
    // "/oauth/" also claims "/oauth" itself.
    const std::string_view bare = std::string_view(prefix).substr(
        0, prefix.size() - (prefix.size() > 1 && prefix.back() == '/' ? 1 : 0));
    const bool matches = path.rfind(prefix, 0) == 0 || path == bare;
    if (matches && prefix.size() > bestLength) {
      best = &renderer;
      bestLength = prefix.size();
    }
  }
  return *best;
}

void Router::add(const std::string& method, const std::string& pattern, Interaction interaction,
                 std::string resourceType, RouteHandler handler) {
  routes_.push_back(
      Route{method, splitPath(pattern), interaction, std::move(resourceType), std::move(handler)});
}

http::Response Router::handle(http::Request& request) {
  const auto started = std::chrono::steady_clock::now();
  RequestContext context;
  const std::string& given = request.headers.get("X-Request-Id");
  context.requestId = acceptableRequestId(given) ? given : requestIds_.next();

  http::Response response;
  try {
    response = dispatch(request, context);
  } catch (const std::exception& e) {
    Error error = Error::internal(std::string("unhandled exception: ") + e.what());
    response = rendererFor(request.path)(error, context);
  }
  if (auditor_ != nullptr && context.interaction != Interaction::kPublic) {
    Status audited = auditor_->audit(request, context, response);
    if (!audited) {
      logger_.error("audit failed; response withheld",
                    {{"request_id", context.requestId}, {"detail", audited.error().detail}});
      response = rendererFor(request.path)(
          Error::make(ErrorKind::kUnavailable, "audit-unavailable",
                      "The access could not be recorded in the audit trail; retry shortly."),
          context);
      response.headers.set("Retry-After", "1");
    }
  }
  response.headers.set("X-Request-Id", context.requestId);

  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  LogLevel level = response.status >= 500 ? LogLevel::kError : LogLevel::kInfo;
  if (logger_.enabled(level)) {
    logger_.log(level, "request",
                {{"request_id", context.requestId},
                 {"method", request.method},
                 {"path", request.path},
                 {"status", int64_t{response.status}},
                 {"interaction", std::string(interactionName(context.interaction))},
                 {"duration_ms", ms},
                 {"remote", request.remoteAddress}});
  }
  return response;
}

http::Response Router::dispatch(http::Request& request, RequestContext& context) {
  const ErrorRenderer& renderError = rendererFor(request.path);
  if (request.bodyTooLarge) {
    return renderError(
        Error::make(ErrorKind::kTooLarge, "body-too-large",
                    "The request body is larger than the limit of " +
                        std::to_string(maxBodyBytes_) + " bytes."),
        context);
  }
  const std::vector<std::string> segments = splitPath(request.path);
  bool pathMatched = false;
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& want = route.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        params[want.substr(1, want.size() - 2)] = segments[i];
      } else {
        match = want == segments[i];
      }
    }
    if (!match) continue;
    pathMatched = true;
    if (route.method != request.method) {
      allowed.push_back(route.method);
      continue;
    }
    context.params = std::move(params);
    context.interaction = route.interaction;
    context.resourceType = route.resourceType;
    Status allowedByPolicy = access_.authorize(request, context);
    if (!allowedByPolicy) return renderError(allowedByPolicy.error(), context);
    return route.handler(request, context);
  }
  if (pathMatched) {
    std::string list;
    for (const auto& m : allowed) list += (list.empty() ? "" : ", ") + m;
    http::Response r = renderError(
        Error::make(ErrorKind::kMethodNotAllowed, "method-not-allowed",
                    request.method + " is not supported on " + request.path + "; allowed: " + list +
                        "."),
        context);
    r.headers.set("Allow", list);
    return r;
  }
  return renderError(Error::make(ErrorKind::kNotFound, "unknown-endpoint",
                                  "There is no endpoint " + request.path + "."),
                      context);
}

}  // namespace mes::gateway
