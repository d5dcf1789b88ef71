// Many instances (issue #7): PostgreSQL, two gateway processes sharing it, and nginx balancing
// between them. What one instance does, the other sees on its very next request: a pairing and
// its tokens, a revocation, a key rotation; concurrent If-Match updates through both leave one
// winner. Needs the private PostgreSQL cluster ctest starts (postgres_cluster fixture) and
// nginx (scripts/setup nginx-light).
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fhir/json/json.h"
#include "integration/measures_fixture.h"
#include "integration/support/gateway_process.h"
#include "integration/support/nginx_process.h"
#include "integration/support/pairing.h"
#include "oauth/crypto/encoding.h"

namespace mes::itest {
namespace {

std::string postgresUrl() {
  if (const char* url = std::getenv("MES_TEST_POSTGRES_URL"); url != nullptr && *url != '\0') {
    return url;
  }
  const char* file = std::getenv("MES_TEST_POSTGRES_URL_FILE");
  if (file == nullptr) throw std::runtime_error("no test PostgreSQL (run with ctest)");
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  if (url.empty()) throw std::runtime_error(std::string("no URL in ") + file);
  return url;
}

// Every gateway process and CLI command of the test runs on PostgreSQL, in a schema of its own:
// set in the environment the children inherit, restored afterwards.
class PostgresEnvironment {
 public:
  PostgresEnvironment() {
    static int next = 0;
    schema_ = "itest_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
    ::setenv("MES_STORE_BACKEND", "postgres", 1);
    ::setenv("MES_STORE_POSTGRES_URL", postgresUrl().c_str(), 1);
    ::setenv("MES_STORE_POSTGRES_SCHEMA", schema_.c_str(), 1);
  }
  const std::string& schema() const { return schema_; }
  ~PostgresEnvironment() {
    ::unsetenv("MES_STORE_BACKEND");
    ::unsetenv("MES_STORE_POSTGRES_URL");
    ::unsetenv("MES_STORE_POSTGRES_SCHEMA");
  }

 private:
  std::string schema_;
};

// Two instances with their own data directories (journal, outbox), one shared blob directory,
// the same public URL (nginx's, chosen first: tokens name it as their audience), behind nginx.
struct Cluster {
  PostgresEnvironment env;
  TempDir blobs{"mes-shared-blobs"};
  TempDir dirA{"mes-instance-a"};
  TempDir dirB{"mes-instance-b"};
  uint16_t nginxPort = NginxProcess::pickFreePort();
  std::string publicUrl = "http://127.0.0.1:" + std::to_string(nginxPort);
  GatewayProcess a{options(dirA)};
  GatewayProcess b{options(dirB)};
  NginxProcess nginx{{a.port(), b.port()}, nginxPort};
  DemoSeed seed = seedDemoData(a.dataDir());

  GatewayOptions options(const TempDir& dir) const {
    GatewayOptions o;
    o.dataDir = dir.string();
    o.extraArgs = {"--oauth-access-token-seconds",
                   "3600",
                   "--documents-blob-dir",
                   blobs.string(),
                   "--public-url",
                   publicUrl};
    return o;
  }

  AuthorizationRequest request() const {
    AuthorizationRequest r;
    r.clientId = seed.clientId;
    r.redirectUri = seed.redirectUri;
    r.aud = publicUrl + "/fhir";
    return r;
  }
};

std::string kidOf(const std::string& jwt) {
  const std::string header = jwt.substr(0, jwt.find('.'));
  auto decoded = oauth::base64UrlDecode(header);
  BOOST_REQUIRE(decoded.isOk());
  auto parsed = fhir::parseJson(*decoded);
  BOOST_REQUIRE(parsed.isOk());
  return *parsed->findString("kid");
}

std::string withId(const std::string& body, const std::string& id) {
  const std::string head = R"({"resourceType":"Observation",)";
  return head + R"("id":")" + id + R"(",)" + body.substr(head.size());
}

// Runs a mes-gateway command; returns its standard output, and its exit status in `status`.
std::string captureCli(const std::string& arguments, int& status) {
  const std::string command = std::string(kGatewayBinary) + " " + arguments + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  status = ::pclose(pipe);
  return out;
}

int runCli(const std::string& arguments) {
  const std::string command = std::string(kGatewayBinary) + " " + arguments + " >/dev/null 2>&1";
  return std::system(command.c_str());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(many_instances)

BOOST_AUTO_TEST_CASE(a_pairing_and_its_tokens_made_on_one_instance_work_on_the_other) {
  Cluster c;
  Browser browser;
  PairingResult paired = pairApp(c.a, c.seed, browser, c.request());
  BOOST_REQUIRE_EQUAL(paired.token.status, 200);
  const std::string query = "/fhir/Observation?patient=demo";
  BOOST_TEST(c.b.client().get(query, bearer(paired.accessToken)).status == 200);
  // Through nginx: round robin sends these to both instances.
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST(c.nginx.client().get(query, bearer(paired.accessToken)).status == 200);
  }
  // The refresh token A issued rotates on B, once: presenting it again (on A) is reuse.
  GatewayProcess& b = c.b;
  HttpResponse refreshed = tokenRequest(b, {{"grant_type", "refresh_token"},
                                            {"refresh_token", paired.refreshToken},
                                            {"client_id", c.seed.clientId}});
  BOOST_REQUIRE_EQUAL(refreshed.status, 200);
  auto body = fhir::parseJson(refreshed.body);
  BOOST_REQUIRE(body.isOk());
  const std::string newAccess = *body->findString("access_token");
  BOOST_TEST(c.a.client().get(query, bearer(newAccess)).status == 200);
  HttpResponse reused = tokenRequest(c.a, {{"grant_type", "refresh_token"},
                                           {"refresh_token", paired.refreshToken},
                                           {"client_id", c.seed.clientId}});
  BOOST_TEST(reused.status == 400);
  // Reuse revoked the grant everywhere: B refuses the token it issued on its next request.
  BOOST_TEST(c.b.client().get(query, bearer(newAccess)).status == 401);

  // An authorization code is single-use across instances: a second exchange on B fails.
  Browser again;
  AuthorizationRequest r = c.request();
  PairingResult second = pairApp(c.a, c.seed, again, r);
  BOOST_REQUIRE_EQUAL(second.token.status, 200);
  HttpResponse replay = tokenRequest(b, {{"grant_type", "authorization_code"},
                                         {"code", second.code},
                                         {"redirect_uri", c.seed.redirectUri},
                                         {"client_id", c.seed.clientId},
                                         {"code_verifier", r.pkce.verifier}});
  BOOST_TEST(replay.status == 400);
  BOOST_TEST(replay.body.find("invalid_grant") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_revocation_on_one_instance_is_refused_on_the_other_at_once) {
  Cluster c;
  Browser browser;
  PairingResult paired = pairApp(c.a, c.seed, browser, c.request());
  BOOST_REQUIRE_EQUAL(paired.token.status, 200);
  const std::string query = "/fhir/Observation?patient=demo";
  // B has verified (and cached) the token before the revocation.
  BOOST_REQUIRE_EQUAL(c.b.client().get(query, bearer(paired.accessToken)).status, 200);
  HttpResponse revoked = c.a.client().post(
      "/oauth/revoke", formEncode({{"token", paired.refreshToken}, {"client_id", c.seed.clientId}}),
      "application/x-www-form-urlencoded");
  BOOST_REQUIRE_EQUAL(revoked.status, 200);
  BOOST_TEST(c.b.client().get(query, bearer(paired.accessToken)).status == 401);
  BOOST_TEST(c.a.client().get(query, bearer(paired.accessToken)).status == 401);
}

BOOST_AUTO_TEST_CASE(a_key_rotation_is_seen_by_every_instance) {
  Cluster c;
  Browser browser;
  PairingResult paired = pairApp(c.a, c.seed, browser, c.request());
  BOOST_REQUIRE_EQUAL(paired.token.status, 200);
  const std::string oldKid = kidOf(paired.accessToken);
  // Rotated from the CLI (on the shared store) while both instances run.
  BOOST_REQUIRE_EQUAL(runCli("keys rotate --data-dir '" + c.a.dataDir() + "'"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the instances' key refresh
  // A signs with the new key; B verifies it, and still accepts the old key's token.
  HttpResponse refreshed = tokenRequest(c.a, {{"grant_type", "refresh_token"},
                                              {"refresh_token", paired.refreshToken},
                                              {"client_id", c.seed.clientId}});
  BOOST_REQUIRE_EQUAL(refreshed.status, 200);
  const std::string newAccess = *fhir::parseJson(refreshed.body)->findString("access_token");
  const std::string newKid = kidOf(newAccess);
  BOOST_TEST(newKid != oldKid);
  const std::string query = "/fhir/Observation?patient=demo";
  BOOST_TEST(c.b.client().get(query, bearer(newAccess)).status == 200);
  BOOST_TEST(c.b.client().get(query, bearer(paired.accessToken)).status == 200);
  // Both publish both keys, the new one first.
  for (GatewayProcess* gw : {&c.a, &c.b}) {
    HttpResponse jwks = gw->client().get("/oauth/jwks");
    BOOST_REQUIRE_EQUAL(jwks.status, 200);
    const size_t at = jwks.body.find(newKid);
    BOOST_TEST(at != std::string::npos);
    BOOST_TEST(jwks.body.find(oldKid) > at);
  }
}

BOOST_AUTO_TEST_CASE(concurrent_if_match_updates_through_both_instances_have_one_winner) {
  Cluster c;
  Browser browser;
  PairingResult paired = pairApp(c.a, c.seed, browser, c.request());
  BOOST_REQUIRE_EQUAL(paired.token.status, 200);
  const HeaderList headers = bearer(paired.accessToken);
  HttpResponse created =
      c.a.client().post("/fhir/Observation", weight("70.0"), "application/fhir+json", headers);
  BOOST_REQUIRE_EQUAL(created.status, 201);
  const std::string id = idOf(created);
  for (int version = 1; version <= 6; ++version) {
    HeaderList ifMatch = headers;
    ifMatch.push_back({"If-Match", "W/\"" + std::to_string(version) + "\""});
    std::atomic<bool> go{false};
    auto put = [&](GatewayProcess& gw, std::string value) {
      HttpClient client = gw.client();
      while (!go) std::this_thread::yield();
      return client
          .put("/fhir/Observation/" + id, withId(weight(value), id), "application/fhir+json",
               ifMatch)
          .status;
    };
    auto first = std::async(std::launch::async, put, std::ref(c.a), std::string("71.0"));
    auto second = std::async(std::launch::async, put, std::ref(c.b), std::string("72.0"));
    go = true;
    const int s1 = first.get();
    const int s2 = second.get();
    BOOST_TEST_INFO("version " << version << ": " << s1 << " and " << s2);
    BOOST_TEST(((s1 == 200 && s2 == 412) || (s1 == 412 && s2 == 200)));
  }
  HttpResponse read = c.nginx.client().get("/fhir/Observation/" + id, bearer(paired.accessToken));
  BOOST_REQUIRE_EQUAL(read.status, 200);
  BOOST_TEST(read.header("ETag") == "W/\"7\"");
}

// `mes-gateway store copy`: a SQLite deployment moved to PostgreSQL keeps its resources with
// their history and index rows, its pairings, tokens (and the key that signed them) and audit
// log; the copy refuses a target that holds data.
BOOST_AUTO_TEST_CASE(a_sqlite_deployment_copied_to_postgres_keeps_everything) {
  TempDir dir("mes-copy");
  // One public URL before and after the move: tokens name it as their audience.
  const std::string publicUrl = "http://127.0.0.1:" + std::to_string(NginxProcess::pickFreePort());
  GatewayOptions options;
  options.dataDir = dir.string();
  options.extraArgs = {"--oauth-access-token-seconds", "3600", "--public-url", publicUrl};
  PairingResult paired;
  std::string id;
  {
    GatewayProcess gw(options);  // SQLite: no store settings in the environment yet
    DemoSeed seed = seedDemoData(dir.string());
    Browser browser;
    AuthorizationRequest request;
    request.clientId = seed.clientId;
    request.redirectUri = seed.redirectUri;
    request.aud = publicUrl + "/fhir";
    paired = pairApp(gw, seed, browser, request);
    BOOST_REQUIRE_EQUAL(paired.token.status, 200);
    HeaderList headers = bearer(paired.accessToken);
    HttpResponse created =
        gw.client().post("/fhir/Observation", weight("70.0"), "application/fhir+json", headers);
    BOOST_REQUIRE_EQUAL(created.status, 201);
    id = idOf(created);
    headers.push_back({"If-Match", "W/\"1\""});
    BOOST_REQUIRE_EQUAL(
        gw.client().put("/fhir/Observation/" + id, withId(weight("70.4"), id), "application/fhir+json", headers).status,
        200);
    BOOST_REQUIRE_EQUAL(gw.stop(), 0);
  }
  PostgresEnvironment env;
  const std::string copy = "store copy --store-backend sqlite --data-dir '" + dir.string() +
                           "' --to '" + postgresUrl() + "' --to-schema " + env.schema();
  int status = -1;
  const std::string report = captureCli(copy, status);
  BOOST_REQUIRE_MESSAGE(status == 0, "store copy failed: " + report);
  auto rows = fhir::parseJson(report);
  BOOST_REQUIRE(rows.isOk());
  const fhir::Value* counts = rows->find("rows");
  BOOST_REQUIRE(counts != nullptr);
  BOOST_TEST(*counts->find("resource_version")->asInt() >= 5);  // patients, consent, 2 versions
  BOOST_TEST(*counts->find("audit_log")->asInt() > 0);
  BOOST_TEST(*counts->find("refresh_families")->asInt() == 1);
  BOOST_TEST(*counts->find("signing_keys")->asInt() == 1);

  GatewayProcess gw(options);  // the same data directory, now on PostgreSQL
  BOOST_TEST(gw.log().find("\"backend\":\"postgres\"") != std::string::npos);
  // The token issued on SQLite still verifies (same key, same pairing and grant).
  HttpResponse read = gw.client().get("/fhir/Observation/" + id, bearer(paired.accessToken));
  BOOST_REQUIRE_MESSAGE(read.status == 200, read.body);
  BOOST_TEST(read.header("ETag") == "W/\"2\"");
  HttpResponse history =
      gw.client().get("/fhir/Observation/" + id + "/_history", bearer(paired.accessToken));
  BOOST_REQUIRE_EQUAL(history.status, 200);
  BOOST_TEST(*json(history).find("total")->asInt() == 2);
  HttpResponse search = gw.client().get(
      "/fhir/Observation?patient=demo&code=http://loinc.org%7C29463-7", bearer(paired.accessToken));
  BOOST_REQUIRE_EQUAL(search.status, 200);
  BOOST_TEST(*json(search).find("total")->asInt() == 1);
  HttpResponse refreshed = tokenRequest(gw, {{"grant_type", "refresh_token"},
                                             {"refresh_token", paired.refreshToken},
                                             {"client_id", "demo-app"}});
  BOOST_TEST(refreshed.status == 200);
  // A second copy into the same schema is refused: nothing is merged.
  captureCli(copy, status);
  BOOST_TEST(status != 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace mes::itest
