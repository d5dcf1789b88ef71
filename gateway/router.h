// Routing and the cross-cutting request pipeline.
//
// Every request goes through Router::handle in this order: request id, access log, body size
// (413), route lookup (404 / 405), the access policy, then the handler. A streaming route
// (addStreaming) runs the same steps from the request head through Router::openStream, before
// its body is read. The AccessPolicy is the
// single place where authentication, pairing and scope checks plug in: handlers never check
// access themselves, so adding OAuth changes no handler.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "gateway/http/message.h"
#include "gateway/log.h"
#include "oauth/scope.h"

namespace mes::gateway {

// What a route does, as the access policy sees it.
enum class Interaction {
  kPublic,        // discovery and operations endpoints (metadata, healthz): no token needed
  kRead,
  kVread,
  kHistory,
  kSearch,
  kCreate,
  kUpdate,
  kDelete,
  kTransaction,
};
const char* interactionName(Interaction interaction);

// Per-request facts that flow from the pipeline to the handler.
struct RequestContext {
  std::string requestId;
  Interaction interaction = Interaction::kPublic;
  std::string resourceType;  // for FHIR routes
  // Filled by the access policy: the patient the caller may act for, and the writer identity
  // recorded in meta.source (also what the not-author rule compares). Empty = unrestricted
  // (the open policy of unit tests and tools).
  std::string patientId;
  std::string source;
  // The app behind the request (empty when unauthenticated) and what its token grants.
  std::string clientId;
  std::string serviceName;
  std::string pairingId;  // the Consent of the pairing the token belongs to
  std::optional<oauth::ScopeSet> scopes;  // nullopt = unrestricted
  std::map<std::string, std::string> params;  // path parameters, e.g. {"id": "abc"}
  // Set by handlers that know better than the route what they touched (e.g. "Observation/<id>"
  // after a create); the audit trail records one entry per resource named (an ITI-65
  // publication names each of its documents), all under the request's id.
  std::vector<std::string> auditedResources;
};

// kForbidden "consent-missing" unless the context's scopes grant `permission` on `type`
// (always ok when unrestricted).
Status requirePermission(const RequestContext& context, const std::string& type,
                         oauth::Permission permission);

// Called once per routed request, after the handler (or the refusal), before the response is
// sent: the audit trail. When it fails the response is replaced by the pipeline's 503 — nothing
// is served untraced.
class RequestAuditor {
 public:
  virtual ~RequestAuditor() = default;
  virtual Status audit(const http::Request& request, const RequestContext& context,
                       const http::Response& response) = 0;
};

// Decides whether a request may proceed; may fill RequestContext (patient, source).
class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  virtual Status authorize(const http::Request& request, RequestContext& context) = 0;
};

// Issue #2 stage: the FHIR API is open. Every request is allowed.
class OpenAccessPolicy final : public AccessPolicy {
 public:
  Status authorize(const http::Request&, RequestContext&) override { return Status::ok(); }
};

using RouteHandler = std::function<http::Response(const http::Request&, RequestContext&)>;

// The body of a request to a streaming route, consumed as it arrives (document uploads).
class RouteBody {
 public:
  virtual ~RouteBody() = default;
  // The largest body it takes, in bytes (instead of the router's maxBodyBytes).
  virtual uint64_t limit() const = 0;
  // The next bytes, in order. An error stops the delivery (the rest is dropped) and reaches
  // finish().
  virtual Status write(std::string_view chunk) = 0;
  // The response once the body was read; `received` is ok, write()'s error, kTooLarge
  // "body-too-large" past limit(), or kInvalid "body-incomplete". May set
  // context.auditedResources. Whatever it staged and did not keep is released when it is
  // destroyed.
  virtual http::Response finish(Status received, RequestContext& context) = 0;
};
// Called with the request head (no body read yet), after the access policy allowed it: the
// RouteBody that receives the body, or an Error answered at once (e.g. 415) while the body is
// dropped.
using StreamRouteHandler =
    std::function<Result<std::unique_ptr<RouteBody>>(const http::Request& head, RequestContext&)>;
// Turns an Error into the response format of the route's family (OperationOutcome for /fhir).
using ErrorRenderer = std::function<http::Response(const Error&, const RequestContext&)>;

class Router {
 public:
  // `renderError` renders the pipeline's own errors (404, 405, 413, refusals, exceptions) for
  // every path no renderer of addErrorRenderer() claims.
  Router(Logger& logger, AccessPolicy& access, ErrorRenderer renderError, size_t maxBodyBytes);

  // Paths under `pathPrefix` (e.g. "/oauth/") get their pipeline errors from `renderError`
  // instead (OAuth error JSON, HTML pages); the longest matching prefix wins.
  void addErrorRenderer(std::string pathPrefix, ErrorRenderer renderError);

  // `pattern` is a path with {name} segments, e.g. "/fhir/Observation/{id}".
  void add(const std::string& method, const std::string& pattern, Interaction interaction,
           std::string resourceType, RouteHandler handler);

  // A route whose body is streamed (see RouteBody). Through handle() (a request whose body the
  // adapter buffered, or had none) the buffered body is written to it in one piece.
  void addStreaming(const std::string& method, const std::string& pattern,
                    Interaction interaction, std::string resourceType, StreamRouteHandler handler);

  http::Response handle(http::Request& request);

  // For the HTTP adapter (http::ServerOptions::openStream): when the head's method and path
  // name a streaming route, runs the pipeline up to the handler at once — request id, route
  // lookup, access policy (token, pairing, scope), the handler's head checks — and returns the
  // stream that feeds the route's body; at its end the response is audited and logged as
  // handle() does. A refused request gets a stream that drops the body and answers the
  // refusal, so an unauthenticated or unauthorised upload writes nothing anywhere. nullptr
  // for every other request (the ordinary buffered path).
  std::unique_ptr<http::BodyStream> openStream(http::Request& head);

  // Optional; must outlive the router.
  void setAuditor(RequestAuditor* auditor) { auditor_ = auditor; }

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Interaction interaction;
    std::string resourceType;
    RouteHandler handler;
    StreamRouteHandler stream;  // set for streaming routes (handler empty)
  };
  class Stream;
  // The route for the request's method and path, with its path parameters; nullptr when there
  // is none (`pathMatched` and `allowed` then say whether another method would match).
  const Route* match(const http::Request& request, std::map<std::string, std::string>& params,
                     bool& pathMatched, std::vector<std::string>& allowed) const;
  http::Response dispatch(http::Request& request, RequestContext& context);
  // Runs the route's handler (buffered body) for an allowed request.
  http::Response run(const Route& route, http::Request& request, RequestContext& context);
  // The pipeline's end for every request: audit (503 when it fails), X-Request-Id, access log.
  void complete(const http::Request& request, RequestContext& context, http::Response& response,
                std::chrono::steady_clock::time_point started);
  RequestContext newContext(const http::Request& request);
  const ErrorRenderer& rendererFor(const std::string& path) const;

  Logger& logger_;
  AccessPolicy& access_;
  ErrorRenderer renderError_;
  std::vector<std::pair<std::string, ErrorRenderer>> prefixRenderers_;
  size_t maxBodyBytes_;
  std::vector<Route> routes_;
  RequestAuditor* auditor_ = nullptr;
  RandomIdGenerator requestIds_;
};

std::vector<std::string> splitPath(const std::string& path);

}  // namespace mes::gateway
