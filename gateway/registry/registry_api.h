// The registry's JSON API under /registry/api/ (swagger/registry.yaml): thin handlers that
// authenticate the caller, read the body, call the Registry and render what it returns.
//
// Authentication: the session cookie of the registry login (mes_registry: password + one-time
// code at /registry/login, gateway/portal_auth.h). No session (or an account the registry
// does not admit): 401 "login-required" with
//   WWW-Authenticate: Cookie realm="mes-registry", login="/registry/login"
// Every request that changes something (POST, PUT) must also carry the session's CSRF token in
// the X-CSRF-Token header (GET /registry/api/session returns it): 403 "csrf-invalid" otherwise,
// before anything else is read. Bodies are JSON (Content-Type application/json, or
// application/fhir+json for a TestReport): 415 "unsupported-media-type" otherwise; malformed
// JSON or JSON nested deeper than max_json_depth 400; larger than max_body_bytes 413 (router).
//
// Errors are OperationOutcomes (application/fhir+json), as on /fhir: one issue per problem with
// its stable code in details.coding (urn:mes-gateway:error-code), the message as diagnostics
// and the JSON member (or FHIRPath for a TestReport) as expression. A 409 "action-not-allowed"
// adds one information issue per allowed action (code "allowed-action", the action's name as
// diagnostics).
//
// Versions: a service's responses carry ETag W/"<version>"; PUT and the action POSTs honour
// If-Match (412 "version-conflict" when stale; 400 "invalid-if-match" when malformed).
//
// GET /registry/api/criteria is public (the checklist editors prepare for).
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "fhir/json/value.h"
#include "gateway/config.h"
#include "gateway/http/message.h"
#include "gateway/portal_auth.h"
#include "gateway/registry/registry.h"
#include "gateway/router.h"

namespace mes::gateway::registry {

class RegistryApi {
 public:
  // `auth` is the registry's login area (LoginArea::registry()). All must outlive the API.
  RegistryApi(const Config& config, Registry& registry, PortalAuth& auth);

  void registerRoutes(Router& router);

 private:
  struct Caller;
  // The authenticated actor; `changing` also checks the CSRF header.
  Result<Caller> caller(const http::Request& request, const RequestContext& context, bool changing);
  // The JSON body; `optional`: an empty body is JSON null.
  Result<fhir::Value> body(const http::Request& request, bool optional) const;
  // The body read by `reader` (a registry_json.h reader).
  template <typename Reader>
  auto read(const http::Request& request, bool optional, Reader&& reader) const
      -> decltype(reader(fhir::Value()));
  // `handle(caller)` for the authenticated caller, every Error it returns rendered.
  template <typename Handle>
  http::Response serve(const http::Request& request, const RequestContext& context, bool changing,
                       Handle&& handle);

  http::Response session(const http::Request& request, RequestContext& context);
  http::Response criteria(const http::Request& request, RequestContext& context);
  http::Response listServices(const http::Request& request, RequestContext& context);
  http::Response createService(const http::Request& request, RequestContext& context);
  http::Response readService(const http::Request& request, RequestContext& context);
  http::Response editService(const http::Request& request, RequestContext& context);
  http::Response history(const http::Request& request, RequestContext& context);
  http::Response evaluation(const http::Request& request, RequestContext& context);
  http::Response mark(const http::Request& request, RequestContext& context);
  http::Response listEvidence(const http::Request& request, RequestContext& context);
  http::Response addEvidence(const http::Request& request, RequestContext& context);
  http::Response readEvidence(const http::Request& request, RequestContext& context);
  http::Response decide(const http::Request& request, RequestContext& context);
  http::Response act(const http::Request& request, RequestContext& context);
  http::Response listOrganisations(const http::Request& request, RequestContext& context);
  http::Response createOrganisation(const http::Request& request, RequestContext& context);
  http::Response listAccounts(const http::Request& request, RequestContext& context);
  http::Response createAccount(const http::Request& request, RequestContext& context);

  // The entry as JSON with its ETag, and the actions `actor` may take on it.
  http::Response entryResponse(int status, const store::RegistryEntry& entry, const Actor& actor);

  const Config& config_;
  Registry& registry_;
  PortalAuth& auth_;
};

// The OperationOutcome of a registry error (with the 401 challenge).
http::Response registryErrorResponse(const Error& error);

}  // namespace mes::gateway::registry
