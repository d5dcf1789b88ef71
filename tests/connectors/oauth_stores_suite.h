// The OAuth stores test suite: what every implementation of connectors/store/oauth_stores.h
// must do, written only against those interfaces.
//
// A store joins by providing a fixture type and including this file once in its test file:
//
//   struct MyOAuthStores {
//     MyOAuthStores();                         // fresh, empty stores
//     mes::ManualClock& clock();               // the clock the stores read
//     mes::store::ServiceStore& services();
//     mes::store::AuthorizationCodeStore& codes();
//     mes::store::RefreshTokenStore& refreshTokens();
//     mes::store::ReplayCache& replayCache();
//   };
//   #define MES_OAUTH_STORES_SUITE_NAME my_oauth_stores_suite
//   #define MES_OAUTH_STORES_SUITE_STORES std::tuple<MyOAuthStores>
//   #include "connectors/oauth_stores_suite.h"
//
// Every case runs once per type in MES_OAUTH_STORES_SUITE_STORES, each on fresh stores. The
// suite lives in its own Boost.Test suite named MES_OAUTH_STORES_SUITE_NAME, so several test
// files can include it. No include guard on purpose; the macros are consumed.
#if !defined(MES_OAUTH_STORES_SUITE_NAME) || !defined(MES_OAUTH_STORES_SUITE_STORES)
#error "define MES_OAUTH_STORES_SUITE_NAME and MES_OAUTH_STORES_SUITE_STORES before including"
#endif

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <latch>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "connectors/store/oauth_stores.h"
#include "core/clock.h"
#include "connectors/store_checks.h"
#include "core/status.h"

BOOST_AUTO_TEST_SUITE(MES_OAUTH_STORES_SUITE_NAME)

using mes::Error;
using mes::ErrorKind;
using mes::Result;
using mes::Status;
using mes::store::AuthorizationCode;
using mes::store::RefreshOutcome;
using mes::store::RefreshToken;
using mes::store::ServiceRecord;

using OAuthStores = MES_OAUTH_STORES_SUITE_STORES;

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kCodeLifetimeMs = 60'000;
constexpr int64_t kRefreshLifetimeMs = 30LL * 86'400'000;
constexpr int kThreads = 8;

// --- helpers ------------------------------------------------------------------------------

using mes::test::checkError;
using mes::test::describe;
using mes::test::requireOk;

const char* outcomeName(RefreshOutcome outcome) {
  switch (outcome) {
    case RefreshOutcome::kRotated:
      return "rotated";
    case RefreshOutcome::kReused:
      return "reused";
    case RefreshOutcome::kRevoked:
      return "revoked";
    case RefreshOutcome::kExpired:
      return "expired";
    case RefreshOutcome::kUnknown:
      return "unknown";
  }
  return "?";
}

void checkOutcome(const Result<std::pair<RefreshOutcome, RefreshToken>>& r,
                  RefreshOutcome expected) {
  requireOk(r);
  BOOST_TEST(std::string(outcomeName(r->first)) == outcomeName(expected));
}

ServiceRecord sampleService(const std::string& clientId) {
  ServiceRecord service;
  service.clientId = clientId;
  service.name = "Carnet de tension";
  service.editorName = "Editeur SAS";
  service.editorOid = "urn:oid:1.2.250.1.999.1";
  service.clientType = "public";
  service.redirectUris = {"https://app.example/cb", "com.example.app:/oauth2redirect"};
  service.allowedScopes = "patient/Observation.rs patient/Observation.c";
  service.status = "referenced";
  return service;
}

void checkSameService(const ServiceRecord& got, const ServiceRecord& want) {
  BOOST_TEST(got.clientId == want.clientId);
  BOOST_TEST(got.name == want.name);
  BOOST_TEST(got.editorName == want.editorName);
  BOOST_TEST(got.editorOid == want.editorOid);
  BOOST_TEST(got.clientType == want.clientType);
  BOOST_TEST(got.redirectUris == want.redirectUris);
  BOOST_TEST(got.jwks == want.jwks);
  BOOST_TEST(got.jwksUri == want.jwksUri);
  BOOST_TEST(got.allowedScopes == want.allowedScopes);
  BOOST_TEST(got.status == want.status);
  BOOST_TEST(got.version == want.version);
  BOOST_TEST(got.createdMs == want.createdMs);
  BOOST_TEST(got.updatedMs == want.updatedMs);
}

AuthorizationCode sampleCode(const std::string& handle, int64_t expiresMs) {
  AuthorizationCode code;
  code.handle = handle;
  code.clientId = "carnet";
  code.redirectUri = "https://app.example/cb";
  code.codeChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  code.patientId = "patient-1";
  code.scope = "launch/patient patient/Observation.rs";
  code.nonce = "n-0S6_WzA2Mj";
  code.expiresMs = expiresMs;
  return code;
}

RefreshToken refreshToken(const std::string& handle, const std::string& familyId,
                          const std::string& clientId, const std::string& patientId,
                          int64_t issuedMs) {
  RefreshToken token;
  token.handle = handle;
  token.familyId = familyId;
  token.clientId = clientId;
  token.patientId = patientId;
  token.scope = "patient/Observation.rs offline_access";
  token.issuedMs = issuedMs;
  token.expiresMs = issuedMs + kRefreshLifetimeMs;
  return token;
}

// What a caller passes as `next`: only the client it authenticated and the new token's data.
RefreshToken nextToken(const std::string& handle, const std::string& clientId, int64_t issuedMs) {
  RefreshToken next;
  next.handle = handle;
  next.clientId = clientId;
  next.scope = "patient/Observation.rs";
  next.issuedMs = issuedMs;
  next.expiresMs = issuedMs + kRefreshLifetimeMs;
  return next;
}

// --- services -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(a_service_is_created_read_listed_and_updated_with_versions, Store,
                              OAuthStores) {
  Store store;
  store.clock().set(kT0);
  auto& services = store.services();

  ServiceRecord wanted = sampleService("carnet");
  wanted.version = 42;  // ignored: the store numbers versions and stamps times
  wanted.createdMs = 1;
  auto created = services.createService(wanted);
  requireOk(created);
  wanted.version = 1;
  wanted.createdMs = kT0;
  wanted.updatedMs = kT0;
  checkSameService(*created, wanted);
  auto read = services.service("carnet");
  requireOk(read);
  checkSameService(*read, wanted);

  checkError(services.createService(sampleService("carnet")), ErrorKind::kConflict,
             "already-exists");
  checkError(services.service("unknown"), ErrorKind::kNotFound, "not-found");

  ServiceRecord confidential = sampleService("a.confidential_app-2");
  confidential.clientType = "confidential-asymmetric";
  confidential.redirectUris = {"https://other.example/callback"};
  confidential.jwks = R"({"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"BB","kid":"k1"}]})";
  confidential.status = "submitted";
  requireOk(services.createService(confidential));
  auto listed = services.services();
  requireOk(listed);
  BOOST_REQUIRE(listed->size() == 2u);
  BOOST_TEST(listed->at(0).clientId == "a.confidential_app-2");  // ordered by client id
  BOOST_TEST(listed->at(0).jwks == confidential.jwks);
  BOOST_TEST(listed->at(0).redirectUris == confidential.redirectUris);
  checkSameService(listed->at(1), wanted);

  store.clock().advance(5'000);
  ServiceRecord changed = *read;
  changed.name = "Carnet de tension 2";
  changed.redirectUris = {"https://new.example/cb"};
  changed.jwksUri = "https://app.example/jwks.json";
  changed.status = "suspended";
  changed.createdMs = 7;  // ignored
  auto updated = services.updateService(changed, 1);
  requireOk(updated);
  changed.version = 2;
  changed.createdMs = kT0;
  changed.updatedMs = kT0 + 5'000;
  checkSameService(*updated, changed);
  checkSameService(*services.service("carnet"), changed);

  // A writer that read version 1 loses against the update above; nothing changes.
  ServiceRecord stale = *read;
  stale.status = "withdrawn";
  checkError(services.updateService(stale, 1), ErrorKind::kPreconditionFailed, "version-conflict");
  checkSameService(*services.service("carnet"), changed);
  checkError(services.updateService(sampleService("unknown"), 1), ErrorKind::kNotFound,
             "not-found");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(malformed_services_are_refused_and_not_stored, Store, OAuthStores) {
  Store store;
  store.clock().set(kT0);
  auto& services = store.services();
  struct Case {
    const char* what;
    void (*spoil)(ServiceRecord&);
  };
  const Case cases[] = {
      {"client id too short", [](ServiceRecord& s) { s.clientId = "ab"; }},
      {"client id too long", [](ServiceRecord& s) { s.clientId = std::string(65, 'a'); }},
      {"client id with a space", [](ServiceRecord& s) { s.clientId = "my app"; }},
      {"client id with a slash", [](ServiceRecord& s) { s.clientId = "../app"; }},
      {"empty name", [](ServiceRecord& s) { s.name.clear(); }},
      {"unknown client type", [](ServiceRecord& s) { s.clientType = "confidential-secret"; }},
      {"no redirect URI", [](ServiceRecord& s) { s.redirectUris.clear(); }},
      {"an empty redirect URI", [](ServiceRecord& s) { s.redirectUris.emplace_back(); }},
      {"unknown status", [](ServiceRecord& s) { s.status = "approved"; }},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      ServiceRecord service = sampleService("valid-id");
      c.spoil(service);
      checkError(services.createService(service), ErrorKind::kInvalid, "invalid-service");
    }
  }
  BOOST_TEST(services.services()->empty());

  auto created = services.createService(sampleService("valid-id"));
  requireOk(created);
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      ServiceRecord service = *created;
      c.spoil(service);
      if (service.clientId != created->clientId) continue;  // another service, not an update
      checkError(services.updateService(service, 1), ErrorKind::kInvalid, "invalid-service");
    }
  }
  checkSameService(*services.service("valid-id"), *created);
  // The longest and shortest valid client ids.
  requireOk(services.createService(sampleService(std::string(64, 'z'))));
  requireOk(services.createService(sampleService("a.b")));
}

// --- authorization codes ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(a_code_is_consumed_once, Store, OAuthStores) {
  Store store;
  auto& codes = store.codes();
  const AuthorizationCode code = sampleCode("h-code-1", kT0 + kCodeLifetimeMs);
  requireOk(codes.putCode(code));
  checkError(codes.putCode(sampleCode("h-code-1", kT0 + 1)), ErrorKind::kConflict,
             "already-exists");

  auto consumed = codes.consumeCode("h-code-1", kT0 + 1'000);
  requireOk(consumed);
  BOOST_TEST(consumed->handle == code.handle);
  BOOST_TEST(consumed->clientId == code.clientId);
  BOOST_TEST(consumed->redirectUri == code.redirectUri);
  BOOST_TEST(consumed->codeChallenge == code.codeChallenge);
  BOOST_TEST(consumed->patientId == code.patientId);
  BOOST_TEST(consumed->scope == code.scope);
  BOOST_TEST(consumed->nonce == code.nonce);
  BOOST_TEST(consumed->expiresMs == code.expiresMs);

  checkError(codes.consumeCode("h-code-1", kT0 + 1'001), ErrorKind::kNotFound, "code-invalid");
  checkError(codes.consumeCode("h-never-issued", kT0), ErrorKind::kNotFound, "code-invalid");

  // An empty nonce comes back empty.
  AuthorizationCode noNonce = sampleCode("h-code-2", kT0 + kCodeLifetimeMs);
  noNonce.nonce.clear();
  requireOk(codes.putCode(noNonce));
  BOOST_TEST(codes.consumeCode("h-code-2", kT0)->nonce.empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_expired_code_is_not_found_and_removed, Store, OAuthStores) {
  Store store;
  auto& codes = store.codes();
  const int64_t expires = kT0 + kCodeLifetimeMs;
  requireOk(codes.putCode(sampleCode("h-late", expires)));
  checkError(codes.consumeCode("h-late", expires), ErrorKind::kNotFound, "code-invalid");
  // Removed by that attempt: even a clock running behind cannot use it now.
  checkError(codes.consumeCode("h-late", expires - 1), ErrorKind::kNotFound, "code-invalid");
  BOOST_TEST(*codes.purgeExpiredCodes(expires + 1) == 0);

  requireOk(codes.putCode(sampleCode("h-just-in-time", expires)));
  requireOk(codes.consumeCode("h-just-in-time", expires - 1));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(purge_removes_only_expired_codes, Store, OAuthStores) {
  Store store;
  auto& codes = store.codes();
  requireOk(codes.putCode(sampleCode("h-10", kT0 + 10)));
  requireOk(codes.putCode(sampleCode("h-20", kT0 + 20)));
  requireOk(codes.putCode(sampleCode("h-100", kT0 + 100)));
  auto purged = codes.purgeExpiredCodes(kT0 + 20);
  requireOk(purged);
  BOOST_TEST(*purged == 2);
  BOOST_TEST(*codes.purgeExpiredCodes(kT0 + 20) == 0);
  requireOk(codes.consumeCode("h-100", kT0 + 30));
  BOOST_TEST(*codes.purgeExpiredCodes(kT0 + 1'000) == 0);
}

// --- refresh tokens -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(a_refresh_family_rotates_along_a_chain, Store, OAuthStores) {
  Store store;
  auto& tokens = store.refreshTokens();
  const RefreshToken first = refreshToken("r1", "fam-1", "carnet", "patient-1", kT0);
  requireOk(tokens.createFamily(first));

  std::string presented = "r1";
  for (int step = 2; step <= 4; ++step) {
    const int64_t now = kT0 + step * 1'000;
    const std::string handle = "r" + std::to_string(step);
    RefreshToken next = nextToken(handle, "carnet", now);
    next.familyId = "ignored";
    next.patientId = "ignored";
    auto rotated = tokens.rotate(presented, next, now);
    checkOutcome(rotated, RefreshOutcome::kRotated);
    // The presented token's record.
    BOOST_TEST(rotated->second.handle == presented);
    BOOST_TEST(rotated->second.familyId == "fam-1");
    BOOST_TEST(rotated->second.clientId == "carnet");
    BOOST_TEST(rotated->second.patientId == "patient-1");
    presented = handle;
  }
  auto live = tokens.findRefreshToken("r4");
  requireOk(live);
  BOOST_TEST(live->handle == "r4");
  BOOST_TEST(live->familyId == "fam-1");  // family, client and patient of the presented one
  BOOST_TEST(live->clientId == "carnet");
  BOOST_TEST(live->patientId == "patient-1");
  BOOST_TEST(live->scope == "patient/Observation.rs");  // the narrower scope of `next`
  BOOST_TEST(live->issuedMs == kT0 + 4'000);
  BOOST_TEST(live->expiresMs == kT0 + 4'000 + kRefreshLifetimeMs);
  auto old = tokens.findRefreshToken("r1");  // rotated tokens are still found
  requireOk(old);
  BOOST_TEST(old->familyId == "fam-1");
  BOOST_TEST(old->scope == first.scope);
  BOOST_TEST(old->issuedMs == kT0);
  checkError(tokens.findRefreshToken("r-unknown"), ErrorKind::kNotFound, "not-found");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(reusing_a_rotated_token_revokes_the_family, Store, OAuthStores) {
  Store store;
  auto& tokens = store.refreshTokens();
  requireOk(tokens.createFamily(refreshToken("r1", "fam-1", "carnet", "patient-1", kT0)));
  checkOutcome(tokens.rotate("r1", nextToken("r2", "carnet", kT0 + 1), kT0 + 1),
               RefreshOutcome::kRotated);
  checkOutcome(tokens.rotate("r2", nextToken("r3", "carnet", kT0 + 2), kT0 + 2),
               RefreshOutcome::kRotated);

  // r1 again (a stolen copy, or a replay): reuse.
  auto reused = tokens.rotate("r1", nextToken("r-thief", "carnet", kT0 + 3), kT0 + 3);
  checkOutcome(reused, RefreshOutcome::kReused);
  BOOST_TEST(reused->second.familyId == "fam-1");
  checkError(tokens.findRefreshToken("r-thief"), ErrorKind::kNotFound, "not-found");

  // The live token of the family is now refused too, and so is a second reuse.
  auto revoked = tokens.rotate("r3", nextToken("r4", "carnet", kT0 + 4), kT0 + 4);
  checkOutcome(revoked, RefreshOutcome::kRevoked);
  BOOST_TEST(revoked->second.handle == "r3");
  checkError(tokens.findRefreshToken("r4"), ErrorKind::kNotFound, "not-found");
  checkOutcome(tokens.rotate("r1", nextToken("r5", "carnet", kT0 + 5), kT0 + 5),
               RefreshOutcome::kRevoked);

  // Another family of the same pairing is unaffected.
  requireOk(tokens.createFamily(refreshToken("s1", "fam-2", "carnet", "patient-1", kT0)));
  checkOutcome(tokens.rotate("s1", nextToken("s2", "carnet", kT0 + 6), kT0 + 6),
               RefreshOutcome::kRotated);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(expired_unknown_and_foreign_tokens_write_nothing, Store,
                              OAuthStores) {
  Store store;
  auto& tokens = store.refreshTokens();
  const RefreshToken first = refreshToken("r1", "fam-1", "carnet", "patient-1", kT0);
  requireOk(tokens.createFamily(first));

  auto expired = tokens.rotate("r1", nextToken("r2", "carnet", first.expiresMs), first.expiresMs);
  checkOutcome(expired, RefreshOutcome::kExpired);
  BOOST_TEST(expired->second.handle == "r1");
  checkError(tokens.findRefreshToken("r2"), ErrorKind::kNotFound, "not-found");

  auto unknown = tokens.rotate("r-unknown", nextToken("r3", "carnet", kT0), kT0);
  checkOutcome(unknown, RefreshOutcome::kUnknown);
  BOOST_TEST(unknown->second.handle.empty());
  BOOST_TEST(unknown->second.familyId.empty());

  // Presented by another client: unknown to it, and nothing leaks or changes.
  auto foreign = tokens.rotate("r1", nextToken("r4", "other-app", kT0 + 1), kT0 + 1);
  checkOutcome(foreign, RefreshOutcome::kUnknown);
  BOOST_TEST(foreign->second.familyId.empty());
  checkError(tokens.findRefreshToken("r4"), ErrorKind::kNotFound, "not-found");

  // None of that touched r1: its own client, before expiry, still rotates it.
  checkOutcome(tokens.rotate("r1", nextToken("r5", "carnet", kT0 + 2), kT0 + 2),
               RefreshOutcome::kRotated);

  // A next handle already stored is refused and the presented token stays live.
  checkError(tokens.rotate("r5", nextToken("r1", "carnet", kT0 + 3), kT0 + 3), ErrorKind::kConflict,
             "already-exists");
  checkOutcome(tokens.rotate("r5", nextToken("r6", "carnet", kT0 + 4), kT0 + 4),
               RefreshOutcome::kRotated);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(families_are_created_once, Store, OAuthStores) {
  Store store;
  auto& tokens = store.refreshTokens();
  requireOk(tokens.createFamily(refreshToken("r1", "fam-1", "carnet", "patient-1", kT0)));
  checkError(tokens.createFamily(refreshToken("r9", "fam-1", "carnet", "patient-1", kT0)),
             ErrorKind::kConflict, "already-exists");
  checkError(tokens.createFamily(refreshToken("r1", "fam-9", "carnet", "patient-1", kT0)),
             ErrorKind::kConflict, "already-exists");
  // The refused family was not half-created.
  checkError(tokens.findRefreshToken("r9"), ErrorKind::kNotFound, "not-found");
  checkError(tokens.revokeFamily("fam-9", kT0), ErrorKind::kNotFound, "not-found");
  BOOST_TEST(tokens.findRefreshToken("r1")->familyId == "fam-1");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(revoking_a_family_refuses_its_tokens, Store, OAuthStores) {
  Store store;
  auto& tokens = store.refreshTokens();
  requireOk(tokens.createFamily(refreshToken("r1", "fam-1", "carnet", "patient-1", kT0)));
  checkOutcome(tokens.rotate("r1", nextToken("r2", "carnet", kT0 + 1), kT0 + 1),
               RefreshOutcome::kRotated);
  requireOk(tokens.revokeFamily("fam-1", kT0 + 2));
  requireOk(tokens.revokeFamily("fam-1", kT0 + 3));  // again: ok
  checkOutcome(tokens.rotate("r2", nextToken("r3", "carnet", kT0 + 4), kT0 + 4),
               RefreshOutcome::kRevoked);
  checkOutcome(tokens.rotate("r1", nextToken("r3", "carnet", kT0 + 4), kT0 + 4),
               RefreshOutcome::kRevoked);
  requireOk(tokens.findRefreshToken("r2"));  // RFC 7009 still finds the family
  checkError(tokens.revokeFamily("fam-unknown", kT0), ErrorKind::kNotFound, "not-found");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(family_liveness_and_token_state_follow_rotation_and_revocation,
                              Store, OAuthStores) {
  Store store;
  auto& tokens = store.refreshTokens();
  BOOST_TEST(*tokens.familyLive("fam-1") == false);  // unknown
  requireOk(tokens.createFamily(refreshToken("r1", "fam-1", "carnet", "patient-1", kT0)));
  BOOST_TEST(*tokens.familyLive("fam-1") == true);
  BOOST_TEST(tokens.findRefreshToken("r1")->live == true);
  BOOST_TEST(tokens.findRefreshToken("r1")->familyRevoked == false);
  checkOutcome(tokens.rotate("r1", nextToken("r2", "carnet", kT0 + 1), kT0 + 1),
               RefreshOutcome::kRotated);
  BOOST_TEST(tokens.findRefreshToken("r1")->live == false);
  BOOST_TEST(tokens.findRefreshToken("r2")->live == true);
  requireOk(tokens.revokeFamily("fam-1", kT0 + 2));
  BOOST_TEST(*tokens.familyLive("fam-1") == false);
  BOOST_TEST(tokens.findRefreshToken("r2")->familyRevoked == true);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_family_without_refresh_token_can_be_revoked, Store, OAuthStores) {
  Store store;
  auto& tokens = store.refreshTokens();
  RefreshToken grant = refreshToken("", "fam-grant", "carnet", "patient-1", kT0);
  requireOk(tokens.createFamily(grant));
  BOOST_TEST(*tokens.familyLive("fam-grant") == true);
  checkError(tokens.findRefreshToken(""), ErrorKind::kNotFound, "not-found");
  checkOutcome(tokens.rotate("", nextToken("r2", "carnet", kT0 + 1), kT0 + 1),
               RefreshOutcome::kUnknown);
  BOOST_TEST(*tokens.revokeFamiliesOf("carnet", "patient-1", kT0 + 2) == 1);
  BOOST_TEST(*tokens.familyLive("fam-grant") == false);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(revoking_a_pairing_or_a_client_revokes_their_families, Store,
                              OAuthStores) {
  Store store;
  auto& tokens = store.refreshTokens();
  requireOk(tokens.createFamily(refreshToken("a1", "fam-a1", "carnet", "patient-1", kT0)));
  requireOk(tokens.createFamily(refreshToken("a2", "fam-a2", "carnet", "patient-1", kT0)));
  requireOk(tokens.createFamily(refreshToken("b1", "fam-b1", "carnet", "patient-2", kT0)));
  requireOk(tokens.createFamily(refreshToken("c1", "fam-c1", "other-app", "patient-1", kT0)));

  auto pairing = tokens.revokeFamiliesOf("carnet", "patient-1", kT0 + 1);
  requireOk(pairing);
  BOOST_TEST(*pairing == 2);
  checkOutcome(tokens.rotate("a1", nextToken("a1n", "carnet", kT0 + 2), kT0 + 2),
               RefreshOutcome::kRevoked);
  checkOutcome(tokens.rotate("a2", nextToken("a2n", "carnet", kT0 + 2), kT0 + 2),
               RefreshOutcome::kRevoked);
  checkOutcome(tokens.rotate("b1", nextToken("b2", "carnet", kT0 + 2), kT0 + 2),
               RefreshOutcome::kRotated);
  checkOutcome(tokens.rotate("c1", nextToken("c2", "other-app", kT0 + 2), kT0 + 2),
               RefreshOutcome::kRotated);

  // The whole client: only the families still live are counted.
  auto client = tokens.revokeFamiliesOf("carnet", "", kT0 + 3);
  requireOk(client);
  BOOST_TEST(*client == 1);
  checkOutcome(tokens.rotate("b2", nextToken("b3", "carnet", kT0 + 4), kT0 + 4),
               RefreshOutcome::kRevoked);
  checkOutcome(tokens.rotate("c2", nextToken("c3", "other-app", kT0 + 4), kT0 + 4),
               RefreshOutcome::kRotated);
  BOOST_TEST(*tokens.revokeFamiliesOf("carnet", "", kT0 + 5) == 0);
  BOOST_TEST(*tokens.revokeFamiliesOf("nobody", "patient-1", kT0 + 5) == 0);
}

// --- replay cache -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(a_key_is_first_used_once_until_it_expires, Store, OAuthStores) {
  Store store;
  auto& replay = store.replayCache();
  const std::string key = "carnet|jti-1";
  auto first = replay.firstUse(key, kT0 + 300'000, kT0);
  requireOk(first);
  BOOST_TEST(*first);
  BOOST_TEST(!*replay.firstUse(key, kT0 + 600'000, kT0 + 1));
  BOOST_TEST(!*replay.firstUse(key, kT0 + 600'000, kT0 + 299'999));
  BOOST_TEST(*replay.firstUse("other-app|jti-1", kT0 + 300'000, kT0 + 1));  // another key

  // Expired: recorded again, with the new expiry.
  BOOST_TEST(*replay.firstUse(key, kT0 + 900'000, kT0 + 300'000));
  BOOST_TEST(!*replay.firstUse(key, kT0 + 900'000, kT0 + 600'000));
  BOOST_TEST(*replay.firstUse(key, kT0 + 999'999, kT0 + 900'000));
}

// --- concurrency --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_consumers_of_a_code_have_one_winner, Store, OAuthStores) {
  Store store;
  auto& codes = store.codes();
  for (int round = 0; round < 5; ++round) {
    const std::string handle = "h-race-" + std::to_string(round);
    requireOk(codes.putCode(sampleCode(handle, kT0 + kCodeLifetimeMs)));
    std::atomic<int> won{0};
    std::atomic<int> notFound{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        auto consumed = codes.consumeCode(handle, kT0 + 1);
        if (consumed) {
          ++won;
        } else if (consumed.error().code() == "code-invalid") {
          ++notFound;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    BOOST_TEST(won.load() == 1);
    BOOST_TEST(notFound.load() == kThreads - 1);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_rotations_of_a_token_have_one_winner, Store, OAuthStores) {
  Store store;
  auto& tokens = store.refreshTokens();
  requireOk(tokens.createFamily(refreshToken("r1", "fam-1", "carnet", "patient-1", kT0)));
  std::atomic<int> rotated{0};
  std::atomic<int> reused{0};
  std::atomic<int> revoked{0};
  std::atomic<int> other{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      auto outcome =
          tokens.rotate("r1", nextToken("next-" + std::to_string(t), "carnet", kT0 + 1), kT0 + 1);
      if (!outcome) {
        ++other;
      } else if (outcome->first == RefreshOutcome::kRotated) {
        ++rotated;
      } else if (outcome->first == RefreshOutcome::kReused) {
        ++reused;
      } else if (outcome->first == RefreshOutcome::kRevoked) {
        ++revoked;
      } else {
        ++other;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(rotated.load() == 1);
  // The first loser finds r1 rotated and revokes the family; the others find it revoked.
  BOOST_TEST(reused.load() == 1);
  BOOST_TEST(revoked.load() == kThreads - 2);
  BOOST_TEST(other.load() == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_first_uses_of_a_key_have_one_winner, Store, OAuthStores) {
  Store store;
  auto& replay = store.replayCache();
  for (int round = 0; round < 5; ++round) {
    const std::string key = "carnet|jti-race-" + std::to_string(round);
    std::atomic<int> first{0};
    std::atomic<int> failures{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        auto used = replay.firstUse(key, kT0 + 300'000, kT0);
        if (!used) {
          ++failures;
        } else if (*used) {
          ++first;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    BOOST_TEST(first.load() == 1);
    BOOST_TEST(failures.load() == 0);
  }
}

BOOST_AUTO_TEST_SUITE_END()

#undef MES_OAUTH_STORES_SUITE_NAME
#undef MES_OAUTH_STORES_SUITE_STORES
