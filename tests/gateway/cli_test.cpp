// The administration commands (gateway/cli.h): flag splitting, then `service` and `keys` run
// end to end on a temporary data directory, their JSON output and exit statuses.
#include "gateway/cli.h"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "fhir/json/json.h"
#include "gateway/app.h"
#include "gateway/registry/registry.h"
#include "oauth/api_access.h"
#include "oauth/crypto/keys.h"
#include "oauth/scope.h"

using namespace mes::gateway;
using mes::fhir::Value;

namespace {

using Flags = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kOid = "urn:oid:1.2.250.1.999.1";

// "name value" per flag, printable by Boost.Test.
std::vector<std::string> shown(const Flags& flags) {
  std::vector<std::string> out;
  for (const auto& [name, value] : flags) out.push_back(name + " " + value);
  return out;
}

// One data directory; each run() is one `mes-gateway <command> ...` process.
struct Admin {
  Admin() : logSink(std::fopen("/dev/null", "w")), logger(clock, LogLevel::kError, logSink) {}
  ~Admin() {
    if (logSink != nullptr) std::fclose(logSink);
  }

  int run(const std::string& command, std::vector<std::string> args) {
    args.push_back("--data-dir");
    args.push_back(dir.path().string());
    std::ostringstream outStream;
    std::ostringstream errStream;
    const int status = runAdminCommand(command, std::move(args), {}, logger, outStream, errStream);
    out = outStream.str();
    err = errStream.str();
    return status;
  }

  // `service add` with every required flag, plus `extra`.
  int add(const std::string& clientId, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"add",          "--client-id", clientId, "--name",
                                     "Tensio+",      "--editor",    "Tensio SAS",
                                     "--editor-oid", kOid,          "--redirect-uri",
                                     "https://app.example/cb"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run("service", args);
  }

  Value json() const {
    auto parsed = mes::fhir::parseJson(out);
    BOOST_REQUIRE_MESSAGE(parsed.isOk(), "not JSON: " + out);
    return std::move(*parsed);
  }

  // Every registered service, from `service list`.
  std::vector<Value> services() {
    BOOST_REQUIRE_MESSAGE(run("service", {"list"}) == 0, err);
    const Value list = json();
    BOOST_REQUIRE(list.isArray());
    return list.items();
  }

  std::string writeFile(const std::string& name, const std::string& content) {
    const std::string path = dir.file(name);
    std::ofstream(path) << content;
    return path;
  }

  mes::test::TempDir dir{"mes-cli"};
  mes::SystemClock clock;
  std::FILE* logSink;
  Logger logger;
  std::string out;
  std::string err;
};

std::string text(const Value& v, std::string_view key) {
  const std::string* s = v.findString(key);
  if (s == nullptr) throw std::runtime_error("missing string " + std::string(key));
  return *s;
}

// A JWK Set text with one fresh ES384 public key; with `withPrivate`, the private scalar too.
std::string jwkSet(bool withPrivate) {
  auto key = mes::oauth::PrivateKey::generateEs384();
  if (!key) throw std::runtime_error("cannot generate a key");
  Value jwk = key->publicKey().toJwk();
  if (withPrivate) jwk.set("d", Value::string("c2VjcmV0LXNjYWxhci1ub3QtcmVhbGx5LWEta2V5LWJ1dC1sb25nLWVub3VnaA"));
  Value keys = Value::array();
  keys.push(std::move(jwk));
  Value set = Value::object();
  set.set("keys", std::move(keys));
  return mes::fhir::toJson(set);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

// --- takeFlags --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(take_flags_splits_own_flags_from_configuration_flags) {
  std::vector<std::string> args = {"--client-id", "tensio",          "--port",  "9000",
                                   "--redirect-uri=https://a/cb",    "--data-dir=/tmp/x",
                                   "--redirect-uri", "https://b/cb", "--unknown"};
  std::string error;
  const Flags flags = takeFlags(args, {"--client-id", "--redirect-uri", "--name"}, error);
  BOOST_TEST(error.empty());
  const std::vector<std::string> expected = {"--client-id tensio", "--redirect-uri https://a/cb",
                                             "--redirect-uri https://b/cb"};
  BOOST_TEST(shown(flags) == expected, boost::test_tools::per_element());
  // The rest, in order, for loadConfig (which refuses --unknown).
  const std::vector<std::string> rest = {"--port", "9000", "--data-dir=/tmp/x", "--unknown"};
  BOOST_TEST(args == rest, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(take_flags_keeps_inline_values_verbatim) {
  std::vector<std::string> args = {"--scopes=patient/Observation.rs openid", "--name=a=b",
                                   "--name="};
  std::string error;
  const Flags flags = takeFlags(args, {"--scopes", "--name"}, error);
  BOOST_TEST(error.empty());
  const std::vector<std::string> expected = {"--scopes patient/Observation.rs openid",
                                             "--name a=b", "--name "};
  BOOST_TEST(shown(flags) == expected, boost::test_tools::per_element());
  BOOST_TEST(args.empty());
}

BOOST_AUTO_TEST_CASE(take_flags_refuses_an_own_flag_without_value) {
  std::vector<std::string> args = {"--port", "9000", "--client-id"};
  std::string error;
  const Flags flags = takeFlags(args, {"--client-id"}, error);
  BOOST_TEST(flags.empty());
  BOOST_TEST(error.find("--client-id") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(take_flags_with_nothing_to_take) {
  std::vector<std::string> args = {"positional", "--data-dir", "/tmp/x"};
  std::string error;
  BOOST_TEST(takeFlags(args, {"--client-id"}, error).empty());
  BOOST_TEST(error.empty());
  BOOST_TEST(args.size() == 3u);
}

// --- service ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(service_add_registers_a_public_referenced_service_with_every_mes_scope) {
  Admin a;
  BOOST_REQUIRE_MESSAGE(a.add("tensio", {"--redirect-uri", "https://app.example/cb2"}) == 0, a.err);
  const Value s = a.json();
  BOOST_TEST(text(s, "client_id") == "tensio");
  BOOST_TEST(text(s, "name") == "Tensio+");
  BOOST_TEST(text(s, "editor") == "Tensio SAS");
  BOOST_TEST(text(s, "editor_oid") == kOid);
  BOOST_TEST(text(s, "client_type") == "public");
  BOOST_TEST(text(s, "status") == "referenced");
  BOOST_TEST(s.find("has_jwks")->asBool() == false);
  BOOST_TEST(s.find("version")->asInt().value_or(0) == 1);
  const Value* uris = s.find("redirect_uris");
  BOOST_REQUIRE(uris != nullptr);
  BOOST_REQUIRE(uris->items().size() == 2u);
  BOOST_TEST(uris->items()[0].text() == "https://app.example/cb");
  BOOST_TEST(uris->items()[1].text() == "https://app.example/cb2");
  // Every MES family's scopes, canonical.
  mes::oauth::ScopeSet every;
  for (const auto& access : mes::oauth::mesApiAccesses()) {
    auto family = mes::oauth::ScopeSet::parse(access.scopes);
    BOOST_REQUIRE(family.isOk());
    every = every.unionWith(*family);
  }
  BOOST_TEST(text(s, "allowed_scopes") == every.toString());
  BOOST_TEST(text(s, "allowed_scopes").find("patient/Observation.cruds") != std::string::npos);
  BOOST_TEST(a.err.empty());

  const std::vector<Value> list = a.services();
  BOOST_REQUIRE(list.size() == 1u);
  BOOST_TEST(text(list[0], "client_id") == "tensio");
}

BOOST_AUTO_TEST_CASE(service_add_with_explicit_scopes_and_status) {
  Admin a;
  BOOST_REQUIRE_MESSAGE(a.add("gluco", {"--scopes", "patient/Observation.read launch/patient",
                                        "--status=submitted"}) == 0,
                        a.err);
  BOOST_TEST(text(a.json(), "allowed_scopes") == "launch/patient patient/Observation.rs");
  BOOST_TEST(text(a.json(), "status") == "submitted");
  // A scope the grammar refuses.
  BOOST_TEST(a.add("gluco2", {"--scopes", "user/Observation.read"}) == 1);
  BOOST_TEST(a.out.empty());
  BOOST_TEST(a.services().size() == 1u);
}

BOOST_AUTO_TEST_CASE(service_add_refuses_a_bad_editor_oid) {
  Admin a;
  for (const char* oid : {"1.2.250.1.999", "urn:oid:", "urn:oid:1.2.abc", "urn:oid:1..2",
                          "urn:oid:1.2.", "urn:OID:1.2", "urn:oid:1.2#x"}) {
    BOOST_TEST_CONTEXT(oid) {
      std::vector<std::string> args = {"add",          "--client-id", "tensio", "--name",
                                       "Tensio+",      "--editor",    "Tensio SAS",
                                       "--editor-oid", oid,           "--redirect-uri",
                                       "https://app.example/cb"};
      BOOST_TEST(a.run("service", args) == 2);
      BOOST_TEST(a.err.find("--editor-oid") != std::string::npos);
      BOOST_TEST(a.out.empty());
    }
  }
  BOOST_TEST(a.services().empty());
}

BOOST_AUTO_TEST_CASE(service_add_refuses_what_the_registry_refuses) {
  Admin a;
  BOOST_REQUIRE(a.add("tensio") == 0);
  BOOST_TEST(a.add("tensio") == 1);  // taken
  BOOST_TEST(!a.err.empty());
  BOOST_TEST(a.add("x") == 1);  // client id too short
  BOOST_TEST(a.add("other", {"--type", "confidential-symmetric"}) == 1);
  BOOST_TEST(a.run("service", {"add", "--name", "No id", "--editor-oid", kOid}) == 2);
  BOOST_TEST(a.err.find("--client-id") != std::string::npos);
  BOOST_TEST(a.services().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_confidential_service_needs_its_public_keys) {
  Admin a;
  BOOST_TEST(a.add("conf", {"--type", "confidential-asymmetric"}) == 2);
  BOOST_TEST(a.err.find("--jwks-file") != std::string::npos);

  BOOST_TEST(a.add("conf", {"--type", "confidential-asymmetric", "--jwks-file",
                            a.dir.file("missing.json")}) == 1);
  BOOST_TEST(a.add("conf", {"--type", "confidential-asymmetric", "--jwks-file",
                            a.writeFile("notaset.json", R"({"kty":"EC"})")}) == 1);
  BOOST_TEST(a.err.find("JWK Set") != std::string::npos);
  BOOST_TEST(a.services().empty());

  const std::string file = a.writeFile("jwks.json", jwkSet(false));
  BOOST_REQUIRE_MESSAGE(
      a.add("conf", {"--type", "confidential-asymmetric", "--jwks-file", file}) == 0, a.err);
  BOOST_TEST(text(a.json(), "client_type") == "confidential-asymmetric");
  BOOST_TEST(a.json().find("has_jwks")->asBool());
}

BOOST_AUTO_TEST_CASE(a_jwk_set_holding_a_private_key_is_refused) {
  Admin a;
  const std::string file = a.writeFile("leaked.json", jwkSet(true));
  BOOST_TEST(a.add("conf", {"--type", "confidential-asymmetric", "--jwks-file", file}) == 1);
  BOOST_TEST(a.err.find("\"d\"") != std::string::npos, a.err);
  BOOST_TEST(a.out.empty());
  BOOST_TEST(a.services().empty());
}

BOOST_AUTO_TEST_CASE(suspend_and_reinstate) {
  Admin a;
  BOOST_REQUIRE(a.add("tensio") == 0);
  BOOST_TEST(a.run("service", {"reinstate", "--client-id", "tensio"}) == 1);  // not suspended
  BOOST_TEST(a.err.find("referenced") != std::string::npos);

  BOOST_REQUIRE_MESSAGE(a.run("service", {"suspend", "--client-id", "tensio"}) == 0, a.err);
  BOOST_TEST(text(a.json(), "status") == "suspended");
  BOOST_TEST(a.json().find("version")->asInt().value_or(0) == 2);
  BOOST_TEST(text(a.services().at(0), "status") == "suspended");

  BOOST_REQUIRE_MESSAGE(a.run("service", {"reinstate", "--client-id=tensio"}) == 0, a.err);
  BOOST_TEST(text(a.json(), "status") == "referenced");
  BOOST_TEST(a.json().find("version")->asInt().value_or(0) == 3);

  BOOST_TEST(a.run("service", {"suspend", "--client-id", "ghost"}) == 1);
  BOOST_TEST(a.run("service", {"suspend"}) == 2);
}

BOOST_AUTO_TEST_CASE(service_commands_go_through_the_registry_with_the_cli_as_actor) {
  Admin a;
  BOOST_REQUIRE(a.add("tensio") == 0);
  BOOST_REQUIRE_MESSAGE(
      a.run("service", {"suspend", "--client-id", "tensio", "--reason", "Faille signalée"}) == 0,
      a.err);
  BOOST_REQUIRE_MESSAGE(a.run("service", {"reinstate", "--client-id", "tensio"}) == 0, a.err);
  Config config;
  config.dataDir = a.dir.path().string();
  auto gateway = Gateway::open(config, a.logger);
  BOOST_REQUIRE(gateway.isOk());
  auto file = (*gateway)->registry().file(registry::Actor::cli(), "tensio");
  BOOST_REQUIRE(file.isOk());
  const auto& h = file->history;
  BOOST_REQUIRE_EQUAL(h.size(), 3U);
  BOOST_TEST(h[0].action == "register");
  BOOST_TEST(h[0].reason == "mes-gateway service add");
  BOOST_TEST(h[1].action == "suspend");
  BOOST_TEST(h[1].actorLogin == "cli");
  BOOST_TEST(h[1].fromStatus == "referenced");
  BOOST_TEST(h[1].toStatus == "suspended");
  BOOST_TEST(h[1].reason == "Faille signalée");
  BOOST_TEST(h[2].action == "reinstate");
  BOOST_TEST(h[2].reason == "mes-gateway service reinstate");
  BOOST_TEST(h[2].toStatus == "referenced");
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  Admin a;
  BOOST_TEST(a.run("service", {}) == 2);
  BOOST_TEST(a.run("service", {"--client-id", "tensio"}) == 2);  // no action
  BOOST_TEST(a.run("service", {"frobnicate", "--client-id", "tensio"}) == 2);
  BOOST_TEST(a.err.find("unknown action 'frobnicate'") != std::string::npos);
  // Named as such whatever flags it lacks (not "--client-id is required").
  BOOST_TEST(a.run("service", {"frobnicate"}) == 2);
  BOOST_TEST(a.err.find("unknown action 'frobnicate'") != std::string::npos);
  BOOST_TEST(a.run("keys", {"frobnicate"}) == 2);
  BOOST_TEST(a.err.find("unknown action 'frobnicate'") != std::string::npos);
  // A typo creates nothing in the data directory (no store, no keys).
  BOOST_TEST(std::filesystem::is_empty(a.dir.path()));
  BOOST_TEST(a.run("service", {"list", "--no-such-flag", "1"}) == 2);
  BOOST_TEST(a.run("service", {"add", "--client-id"}) == 2);
  BOOST_TEST(a.out.empty());
}

// --- keys -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(keys_rotate_changes_the_current_key_and_keeps_the_old_one_published) {
  Admin a;
  BOOST_REQUIRE_MESSAGE(a.run("keys", {"list"}) == 0, a.err);
  const Value before = a.json();
  BOOST_REQUIRE(before.find("keys")->items().size() == 1u);
  const std::string firstKid = text(before.find("keys")->items()[0], "kid");

  BOOST_REQUIRE_MESSAGE(a.run("keys", {"rotate"}) == 0, a.err);
  const std::string newKid = text(a.json(), "current_kid");
  BOOST_TEST(newKid != firstKid);

  BOOST_REQUIRE_MESSAGE(a.run("keys", {"list"}) == 0, a.err);
  const Value after = a.json();
  const auto& keys = after.find("keys")->items();
  BOOST_REQUIRE(keys.size() == 2u);
  BOOST_TEST(text(keys[0], "kid") == newKid);  // current first
  BOOST_TEST(text(keys[1], "kid") == firstKid);
  for (const Value& k : keys) {
    BOOST_TEST(text(k, "alg") == "ES256");
    BOOST_TEST(text(k, "use") == "sig");
    BOOST_TEST(k.find("d") == nullptr);  // public members only
  }
}

BOOST_AUTO_TEST_SUITE_END()
