// Routing and the cross-cutting request pipeline.
//
// Every request goes through Router::handle in this order: request id, access log, body size
// (413), route lookup (404 / 405), the access policy, then the handler. The AccessPolicy is the
// single place where authentication, pairing and scope checks plug in: handlers never check
// access themselves, so adding OAuth changes no handler.
#pragma once

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
  // after a create); the audit trail records it.
  std::string auditedResource;
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

  http::Response handle(http::Request& request);

  // Optional; must outlive the router.
  void setAuditor(RequestAuditor* auditor) { auditor_ = auditor; }

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Interaction interaction;
    std::string resourceType;
    RouteHandler handler;
  };
  http::Response dispatch(http::Request& request, RequestContext& context);
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
