// Access tokens and the resource server's checks (gateway/token_policy.h) over real stores: a
// SQLite repository (pairings), the SQLite OAuth stores (services, grant families) and the
// file signing keys, all on one manual clock.
#include "gateway/token_policy.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_access_state.h"
#include "connectors/sqlite/sqlite_database.h"
#include "connectors/sqlite/sqlite_oauth_stores.h"
#include "connectors/sqlite/sqlite_repository.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "fhir/json/json.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/jws.h"
#include "oauth/signing_keys.h"

using namespace mes::gateway;
namespace bdata = boost::unit_test::data;
using mes::ErrorKind;
using mes::fhir::Value;
using mes::oauth::ScopeSet;

namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // a whole second: exp and iat are in seconds
constexpr int64_t kLifetimeMs = 600'000;
constexpr int64_t kRetainSeconds = 900;
constexpr const char* kBase = "https://mes.example.org";
constexpr const char* kGranted = "launch/patient patient/Device.c patient/Observation.rs";

ScopeSet scopes(const std::string& text) {
  auto parsed = ScopeSet::parse(text);
  if (!parsed) throw std::runtime_error("bad scope in the test: " + text);
  return *parsed;
}

Config configFor(const std::string& base) {
  Config c;
  c.publicUrl = base;
  return c;
}

mes::http::Request requestWith(const std::string& authorization) {
  mes::http::Request r;
  r.method = "GET";
  r.path = "/fhir/Observation";
  if (!authorization.empty()) r.headers.set("Authorization", authorization);
  return r;
}

std::string describe(const mes::Error& e) { return e.code() + ": " + e.detail; }

// Every store on one SQLite database in a temporary directory, with the keys beside it; one
// referenced service "tensio" paired by pat-1, and a grant family "fam-1" for that pairing.
struct World {
  World() : clock(kT0), config(configFor(kBase)) {
    auto database = mes::store::SqliteDatabase::open({dir.file("store.db")}, clock);
    if (!database) throw std::runtime_error("store: " + database.error().detail);
    repo = std::make_unique<mes::store::SqliteRepository>(*database, clock);
    auto opened = mes::store::SqliteOAuthStores::open(*database, clock);
    if (!opened) throw std::runtime_error("oauth stores: " + opened.error().detail);
    stores = std::move(*opened);
    auto k = mes::oauth::FileSigningKeyStore::open(dir.path(), clock, kRetainSeconds);
    if (!k) throw std::runtime_error("keys: " + k.error().detail);
    keys = std::move(*k);
    tokens = std::make_unique<AccessTokens>(config, *keys, clock);
    pairings = std::make_unique<PairingStore>(*repo, clock, ids);
    states = std::make_unique<mes::store::SqliteAccessState>(*database);
    policy = std::make_unique<TokenAccessPolicy>(*tokens, *stores, *states, *pairings, clock);

    tensio = addService("tensio", "Tensio+");
    pairing = approve("pat-1", tensio, kGranted);
    family("fam-1", "tensio", "pat-1");
  }

  mes::store::ServiceRecord addService(const std::string& clientId, const std::string& name) {
    mes::store::ServiceRecord s;
    s.clientId = clientId;
    s.name = name;
    s.editorName = "Editeur";
    s.editorOid = "urn:oid:1.2.250.1.999.1";
    s.clientType = "public";
    s.redirectUris = {"https://app.example/cb"};
    s.allowedScopes = kGranted;
    s.status = "referenced";
    auto created = stores->createService(s);
    BOOST_REQUIRE_MESSAGE(created.isOk(), (created ? "" : describe(created.error())));
    return *created;
  }

  Pairing approve(const std::string& patient, const mes::store::ServiceRecord& s,
                  const std::string& scope) {
    auto r = pairings->approve(patient, s, scopes(scope));
    BOOST_REQUIRE_MESSAGE(r.isOk(), (r ? "" : describe(r.error())));
    return r->first;
  }

  void family(const std::string& id, const std::string& clientId, const std::string& patient) {
    mes::store::RefreshToken first;  // no refresh token: a grant without offline_access
    first.familyId = id;
    first.clientId = clientId;
    first.patientId = patient;
    first.scope = kGranted;
    first.issuedMs = clock.nowMs();
    first.expiresMs = clock.nowMs() + kLifetimeMs;
    auto created = stores->createFamily(first);
    BOOST_REQUIRE_MESSAGE(created.isOk(), (created ? "" : describe(created.error())));
  }

  AccessTokenClaims claims(const std::string& scope = kGranted) {
    AccessTokenClaims c;
    c.patientId = "pat-1";
    c.clientId = "tensio";
    c.scope = scope;
    c.pairingId = pairing.id;
    c.familyId = "fam-1";
    c.jti = "jti-" + std::to_string(++serial);
    c.issuedMs = clock.nowMs();
    c.expiresMs = clock.nowMs() + kLifetimeMs;
    return c;
  }

  std::string issue(const AccessTokenClaims& c) const {
    auto token = tokens->issue(c);
    BOOST_REQUIRE_MESSAGE(token.isOk(), (token ? "" : describe(token.error())));
    return *token;
  }
  std::string issue() { return issue(claims()); }

  // The claims issue() would write, for tokens built by hand.
  Value claimsJson() const {
    Value v = Value::object();
    v.set("iss", Value::string(kBase));
    v.set("aud", Value::string(std::string(kBase) + "/fhir"));
    v.set("sub", Value::string("pat-1"));
    v.set("patient", Value::string("pat-1"));
    v.set("client_id", Value::string("tensio"));
    v.set("scope", Value::string(kGranted));
    v.set("pairing", Value::string(pairing.id));
    v.set("fam", Value::string("fam-1"));
    v.set("jti", Value::string("hand-made"));
    v.set("iat", Value::number(clock.nowMs() / 1000));
    v.set("exp", Value::number((clock.nowMs() + kLifetimeMs) / 1000));
    return v;
  }
  // Signed by our current key, as a token of ours would be.
  std::string sign(const Value& claims, std::string_view typ = "at+jwt") const {
    auto key = keys->current();
    BOOST_REQUIRE(key.isOk());
    auto token = mes::oauth::signJwt(claims, key->key, mes::oauth::JwsAlgorithm::kES256, key->kid,
                                     typ);
    BOOST_REQUIRE(token.isOk());
    return *token;
  }

  void setStatus(const std::string& clientId, const std::string& status) {
    auto current = stores->service(clientId);
    BOOST_REQUIRE(current.isOk());
    mes::store::ServiceRecord next = *current;
    next.status = status;
    BOOST_REQUIRE(stores->updateService(next, current->version).isOk());
  }

  mes::test::TempDir dir{"mes-token-policy"};
  mes::ManualClock clock;
  mes::RandomIdGenerator ids;
  Config config;
  std::unique_ptr<mes::store::SqliteRepository> repo;
  std::shared_ptr<mes::store::SqliteOAuthStores> stores;
  std::unique_ptr<mes::store::SqliteAccessState> states;
  std::unique_ptr<mes::oauth::FileSigningKeyStore> keys;
  std::unique_ptr<AccessTokens> tokens;
  std::unique_ptr<PairingStore> pairings;
  std::unique_ptr<TokenAccessPolicy> policy;
  mes::store::ServiceRecord tensio;
  Pairing pairing;
  int serial = 0;
};

template <typename T>
void requireRefusal(const mes::Result<T>& r, ErrorKind kind, const std::string& code) {
  BOOST_REQUIRE_MESSAGE(!r.isOk(), "accepted where " + code + " was expected");
  BOOST_TEST((r.error().kind == kind), "kind " << static_cast<int>(r.error().kind));
  BOOST_TEST(r.error().code() == code);
}
void requireRefusal(const mes::Status& s, ErrorKind kind, const std::string& code) {
  BOOST_REQUIRE_MESSAGE(!s.isOk(), "accepted where " + code + " was expected");
  BOOST_TEST((s.error().kind == kind), "kind " << static_cast<int>(s.error().kind));
  BOOST_TEST(s.error().code() == code);
}

// The header and claims of a compact JWS, decoded without checking anything.
mes::oauth::DecodedJwt decoded(const std::string& token) {
  auto jwt = mes::oauth::decodeJwt(token);
  BOOST_REQUIRE(jwt.isOk());
  return std::move(*jwt);
}

RequestContext contextFor(Interaction interaction, const std::string& type) {
  RequestContext c;
  c.requestId = "req-1";
  c.interaction = interaction;
  c.resourceType = type;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(token_policy)

// --- bearerToken ------------------------------------------------------------------------------

struct BearerCase {
  const char* what;
  const char* header;  // "" = no Authorization header
  const char* token;   // the token, or nullptr when refused
  const char* code;    // the refusal's code
};
std::ostream& operator<<(std::ostream& out, const BearerCase& c) { return out << c.what; }

const BearerCase kBearerCases[] = {
    {"missing header", "", nullptr, "token-missing"},
    {"Basic scheme", "Basic dXNlcjpwYXNz", nullptr, "token-malformed"},
    {"scheme without space", "Bearerabc", nullptr, "token-malformed"},
    {"scheme only", "Bearer", nullptr, "token-malformed"},
    {"empty token", "Bearer    ", nullptr, "token-malformed"},
    {"canonical", "Bearer abc.def.ghi", "abc.def.ghi", ""},
    {"lower-case scheme", "bearer abc.def.ghi", "abc.def.ghi", ""},
    {"upper-case scheme, padded token", "BEARER   abc.def.ghi  ", "abc.def.ghi", ""},
};

BOOST_DATA_TEST_CASE(bearer_token_from_the_authorization_header, bdata::make(kBearerCases), c) {
  auto r = bearerToken(requestWith(c.header));
  if (c.token != nullptr) {
    BOOST_REQUIRE_MESSAGE(r.isOk(), (r ? "" : describe(r.error())));
    BOOST_TEST(*r == c.token);
  } else {
    requireRefusal(r, ErrorKind::kUnauthorized, c.code);
  }
}

BOOST_AUTO_TEST_CASE(a_token_in_the_query_string_is_refused_even_with_a_header) {
  mes::http::Request r = requestWith("Bearer abc.def.ghi");
  r.rawQuery = "patient=pat-1&access_token=abc.def.ghi";
  r.query = {{"patient", "pat-1"}, {"access_token", "abc.def.ghi"}};
  requireRefusal(bearerToken(r), ErrorKind::kUnauthorized, "token-in-query");

  mes::http::Request noHeader = requestWith("");
  noHeader.query = {{"access_token", "abc.def.ghi"}};
  requireRefusal(bearerToken(noHeader), ErrorKind::kUnauthorized, "token-in-query");
}

// --- AccessTokens -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_issued_token_is_an_rfc9068_jwt_that_verifies) {
  World w;
  const AccessTokenClaims c = w.claims();
  const std::string token = w.issue(c);

  const auto jwt = decoded(token);
  BOOST_TEST(*jwt.header.findString("typ") == "at+jwt");
  BOOST_TEST(*jwt.header.findString("alg") == "ES256");
  auto current = w.keys->current();
  BOOST_REQUIRE(current.isOk());
  BOOST_TEST(jwt.kid == current->kid);
  BOOST_TEST(*jwt.claims.findString("iss") == "https://mes.example.org");
  BOOST_TEST(*jwt.claims.findString("aud") == "https://mes.example.org/fhir");
  BOOST_TEST(*jwt.claims.findString("sub") == "pat-1");
  BOOST_TEST(*jwt.claims.findString("patient") == "pat-1");
  BOOST_TEST(*jwt.claims.findString("client_id") == "tensio");
  BOOST_TEST(*jwt.claims.findString("scope") == kGranted);
  BOOST_TEST(*jwt.claims.findString("pairing") == w.pairing.id);
  BOOST_TEST(*jwt.claims.findString("fam") == "fam-1");
  BOOST_TEST(*jwt.claims.findString("jti") == c.jti);
  BOOST_TEST(jwt.claims.find("iat")->asInt().value_or(0) == kT0 / 1000);
  BOOST_TEST(jwt.claims.find("exp")->asInt().value_or(0) == (kT0 + kLifetimeMs) / 1000);

  auto verified = w.tokens->verify(token);
  BOOST_REQUIRE_MESSAGE(verified.isOk(), (verified ? "" : describe(verified.error())));
  BOOST_TEST((*verified)->patientId == "pat-1");
  BOOST_TEST((*verified)->clientId == "tensio");
  BOOST_TEST((*verified)->scope == kGranted);
  BOOST_TEST((*verified)->pairingId == w.pairing.id);
  BOOST_TEST((*verified)->familyId == "fam-1");
  BOOST_TEST((*verified)->jti == c.jti);
  BOOST_TEST((*verified)->issuedMs == kT0);
  BOOST_TEST((*verified)->expiresMs == kT0 + kLifetimeMs);
  // The second verification (from the cache) gives the same claims.
  auto again = w.tokens->verify(token);
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST((*again)->jti == c.jti);
  BOOST_TEST((*again)->expiresMs == kT0 + kLifetimeMs);
}

BOOST_AUTO_TEST_CASE(an_expired_token_is_refused) {
  World w;
  const std::string token = w.issue();
  w.clock.advance(kLifetimeMs - 1);
  BOOST_TEST(w.tokens->verify(token).isOk());
  w.clock.advance(1);
  requireRefusal(w.tokens->verify(token), ErrorKind::kUnauthorized, "token-expired");
}

BOOST_AUTO_TEST_CASE(an_expired_token_is_refused_when_never_verified_before) {
  World w;
  const std::string token = w.issue();
  w.clock.advance(kLifetimeMs + 1);
  requireRefusal(w.tokens->verify(token), ErrorKind::kUnauthorized, "token-expired");
  // A fresh verifier (another instance) agrees.
  AccessTokens other(w.config, *w.keys, w.clock);
  requireRefusal(other.verify(token), ErrorKind::kUnauthorized, "token-expired");
}

BOOST_AUTO_TEST_CASE(a_token_of_another_issuer_is_refused) {
  World w;
  const Config elsewhere = configFor("https://other.example.org");
  AccessTokens theirs(elsewhere, *w.keys, w.clock);  // even with our own keys
  auto token = theirs.issue(w.claims());
  BOOST_REQUIRE(token.isOk());
  BOOST_TEST(theirs.verify(*token).isOk());
  requireRefusal(w.tokens->verify(*token), ErrorKind::kUnauthorized, "token-issuer-invalid");
  // And ours is refused there.
  requireRefusal(theirs.verify(w.issue()), ErrorKind::kUnauthorized, "token-issuer-invalid");
}

BOOST_AUTO_TEST_CASE(a_token_for_another_audience_is_refused) {
  World w;
  Value claims = w.claimsJson();
  BOOST_REQUIRE(w.tokens->verify(w.sign(claims)).isOk());  // the hand-made token is sound
  claims.set("aud", Value::string("https://other.example.org/fhir"));
  requireRefusal(w.tokens->verify(w.sign(claims)), ErrorKind::kUnauthorized,
                 "token-audience-invalid");
  claims.set("aud", Value::string(kBase));  // the issuer, not the FHIR base
  requireRefusal(w.tokens->verify(w.sign(claims)), ErrorKind::kUnauthorized,
                 "token-audience-invalid");
}

BOOST_AUTO_TEST_CASE(a_tampered_payload_is_refused) {
  World w;
  const std::string token = w.issue();
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  BOOST_REQUIRE(second != std::string::npos);
  auto payload = mes::oauth::base64UrlDecode(token.substr(first + 1, second - first - 1));
  BOOST_REQUIRE(payload.isOk());
  auto claims = mes::fhir::parseJson(*payload);
  BOOST_REQUIRE(claims.isOk());
  claims->set("patient", Value::string("pat-2"));
  claims->set("sub", Value::string("pat-2"));
  const std::string forged = token.substr(0, first + 1) +
                             mes::oauth::base64UrlEncode(mes::fhir::toJson(*claims)) +
                             token.substr(second);
  requireRefusal(w.tokens->verify(forged), ErrorKind::kUnauthorized, "token-signature-invalid");
  // The genuine token still verifies: the refusal was about the forgery.
  BOOST_TEST(w.tokens->verify(token).isOk());
}

BOOST_AUTO_TEST_CASE(a_jwt_that_is_not_an_access_token_is_refused) {
  World w;
  // Signed by our key (as an ID token is), but typ JWT.
  requireRefusal(w.tokens->verify(w.sign(w.claimsJson(), "JWT")), ErrorKind::kUnauthorized,
                 "token-malformed");
}

BOOST_AUTO_TEST_CASE(a_token_without_our_claims_is_refused) {
  World w;
  for (const char* claim : {"pairing", "fam", "client_id", "patient"}) {
    BOOST_TEST_CONTEXT("without " << claim) {
      Value claims = w.claimsJson();
      claims.erase(claim);
      requireRefusal(w.tokens->verify(w.sign(claims)), ErrorKind::kUnauthorized,
                     "token-claim-missing");
    }
  }
}

BOOST_AUTO_TEST_CASE(rotation_keeps_earlier_tokens_valid) {
  World w;
  const std::string before = w.issue();
  const std::string oldKid = decoded(before).kid;
  auto rotated = w.keys->rotate();
  BOOST_REQUIRE(rotated.isOk());
  BOOST_TEST(*rotated != oldKid);

  const std::string after = w.issue();
  BOOST_TEST(decoded(after).kid == *rotated);
  BOOST_TEST(w.tokens->verify(after).isOk());
  // Never verified before the rotation: checked against the retired key now.
  auto old = w.tokens->verify(before);
  BOOST_TEST(old.isOk(), (old ? "" : describe(old.error())));
}

BOOST_AUTO_TEST_CASE(a_token_of_a_pruned_key_is_refused) {
  World w;
  AccessTokenClaims c = w.claims();
  c.expiresMs = kT0 + 24 * 3600 * 1000;  // outlives the key's retention
  const std::string token = w.issue(c);
  BOOST_REQUIRE(w.keys->rotate().isOk());
  w.clock.advance((kRetainSeconds + 1) * 1000);
  BOOST_REQUIRE(w.keys->rotate().isOk());  // prunes the first key
  auto jwks = w.keys->jwks();
  BOOST_REQUIRE(jwks.isOk());
  BOOST_TEST(jwks->find("keys")->items().size() == 2u);
  requireRefusal(w.tokens->verify(token), ErrorKind::kUnauthorized, "token-key-unknown");

  // A kid that never existed, on a token otherwise ours.
  const auto jwt = decoded(w.issue());
  auto key = w.keys->current();
  BOOST_REQUIRE(key.isOk());
  auto foreign = mes::oauth::signJwt(jwt.claims, key->key, mes::oauth::JwsAlgorithm::kES256,
                                     "no-such-kid", "at+jwt");
  BOOST_REQUIRE(foreign.isOk());
  requireRefusal(w.tokens->verify(*foreign), ErrorKind::kUnauthorized, "token-key-unknown");
  // And none at all.
  auto unnamed = mes::oauth::signJwt(jwt.claims, key->key, mes::oauth::JwsAlgorithm::kES256, "",
                                     "at+jwt");
  BOOST_REQUIRE(unnamed.isOk());
  requireRefusal(w.tokens->verify(*unnamed), ErrorKind::kUnauthorized, "token-key-unknown");
}

// --- TokenAccessPolicy::check -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(check_gives_the_active_access) {
  World w;
  auto access = w.policy->check(w.issue());
  BOOST_REQUIRE_MESSAGE(access.isOk(), (access ? "" : describe(access.error())));
  BOOST_TEST(access->claims.patientId == "pat-1");
  BOOST_TEST(access->service.clientId == "tensio");
  BOOST_TEST(access->service.name == "Tensio+");
  BOOST_TEST(access->pairing.id == w.pairing.id);
  BOOST_TEST(access->pairing.active);
  BOOST_TEST(access->scopes.toString() == kGranted);
}

BOOST_AUTO_TEST_CASE(a_suspended_service_is_refused_at_once_and_back_when_reinstated) {
  World w;
  const std::string token = w.issue();
  BOOST_REQUIRE(w.policy->check(token).isOk());  // verified and cached
  w.setStatus("tensio", "suspended");
  requireRefusal(w.policy->check(token), ErrorKind::kUnauthorized, "service-suspended");
  w.setStatus("tensio", "referenced");
  BOOST_TEST(w.policy->check(token).isOk());
  w.setStatus("tensio", "withdrawn");
  requireRefusal(w.policy->check(token), ErrorKind::kUnauthorized, "service-suspended");
}

BOOST_AUTO_TEST_CASE(a_changed_service_record_is_seen_on_the_next_check) {
  // The record is cached by version: a rename or a new editor OID must not be served stale
  // (the OID is what meta.source carries).
  World w;
  const std::string token = w.issue();
  BOOST_REQUIRE(w.policy->check(token).isOk());
  auto current = w.stores->service("tensio");
  BOOST_REQUIRE(current.isOk());
  mes::store::ServiceRecord next = *current;
  next.name = "Tensio Plus";
  next.editorOid = "urn:oid:1.2.250.1.999.7";
  BOOST_REQUIRE(w.stores->updateService(next, current->version).isOk());
  auto access = w.policy->check(token);
  BOOST_REQUIRE_MESSAGE(access.isOk(), (access ? "" : describe(access.error())));
  BOOST_TEST(access->service.name == "Tensio Plus");
  BOOST_TEST(access->service.editorOid == "urn:oid:1.2.250.1.999.7");
  BOOST_TEST(access->service.version == current->version + 1);
}

BOOST_AUTO_TEST_CASE(a_token_of_an_unregistered_service_is_refused) {
  World w;
  AccessTokenClaims c = w.claims();
  c.clientId = "ghost";
  requireRefusal(w.policy->check(w.issue(c)), ErrorKind::kUnauthorized, "service-unknown");
}

BOOST_AUTO_TEST_CASE(a_revoked_grant_is_refused_at_once) {
  World w;
  const std::string token = w.issue();
  BOOST_REQUIRE(w.policy->check(token).isOk());
  BOOST_REQUIRE(w.stores->revokeFamily("fam-1", w.clock.nowMs()).isOk());
  requireRefusal(w.policy->check(token), ErrorKind::kUnauthorized, "token-revoked");

  // A family that never existed is no better.
  AccessTokenClaims c = w.claims();
  c.familyId = "fam-unknown";
  requireRefusal(w.policy->check(w.issue(c)), ErrorKind::kUnauthorized, "token-revoked");
}

BOOST_AUTO_TEST_CASE(an_ended_pairing_is_refused_as_pairing_revoked) {
  World w;
  const std::string token = w.issue();
  BOOST_REQUIRE(w.policy->check(token).isOk());
  BOOST_REQUIRE(w.pairings->end(w.pairing.id, "patient").isOk());
  requireRefusal(w.policy->check(token), ErrorKind::kUnauthorized, "pairing-revoked");
  // Ending a pairing also revokes its grants; the answer stays pairing-revoked.
  BOOST_REQUIRE(w.stores->revokeFamily("fam-1", w.clock.nowMs()).isOk());
  requireRefusal(w.policy->check(token), ErrorKind::kUnauthorized, "pairing-revoked");
}

BOOST_AUTO_TEST_CASE(a_token_naming_a_pairing_of_another_patient_or_service_is_refused) {
  World w;
  const mes::store::ServiceRecord gluco = w.addService("gluco", "Gluco Suivi");
  const Pairing otherPatient = w.approve("pat-2", w.tensio, kGranted);
  const Pairing otherService = w.approve("pat-1", gluco, kGranted);

  AccessTokenClaims c = w.claims();
  c.pairingId = otherPatient.id;
  requireRefusal(w.policy->check(w.issue(c)), ErrorKind::kUnauthorized, "pairing-revoked");
  c = w.claims();
  c.pairingId = otherService.id;
  requireRefusal(w.policy->check(w.issue(c)), ErrorKind::kUnauthorized, "pairing-revoked");
  c = w.claims();
  c.pairingId = "no-such-consent";
  requireRefusal(w.policy->check(w.issue(c)), ErrorKind::kUnauthorized, "pairing-revoked");
}

BOOST_AUTO_TEST_CASE(a_narrowed_pairing_narrows_tokens_already_issued) {
  World w;
  const std::string token = w.issue();
  // The patient unticks the write access on the consent screen.
  w.approve("pat-1", w.tensio, "launch/patient patient/Observation.rs");
  auto access = w.policy->check(token);
  BOOST_REQUIRE(access.isOk());
  BOOST_TEST(access->scopes.toString() == "launch/patient patient/Observation.rs");

  RequestContext create = contextFor(Interaction::kCreate, "Device");
  requireRefusal(w.policy->authorize(requestWith("Bearer " + token), create),
                 ErrorKind::kForbidden, "consent-missing");
  RequestContext search = contextFor(Interaction::kSearch, "Observation");
  BOOST_TEST(w.policy->authorize(requestWith("Bearer " + token), search).isOk());

  // A token asking less than the pairing grants keeps its own limit.
  const std::string narrow = w.issue(w.claims("patient/Observation.r"));
  auto narrowAccess = w.policy->check(narrow);
  BOOST_REQUIRE(narrowAccess.isOk());
  BOOST_TEST(narrowAccess->scopes.toString() == "patient/Observation.r");
}

BOOST_AUTO_TEST_CASE(the_registry_grant_narrows_tokens_already_issued) {
  World w;
  const std::string token = w.issue();
  // The commission's grant no longer holds the write access (the pairing still does).
  mes::store::ServiceRecord narrowed = w.tensio;
  narrowed.allowedScopes = "launch/patient patient/Observation.rs";
  BOOST_REQUIRE(w.stores->updateService(narrowed, w.tensio.version).isOk());
  auto access = w.policy->check(token);
  BOOST_REQUIRE(access.isOk());
  BOOST_TEST(access->scopes.toString() == "launch/patient patient/Observation.rs");
  RequestContext create = contextFor(Interaction::kCreate, "Device");
  requireRefusal(w.policy->authorize(requestWith("Bearer " + token), create),
                 ErrorKind::kForbidden, "consent-missing");
  RequestContext search = contextFor(Interaction::kSearch, "Observation");
  BOOST_TEST(w.policy->authorize(requestWith("Bearer " + token), search).isOk());
}

// --- TokenAccessPolicy::authorize -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(authorize_fills_the_request_context) {
  World w;
  RequestContext c = contextFor(Interaction::kRead, "Observation");
  c.params = {{"id", "obs-1"}};
  const mes::Status s = w.policy->authorize(requestWith("Bearer " + w.issue()), c);
  BOOST_REQUIRE_MESSAGE(s.isOk(), (s ? "" : describe(s.error())));
  BOOST_TEST(c.patientId == "pat-1");
  BOOST_TEST(c.clientId == "tensio");
  BOOST_TEST(c.serviceName == "Tensio+");
  BOOST_TEST(c.source == "urn:oid:1.2.250.1.999.1#tensio");
  BOOST_TEST(c.pairingId == w.pairing.id);
  BOOST_REQUIRE(c.scopes.has_value());
  BOOST_TEST(c.scopes->toString() == kGranted);
  BOOST_TEST(writerSource(w.tensio) == "urn:oid:1.2.250.1.999.1#tensio");
}

struct LetterCase {
  Interaction interaction;
  const char* type;
  bool allowed;  // under kGranted: Device.c, Observation.rs
};
std::ostream& operator<<(std::ostream& out, const LetterCase& c) {
  return out << interactionName(c.interaction) << " " << c.type;
}

const LetterCase kLetterCases[] = {
    {Interaction::kRead, "Observation", true},     {Interaction::kVread, "Observation", true},
    {Interaction::kHistory, "Observation", true},  {Interaction::kSearch, "Observation", true},
    {Interaction::kCreate, "Observation", false},  {Interaction::kUpdate, "Observation", false},
    {Interaction::kDelete, "Observation", false},  {Interaction::kCreate, "Device", true},
    {Interaction::kRead, "Device", false},         {Interaction::kSearch, "Device", false},
    {Interaction::kRead, "DocumentReference", false},
    // The app's own pairing: readable and deletable whatever its data scopes.
    {Interaction::kSearch, "Consent", true},       {Interaction::kRead, "Consent", true},
    {Interaction::kDelete, "Consent", true},
    // A transaction's entries are checked one by one by the service.
    {Interaction::kTransaction, "", true},
};

BOOST_DATA_TEST_CASE(authorize_needs_the_scope_letter_of_the_interaction,
                     bdata::make(kLetterCases), l) {
  World w;
  RequestContext c = contextFor(l.interaction, l.type);
  const mes::Status s = w.policy->authorize(requestWith("Bearer " + w.issue()), c);
  if (l.allowed) {
    BOOST_TEST(s.isOk(), (s ? "" : describe(s.error())));
  } else {
    requireRefusal(s, ErrorKind::kForbidden, "consent-missing");
  }
}

BOOST_AUTO_TEST_CASE(public_routes_need_no_token_and_the_others_do) {
  World w;
  RequestContext pub = contextFor(Interaction::kPublic, "");
  BOOST_TEST(w.policy->authorize(requestWith(""), pub).isOk());
  BOOST_TEST(pub.patientId.empty());
  BOOST_TEST(!pub.scopes.has_value());
  // Even a bad token does not matter there.
  BOOST_TEST(w.policy->authorize(requestWith("Bearer nonsense"), pub).isOk());

  RequestContext read = contextFor(Interaction::kRead, "Observation");
  requireRefusal(w.policy->authorize(requestWith(""), read), ErrorKind::kUnauthorized,
                 "token-missing");
  requireRefusal(w.policy->authorize(requestWith("Bearer nonsense"), read),
                 ErrorKind::kUnauthorized, "token-malformed");
  BOOST_TEST(read.patientId.empty());  // nothing filled on a refusal
  BOOST_TEST(!read.scopes.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
