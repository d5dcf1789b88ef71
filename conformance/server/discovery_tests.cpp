// Discovery (SPEC §0, §1): what an app reads before it pairs.
#include <algorithm>
#include <map>

#include "conformance/server/checks.h"
#include "conformance/server/plan_parts.h"
#include "oauth/crypto/keys.h"

namespace mes::conformance::server {

namespace {

using fhir::Value;

std::vector<std::string> strings(const Value& v, std::string_view key) {
  std::vector<std::string> out;
  const Value* list = v.isObject() ? v.find(key) : nullptr;
  if (list == nullptr || !list->isArray()) return out;
  for (const Value& item : list->items()) {
    if (item.isString()) out.push_back(item.text());
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? std::string("nothing") : "[" + out + "]";
}

bool contains(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

http::ClientRequest getJson(std::string url, std::string_view accept = "application/json") {
  http::ClientRequest r{"GET", std::move(url), {}, {}};
  r.headers.add("Accept", std::string(accept));
  return r;
}

void smartConfiguration(ServerContext& ctx, TestScope& t) {
  const http::ClientResponse r = t.send(getJson(ctx.fhirUrl("/.well-known/smart-configuration")));
  expectStatus(t, r, 200, "without a token");
  const Value doc = expectJson(t, r, "the SMART configuration");
  for (const char* field : {"issuer", "authorization_endpoint", "token_endpoint",
                            "introspection_endpoint", "revocation_endpoint", "jwks_uri"}) {
    t.expect(!stringAt(doc, field).empty(), std::string(field) + " (a URL)", "none");
  }
  const std::vector<std::string> methods = strings(doc, "code_challenge_methods_supported");
  t.expect(methods == std::vector<std::string>{"S256"},
           "code_challenge_methods_supported [S256] (S256 only: plain protects nothing)",
           joined(methods));
  const std::vector<std::string> grants = strings(doc, "grant_types_supported");
  t.expect(contains(grants, "authorization_code") && contains(grants, "refresh_token"),
           "grant_types_supported with authorization_code and refresh_token", joined(grants));
  t.expect(!strings(doc, "token_endpoint_auth_methods_supported").empty(),
           "token_endpoint_auth_methods_supported", "none");
  t.expect(!strings(doc, "scopes_supported").empty(), "scopes_supported", "none");
  const std::vector<std::string> capabilities = strings(doc, "capabilities");
  for (const char* c : {"launch-standalone", "client-public", "client-confidential-asymmetric",
                        "context-standalone-patient", "permission-patient", "permission-offline",
                        "permission-v1", "permission-v2", "sso-openid-connect"}) {
    t.expect(contains(capabilities, c), std::string("the capability ") + c, joined(capabilities));
  }
}

void openidConfiguration(ServerContext& ctx, TestScope& t) {
  const http::ClientResponse r = t.send(getJson(ctx.url("/.well-known/openid-configuration")));
  expectStatus(t, r, 200, "without a token");
  const Value doc = expectJson(t, r, "the OpenID configuration");
  const std::string issuer = stringAt(doc, "issuer");
  t.expect(issuer == ctx.target().baseUrl, "issuer " + ctx.target().baseUrl,
           issuer.empty() ? std::string("none") : issuer);
  const Value& smart = ctx.smartConfiguration(t);
  for (const char* field : {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"}) {
    t.expect(
        !stringAt(doc, field).empty() && stringAt(doc, field) == stringAt(smart, field),
        std::string(field) + " equal to the SMART configuration's (" + stringAt(smart, field) + ")",
        stringAt(doc, field).empty() ? std::string("none") : stringAt(doc, field));
  }
}

void capabilityStatement(ServerContext& ctx, TestScope& t) {
  const http::ClientResponse r = t.send(getJson(ctx.fhirUrl("/metadata"), "application/fhir+json"));
  expectStatus(t, r, 200, "for GET /fhir/metadata without a token");
  const std::string type = r.headers.get("Content-Type");
  t.expect(type.find("application/fhir+json") != std::string::npos,
           "Content-Type application/fhir+json", type.empty() ? std::string("none") : type);
  const Value cs = expectResource(t, r, "CapabilityStatement");
  t.expect(stringAt(cs, "fhirVersion") == "4.0.1", "fhirVersion 4.0.1",
           stringAt(cs, "fhirVersion").empty() ? std::string("none") : stringAt(cs, "fhirVersion"));
  const Value* rest = cs.find("rest");
  const Value* server = rest != nullptr && rest->isArray() && !rest->items().empty()
                            ? &rest->items().front()
                            : nullptr;
  t.expect(server != nullptr && stringAt(*server, "mode") == "server",
           "a rest entry in mode server", "none");
  std::map<std::string, std::vector<std::string>> interactions;
  if (const Value* resources = server->find("resource"); resources && resources->isArray()) {
    for (const Value& resource : resources->items()) {
      std::vector<std::string>& codes = interactions[stringAt(resource, "type")];
      if (const Value* list = resource.find("interaction"); list && list->isArray()) {
        for (const Value& i : list->items()) codes.push_back(stringAt(i, "code"));
      }
      if (stringAt(resource, "type") == "Observation") {
        t.expect(contains(strings(resource, "searchInclude"), "Observation:device"),
                 "Observation with searchInclude Observation:device",
                 joined(strings(resource, "searchInclude")));
      }
    }
  }
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"Observation", {"create", "read", "update", "delete", "search-type"}},
      {"DocumentReference", {"create", "read", "search-type"}},
      {"Binary", {"read"}},
      {"Appointment", {"create", "read", "update", "search-type"}},
  };
  for (const auto& [resource, codes] : expected) {
    const auto it = interactions.find(resource);
    t.expect(it != interactions.end(), "the resource " + resource, "it is not listed");
    for (const std::string& code : codes) {
      t.expect(contains(it->second, code), resource + " with the interaction " + code,
               resource + " with " + joined(it->second));
    }
  }
}

void jwks(ServerContext& ctx, TestScope& t) {
  const http::ClientResponse r = t.send(getJson(ctx.endpoint(t, "jwks_uri")));
  expectStatus(t, r, 200, "for the jwks_uri of the SMART configuration");
  const Value doc = expectJson(t, r, "a JWK Set");
  const Value* keys = doc.find("keys");
  t.expect(keys != nullptr && keys->isArray() && !keys->items().empty(), "a non-empty keys array",
           "none");
  bool es256 = false;
  for (size_t i = 0; i < keys->items().size(); ++i) {
    const Value& jwk = keys->items()[i];
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
      t.expect(jwk.find(secret) == nullptr,
               "key " + std::to_string(i) + " without the private member \"" + secret + "\"",
               "a private key published in the JWK Set");
    }
    Result<oauth::PublicKey> key = oauth::PublicKey::fromJwk(jwk);
    t.expect(key.isOk(), "key " + std::to_string(i) + " a valid public JWK",
             key ? std::string() : key.error().problems.front().message);
    t.expect(!key->kid().empty(), "key " + std::to_string(i) + " with a kid (tokens name it)",
             "none");
    es256 = es256 || key->supports(oauth::JwsAlgorithm::kES256);
  }
  t.expect(es256, "an ES256 key (P-256): access tokens are ES256 JWTs (SPEC §1)", "none");
}

}  // namespace

void addDiscoveryTests(Plan& plan, ServerContext& ctx) {
  plan.push_back({{"server.smart-configuration",
                   "SMART configuration lists the endpoints, S256 only and the capabilities",
                   "GET /fhir/.well-known/smart-configuration without a token: every endpoint, "
                   "code_challenge_methods_supported exactly [S256], the grant types, scopes "
                   "and the SMART capabilities SPEC §1 names. Apps configure themselves from it.",
                   {"GW-DISC-01"},
                   true},
                  [&ctx](TestScope& t) { smartConfiguration(ctx, t); }});
  plan.push_back({{"server.openid-configuration",
                   "OpenID configuration of the issuer agrees with the SMART one",
                   "GET /.well-known/openid-configuration: the issuer is the base URL and the "
                   "endpoints are those of the SMART configuration (an OpenID client library "
                   "reads this one).",
                   {"GW-DISC-02"},
                   true},
                  [&ctx](TestScope& t) { openidConfiguration(ctx, t); }});
  plan.push_back(
      {{"server.capability-statement",
        "CapabilityStatement without a token",
        "GET /fhir/metadata answers a FHIR R4 CapabilityStatement (application/fhir+json) "
        "listing Observation (with _include=Observation:device), DocumentReference, "
        "Binary and Appointment with the interactions of SPEC §2-4.",
        {"GW-DISC-03"},
        true},
       [&ctx](TestScope& t) { capabilityStatement(ctx, t); }});
  plan.push_back({{"server.jwks",
                   "JWK Set publishes the token keys, public parts only",
                   "The jwks_uri answers a JWK Set whose keys are valid public JWKs with a kid, "
                   "one of them P-256 for ES256, and none with private members.",
                   {"GW-DISC-04"},
                   true},
                  [&ctx](TestScope& t) { jwks(ctx, t); }});
}

}  // namespace mes::conformance::server
