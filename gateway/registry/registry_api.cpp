#include "gateway/registry/registry_api.h"

#include "fhir/json/json.h"
#include "gateway/fhir_request.h"
#include "gateway/fhir_response.h"
#include "gateway/registry/registry_json.h"
#include "oauth/crypto/digest.h"

namespace mes::gateway::registry {
namespace {

constexpr const char* kApi = "/registry/api";
constexpr const char* kJson = "application/json; charset=utf-8";

http::Response json(int status, const fhir::Value& body) {
  http::Response r;
  r.status = status;
  r.headers.set("Content-Type", kJson);
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("X-Content-Type-Options", "nosniff");
  r.body = fhir::toJson(body);
  return r;
}

// "application/json; charset=utf-8" -> "application/json".
std::string mediaType(const std::string& header) {
  std::string type = header.substr(0, header.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

Result<std::optional<int64_t>> ifMatch(const http::Request& request) {
  return parseIfMatch(request.headers.get("If-Match"));
}

}  // namespace

http::Response registryErrorResponse(const Error& error) {
  http::Response r = errorResponse(error);
  r.headers.set("Cache-Control", "no-store");
  if (r.status == 401) {
    r.headers.set("WWW-Authenticate", "Cookie realm=\"mes-registry\", login=\"/registry/login\"");
  }
  return r;
}

struct RegistryApi::Caller {
  Actor actor;
  PortalSession session;
};

RegistryApi::RegistryApi(const Config& config, Registry& registry, PortalAuth& auth)
    : config_(config), registry_(registry), auth_(auth) {}

void RegistryApi::registerRoutes(Router& router) {
  using Handler = http::Response (RegistryApi::*)(const http::Request&, RequestContext&);
  auto add = [&](const char* method, const std::string& path, Handler handler) {
    router.add(method, kApi + path, Interaction::kPublic, "",
               [this, handler](const http::Request& r, RequestContext& c) {
                 return (this->*handler)(r, c);
               });
  };
  add("GET", "/session", &RegistryApi::session);
  add("GET", "/criteria", &RegistryApi::criteria);
  add("GET", "/services", &RegistryApi::listServices);
  add("POST", "/services", &RegistryApi::createService);
  add("GET", "/services/{id}", &RegistryApi::readService);
  add("PUT", "/services/{id}", &RegistryApi::editService);
  add("GET", "/services/{id}/history", &RegistryApi::history);
  add("GET", "/services/{id}/evaluation", &RegistryApi::evaluation);
  add("PUT", "/services/{id}/evaluation/{criterion}", &RegistryApi::mark);
  add("GET", "/services/{id}/evidence", &RegistryApi::listEvidence);
  add("POST", "/services/{id}/evidence", &RegistryApi::addEvidence);
  add("GET", "/services/{id}/evidence/{evidence}", &RegistryApi::readEvidence);
  add("POST", "/services/{id}/decide", &RegistryApi::decide);
  add("POST", "/services/{id}/{action}", &RegistryApi::act);
  add("GET", "/organisations", &RegistryApi::listOrganisations);
  add("POST", "/organisations", &RegistryApi::createOrganisation);
  add("GET", "/accounts", &RegistryApi::listAccounts);
  add("POST", "/accounts", &RegistryApi::createAccount);
  router.addErrorRenderer(std::string(kApi) + "/", [](const Error& e, const RequestContext&) {
    return registryErrorResponse(e);
  });
}

Result<RegistryApi::Caller> RegistryApi::caller(const http::Request& request,
                                                const RequestContext& context, bool changing) {
  std::optional<PortalSession> session = auth_.authenticated(request);
  if (!session) {
    return Error::make(ErrorKind::kUnauthorized, "login-required",
                       "Log in to the registry first (password and one-time code at "
                       "/registry/login); the API uses the session cookie it sets.");
  }
  if (changing) {
    const std::string& given = request.headers.get("X-CSRF-Token");
    if (given.empty() || !oauth::constantTimeEquals(given, session->csrfToken)) {
      return Error::make(ErrorKind::kForbidden, "csrf-invalid",
                         "This request changes the registry: send the session's CSRF token in "
                         "the X-CSRF-Token header (GET /registry/api/session).");
    }
  }
  auto actor = registry_.actorFor(*session, request.remoteAddress, context.requestId);
  if (!actor) return actor.takeError();
  return Caller{std::move(*actor), std::move(*session)};
}

Result<fhir::Value> RegistryApi::body(const http::Request& request, bool optional) const {
  if (request.body.empty() && optional) return fhir::Value::null();
  const std::string type = mediaType(request.headers.get("Content-Type"));
  if (type != "application/json" && type != "application/fhir+json") {
    return Error::make(ErrorKind::kUnsupportedMediaType, "unsupported-media-type",
                       "Send the body as application/json.");
  }
  return fhir::parseJson(request.body, bodyLimits(config_));
}

http::Response RegistryApi::entryResponse(int status, const store::RegistryEntry& entry,
                                          const Actor& actor) {
  http::Response r = json(status, entryJson(entry, actionsFor(actor, entry)));
  r.headers.set("ETag", "W/\"" + std::to_string(entry.service.version) + "\"");
  return r;
}

// --- handlers ------------------------------------------------------------------------------

template <typename Handle>
http::Response RegistryApi::serve(const http::Request& request, const RequestContext& context,
                                  bool changing, Handle&& handle) {
  auto who = caller(request, context, changing);
  if (!who) return registryErrorResponse(who.error());
  Result<http::Response> response = handle(*who);
  if (!response) return registryErrorResponse(response.error());
  return std::move(*response);
}

template <typename Reader>
auto RegistryApi::read(const http::Request& request, bool optional, Reader&& reader) const
    -> decltype(reader(fhir::Value())) {
  auto parsed = body(request, optional);
  if (!parsed) return parsed.takeError();
  return reader(*parsed);
}

http::Response RegistryApi::session(const http::Request& request, RequestContext& context) {
  return serve(request, context, false, [&](const Caller& who) -> Result<http::Response> {
    fhir::Value v = fhir::Value::object();
    v.set("login", fhir::Value::string(who.session.login));
    v.set("role", fhir::Value::string(who.session.role));
    v.set("organisation_id", who.actor.organisationId.empty()
                                 ? fhir::Value::null()
                                 : fhir::Value::string(who.actor.organisationId));
    v.set("csrf_token", fhir::Value::string(who.session.csrfToken));
    return json(200, v);
  });
}

http::Response RegistryApi::criteria(const http::Request&, RequestContext&) {
  return json(200, criteriaJson(registry_.criteria()));
}

http::Response RegistryApi::listServices(const http::Request& request, RequestContext& context) {
  return serve(request, context, false, [&](const Caller& who) -> Result<http::Response> {
    std::string status;
    for (const auto& [name, value] : request.query) {
      if (name != "status") {
        return Error::make(ErrorKind::kInvalid, "unknown-parameter",
                           "The only parameter is status; got '" + name + "'.", name);
      }
      if (!parseStatus(value)) {
        return Error::make(ErrorKind::kInvalid, "invalid-parameter",
                           "status must be a registry status; got '" + value + "'.", "status");
      }
      status = value;
    }
    auto entries = registry_.list(who.actor);
    if (!entries) return entries.takeError();
    fhir::Value services = fhir::Value::array();
    for (const auto& e : *entries) {
      if (status.empty() || e.service.status == status) {
        services.push(entryJson(e, actionsFor(who.actor, e)));
      }
    }
    fhir::Value v = fhir::Value::object();
    v.set("services", std::move(services));
    return json(200, v);
  });
}

http::Response RegistryApi::createService(const http::Request& request, RequestContext& context) {
  return serve(request, context, true, [&](const Caller& who) -> Result<http::Response> {
    auto draft = read(request, false, draftFromJson);
    if (!draft) return draft.takeError();
    auto created = registry_.create(who.actor, *draft);
    if (!created) return created.takeError();
    http::Response r = entryResponse(201, *created, who.actor);
    r.headers.set("Location", config_.baseUrl() + kApi + "/services/" + created->service.clientId);
    return r;
  });
}

http::Response RegistryApi::readService(const http::Request& request, RequestContext& context) {
  return serve(request, context, false, [&](const Caller& who) -> Result<http::Response> {
    auto entry = registry_.read(who.actor, context.params.at("id"));
    if (!entry) return entry.takeError();
    return entryResponse(200, *entry, who.actor);
  });
}

http::Response RegistryApi::editService(const http::Request& request, RequestContext& context) {
  return serve(request, context, true, [&](const Caller& who) -> Result<http::Response> {
    auto expected = ifMatch(request);
    if (!expected) return expected.takeError();
    auto draft = read(request, false, draftFromJson);
    if (!draft) return draft.takeError();
    auto edited = registry_.edit(who.actor, context.params.at("id"), *draft, *expected);
    if (!edited) return edited.takeError();
    return entryResponse(200, *edited, who.actor);
  });
}

http::Response RegistryApi::history(const http::Request& request, RequestContext& context) {
  return serve(request, context, false, [&](const Caller& who) -> Result<http::Response> {
    auto file = registry_.file(who.actor, context.params.at("id"));
    if (!file) return file.takeError();
    return json(200, historyJson(file->history));
  });
}

http::Response RegistryApi::evaluation(const http::Request& request, RequestContext& context) {
  return serve(request, context, false, [&](const Caller& who) -> Result<http::Response> {
    auto file = registry_.file(who.actor, context.params.at("id"));
    if (!file) return file.takeError();
    return json(200, checklistJson(*file));
  });
}

http::Response RegistryApi::mark(const http::Request& request, RequestContext& context) {
  return serve(request, context, true, [&](const Caller& who) -> Result<http::Response> {
    const std::string& criterion = context.params.at("criterion");
    auto input =
        read(request, false, [&](const fhir::Value& v) { return markFromJson(v, criterion); });
    if (!input) return input.takeError();
    auto marked = registry_.mark(who.actor, context.params.at("id"), *input);
    if (!marked) return marked.takeError();
    return json(200, markJson(*marked));
  });
}

http::Response RegistryApi::listEvidence(const http::Request& request, RequestContext& context) {
  return serve(request, context, false, [&](const Caller& who) -> Result<http::Response> {
    auto file = registry_.file(who.actor, context.params.at("id"));
    if (!file) return file.takeError();
    fhir::Value list = fhir::Value::array();
    for (const auto& view : file->evidence) list.push(evidenceJson(view));
    fhir::Value v = fhir::Value::object();
    v.set("evidence", std::move(list));
    return json(200, v);
  });
}

http::Response RegistryApi::addEvidence(const http::Request& request, RequestContext& context) {
  return serve(request, context, true, [&](const Caller& who) -> Result<http::Response> {
    // Checked as any body (media type, JSON, depth); the Registry keeps the text as uploaded.
    if (auto parsed = body(request, false); !parsed) return parsed.takeError();
    const std::string& id = context.params.at("id");
    auto added = registry_.addEvidence(who.actor, id, request.body, bodyLimits(config_));
    if (!added) return added.takeError();
    http::Response r = json(201, evidenceJson(*added));
    r.headers.set("Location", config_.baseUrl() + kApi + "/services/" + id + "/evidence/" +
                                  added->record.evidenceId);
    return r;
  });
}

http::Response RegistryApi::readEvidence(const http::Request& request, RequestContext& context) {
  return serve(request, context, false, [&](const Caller& who) -> Result<http::Response> {
    auto file = registry_.file(who.actor, context.params.at("id"));
    if (!file) return file.takeError();
    const std::string& wanted = context.params.at("evidence");
    for (const auto& view : file->evidence) {
      if (view.record.evidenceId != wanted) continue;
      http::Response r = fhirText(200, view.record.content);
      r.headers.set("Cache-Control", "no-store");
      return r;
    }
    return Error::make(ErrorKind::kNotFound, "not-found",
                       "The service has no evidence " + wanted + ".");
  });
}

http::Response RegistryApi::decide(const http::Request& request, RequestContext& context) {
  return serve(request, context, true, [&](const Caller& who) -> Result<http::Response> {
    auto expected = ifMatch(request);
    if (!expected) return expected.takeError();
    auto input = read(request, false, decisionFromJson);
    if (!input) return input.takeError();
    auto decided = registry_.decide(who.actor, context.params.at("id"), *input, *expected);
    if (!decided) return decided.takeError();
    return entryResponse(200, *decided, who.actor);
  });
}

http::Response RegistryApi::act(const http::Request& request, RequestContext& context) {
  const std::optional<Action> action = actionFromPath(context.params.at("action"));
  if (!action || *action == Action::kEdit || *action == Action::kMark ||
      *action == Action::kAddEvidence || *action == Action::kDecide) {
    return registryErrorResponse(Error::make(
        ErrorKind::kNotFound, "unknown-endpoint",
        "There is no action " + context.params.at("action") +
            "; the actions are submit, retract, start-evaluation, move-to-commission, decide, "
            "suspend, reinstate, withdraw and reopen."));
  }
  return serve(request, context, true, [&](const Caller& who) -> Result<http::Response> {
    auto expected = ifMatch(request);
    if (!expected) return expected.takeError();
    auto reason = read(request, true, reasonFromJson);
    if (!reason) return reason.takeError();
    auto moved =
        registry_.transition(who.actor, context.params.at("id"), *action, *reason, *expected);
    if (!moved) return moved.takeError();
    return entryResponse(200, *moved, who.actor);
  });
}

http::Response RegistryApi::listOrganisations(const http::Request& request,
                                              RequestContext& context) {
  return serve(request, context, false, [&](const Caller& who) -> Result<http::Response> {
    auto all = registry_.organisations(who.actor);
    if (!all) return all.takeError();
    fhir::Value list = fhir::Value::array();
    for (const auto& o : *all) list.push(organisationJson(o));
    fhir::Value v = fhir::Value::object();
    v.set("organisations", std::move(list));
    return json(200, v);
  });
}

http::Response RegistryApi::createOrganisation(const http::Request& request,
                                               RequestContext& context) {
  return serve(request, context, true, [&](const Caller& who) -> Result<http::Response> {
    auto input = read(request, false, organisationFromJson);
    if (!input) return input.takeError();
    auto created = registry_.createOrganisation(who.actor, *input);
    if (!created) return created.takeError();
    return json(201, organisationJson(*created));
  });
}

http::Response RegistryApi::listAccounts(const http::Request& request, RequestContext& context) {
  return serve(request, context, false, [&](const Caller& who) -> Result<http::Response> {
    auto all = registry_.accounts(who.actor);
    if (!all) return all.takeError();
    fhir::Value list = fhir::Value::array();
    for (const auto& a : *all) list.push(accountJson(a, registry_.organisationOf(a)));
    fhir::Value v = fhir::Value::object();
    v.set("accounts", std::move(list));
    return json(200, v);
  });
}

http::Response RegistryApi::createAccount(const http::Request& request, RequestContext& context) {
  return serve(request, context, true, [&](const Caller& who) -> Result<http::Response> {
    auto input = read(request, false, accountFromJson);
    if (!input) return input.takeError();
    auto created = registry_.createAccount(who.actor, *input);
    if (!created) return created.takeError();
    return json(201, accountJson(*created, registry_.organisationOf(*created)));
  });
}

}  // namespace mes::gateway::registry
