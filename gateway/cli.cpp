#include "gateway/cli.h"

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "connectors/store/oauth_stores.h"
#include "fhir/json/json.h"
#include "gateway/app.h"
#include "gateway/authorization_server.h"
#include "gateway/pairings.h"
#include "gateway/registry/identifiers.h"
#include "gateway/registry/registry.h"
#include "oauth/api_access.h"
#include "oauth/crypto/keys.h"
#include "oauth/scope.h"
#include "oauth/signing_keys.h"

namespace mes::gateway {
namespace {

fhir::Value serviceJson(const store::ServiceRecord& s) {
  fhir::Value v = fhir::Value::object();
  v.set("client_id", fhir::Value::string(s.clientId));
  v.set("name", fhir::Value::string(s.name));
  v.set("editor", fhir::Value::string(s.editorName));
  v.set("editor_oid", fhir::Value::string(s.editorOid));
  v.set("client_type", fhir::Value::string(s.clientType));
  fhir::Value uris = fhir::Value::array();
  for (const auto& u : s.redirectUris) uris.push(fhir::Value::string(u));
  v.set("redirect_uris", std::move(uris));
  v.set("allowed_scopes", fhir::Value::string(s.allowedScopes));
  v.set("has_jwks", fhir::Value::boolean(!s.jwks.empty()));
  v.set("status", fhir::Value::string(s.status));
  v.set("version", fhir::Value::number(s.version));
  return v;
}

std::string message(const Error& e) {
  return e.problems.empty() ? e.detail : e.problems.front().message;
}

std::string allMesScopes() {
  std::string scopes;
  for (const auto& access : oauth::mesApiAccesses()) {
    scopes += (scopes.empty() ? "" : " ") + std::string(access.scopes);
  }
  return scopes;
}

const std::string& flag(const std::vector<std::pair<std::string, std::string>>& flags,
                        const std::string& name) {
  static const std::string kEmpty;
  for (const auto& [n, v] : flags) {
    if (n == name) return v;
  }
  return kEmpty;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> takeFlags(std::vector<std::string>& args,
                                                           const std::vector<std::string>& own,
                                                           std::string& error) {
  std::vector<std::pair<std::string, std::string>> taken;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool inlineValue = false;
    if (auto eq = name.find('='); eq != std::string::npos && name.rfind("--", 0) == 0) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inlineValue = true;
    }
    if (std::find(own.begin(), own.end(), name) == own.end()) {
      rest.push_back(args[i]);
      continue;
    }
    if (!inlineValue) {
      if (i + 1 >= args.size()) {
        error = "flag " + name + " needs a value";
        return {};
      }
      value = args[++i];
    }
    taken.emplace_back(name, value);
  }
  args = std::move(rest);
  return taken;
}

void printAdminHelp(std::ostream& out) {
  out << "  mes-gateway service add --client-id ID --name NAME --editor NAME --editor-oid OID\n"
         "        --redirect-uri URI [--redirect-uri URI...] [--type public|confidential-asymmetric]\n"
         "        [--jwks-file FILE] [--scopes \"SCOPES\"] [--status STATUS]\n"
         "                                  register a service (default: public, every MES\n"
         "                                  scope, status referenced) and print it as JSON\n"
         "  mes-gateway service list        print every service as JSON\n"
         "  mes-gateway service suspend --client-id ID [--reason TEXT]\n"
         "                                  refuse every token of the service from the next\n"
         "                                  request on (pairings are kept); recorded in the\n"
         "                                  registry's history and audit, by \"cli\"\n"
         "  mes-gateway service reinstate --client-id ID [--reason TEXT]\n"
         "                                  referenced again: its existing pairings work again\n"
         "  mes-gateway keys rotate         new token-signing key; the old one stays in the\n"
         "                                  JWKS until its tokens have expired\n"
         "  mes-gateway keys list           print the published JWKS\n";
}

int runAdminCommand(const std::string& command, std::vector<std::string> args,
                    const std::map<std::string, std::string>& env, Logger& logger,
                    std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    err << "mes-gateway " << command << ": which action? (see --help)\n";
    return 2;
  }
  const std::string action = args[0];
  args.erase(args.begin());
  // Before anything is opened or created: a typo must not touch the data directory.
  if (command == "keys" && action != "rotate" && action != "list") {
    err << "mes-gateway keys: unknown action '" << action << "' (rotate, list)\n";
    return 2;
  }
  if (command != "keys" && action != "add" && action != "list" && action != "suspend" &&
      action != "reinstate") {
    err << "mes-gateway service: unknown action '" << action
        << "' (add, list, suspend, reinstate)\n";
    return 2;
  }
  std::string flagError;
  auto flags = takeFlags(args,
                         {"--client-id", "--name", "--editor", "--editor-oid", "--redirect-uri",
                          "--type", "--jwks-file", "--scopes", "--status", "--reason"},
                         flagError);
  if (!flagError.empty()) {
    err << "mes-gateway: " << flagError << "\n";
    return 2;
  }
  auto config = loadConfig(args, env);
  if (!config) {
    err << "mes-gateway: " << message(config.error()) << "\n";
    return 2;
  }
  auto gateway = Gateway::open(*config, logger);
  if (!gateway) {
    err << "mes-gateway: cannot open the data directory: " << message(gateway.error()) << "\n";
    return 1;
  }
  Gateway& g = **gateway;
  auto fail = [&](const Error& e) {
    err << "mes-gateway " << command << " " << action << ": " << message(e) << "\n";
    return 1;
  };

  if (command == "keys") {
    if (action == "rotate") {
      auto kid = g.signingKeys().rotate();
      if (!kid) return fail(kid.error());
      fhir::Value v = fhir::Value::object();
      v.set("current_kid", fhir::Value::string(*kid));
      out << fhir::toPrettyJson(v) << std::endl;
      return 0;
    }
    if (action == "list") {
      auto jwks = g.signingKeys().jwks();
      if (!jwks) return fail(jwks.error());
      out << fhir::toPrettyJson(*jwks) << std::endl;
      return 0;
    }
    err << "mes-gateway keys: unknown action '" << action << "' (rotate, list)\n";
    return 2;
  }

  if (action == "list") {
    auto all = g.services().services();
    if (!all) return fail(all.error());
    fhir::Value list = fhir::Value::array();
    for (const auto& s : *all) list.push(serviceJson(s));
    out << fhir::toPrettyJson(list) << std::endl;
    return 0;
  }
  const std::string& clientId = flag(flags, "--client-id");
  if (clientId.empty()) {
    err << "mes-gateway service " << action << ": --client-id is required\n";
    return 2;
  }
  if (action == "add") {
    store::ServiceRecord s;
    s.clientId = clientId;
    s.name = flag(flags, "--name");
    s.editorName = flag(flags, "--editor");
    s.editorOid = flag(flags, "--editor-oid");
    s.clientType = flag(flags, "--type").empty() ? "public" : flag(flags, "--type");
    for (const auto& [n, v] : flags) {
      if (n == "--redirect-uri") s.redirectUris.push_back(v);
    }
    s.status = flag(flags, "--status").empty() ? "referenced" : flag(flags, "--status");
    auto scopes = oauth::ScopeSet::parse(flag(flags, "--scopes").empty() ? allMesScopes()
                                                                         : flag(flags, "--scopes"));
    if (!scopes) return fail(scopes.error());
    s.allowedScopes = scopes->toString();
    if (!registry::oidUrnValid(s.editorOid)) {
      err << "mes-gateway service add: --editor-oid must be urn:oid:<digits and dots>\n";
      return 2;
    }
    if (const std::string& file = flag(flags, "--jwks-file"); !file.empty()) {
      std::ifstream in(file);
      if (!in) {
        err << "mes-gateway service add: cannot read " << file << "\n";
        return 1;
      }
      std::stringstream text;
      text << in.rdbuf();
      auto set = fhir::parseJson(text.str());
      const fhir::Value* keys = set ? set->find("keys") : nullptr;
      if (keys == nullptr || !keys->isArray() || keys->items().empty()) {
        err << "mes-gateway service add: " << file << " is not a JWK Set ({\"keys\": [...]})\n";
        return 1;
      }
      for (const auto& jwk : keys->items()) {
        // fromJwk also refuses private members ("d"...): only public keys are registered.
        if (auto key = oauth::PublicKey::fromJwk(jwk); !key) return fail(key.error());
      }
      s.jwks = fhir::toJson(*set);
    }
    if (s.clientType == "confidential-asymmetric" && s.jwks.empty()) {
      err << "mes-gateway service add: a confidential-asymmetric service needs --jwks-file\n";
      return 2;
    }
    store::RegistryEntry entry;
    entry.service = s;
    auto created = g.registry().registerDirectly(entry, "mes-gateway service add");
    if (!created) return fail(created.error());
    out << fhir::toPrettyJson(serviceJson(created->service)) << std::endl;
    return 0;
  }
  if (action == "suspend" || action == "reinstate") {
    // The registry's workflow, as the administrators' API: same checks, history, audit and
    // effects, with the CLI as the actor.
    const std::string& given = flag(flags, "--reason");
    const std::string reason = given.empty() ? "mes-gateway service " + action : given;
    auto moved = g.registry().transition(
        registry::Actor::cli(), clientId,
        action == "suspend" ? registry::Action::kSuspend : registry::Action::kReinstate, reason);
    if (!moved) return fail(moved.error());
    out << fhir::toPrettyJson(serviceJson(moved->service)) << std::endl;
    return 0;
  }
  err << "mes-gateway service: unknown action '" << action
      << "' (add, list, suspend, reinstate)\n";
  return 2;
}

}  // namespace mes::gateway
