// The patient's own pages of /portal (members of AuthorizationServer, which owns pairings):
// the paired apps with what each may do and since when, a revoke button per app, and the
// activity history read from the audit trail. Login, one-time code and logout are
// PortalAuth's (portal_auth.cpp).
#include <charconv>

#include "fhir/types/datetime.h"
#include "gateway/authorization_server.h"
#include "gateway/html.h"
#include "oauth/api_access.h"

namespace mes::gateway {
namespace {

// The ticked rows a pairing's scope amounts to, in plain French.
std::string accessList(const oauth::ScopeSet& scope) {
  std::string out = "<ul>";
  for (const auto* access : oauth::accessesRequestedBy(scope)) {
    out += "<li>" + escapeHtml(access->labelFr) + "</li>";
  }
  return out + "</ul>";
}

std::string logoutForm(const PortalSession& session) {
  return "<form method=\"post\" action=\"/portal/logout\"><input type=\"hidden\" name=\"csrf\" "
         "value=\"" + escapeHtml(session.csrfToken) + "\"><button type=\"submit\">Se déconnecter"
         "</button></form>";
}

}  // namespace

http::Response AuthorizationServer::portalHome(const http::Request& request, RequestContext&) {
  auto session = portal_.authenticated(request);
  if (!session) return portal_.redirectToLogin("/portal/");
  auto pairings = pairings_.ofPatient(session->patientId);
  if (!pairings) {
    return htmlResponse(503, page("Indisponible", "<h1>Service momentanément indisponible</h1>"));
  }
  std::string body = "<h1>Mes applications connectées</h1>";
  body += "<p>Les applications du catalogue que vous avez autorisées à accéder à votre profil "
          "Mon espace santé. Retirer une autorisation prend effet immédiatement.</p>";
  bool any = false;
  for (const auto& p : *pairings) {
    if (!p.active) continue;
    any = true;
    body += "<section class=\"card\"><h2>" + escapeHtml(p.serviceName) + "</h2>";
    body += "<p>Autorisée depuis le " + escapeHtml(dateTimeFr(p.startedMs));
    if (p.updatedMs != p.startedMs) body += ", modifiée le " + escapeHtml(dateTimeFr(p.updatedMs));
    body += ".</p><p>Elle peut :</p>" + accessList(p.scope);
    body += "<form method=\"post\" action=\"/portal/pairings/" + escapeHtml(p.id) +
            "/revoke\"><input type=\"hidden\" name=\"csrf\" value=\"" +
            escapeHtml(session->csrfToken) +
            "\"><button type=\"submit\">Retirer l’autorisation</button></form></section>";
  }
  if (!any) body += "<p>Aucune application n’est autorisée pour le moment.</p>";
  bool ended = false;
  for (const auto& p : *pairings) {
    if (p.active) continue;
    if (!ended) body += "<h2>Autorisations retirées</h2><ul>";
    ended = true;
    body += "<li>" + escapeHtml(p.serviceName) + " — du " + escapeHtml(dateTimeFr(p.startedMs)) +
            " au " + escapeHtml(dateTimeFr(p.endedMs)) + "</li>";
  }
  if (ended) body += "</ul>";
  body += "<p><a href=\"/portal/activity\">Voir l’historique des accès</a></p>";
  body += logoutForm(*session);
  return htmlResponse(200, page("Mes applications connectées", body));
}

http::Response AuthorizationServer::portalActivity(const http::Request& request, RequestContext&) {
  auto session = portal_.authenticated(request);
  if (!session) return portal_.redirectToLogin("/portal/activity");
  constexpr int kPageSize = 50;
  int offset = 0;
  const std::string& from = http::firstValue(request.query, "offset");
  if (!from.empty()) {
    auto res = std::from_chars(from.data(), from.data() + from.size(), offset);
    if (res.ec != std::errc() || offset < 0 || offset > 1'000'000) offset = 0;
  }
  const std::string& client = http::firstValue(request.query, "service");
  auto events = audit_.activity(session->patientId, kPageSize, offset, client);
  if (!events) {
    return htmlResponse(503, page("Indisponible", "<h1>Service momentanément indisponible</h1>"));
  }
  std::string body = "<h1>Historique des accès à mon profil</h1>";
  body += "<p>Chaque lecture, écriture ou tentative d’accès d’une application, et chacun de vos "
          "choix d’autorisation, du plus récent au plus ancien.</p>";
  if (events->entries.empty()) body += "<p>Aucune activité enregistrée.</p>";
  body += "<table><thead><tr><th>Date</th><th>Activité</th><th>Résultat</th></tr></thead><tbody>";
  for (const auto& e : events->entries) {
    body += "<tr><td>" + escapeHtml(dateTimeFr(e.record.recordedMs)) + "</td><td>" +
            escapeHtml(e.description) + "</td><td>" + (e.record.success ? "réussi" : "refusé") +
            "</td></tr>";
  }
  body += "</tbody></table>";
  std::string filter = client.empty() ? "" : "&service=" + http::percentEncode(client);
  if (offset > 0) {
    body += "<a href=\"/portal/activity?offset=" + std::to_string(std::max(0, offset - kPageSize)) +
            escapeHtml(filter) + "\">Plus récents</a> ";
  }
  if (events->hasMore) {
    body += "<a href=\"/portal/activity?offset=" + std::to_string(offset + kPageSize) +
            escapeHtml(filter) + "\">Plus anciens</a>";
  }
  body += "<p><a href=\"/portal/\">Mes applications connectées</a></p>";
  return htmlResponse(200, page("Historique des accès", body));
}

http::Response AuthorizationServer::portalRevoke(const http::Request& request,
                                                 RequestContext& context) {
  auto session = portal_.authenticated(request);
  if (!session) return portal_.redirectToLogin("/portal/");
  const auto form = http::parseForm(request.body);
  if (!portal_.csrfValid(*session, form)) {
    return htmlResponse(403, page("Formulaire refusé",
                                  "<h1>Formulaire refusé</h1><p>Ce formulaire n’a pas été envoyé "
                                  "depuis votre espace ou a expiré. Rien n’a été modifié.</p>"
                                  "<p><a href=\"/portal/\">Retour</a></p>"));
  }
  auto pairing = pairings_.byId(context.params.at("id"));
  // Another patient's pairing is "not found" too.
  if (!pairing || pairing->patientId != session->patientId) {
    return htmlResponse(404, page("Introuvable", "<h1>Autorisation introuvable</h1>"
                                                 "<p><a href=\"/portal/\">Retour</a></p>"));
  }
  if (pairing->active) {
    if (Status ended = endPairing(*pairing, "patient", request.remoteAddress, context.requestId);
        !ended) {
      return htmlResponse(503, page("Indisponible", "<h1>Service momentanément indisponible</h1>"
                                                    "<p>L’autorisation n’a pas été retirée ; "
                                                    "réessayez.</p>"));
    }
  }
  http::Response r;
  r.status = 303;
  r.headers.set("Location", "/portal/");
  r.headers.set("Cache-Control", "no-store");
  return r;
}

}  // namespace mes::gateway
