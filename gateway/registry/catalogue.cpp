#include "gateway/registry/catalogue.h"

#include "fhir/json/json.h"
#include "gateway/html.h"
#include "gateway/registry/registry_api.h"
#include "oauth/api_access.h"
#include "oauth/scope.h"

namespace mes::gateway::registry {
namespace {

bool wantsHtml(const http::Request& request) {
  return request.headers.get("Accept").find("text/html") != std::string::npos;
}

// The access families a service's granted scopes amount to, in display order.
std::vector<const oauth::ApiAccess*> accessesOf(const store::ServiceRecord& service) {
  auto scopes = oauth::ScopeSet::parse(service.allowedScopes);
  if (!scopes) return {};
  return oauth::accessesRequestedBy(*scopes);
}

fhir::Value serviceJson(const store::RegistryEntry& entry) {
  using fhir::Value;
  const ServiceCategory* category = findCategory(entry.details.category);
  Value v = Value::object();
  v.set("client_id", Value::string(entry.service.clientId));
  v.set("name", Value::string(entry.service.name));
  v.set("editor", Value::string(entry.service.editorName));
  if (category != nullptr) {
    Value c = Value::object();
    c.set("id", Value::string(std::string(category->id)));
    c.set("label_fr", Value::string(std::string(category->labelFr)));
    v.set("category", std::move(c));
  } else {
    v.set("category", Value::null());
  }
  v.set("description", entry.details.description.empty()
                           ? Value::null()
                           : Value::string(entry.details.description));
  v.set("website",
        entry.details.website.empty() ? Value::null() : Value::string(entry.details.website));
  Value accesses = Value::array();
  for (const oauth::ApiAccess* a : accessesOf(entry.service)) {
    Value item = Value::object();
    item.set("id", Value::string(std::string(a->id)));
    item.set("label_fr", Value::string(std::string(a->labelFr)));
    item.set("description_fr", Value::string(std::string(a->descriptionFr)));
    accesses.push(std::move(item));
  }
  v.set("data_exchanged", std::move(accesses));
  return v;
}

std::string serviceCard(const store::RegistryEntry& entry) {
  const ServiceCategory* category = findCategory(entry.details.category);
  std::string out = "<section><h2>" + escapeHtml(entry.service.name) + "</h2><p class=\"muted\">" +
                    escapeHtml(entry.service.editorName);
  if (category != nullptr) out += " — " + escapeHtml(category->labelFr);
  out += "</p>";
  if (!entry.details.description.empty())
    out += "<p>" + escapeHtml(entry.details.description) + "</p>";
  const auto accesses = accessesOf(entry.service);
  if (!accesses.empty()) {
    out += "<p>Avec votre accord, ce service peut :</p><ul>";
    for (const oauth::ApiAccess* a : accesses) {
      out += "<li><strong>" + escapeHtml(a->labelFr) +
             "</strong> : " + escapeHtml(a->descriptionFr) + "</li>";
    }
    out += "</ul>";
  }
  if (!entry.details.website.empty()) {
    out += "<p><a href=\"" + escapeHtml(entry.details.website) +
           "\" rel=\"noopener noreferrer\">Site du service</a></p>";
  }
  return out + "</section>";
}

}  // namespace

void Catalogue::registerRoutes(Router& router) {
  router.add("GET", "/catalogue", Interaction::kPublic, "",
             [this](const http::Request& r, RequestContext& c) { return list(r, c); });
}

http::Response Catalogue::list(const http::Request& request, RequestContext&) {
  const bool html = wantsHtml(request);
  std::string category;
  for (const auto& [name, value] : request.query) {
    if (name == "category" && (value.empty() || findCategory(value) != nullptr)) {
      category = value;
      continue;
    }
    const std::string what = name == "category"
                                 ? "category must be a catalogue category; got '" + value + "'."
                                 : "The only parameter is category; got '" + name + "'.";
    if (html) return messagePage(400, "Demande invalide", "Cette catégorie n’existe pas.");
    return registryErrorResponse(
        Error::make(ErrorKind::kInvalid,
                    name == "category" ? "invalid-parameter" : "unknown-parameter", what, name));
  }
  auto entries = registry_.catalogue();
  if (!entries) {
    if (html)
      return messagePage(503, "Service momentanément indisponible",
                         "Réessayez dans quelques instants.");
    return registryErrorResponse(entries.error());
  }
  std::vector<store::RegistryEntry> shown;
  for (auto& e : *entries) {
    if (category.empty() || e.details.category == category) shown.push_back(std::move(e));
  }
  http::Response r;
  if (html) {
    std::string body =
        "<h1>Catalogue des services référencés</h1><p>Les applications que vous "
        "pouvez connecter à votre profil Mon espace santé. Chacune a été évaluée "
        "et autorisée ; vous choisissez ce que vous lui permettez au moment de "
        "l’associer, et vous pouvez retirer cette autorisation à tout moment.</p>";
    body += "<nav><a href=\"/catalogue\">Toutes</a>";
    for (const auto& c : serviceCategories()) {
      body += "<a href=\"/catalogue?category=" + escapeHtml(c.id) + "\">" + escapeHtml(c.labelFr) +
              "</a>";
    }
    body += "</nav>";
    if (shown.empty())
      body += "<p>Aucun service référencé dans cette catégorie pour le moment.</p>";
    for (const auto& e : shown) body += serviceCard(e);
    r = htmlResponse(200, page("Catalogue des services", body, PageWidth::kWide));
  } else {
    fhir::Value services = fhir::Value::array();
    for (const auto& e : shown) services.push(serviceJson(e));
    fhir::Value v = fhir::Value::object();
    v.set("count", fhir::Value::number(static_cast<int64_t>(shown.size())));
    v.set("services", std::move(services));
    r.status = 200;
    r.headers.set("Content-Type", "application/json; charset=utf-8");
    r.headers.set("Cache-Control", "no-cache");
    r.body = fhir::toJson(v);
  }
  r.headers.set("Vary", "Accept");
  return r;
}

}  // namespace mes::gateway::registry
