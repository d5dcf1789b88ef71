#include "gateway/registry/registry_pages.h"

#include <algorithm>
#include <map>

#include "fhir/json/json.h"
#include "gateway/fhir_request.h"
#include "gateway/html.h"
#include "gateway/registry/registry_json.h"
#include "oauth/api_access.h"

namespace mes::gateway::registry {
namespace {

constexpr const char* kRoot = "/registry";

std::string e(std::string_view text) {
  return escapeHtml(text);
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string csrfField(const std::string& token) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + e(token) + "\">";
}

std::string servicePath(const std::string& clientId) {
  return std::string(kRoot) + "/services/" + http::percentEncode(clientId);
}

std::string statusBadge(const std::string& status) {
  const auto parsed = parseStatus(status);
  return "<span class=\"badge\">" + e(parsed ? statusLabelFr(*parsed) : status) + "</span>";
}

std::string accessLabel(const std::string& id) {
  const oauth::ApiAccess* access = oauth::findApiAccess(id);
  return access != nullptr ? std::string(access->labelFr) : id;
}

std::string accessList(const std::vector<std::string>& ids) {
  if (ids.empty()) return "<em>aucun</em>";
  std::string out = "<ul>";
  for (const std::string& id : ids)
    out += "<li>" + e(accessLabel(id)) + " <small>(" + e(id) + ")</small></li>";
  return out + "</ul>";
}

std::string lines(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : "\n") + s;
  return out;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    while (!line.empty() && line.front() == ' ') line.erase(line.begin());
    if (!line.empty()) out.push_back(std::move(line));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> allValues(const std::vector<std::pair<std::string, std::string>>& form,
                                   std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : form) {
    if (n == name) out.push_back(v);
  }
  return out;
}

// The label of a draft member in the pages.
std::string fieldFr(std::string_view field) {
  static const std::map<std::string, std::string, std::less<>> kLabels = {
      {"name", "Nom du service"},
      {"description", "Description"},
      {"category", "Catégorie"},
      {"website", "Site web"},
      {"contact", "Contact"},
      {"client_type", "Type de client"},
      {"redirect_uris", "URI de redirection"},
      {"jwks", "Jeu de clés publiques (JWK Set)"},
      {"jwks_uri", "Adresse du jeu de clés"},
      {"requested_accesses", "Accès demandés"},
      {"reason", "Motif"},
      {"legal_name", "Raison sociale"},
      {"siret", "SIRET"},
      {"editor_oid", "OID de l’éditeur"},
      {"login", "Identifiant"},
      {"role", "Rôle"},
      {"organisation_id", "Organisation"},
      {"password", "Mot de passe"},
      {"granted_accesses", "Accès accordés"},
      {"reservations", "Réserves"},
      {"decision", "Avis"},
      {"note", "Note"},
      {"verdict", "Verdict"},
  };
  const std::string_view base = field.substr(0, field.find_first_of("[."));
  auto it = kLabels.find(base);
  return it != kLabels.end() ? it->second : std::string(field);
}

std::string dateOrDash(int64_t ms) {
  return ms > 0 ? dateTimeFr(ms) : "—";
}

std::string verdictFr(const std::string& verdict) {
  if (verdict == "met") return "Satisfait";
  if (verdict == "not_met") return "Non satisfait";
  if (verdict == "not_applicable") return "Sans objet";
  return verdict;
}

std::string outcomeFr(const std::string& outcome) {
  if (outcome == "pass") return "réussi";
  if (outcome == "fail") return "échoué";
  if (outcome == "skip") return "non exécuté";
  return outcome;
}

std::string resultFr(const std::string& result) {
  if (result == "pass") return "<span class=\"ok\">Réussite</span>";
  if (result == "fail") return "<span class=\"ko\">Échec</span>";
  if (result == "pending") return "En attente";
  return e(result);
}

std::string roleFr(const std::string& role) {
  if (auto r = parseRole(role)) return std::string(roleLabelFr(*r));
  return role == "cli" ? "Ligne de commande" : role;
}

std::string actionFr(const std::string& action) {
  if (auto a = parseAction(action)) return std::string(actionLabelFr(*a));
  if (action == "create") return "Création du dossier";
  if (action == "register") return "Enregistrement par l’exploitant";
  return action;
}

std::string doneFr(const std::string& done) {
  if (done == "create") return "Le dossier a été créé.";
  if (done == "edit") return "Le dossier a été enregistré.";
  if (done == "evidence") return "Le rapport de conformité a été joint au dossier.";
  if (done == "marks") return "L’évaluation a été enregistrée.";
  if (done == "decide") return "L’avis de la commission a été enregistré.";
  if (done == "organisation") return "L’organisation a été créée.";
  if (done == "account") return "Le compte a été créé.";
  if (auto a = parseAction(done))
    return "Action effectuée : " + std::string(actionLabelFr(*a)) + ".";
  return {};
}

std::string confirmation(const http::Request& request) {
  const std::string text = doneFr(http::firstValue(request.query, "done"));
  return text.empty() ? std::string() : "<p class=\"info\" role=\"status\">" + e(text) + "</p>";
}

std::string problemsHtml(const Error& error) {
  std::string items;
  std::string allowed;
  for (const Problem& p : error.problems) {
    if (p.code == "allowed-action") {
      if (auto a = parseAction(p.message)) {
        allowed += (allowed.empty() ? "" : ", ") + std::string(actionLabelFr(*a));
      }
      continue;
    }
    items += "<li>" + e(problemFr(p)) + "</li>";
  }
  if (!allowed.empty()) items += "<li>Actions possibles maintenant : " + e(allowed) + ".</li>";
  return "<div class=\"error\" role=\"alert\"><ul>" + items + "</ul></div>";
}

// --- page parts ----------------------------------------------------------------------------

std::string factsTable(const store::RegistryEntry& entry) {
  const store::ServiceRecord& s = entry.service;
  const store::RegistryDetails& d = entry.details;
  const ServiceCategory* category = findCategory(d.category);
  auto row = [](const std::string& label, const std::string& html) {
    return "<tr><th scope=\"row\">" + e(label) + "</th><td>" + html + "</td></tr>";
  };
  std::string uris = "<ul>";
  for (const std::string& u : s.redirectUris) uris += "<li><code>" + e(u) + "</code></li>";
  uris += "</ul>";
  std::string out = "<div class=\"scroll\"><table>";
  out += row("Statut", statusBadge(s.status));
  out += row("Identifiant client (client_id)", "<code>" + e(s.clientId) + "</code>");
  out += row("Éditeur",
             e(s.editorName) + (d.editorSiret.empty() ? "" : " — SIRET " + e(d.editorSiret)));
  out += row("OID de l’éditeur", "<code>" + e(s.editorOid) + "</code>");
  out += row("Contact", d.contact.empty() ? "—" : e(d.contact));
  out += row("Description", d.description.empty() ? "—" : e(d.description));
  out += row("Catégorie", category != nullptr ? e(category->labelFr) : "—");
  out += row("Site web", d.website.empty() ? "—" : e(d.website));
  out += row("Type de client",
             s.clientType == "public" ? "Public (PKCE)" : "Confidentiel (private_key_jwt)");
  out += row("URI de redirection", uris);
  out += row("Clés publiques", s.jwks.empty() ? "—" : "Jeu de clés enregistré");
  out += row("Adresse du jeu de clés", s.jwksUri.empty() ? "—" : e(s.jwksUri));
  out += row("Accès demandés", accessList(d.requestedAccesses));
  out += row("Accès accordés par la commission", accessList(d.grantedAccesses));
  if (!d.decision.empty()) {
    const auto decision = parseDecision(d.decision);
    std::string html = e(decision ? decisionLabelFr(*decision) : d.decision);
    if (!d.reservations.empty()) {
      html += "<ul>";
      for (const std::string& r : d.reservations) html += "<li>" + e(r) + "</li>";
      html += "</ul>";
    }
    out += row("Avis de la commission", html);
  }
  out += row("Créé le", e(dateOrDash(s.createdMs)));
  out += row("Modifié le", e(dateOrDash(s.updatedMs)));
  return out + "</table></div>";
}

std::string historyTable(const std::vector<store::RegistryEvent>& history) {
  std::string out =
      "<h2>Historique</h2><div class=\"scroll\"><table><thead><tr><th>Date</th>"
      "<th>Action</th><th>Par</th><th>Statut</th><th>Motif</th></tr></thead><tbody>";
  for (const auto& ev : history) {
    const auto to = parseStatus(ev.toStatus);
    const std::string statusText =
        ev.fromStatus == ev.toStatus ? "—" : (to ? std::string(statusLabelFr(*to)) : ev.toStatus);
    out += "<tr><td>" + e(dateTimeFr(ev.recordedMs)) + "</td><td>" + e(actionFr(ev.action)) +
           "</td><td>" + e(ev.actorLogin) + " <small>(" + e(roleFr(ev.actorRole)) +
           ")</small></td><td>" + e(statusText) + "</td><td>" + e(ev.reason) + "</td></tr>";
  }
  return out + "</tbody></table></div>";
}

std::string evidenceTable(const std::vector<EvidenceView>& evidence) {
  std::string out = "<h2>Rapports de conformité</h2>";
  if (evidence.empty()) return out + "<p>Aucun rapport joint.</p>";
  out +=
      "<div class=\"scroll\"><table><thead><tr><th>Rapport</th><th>Verdict</th><th>Score</th>"
      "<th>Date du rapport</th><th>Tests</th><th>Joint par</th></tr></thead><tbody>";
  for (const auto& v : evidence) {
    size_t passed = 0;
    for (const auto& t : v.summary.tests) passed += t.outcome == "pass" ? 1 : 0;
    out += "<tr><td>" + e(v.summary.name.empty() ? v.summary.testScript : v.summary.name) +
           "<br><small>" + e(v.record.evidenceId) + "</small></td><td>" +
           resultFr(v.summary.result) + "</td><td>" +
           (v.summary.score.empty() ? "—" : e(v.summary.score) + " %") + "</td><td>" +
           e(v.summary.issued.empty() ? "—" : v.summary.issued) + "</td><td>" +
           std::to_string(passed) + " réussi(s) sur " + std::to_string(v.summary.tests.size()) +
           "</td><td>" + e(v.record.uploadedByLogin) + "<br><small>" +
           e(dateTimeFr(v.record.uploadedMs)) + "</small></td></tr>";
  }
  return out + "</tbody></table></div>";
}

// The evidence of one criterion: expected, and what attached tests say.
std::string criterionEvidence(const ChecklistItem& item) {
  std::string out;
  for (const auto& ev : item.criterion.evidence) {
    if (ev.kind == "conformance-test") {
      out += "<div><small>Test attendu : <code>" + e(ev.test) + "</code></small></div>";
    } else {
      out += "<div><small>" + std::string(ev.kind == "document" ? "Document : " : "Question : ") +
             e(ev.fr) + "</small></div>";
    }
  }
  for (const TestEvidence& t : item.tests) {
    out += std::string("<div class=\"") + (t.outcome == "pass" ? "ok" : "ko") + "\">" +
           (t.outcome == "pass" ? "✓ Vérifié par le test " : "✗ Test ") + e(t.test) +
           (t.outcome == "pass" ? "" : " " + outcomeFr(t.outcome)) + " <small>(rapport " +
           e(t.evidenceId) + (t.issued.empty() ? "" : ", " + e(t.issued)) + ")</small></div>";
  }
  return out;
}

std::string checklistTable(const ServiceFile& file, bool editable, const std::string& csrf,
                           const std::string& clientId) {
  std::string out;
  if (editable) {
    out += "<form method=\"post\" action=\"" + e(servicePath(clientId)) + "/evaluation\">" +
           csrfField(csrf);
  }
  out +=
      "<div class=\"scroll\"><table><thead><tr><th>Critère</th><th>Exigence</th>"
      "<th>Preuves</th><th>Évaluation</th></tr></thead><tbody>";
  for (const ChecklistItem& item : file.checklist) {
    const Criterion& c = item.criterion;
    out += "<tr><td><strong>" + e(c.id) + "</strong><br>" +
           (c.required ? "<span class=\"badge\">obligatoire</span>" : "<small>recommandé</small>") +
           "</td><td>" + e(c.statementFr) + "<br><small lang=\"en\">" + e(c.statementEn) +
           "</small></td><td>" + criterionEvidence(item) + "</td><td>";
    if (editable) {
      const std::string current = item.mark ? item.mark->verdict : "";
      out += "<label for=\"v-" + e(c.id) + "\">Verdict</label><select id=\"v-" + e(c.id) +
             "\" name=\"verdict." + e(c.id) + "\"><option value=\"\">—</option>";
      for (const char* v : {"met", "not_met", "not_applicable"}) {
        out += std::string("<option value=\"") + v + "\"" + (current == v ? " selected" : "") +
               ">" + e(verdictFr(v)) + "</option>";
      }
      out += "</select><label for=\"n-" + e(c.id) + "\">Note</label><textarea id=\"n-" + e(c.id) +
             "\" name=\"note." + e(c.id) + "\" rows=\"2\">" + e(item.mark ? item.mark->note : "") +
             "</textarea>";
    } else if (item.mark) {
      out += "<strong>" + e(verdictFr(item.mark->verdict)) + "</strong>" +
             (item.mark->note.empty() ? "" : "<br>" + e(item.mark->note)) + "<br><small>" +
             e(item.mark->actorLogin) + ", " + e(dateTimeFr(item.mark->markedMs)) + "</small>";
    } else {
      out += "<em>non évalué</em>";
    }
    out += "</td></tr>";
  }
  out += "</tbody></table></div>";
  if (editable) out += "<button type=\"submit\">Enregistrer l’évaluation</button></form>";
  return out;
}

std::string draftForm(const std::string& action, const ServiceDraft& d, const std::string& csrf,
                      const std::string& button) {
  auto text = [](const char* name, const char* label, const std::string& value,
                 const char* extra = "") {
    return std::string("<label for=\"") + name + "\">" + label +
           "</label><input type=\"text\" id=\"" + name + "\" name=\"" + name + "\" value=\"" +
           e(value) + "\"" + extra + ">";
  };
  std::string out = "<form method=\"post\" action=\"" + e(action) + "\">" + csrfField(csrf);
  out += text("name", "Nom du service (affiché aux usagers)", d.name, " required maxlength=\"80\"");
  out +=
      "<label for=\"description\">Description (20 à 2000 caractères)</label>"
      "<textarea id=\"description\" name=\"description\" rows=\"4\">" +
      e(d.description) + "</textarea>";
  out +=
      "<label for=\"category\">Catégorie</label><select id=\"category\" name=\"category\">"
      "<option value=\"\">—</option>";
  for (const auto& c : serviceCategories()) {
    out += "<option value=\"" + e(c.id) + "\"" + (d.category == c.id ? " selected" : "") + ">" +
           e(c.labelFr) + "</option>";
  }
  out += "</select>";
  out += text("website", "Site web (https)", d.website, " inputmode=\"url\"");
  out += text("contact", "Adresse électronique du responsable du service", d.contact,
              " inputmode=\"email\"");
  out +=
      "<label for=\"client_type\">Type de client</label><select id=\"client_type\" "
      "name=\"client_type\">";
  out += std::string("<option value=\"public\"") +
         (d.clientType != "confidential-asymmetric" ? " selected" : "") +
         ">Public : application mobile ou navigateur (PKCE)</option>";
  out += std::string("<option value=\"confidential-asymmetric\"") +
         (d.clientType == "confidential-asymmetric" ? " selected" : "") +
         ">Confidentiel : serveur avec clé privée (private_key_jwt)</option></select>";
  out +=
      "<label for=\"redirect_uris\">URI de redirection (une par ligne)</label>"
      "<textarea id=\"redirect_uris\" name=\"redirect_uris\" rows=\"3\">" +
      e(lines(d.redirectUris)) + "</textarea>";
  out +=
      "<label for=\"jwks\">Jeu de clés publiques (JWK Set, JSON ; clients confidentiels)</label>"
      "<textarea id=\"jwks\" name=\"jwks\" rows=\"3\">" +
      e(d.jwks) + "</textarea>";
  out += text("jwks_uri", "Adresse publiant ce jeu de clés (facultatif)", d.jwksUri,
              " inputmode=\"url\"");
  out += "<fieldset><legend>Accès demandés à Mon espace santé</legend>";
  for (const auto& a : oauth::mesApiAccesses()) {
    const bool checked = std::find(d.requestedAccesses.begin(), d.requestedAccesses.end(), a.id) !=
                         d.requestedAccesses.end();
    out += "<div><label><input type=\"checkbox\" name=\"requested_accesses\" value=\"" + e(a.id) +
           "\"" + (checked ? " checked" : "") + "> " + e(a.labelFr) + "</label><small>" +
           e(a.descriptionFr) + "</small></div>";
  }
  out += "</fieldset><button type=\"submit\">" + e(button) + "</button></form>";
  return out;
}

ServiceDraft draftFromForm(const std::vector<std::pair<std::string, std::string>>& form) {
  ServiceDraft d;
  d.name = http::firstValue(form, "name");
  d.description = http::firstValue(form, "description");
  d.category = http::firstValue(form, "category");
  d.website = http::firstValue(form, "website");
  d.contact = http::firstValue(form, "contact");
  d.clientType = http::firstValue(form, "client_type");
  d.redirectUris = splitLines(http::firstValue(form, "redirect_uris"));
  d.jwks = http::firstValue(form, "jwks");
  while (!d.jwks.empty() && std::isspace(static_cast<unsigned char>(d.jwks.back())))
    d.jwks.pop_back();
  d.jwksUri = http::firstValue(form, "jwks_uri");
  d.requestedAccesses = allValues(form, "requested_accesses");
  return d;
}

// A form button for one transition, with its reason.
std::string actionForm(const std::string& clientId, Action action, const std::string& csrf) {
  const std::string id = "reason-" + std::string(actionName(action));
  return "<form method=\"post\" action=\"" + e(servicePath(clientId)) + "/actions/" +
         e(actionPath(action)) + "\">" + csrfField(csrf) + "<label for=\"" + id +
         "\">Motif</label><textarea id=\"" + id +
         "\" name=\"reason\" rows=\"2\"></textarea>"
         "<button type=\"submit\">" +
         e(actionLabelFr(action)) + "</button></form>";
}

}  // namespace

// --- French problems ----------------------------------------------------------------------

std::string problemFr(const Problem& p) {
  const std::string& c = p.code;
  const std::string field = fieldFr(p.expression);
  if (c == "action-not-allowed")
    return "Cette action n’est pas possible dans l’état actuel du dossier.";
  if (c == "role-forbidden") return "Votre rôle ne permet pas cette action.";
  if (c == "organisation-missing")
    return "Votre compte n’est rattaché à aucune organisation éditrice.";
  if (c == "not-found") return "Ce dossier n’existe pas.";
  if (c == "version-conflict") return "Le dossier a été modifié entre-temps : rechargez la page.";
  if (c == "criteria-unmarked") return "Critère obligatoire non évalué : " + p.expression + ".";
  if (c == "draft-incomplete") return field + " : à renseigner avant la soumission.";
  if (c == "reason-required") return "Indiquez le motif : il est enregistré dans l’historique.";
  if (c == "reason-invalid" || c == "note-invalid") {
    return field + " : 2000 caractères au plus, sans caractères de contrôle.";
  }
  if (c == "note-required")
    return "Une note est requise pour un critère non satisfait ou sans objet.";
  if (c == "criterion-unknown" || c == "mark-invalid") return "Critère ou verdict inconnu.";
  if (c == "report-not-completed")
    return "Le rapport n’est pas terminé (statut « completed » attendu).";
  if (c == "requirement-unknown") {
    return "Le rapport cite une exigence qui n’est pas un critère du référencement (" +
           p.expression + ").";
  }
  if (c == "evidence-duplicate") return "Ce rapport est déjà joint au dossier.";
  if (c == "json-too-deep") {
    return "Le JSON envoyé est imbriqué trop profondément (limite du service : max_json_depth).";
  }
  if (c == "json-malformed" || c == "json-duplicate-key") {
    return "Le texte envoyé n’est pas du JSON valide.";
  }
  if (c == "already-exists") {
    return "Cet élément existe déjà (identifiant, SIRET ou OID déjà enregistré).";
  }
  if (c == "password-too-short") return "Mot de passe : au moins 12 caractères.";
  if (c == "decision-invalid") {
    if (startsWith(p.expression, "granted_accesses")) {
      return "Accès accordés : cochez au moins un des accès demandés, et aucun pour un avis "
             "défavorable.";
    }
    if (startsWith(p.expression, "reservations")) {
      return "Réserves : une par ligne (1000 caractères au plus), pour un avis favorable avec "
             "réserves seulement.";
    }
    return "Choisissez l’avis de la commission.";
  }
  if (c == "organisation-invalid") {
    if (p.expression == "siret")
      return "SIRET : 14 chiffres dont la clé de contrôle (Luhn) est juste.";
    if (p.expression == "editor_oid") return "OID : « urn:oid: » suivi de chiffres et de points.";
    if (p.expression == "contact") return "Contact : une adresse électronique.";
    return "Raison sociale : 2 à 200 caractères.";
  }
  if (c == "account-invalid") {
    if (p.expression == "login")
      return "Identifiant : une adresse électronique (les codes de connexion y sont envoyés).";
    if (p.expression == "role") return "Rôle inconnu.";
    return "Organisation : obligatoire pour un compte éditeur, sans objet pour les autres rôles.";
  }
  if (c == "service-invalid") {
    if (startsWith(p.expression, "redirect_uris")) {
      return "URI de redirection refusée : https, boucle locale (http://127.0.0.1) ou schéma "
             "d’application inversé (com.exemple.app:/retour), sans fragment, sans joker ni "
             "doublon, 10 au plus.";
    }
    if (startsWith(p.expression, "jwks")) {
      return field +
             " : un JWK Set {\"keys\": [...]} de clés publiques EC P-256/P-384 ou RSA, "
             "seulement pour un client confidentiel ; adresse en https.";
    }
    if (p.expression == "name") return "Nom du service : 2 à 80 caractères.";
    if (p.expression == "description") return "Description : 20 à 2000 caractères.";
    if (p.expression == "website") return "Site web : une adresse https.";
    if (p.expression == "contact") return "Contact : une adresse électronique.";
    if (startsWith(p.expression, "requested_accesses"))
      return "Accès demandés : accès inconnu ou en double.";
    return field + " : valeur refusée.";
  }
  if (startsWith(p.expression, "TestReport")) {
    return "Rapport non conforme à FHIR TestReport (" + p.expression + ").";
  }
  return "La demande n’a pas pu être traitée (" + c + ").";
}

// --- the pages -----------------------------------------------------------------------------

RegistryPages::RegistryPages(const Config& config, Registry& registry, PortalAuth& auth)
    : config_(config), registry_(registry), auth_(auth) {}

void RegistryPages::registerRoutes(Router& router) {
  using Handler = http::Response (RegistryPages::*)(const http::Request&, RequestContext&);
  auto add = [&](const char* method, const std::string& path, Handler handler) {
    router.add(method, kRoot + path, Interaction::kPublic, "",
               [this, handler](const http::Request& r, RequestContext& c) {
                 return (this->*handler)(r, c);
               });
  };
  add("GET", "/", &RegistryPages::home);
  add("GET", "/services/new", &RegistryPages::newService);
  add("POST", "/services", &RegistryPages::createService);
  add("GET", "/services/{id}", &RegistryPages::service);
  add("POST", "/services/{id}/edit", &RegistryPages::editService);
  add("POST", "/services/{id}/actions/{action}", &RegistryPages::act);
  add("POST", "/services/{id}/evidence", &RegistryPages::addEvidence);
  add("GET", "/services/{id}/evaluation", &RegistryPages::evaluation);
  add("POST", "/services/{id}/evaluation", &RegistryPages::saveEvaluation);
  add("GET", "/services/{id}/decision", &RegistryPages::decision);
  add("POST", "/services/{id}/decision", &RegistryPages::decide);
  add("GET", "/admin", &RegistryPages::admin);
  add("POST", "/admin/organisations", &RegistryPages::createOrganisation);
  add("POST", "/admin/accounts", &RegistryPages::createAccount);
}

std::variant<RegistryPages::Visitor, http::Response> RegistryPages::visitor(
    const http::Request& request, const RequestContext& context) {
  std::optional<PortalSession> session = auth_.authenticated(request);
  std::string here = request.path;
  if (!request.rawQuery.empty()) here += "?" + request.rawQuery;
  if (!session)
    return auth_.redirectToLogin(request.method == "GET" ? here : std::string(kRoot) + "/");
  auto actor = registry_.actorFor(*session, request.remoteAddress, context.requestId);
  if (!actor)
    return messagePage(403, "Accès refusé", "Ce compte n’a pas de rôle dans le référencement.");
  return Visitor{std::move(*actor), std::move(*session)};
}

std::variant<RegistryPages::Visitor, http::Response> RegistryPages::formVisitor(
    const http::Request& request, const RequestContext& context, const Form& form) {
  auto who = visitor(request, context);
  if (auto* v = std::get_if<Visitor>(&who); v != nullptr && !auth_.csrfValid(v->session, form)) {
    return messagePage(403, "Formulaire expiré",
                       "Ce formulaire n’est plus valide (session expirée ou formulaire envoyé "
                       "depuis un autre site). Aucune action n’a été effectuée.");
  }
  return who;
}

template <typename Handle>
http::Response RegistryPages::onPage(const http::Request& request, const RequestContext& context,
                                     Handle&& handle) {
  auto who = visitor(request, context);
  if (auto* refused = std::get_if<http::Response>(&who)) return std::move(*refused);
  return handle(std::get<Visitor>(who));
}

template <typename Handle>
http::Response RegistryPages::onForm(const http::Request& request, const RequestContext& context,
                                     Handle&& handle) {
  const Form form = http::parseForm(request.body);
  auto who = formVisitor(request, context, form);
  if (auto* refused = std::get_if<http::Response>(&who)) return std::move(*refused);
  return handle(std::get<Visitor>(who), form);
}

http::Response RegistryPages::seeOther(const std::string& pathAndQuery) const {
  return gateway::seeOther(config_.baseUrl() + pathAndQuery);
}

http::Response RegistryPages::render(int status, const std::string& title, const std::string& body,
                                     const Visitor& v) const {
  std::string nav = "<nav><a href=\"/registry/\">Tableau de bord</a>";
  if (v.actor.role == Role::kEditor)
    nav += "<a href=\"/registry/services/new\">Nouveau service</a>";
  if (v.actor.role == Role::kAdmin) nav += "<a href=\"/registry/admin\">Administration</a>";
  nav += "<a href=\"/catalogue\">Catalogue public</a></nav>";
  const std::string who = "<p class=\"muted\"><small>Connecté : " + e(v.session.login) + " — " +
                          e(roleLabelFr(v.actor.role)) + "</small></p>";
  const std::string logout =
      "<form method=\"post\" action=\"/registry/logout\">" + csrfField(v.session.csrfToken) +
      "<button type=\"submit\" class=\"secondary\">Se déconnecter</button></form>";
  return htmlResponse(status, page(title, nav + who + body + logout, PageWidth::kWide));
}

http::Response RegistryPages::problemPage(const Error& error, const Visitor& v,
                                          const std::string& back) const {
  const int status = httpStatusOf(error.kind);
  if (status >= 500) {
    return messagePage(status, "Service momentanément indisponible",
                       "Réessayez dans quelques instants.");
  }
  std::string body = "<h1>Action refusée</h1>" + problemsHtml(error) + "<p><a href=\"" + e(back) +
                     "\">Revenir au dossier</a></p>";
  return render(status, "Action refusée", body, v);
}

http::Response RegistryPages::home(const http::Request& request, RequestContext& context) {
  return onPage(request, context, [&](const Visitor& v) -> http::Response {
    auto entries = registry_.list(v.actor);
    if (!entries) return problemPage(entries.error(), v, "/registry/");
    std::string body = "<h1>Référencement des services numériques</h1>" + confirmation(request);
    if (v.actor.role == Role::kEditor) {
      body +=
          "<p>Les services de votre organisation et leur avancement. <a href=\"/registry/"
          "services/new\">Déposer un nouveau service</a>.</p>";
    } else {
      body += "<p>Les dossiers du référencement, du plus récent au plus ancien.</p>";
    }
    std::vector<store::RegistryEntry> sorted = std::move(*entries);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.service.updatedMs > b.service.updatedMs;
    });
    if (sorted.empty()) {
      body += "<p>Aucun dossier pour le moment.</p>";
    } else {
      body +=
          "<div class=\"scroll\"><table><thead><tr><th>Service</th><th>Éditeur</th><th>Statut</th>"
          "<th>Modifié le</th><th>À faire</th></tr></thead><tbody>";
      for (const auto& entry : sorted) {
        std::string doable;
        for (Action a : actionsFor(v.actor, entry)) {
          doable += (doable.empty() ? "" : ", ") + std::string(actionLabelFr(a));
        }
        body += "<tr><td><a href=\"" + e(servicePath(entry.service.clientId)) + "\">" +
                e(entry.service.name) + "</a></td><td>" + e(entry.service.editorName) +
                "</td><td>" + statusBadge(entry.service.status) + "</td><td>" +
                e(dateOrDash(entry.service.updatedMs)) + "</td><td>" +
                e(doable.empty() ? "—" : doable) + "</td></tr>";
      }
      body += "</tbody></table></div>";
    }
    return render(200, "Référencement", body, v);
  });
}

http::Response RegistryPages::newService(const http::Request& request, RequestContext& context) {
  return onPage(request, context, [&](const Visitor& v) -> http::Response {
    if (v.actor.role != Role::kEditor) {
      return problemPage(Error::make(ErrorKind::kForbidden, "role-forbidden", ""), v, "/registry/");
    }
    ServiceDraft blank;
    blank.clientType = "public";
    const std::string body =
        "<h1>Déposer un service</h1><p>Le dossier reste un brouillon modifiable jusqu’à sa "
        "soumission ; les champs peuvent être complétés plus tard, mais tous sont requis pour "
        "soumettre. Les critères évalués sont publiés dans <a href=\"/registry/api/criteria\">la "
        "grille du référencement</a>.</p>" +
        draftForm("/registry/services", blank, v.session.csrfToken, "Créer le brouillon");
    return render(200, "Nouveau service", body, v);
  });
}

http::Response RegistryPages::createService(const http::Request& request, RequestContext& context) {
  return onForm(request, context, [&](const Visitor& v, const Form& form) -> http::Response {
    const ServiceDraft draft = draftFromForm(form);
    auto created = registry_.create(v.actor, draft);
    if (!created) {
      if (created.error().kind != ErrorKind::kUnprocessable) {
        return problemPage(created.error(), v, "/registry/");
      }
      const std::string body =
          "<h1>Déposer un service</h1>" + problemsHtml(created.error()) +
          draftForm("/registry/services", draft, v.session.csrfToken, "Créer le brouillon");
      return render(422, "Nouveau service", body, v);
    }
    return seeOther(servicePath(created->service.clientId) + "?done=create");
  });
}

http::Response RegistryPages::service(const http::Request& request, RequestContext& context) {
  return onPage(request, context, [&](const Visitor& v) -> http::Response {
    const std::string& id = context.params.at("id");
    auto file = registry_.file(v.actor, id);
    if (!file) return problemPage(file.error(), v, "/registry/");
    const std::string& csrf = v.session.csrfToken;
    std::string body = "<h1>" + e(file->entry.service.name) + "</h1>" + confirmation(request);
    body += factsTable(file->entry);
    body += "<p><a href=\"" + e(servicePath(id)) +
            "/evaluation\">Grille d’évaluation</a> — <a href=\"" + e(servicePath(id)) +
            "/decision\">Dossier complet pour la commission</a></p>";
    bool any = false;
    for (Action a : file->actions) {
      if (a == Action::kEdit || a == Action::kMark || a == Action::kAddEvidence) continue;
      if (!any) body += "<h2>Actions</h2>";
      any = true;
      if (a == Action::kDecide) {
        body += "<p><a href=\"" + e(servicePath(id)) +
                "/decision\">Rendre l’avis de la commission</a></p>";
        continue;
      }
      body += actionForm(id, a, csrf);
    }
    const bool canAttach = std::find(file->actions.begin(), file->actions.end(),
                                     Action::kAddEvidence) != file->actions.end();
    if (canAttach) {
      body +=
          "<h2>Joindre un rapport de conformité</h2><form method=\"post\" action=\"" +
          e(servicePath(id)) + "/evidence\">" + csrfField(csrf) +
          "<label for=\"report\">Rapport FHIR TestReport produit par mes-conformance (JSON)</label>"
          "<textarea id=\"report\" name=\"report\" rows=\"6\" required></textarea>"
          "<button type=\"submit\">Joindre le rapport</button></form>";
    }
    body += evidenceTable(file->evidence);
    if (std::find(file->actions.begin(), file->actions.end(), Action::kEdit) !=
        file->actions.end()) {
      body += "<h2>Modifier le brouillon</h2>" +
              draftForm(servicePath(id) + "/edit", draftOf(file->entry), csrf, "Enregistrer");
    }
    body += historyTable(file->history);
    return render(200, file->entry.service.name, body, v);
  });
}

http::Response RegistryPages::editService(const http::Request& request, RequestContext& context) {
  return onForm(request, context, [&](const Visitor& v, const Form& form) -> http::Response {
    const std::string& id = context.params.at("id");
    const ServiceDraft draft = draftFromForm(form);
    auto edited = registry_.edit(v.actor, id, draft);
    if (!edited) {
      if (edited.error().kind != ErrorKind::kUnprocessable)
        return problemPage(edited.error(), v, servicePath(id));
      const std::string body =
          "<h1>Modifier le brouillon</h1>" + problemsHtml(edited.error()) +
          draftForm(servicePath(id) + "/edit", draft, v.session.csrfToken, "Enregistrer");
      return render(422, "Modifier le brouillon", body, v);
    }
    return seeOther(servicePath(id) + "?done=edit");
  });
}

http::Response RegistryPages::act(const http::Request& request, RequestContext& context) {
  return onForm(request, context, [&](const Visitor& v, const Form& form) -> http::Response {
    const std::string& id = context.params.at("id");
    const std::optional<Action> action = actionFromPath(context.params.at("action"));
    if (!action) {
      return problemPage(Error::make(ErrorKind::kNotFound, "not-found", ""), v, servicePath(id));
    }
    auto moved = registry_.transition(v.actor, id, *action, http::firstValue(form, "reason"));
    if (!moved) return problemPage(moved.error(), v, servicePath(id));
    return seeOther(servicePath(id) + "?done=" + std::string(actionName(*action)));
  });
}

http::Response RegistryPages::addEvidence(const http::Request& request, RequestContext& context) {
  return onForm(request, context, [&](const Visitor& v, const Form& form) -> http::Response {
    const std::string& id = context.params.at("id");
    auto added =
        registry_.addEvidence(v.actor, id, http::firstValue(form, "report"), bodyLimits(config_));
    if (!added) return problemPage(added.error(), v, servicePath(id));
    return seeOther(servicePath(id) + "?done=evidence");
  });
}

http::Response RegistryPages::evaluation(const http::Request& request, RequestContext& context) {
  return onPage(request, context, [&](const Visitor& v) -> http::Response {
    const std::string& id = context.params.at("id");
    auto file = registry_.file(v.actor, id);
    if (!file) return problemPage(file.error(), v, "/registry/");
    const bool editable =
        std::find(file->actions.begin(), file->actions.end(), Action::kMark) != file->actions.end();
    std::string body = "<h1>Grille d’évaluation : " + e(file->entry.service.name) + "</h1>" +
                       confirmation(request);
    body += "<p>" + statusBadge(file->entry.service.status) + " Évaluation n° " +
            std::to_string(file->entry.details.evaluationRound) +
            ". Les critères obligatoires doivent tous être évalués avant la transmission à la "
            "commission. Un critère cité par un test réussi d’un rapport joint est signalé "
            "« vérifié ». <a href=\"" +
            e(servicePath(id)) + "\">Retour au dossier</a></p>";
    body += checklistTable(*file, editable, v.session.csrfToken, id);
    return render(200, "Grille d’évaluation", body, v);
  });
}

http::Response RegistryPages::saveEvaluation(const http::Request& request,
                                             RequestContext& context) {
  return onForm(request, context, [&](const Visitor& v, const Form& form) -> http::Response {
    const std::string& id = context.params.at("id");
    auto file = registry_.file(v.actor, id);
    if (!file) return problemPage(file.error(), v, servicePath(id));
    // Only what changed is marked: each mark is a history event.
    Error problems;
    problems.kind = ErrorKind::kUnprocessable;
    for (const ChecklistItem& item : file->checklist) {
      const std::string& verdict = http::firstValue(form, "verdict." + item.criterion.id);
      const std::string& note = http::firstValue(form, "note." + item.criterion.id);
      if (verdict.empty()) continue;
      if (item.mark && item.mark->verdict == verdict && item.mark->note == note) continue;
      auto marked = registry_.mark(v.actor, id, {item.criterion.id, verdict, note});
      if (marked) continue;
      if (marked.error().kind != ErrorKind::kUnprocessable)
        return problemPage(marked.error(), v, servicePath(id));
      for (Problem p : marked.error().problems) {
        p.expression = item.criterion.id;
        problems.problems.push_back(std::move(p));
      }
    }
    if (!problems.problems.empty()) {
      std::string items;
      for (const Problem& p : problems.problems)
        items += "<li>" + e(p.expression) + " : " + e(problemFr(p)) + "</li>";
      auto reread = registry_.file(v.actor, id);
      const std::string body =
          "<h1>Grille d’évaluation : " + e(file->entry.service.name) +
          "</h1>"
          "<div class=\"error\" role=\"alert\"><p>Les autres critères ont été "
          "enregistrés.</p><ul>" +
          items + "</ul></div>" +
          (reread ? checklistTable(*reread, true, v.session.csrfToken, id) : "");
      return render(422, "Grille d’évaluation", body, v);
    }
    return seeOther(servicePath(id) + "/evaluation?done=marks");
  });
}

http::Response RegistryPages::decision(const http::Request& request, RequestContext& context) {
  return onPage(request, context, [&](const Visitor& v) -> http::Response {
    const std::string& id = context.params.at("id");
    auto file = registry_.file(v.actor, id);
    if (!file) return problemPage(file.error(), v, "/registry/");
    std::string body = "<h1>Dossier de " + e(file->entry.service.name) + " pour la commission</h1>";
    body += factsTable(file->entry);
    if (std::find(file->actions.begin(), file->actions.end(), Action::kDecide) !=
        file->actions.end()) {
      body += "<h2>Avis de la commission</h2><form method=\"post\" action=\"" + e(servicePath(id)) +
              "/decision\">" + csrfField(v.session.csrfToken) + "<fieldset><legend>Avis</legend>";
      for (Decision d : {Decision::kFavourable, Decision::kFavourableWithReservations,
                         Decision::kUnfavourable}) {
        body += "<div><label><input type=\"radio\" name=\"decision\" value=\"" +
                e(decisionName(d)) + "\" required> " + e(decisionLabelFr(d)) + "</label></div>";
      }
      body += "</fieldset><fieldset><legend>Accès accordés (parmi ceux demandés)</legend>";
      for (const std::string& a : file->entry.details.requestedAccesses) {
        body += "<div><label><input type=\"checkbox\" name=\"granted_accesses\" value=\"" + e(a) +
                "\" checked> " + e(accessLabel(a)) + "</label></div>";
      }
      body +=
          "</fieldset><label for=\"reservations\">Réserves (une par ligne, pour un avis favorable "
          "avec réserves)</label><textarea id=\"reservations\" name=\"reservations\" rows=\"3\">"
          "</textarea><label for=\"reason\">Motivation de l’avis</label><textarea id=\"reason\" "
          "name=\"reason\" rows=\"3\" required></textarea><button type=\"submit\">Enregistrer "
          "l’avis</button></form>";
    }
    body += evidenceTable(file->evidence);
    body += "<h2>Critères</h2>" + checklistTable(*file, false, "", id);
    body += historyTable(file->history);
    return render(200, "Dossier pour la commission", body, v);
  });
}

http::Response RegistryPages::decide(const http::Request& request, RequestContext& context) {
  return onForm(request, context, [&](const Visitor& v, const Form& form) -> http::Response {
    const std::string& id = context.params.at("id");
    DecisionInput input;
    const std::optional<Decision> d = parseDecision(http::firstValue(form, "decision"));
    if (!d) {
      return problemPage(Error::make(ErrorKind::kUnprocessable, "decision-invalid", "", "decision"),
                         v, servicePath(id) + "/decision");
    }
    input.decision = *d;
    // An unfavourable decision grants nothing, whatever boxes stayed ticked.
    if (*d != Decision::kUnfavourable) input.grantedAccesses = allValues(form, "granted_accesses");
    input.reservations = splitLines(http::firstValue(form, "reservations"));
    input.reason = http::firstValue(form, "reason");
    auto decided = registry_.decide(v.actor, id, input);
    if (!decided) return problemPage(decided.error(), v, servicePath(id) + "/decision");
    return seeOther(servicePath(id) + "?done=decide");
  });
}

http::Response RegistryPages::admin(const http::Request& request, RequestContext& context) {
  return onPage(request, context, [&](const Visitor& v) -> http::Response {
    auto accounts = registry_.accounts(v.actor);
    if (!accounts) return problemPage(accounts.error(), v, "/registry/");
    auto organisations = registry_.organisations(v.actor);
    if (!organisations) return problemPage(organisations.error(), v, "/registry/");
    const std::string& csrf = v.session.csrfToken;
    std::map<std::string, std::string> orgNames;
    for (const auto& o : *organisations) orgNames[o.organisationId] = o.legalName;
    std::string body = "<h1>Administration du référencement</h1>" + confirmation(request);
    body +=
        "<h2>Organisations éditrices</h2><div class=\"scroll\"><table><thead><tr><th>Raison "
        "sociale</th><th>SIRET</th><th>OID</th><th>Contact</th></tr></thead><tbody>";
    for (const auto& o : *organisations) {
      body += "<tr><td>" + e(o.legalName) + "<br><small>" + e(o.organisationId) +
              "</small></td><td>" + e(o.siret) + "</td><td><code>" + e(o.editorOid) +
              "</code></td><td>" + e(o.contact) + "</td></tr>";
    }
    body +=
        "</tbody></table></div><h3>Nouvelle organisation</h3><form method=\"post\" "
        "action=\"/registry/admin/organisations\">" +
        csrfField(csrf) +
        "<label for=\"legal_name\">Raison sociale</label><input type=\"text\" id=\"legal_name\" "
        "name=\"legal_name\" required><label for=\"siret\">SIRET (14 chiffres)</label><input "
        "type=\"text\" id=\"siret\" name=\"siret\" inputmode=\"numeric\" required><label "
        "for=\"editor_oid\">OID de l’éditeur (urn:oid:…)</label><input type=\"text\" "
        "id=\"editor_oid\" name=\"editor_oid\" required><label for=\"org_contact\">Contact "
        "(adresse électronique)</label><input type=\"text\" id=\"org_contact\" name=\"contact\" "
        "inputmode=\"email\" required><button type=\"submit\">Créer l’organisation</button></form>";
    body +=
        "<h2>Comptes</h2><div class=\"scroll\"><table><thead><tr><th>Identifiant</th><th>Rôle"
        "</th><th>Organisation</th><th>Créé le</th></tr></thead><tbody>";
    for (const auto& a : *accounts) {
      const std::string org = registry_.organisationOf(a);
      body += "<tr><td>" + e(a.login) + "</td><td>" + e(roleFr(a.role)) + "</td><td>" +
              e(org.empty() ? "—" : (orgNames.count(org) > 0 ? orgNames[org] : org)) + "</td><td>" +
              e(dateTimeFr(a.createdMs)) + "</td></tr>";
    }
    body +=
        "</tbody></table></div><h3>Nouveau compte</h3><form method=\"post\" "
        "action=\"/registry/admin/accounts\">" +
        csrfField(csrf) +
        "<label for=\"login\">Identifiant (adresse électronique)</label><input type=\"text\" "
        "id=\"login\" name=\"login\" inputmode=\"email\" required><label for=\"role\">Rôle"
        "</label><select id=\"role\" name=\"role\">";
    for (Role r : allRoles()) {
      body += "<option value=\"" + e(roleName(r)) + "\">" + e(roleLabelFr(r)) + "</option>";
    }
    body +=
        "</select><label for=\"organisation_id\">Organisation (comptes éditeurs)</label><select "
        "id=\"organisation_id\" name=\"organisation_id\"><option value=\"\">—</option>";
    for (const auto& o : *organisations) {
      body += "<option value=\"" + e(o.organisationId) + "\">" + e(o.legalName) + "</option>";
    }
    body +=
        "</select><label for=\"password\">Mot de passe initial (12 caractères au moins, à "
        "transmettre à la personne par un autre canal)</label><input type=\"password\" "
        "id=\"password\" name=\"password\" autocomplete=\"new-password\" minlength=\"12\" "
        "required><button type=\"submit\">Créer le compte</button></form>";
    return render(200, "Administration", body, v);
  });
}

http::Response RegistryPages::createOrganisation(const http::Request& request,
                                                 RequestContext& context) {
  return onForm(request, context, [&](const Visitor& v, const Form& form) -> http::Response {
    OrganisationInput input{http::firstValue(form, "legal_name"), http::firstValue(form, "siret"),
                            http::firstValue(form, "editor_oid"),
                            http::firstValue(form, "contact")};
    auto created = registry_.createOrganisation(v.actor, input);
    if (!created) return problemPage(created.error(), v, "/registry/admin");
    return seeOther("/registry/admin?done=organisation");
  });
}

http::Response RegistryPages::createAccount(const http::Request& request, RequestContext& context) {
  return onForm(request, context, [&](const Visitor& v, const Form& form) -> http::Response {
    AccountInput input{http::firstValue(form, "login"), http::firstValue(form, "password"),
                       http::firstValue(form, "role"), http::firstValue(form, "organisation_id")};
    if (input.role != "editor") input.organisationId.clear();  // the select keeps its last value
    auto created = registry_.createAccount(v.actor, input);
    if (!created) return problemPage(created.error(), v, "/registry/admin");
    return seeOther("/registry/admin?done=account");
  });
}

}  // namespace mes::gateway::registry
