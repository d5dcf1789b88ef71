#include "gateway/router.h"

#include <chrono>
#include <limits>
#include <optional>

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
      Route{method, splitPath(pattern), interaction, std::move(resourceType), std::move(handler), {}});
}

void Router::addStreaming(const std::string& method, const std::string& pattern,
                          Interaction interaction, std::string resourceType,
                          StreamRouteHandler handler) {
  routes_.push_back(
      Route{method, splitPath(pattern), interaction, std::move(resourceType), {}, std::move(handler)});
}

RequestContext Router::newContext(const http::Request& request) {
  RequestContext context;
  const std::string& given = request.headers.get("X-Request-Id");
  context.requestId = acceptableRequestId(given) ? given : requestIds_.next();
  return context;
}

http::Response Router::handle(http::Request& request) {
  const auto started = std::chrono::steady_clock::now();
  RequestContext context = newContext(request);
  http::Response response;
  try {
    response = dispatch(request, context);
  } catch (const std::exception& e) {
    Error error = Error::internal(std::string("unhandled exception: ") + e.what());
    response = rendererFor(request.path)(error, context);
  }
  complete(request, context, response, started);
  return response;
}

void Router::complete(const http::Request& request, RequestContext& context,
                      http::Response& response, std::chrono::steady_clock::time_point started) {
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
}

const Router::Route* Router::match(const http::Request& request,
                                   std::map<std::string, std::string>& params, bool& pathMatched,
                                   std::vector<std::string>& allowed) const {
  const std::vector<std::string> segments = splitPath(request.path);
  pathMatched = false;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> found;
    bool same = true;
    for (size_t i = 0; i < segments.size() && same; ++i) {
      const std::string& want = route.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        found[want.substr(1, want.size() - 2)] = segments[i];
      } else {
        same = want == segments[i];
      }
    }
    if (!same) continue;
    pathMatched = true;
    if (route.method != request.method) {
      allowed.push_back(route.method);
      continue;
    }
    params = std::move(found);
    return &route;
  }
  return nullptr;
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
  std::map<std::string, std::string> params;
  bool pathMatched = false;
  std::vector<std::string> allowed;
  if (const Route* route = match(request, params, pathMatched, allowed)) {
    context.params = std::move(params);
    context.interaction = route->interaction;
    context.resourceType = route->resourceType;
    Status allowedByPolicy = access_.authorize(request, context);
    if (!allowedByPolicy) return renderError(allowedByPolicy.error(), context);
    return run(*route, request, context);
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

http::Response Router::run(const Route& route, http::Request& request, RequestContext& context) {
  if (!route.stream) return route.handler(request, context);
  auto body = route.stream(request, context);
  if (!body) return rendererFor(request.path)(body.error(), context);
  Status received = Status::ok();
  if (request.body.size() > (*body)->limit()) {
    received = Error::make(ErrorKind::kTooLarge, "body-too-large",
                           "The request body is larger than the limit of " +
                               std::to_string((*body)->limit()) + " bytes for this endpoint.");
  } else if (!request.body.empty()) {
    received = (*body)->write(request.body);
  }
  return (*body)->finish(std::move(received), context);
}

// The BodyStream of a streaming route's request (see Router::openStream).
class Router::Stream final : public http::BodyStream {
 public:
  Stream(Router& router, http::Request head, RequestContext context,
         std::chrono::steady_clock::time_point started)
      : router_(router), head_(std::move(head)), context_(std::move(context)), started_(started) {}

  void accept(std::unique_ptr<RouteBody> body) { body_ = std::move(body); }
  void refuse(http::Response refusal) { refusal_ = std::move(refusal); }

  uint64_t limit() const override {
    return body_ ? body_->limit() : std::numeric_limits<uint64_t>::max();
  }

  Status write(std::string_view chunk) override {
    if (!body_) {
      return Error::make(ErrorKind::kForbidden, "refused", "The request was refused.");
    }
    return body_->write(chunk);
  }

  http::Response finish(Status received) override {
    http::Response response;
    if (!body_) {
      response = std::move(refusal_);
    } else {
      try {
        response = body_->finish(std::move(received), context_);
      } catch (const std::exception& e) {
        response = router_.rendererFor(head_.path)(
            Error::internal(std::string("unhandled exception: ") + e.what()), context_);
      }
      body_.reset();
    }
    router_.complete(head_, context_, response, started_);
    return response;
  }

 private:
  Router& router_;
  http::Request head_;
  RequestContext context_;
  std::chrono::steady_clock::time_point started_;
  std::unique_ptr<RouteBody> body_;
  http::Response refusal_;
};

std::unique_ptr<http::BodyStream> Router::openStream(http::Request& head) {
  std::map<std::string, std::string> params;
  bool pathMatched = false;
  std::vector<std::string> allowed;
  const Route* route = match(head, params, pathMatched, allowed);
  if (route == nullptr || !route->stream) return nullptr;
  const auto started = std::chrono::steady_clock::now();
  RequestContext context = newContext(head);
  context.params = std::move(params);
  context.interaction = route->interaction;
  context.resourceType = route->resourceType;
  const ErrorRenderer& renderError = rendererFor(head.path);
  std::optional<http::Response> refusal;
  std::unique_ptr<RouteBody> body;
  try {
    Status allowedByPolicy = access_.authorize(head, context);
    if (!allowedByPolicy) {
      refusal = renderError(allowedByPolicy.error(), context);
    } else if (auto opened = route->stream(head, context); !opened) {
      refusal = renderError(opened.error(), context);
    } else {
      body = std::move(opened).value();
    }
  } catch (const std::exception& e) {
    refusal = renderError(Error::internal(std::string("unhandled exception: ") + e.what()), context);
  }
  auto stream = std::make_unique<Stream>(*this, head, std::move(context), started);
  if (body) {
    stream->accept(std::move(body));
  } else {
    // Nothing of the body will be used: the connection closes after the answer.
    refusal->closeConnection = true;
    stream->refuse(std::move(*refusal));
  }
  return stream;
}

}  // namespace mes::gateway
