// oauth/signing_keys: the gateway's ES256 keys on disk, rotation, retention and pruning.
#include "oauth/signing_keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "fhir/json/json.h"
#include "oauth/crypto/jws.h"

using namespace mes;
using namespace mes::oauth;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kStartMs = 1'700'000'000'000;
constexpr int64_t kRetainSeconds = 660;  // 10-minute tokens + 1 minute margin

// A fresh data directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mes-keys-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    BOOST_REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path keys() const { return path_ / "keys"; }

 private:
  fs::path path_;
};

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  BOOST_REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

std::unique_ptr<FileSigningKeyStore> openStore(const TempDir& dir, const Clock& clock,
                                               int64_t retain = kRetainSeconds) {
  auto store = FileSigningKeyStore::open(dir.path(), clock, retain);
  if (!store.isOk()) BOOST_TEST_MESSAGE(store.error().problems.front().message);
  BOOST_REQUIRE(store.isOk());
  return std::move(*store);
}

std::string currentKid(const SigningKeyStore& store) {
  auto current = store.current();
  BOOST_REQUIRE(current.isOk());
  return current->kid;
}

std::vector<std::string> jwksKids(const SigningKeyStore& store) {
  auto jwks = store.jwks();
  BOOST_REQUIRE(jwks.isOk());
  std::vector<std::string> kids;
  for (const fhir::Value& key : jwks->find("keys")->items()) kids.push_back(*key.findString("kid"));
  return kids;
}

fhir::Value indexOf(const TempDir& dir) {
  auto index = fhir::parseJson(readFile(dir.keys() / "keys.json"));
  BOOST_REQUIRE(index.isOk());
  return *index;
}

// Signs a token with the store's current key, then verifies it as the resource server does.
void signAndVerify(const SigningKeyStore& signer, const SigningKeyStore& verifier) {
  auto current = signer.current();
  BOOST_REQUIRE(current.isOk());
  fhir::Value claims = fhir::Value::object();
  claims.set("iss", fhir::Value::string("https://mes.example/"));
  auto token = signJwt(claims, current->key, JwsAlgorithm::kES256, current->kid, "at+jwt");
  BOOST_REQUIRE(token.isOk());
  auto jwt = decodeJwt(*token);
  BOOST_REQUIRE(jwt.isOk());
  auto key = verifier.verificationKey(jwt->kid);
  BOOST_REQUIRE(key.isOk());
  BOOST_TEST(verifyJwt(*jwt, *key, {JwsAlgorithm::kES256}).isOk());
}

std::string openError(const TempDir& dir, const Clock& clock) {
  auto store = FileSigningKeyStore::open(dir.path(), clock, kRetainSeconds);
  BOOST_REQUIRE(!store.isOk());
  BOOST_TEST(store.error().code() == "signing-key-store-invalid");
  return store.error().problems.front().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oauth_signing_keys)

BOOST_AUTO_TEST_CASE(first_start_creates_private_files) {
  TempDir dir;
  ManualClock clock(kStartMs);
  auto store = openStore(dir, clock);
  std::string kid = currentKid(*store);

  BOOST_TEST(modeOf(dir.keys()) == 0700u);
  BOOST_TEST(modeOf(dir.keys() / (kid + ".pem")) == 0600u);
  BOOST_TEST(modeOf(dir.keys() / "keys.json") == 0600u);
  BOOST_TEST(readFile(dir.keys() / (kid + ".pem")).rfind("-----BEGIN PRIVATE KEY-----", 0) == 0u);

  // kid is the RFC 7638 thumbprint of the current key.
  auto current = store->current();
  BOOST_REQUIRE(current.isOk());
  BOOST_TEST(current->key.publicKey().thumbprint() == kid);
  BOOST_TEST((current->key.family() == KeyFamily::kEcP256));

  fhir::Value index = indexOf(dir);
  BOOST_TEST((index.find("version")->asInt() == 1));
  BOOST_REQUIRE(index.find("keys")->items().size() == 1u);
  const fhir::Value& entry = index.find("keys")->items()[0];
  BOOST_TEST(*entry.findString("kid") == kid);
  BOOST_TEST(*entry.findString("alg") == "ES256");
  BOOST_TEST(*entry.findString("created") == "2023-11-14T22:13:20.000Z");
  BOOST_TEST(entry.find("retired_at") == nullptr);

  // The JWKS publishes the public key only.
  auto jwks = store->jwks();
  BOOST_REQUIRE(jwks.isOk());
  BOOST_REQUIRE(jwks->find("keys")->items().size() == 1u);
  const fhir::Value& jwk = jwks->find("keys")->items()[0];
  BOOST_TEST(*jwk.findString("kty") == "EC");
  BOOST_TEST(*jwk.findString("crv") == "P-256");
  BOOST_TEST(*jwk.findString("kid") == kid);
  BOOST_TEST(*jwk.findString("use") == "sig");
  BOOST_TEST(*jwk.findString("alg") == "ES256");
  BOOST_TEST(jwk.find("d") == nullptr);
  auto parsed = PublicKey::fromJwk(jwk);
  BOOST_REQUIRE(parsed.isOk());
  BOOST_TEST(parsed->thumbprint() == kid);

  signAndVerify(*store, *store);
  auto unknown = store->verificationKey("not-a-kid");
  BOOST_REQUIRE(!unknown.isOk());
  BOOST_TEST(unknown.error().code() == "token-key-unknown");
  BOOST_TEST((unknown.error().kind == ErrorKind::kNotFound));
}

BOOST_AUTO_TEST_CASE(reload_gives_the_same_key) {
  TempDir dir;
  ManualClock clock(kStartMs);
  std::string kid;
  {
    auto first = openStore(dir, clock);
    kid = currentKid(*first);
  }
  auto second = openStore(dir, clock);
  BOOST_TEST(currentKid(*second) == kid);
  BOOST_TEST(jwksKids(*second) == std::vector<std::string>{kid});
  auto third = openStore(dir, clock);
  signAndVerify(*second, *third);
}

BOOST_AUTO_TEST_CASE(rotation_keeps_the_old_key_until_retention_passes) {
  TempDir dir;
  ManualClock clock(kStartMs);
  auto store = openStore(dir, clock);
  std::string oldKid = currentKid(*store);
  auto oldKey = store->current();
  BOOST_REQUIRE(oldKey.isOk());

  clock.advance(60'000);
  auto rotated = store->rotate();
  BOOST_REQUIRE(rotated.isOk());
  std::string newKid = *rotated;
  BOOST_TEST(newKid != oldKid);
  BOOST_TEST(currentKid(*store) == newKid);
  BOOST_TEST(modeOf(dir.keys() / (newKid + ".pem")) == 0600u);
  // New key first, the retired one still published and usable for verification.
  BOOST_TEST(jwksKids(*store) == (std::vector<std::string>{newKid, oldKid}));
  BOOST_TEST(store->verificationKey(oldKid).isOk());
  fhir::Value index = indexOf(dir);
  BOOST_REQUIRE(index.find("keys")->items().size() == 2u);
  BOOST_TEST(*index.find("keys")->items()[0].findString("retired_at") ==
             "2023-11-14T22:14:20.000Z");

  // A token signed just before the rotation still verifies until the retention ends.
  fhir::Value claims = fhir::Value::object();
  claims.set("sub", fhir::Value::string("p"));
  auto oldToken = signJwt(claims, oldKey->key, JwsAlgorithm::kES256, oldKid);
  BOOST_REQUIRE(oldToken.isOk());
  clock.advance(kRetainSeconds * 1000 - 1);
  auto key = store->verificationKey(oldKid);
  BOOST_REQUIRE(key.isOk());
  BOOST_TEST(verifyJwt(*decodeJwt(*oldToken), *key, {JwsAlgorithm::kES256}).isOk());

  // Retention over: no longer published nor usable; the file stays until the next load.
  clock.advance(1);
  BOOST_TEST(store->verificationKey(oldKid).error().code() == "token-key-unknown");
  BOOST_TEST(jwksKids(*store) == std::vector<std::string>{newKid});
  BOOST_TEST(fs::exists(dir.keys() / (oldKid + ".pem")));

  // The next load prunes it: file removed, index rewritten.
  auto reopened = openStore(dir, clock);
  BOOST_TEST(!fs::exists(dir.keys() / (oldKid + ".pem")));
  BOOST_TEST(indexOf(dir).find("keys")->items().size() == 1u);
  BOOST_TEST(currentKid(*reopened) == newKid);
  BOOST_TEST(currentKid(*store) == newKid);  // the first instance follows the rewritten index
}

BOOST_AUTO_TEST_CASE(rotate_prunes_expired_keys) {
  TempDir dir;
  ManualClock clock(kStartMs);
  auto store = openStore(dir, clock);
  std::string first = currentKid(*store);
  std::string second = *store->rotate();
  clock.advance(kRetainSeconds * 1000);
  std::string third = *store->rotate();
  // first expired (retired at start, retention over) and is pruned; second was just retired.
  BOOST_TEST(!fs::exists(dir.keys() / (first + ".pem")));
  BOOST_TEST(fs::exists(dir.keys() / (second + ".pem")));
  BOOST_TEST(jwksKids(*store) == (std::vector<std::string>{third, second}));
  BOOST_TEST(indexOf(dir).find("keys")->items().size() == 2u);
}

BOOST_AUTO_TEST_CASE(zero_retention_drops_the_old_key_at_once) {
  TempDir dir;
  ManualClock clock(kStartMs);
  auto store = openStore(dir, clock, 0);
  std::string first = currentKid(*store);
  std::string second = *store->rotate();
  BOOST_TEST(jwksKids(*store) == std::vector<std::string>{second});
  BOOST_TEST(!fs::exists(dir.keys() / (first + ".pem")));
}

BOOST_AUTO_TEST_CASE(rotation_by_another_process_is_seen) {
  // The CLI rotates through its own store instance; the running gateway's instance must
  // sign with the new key from its next call, and still verify tokens of the old one.
  TempDir dir;
  ManualClock clock(kStartMs);
  auto gateway = openStore(dir, clock);
  std::string oldKid = currentKid(*gateway);
  auto cli = openStore(dir, clock);
  auto rotated = cli->rotate();
  BOOST_REQUIRE(rotated.isOk());
  BOOST_TEST(currentKid(*gateway) == *rotated);
  BOOST_TEST(jwksKids(*gateway) == (std::vector<std::string>{*rotated, oldKid}));
  signAndVerify(*cli, *gateway);
  signAndVerify(*gateway, *cli);

  // Rotating from the gateway instance builds on the CLI's rotation (re-reads the index).
  clock.advance(1000);
  auto again = gateway->rotate();
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST(jwksKids(*cli) == (std::vector<std::string>{*again, *rotated, oldKid}));
}

BOOST_AUTO_TEST_CASE(group_readable_key_refused) {
  TempDir dir;
  ManualClock clock(kStartMs);
  std::string kid;
  { kid = currentKid(*openStore(dir, clock)); }
  fs::path keyFile = dir.keys() / (kid + ".pem");
  BOOST_REQUIRE(::chmod(keyFile.c_str(), 0640) == 0);
  std::string message = openError(dir, clock);
  BOOST_TEST(message.find(keyFile.string()) != std::string::npos);
  BOOST_TEST(message.find("group or others") != std::string::npos);
  BOOST_TEST(message.find("0640") != std::string::npos);
  BOOST_TEST(message.find("PRIVATE") == std::string::npos);

  BOOST_REQUIRE(::chmod(keyFile.c_str(), 0604) == 0);  // world-readable
  BOOST_TEST(openError(dir, clock).find(keyFile.string()) != std::string::npos);

  BOOST_REQUIRE(::chmod(keyFile.c_str(), 0600) == 0);
  BOOST_REQUIRE(::chmod((dir.keys() / "keys.json").c_str(), 0644) == 0);
  BOOST_TEST(openError(dir, clock).find("keys.json") != std::string::npos);

  BOOST_REQUIRE(::chmod((dir.keys() / "keys.json").c_str(), 0600) == 0);
  BOOST_REQUIRE(::chmod(dir.keys().c_str(), 0755) == 0);
  std::string dirMessage = openError(dir, clock);
  BOOST_TEST(dirMessage.find("directory") != std::string::npos);
  BOOST_TEST(dirMessage.find("chmod 700") != std::string::npos);

  BOOST_REQUIRE(::chmod(dir.keys().c_str(), 0700) == 0);
  BOOST_TEST(currentKid(*openStore(dir, clock)) == kid);
}

BOOST_AUTO_TEST_CASE(permission_change_seen_by_a_running_store_on_reload) {
  // A key made readable while the gateway runs is refused when the index next changes, and
  // the store keeps refusing (fail closed) rather than serving from a stale snapshot forever.
  TempDir dir;
  ManualClock clock(kStartMs);
  auto gateway = openStore(dir, clock);
  auto cli = openStore(dir, clock);
  std::string kid = currentKid(*gateway);
  BOOST_REQUIRE(cli->rotate().isOk());
  BOOST_REQUIRE(::chmod((dir.keys() / (kid + ".pem")).c_str(), 0644) == 0);
  auto refused = cli->rotate();  // the CLI checks the store first, and changes nothing
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(refused.error().problems.front().message.find(kid + ".pem") != std::string::npos);
  BOOST_TEST(indexOf(dir).find("keys")->items().size() == 2u);
  auto current = gateway->current();
  BOOST_REQUIRE(!current.isOk());
  BOOST_TEST(current.error().code() == "signing-key-store-invalid");
}

BOOST_AUTO_TEST_CASE(unparsable_or_swapped_key_refused) {
  TempDir dir;
  ManualClock clock(kStartMs);
  std::string kid;
  { kid = currentKid(*openStore(dir, clock)); }
  fs::path keyFile = dir.keys() / (kid + ".pem");
  const std::string original = readFile(keyFile);

  writeFile(keyFile, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  std::string message = openError(dir, clock);
  BOOST_TEST(message.find(keyFile.string()) != std::string::npos);
  BOOST_TEST(message.find("not a valid") != std::string::npos);

  // Another (valid) key under this kid's name.
  auto other = PrivateKey::generateEs256();
  BOOST_REQUIRE(other.isOk());
  writeFile(keyFile, *other->toPem());
  BOOST_TEST(openError(dir, clock).find("thumbprint mismatch") != std::string::npos);

  // A P-384 key is not an ES256 signing key.
  auto p384 = PrivateKey::generateEs384();
  writeFile(keyFile, *p384->toPem());
  BOOST_TEST(openError(dir, clock).find("P-256") != std::string::npos);

  // Missing file.
  fs::remove(keyFile);
  BOOST_TEST(openError(dir, clock).find("missing") != std::string::npos);

  // A symbolic link in place of the key file.
  fs::path elsewhere = dir.path() / "elsewhere.pem";
  writeFile(elsewhere, original);
  BOOST_REQUIRE(::chmod(elsewhere.c_str(), 0600) == 0);
  fs::create_symlink(elsewhere, keyFile);
  BOOST_TEST(openError(dir, clock).find("symbolic link") != std::string::npos);
  fs::remove(keyFile);

  writeFile(keyFile, original);
  BOOST_REQUIRE(::chmod(keyFile.c_str(), 0600) == 0);
  BOOST_TEST(currentKid(*openStore(dir, clock)) == kid);
}

BOOST_AUTO_TEST_CASE(invalid_index_refused) {
  TempDir dir;
  ManualClock clock(kStartMs);
  std::string kid;
  { kid = currentKid(*openStore(dir, clock)); }
  fs::path index = dir.keys() / "keys.json";
  const std::string original = readFile(index);
  const std::string entry =
      R"({"kid":")" + kid + R"(","alg":"ES256","created":"2023-11-14T22:13:20.000Z"})";
  const std::string other = R"({"kid":")" + std::string(43, 'A') +
                            R"(","alg":"ES256","created":"2023-11-14T22:13:20.000Z"})";
  const std::string retired = R"({"kid":")" + kid +
                              R"(","alg":"ES256","created":"2023-11-14T22:13:20.000Z",)"
                              R"("retired_at":"2023-11-14T22:13:20.000Z"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not valid JSON"},
      {"[1]", "not a JSON object"},
      {R"({"version":2,"keys":[)" + entry + "]}", "\"version\": 1"},
      {R"({"version":1,"keys":[]})", "\"keys\""},
      {R"({"version":1,"keys":[)" + entry + "," + entry + "]}", "repeats a kid"},
      {R"({"version":1,"keys":[)" + entry + "," + other + "]}", "exactly one current key"},
      {R"({"version":1,"keys":[)" + retired + "]}", "exactly one current key"},
      {R"({"version":1,"keys":[)" + entry + R"(],"extra":1})", "unknown member"},
      {R"({"version":1,"keys":[{"kid":"../../etc/passwd","alg":"ES256","created":"2023-11-14T22:13:20.000Z"}]})",
       "thumbprint"},
      {R"({"version":1,"keys":[{"kid":")" + kid +
           R"(","alg":"RS256","created":"2023-11-14T22:13:20.000Z"}]})",
       "ES256"},
      {R"({"version":1,"keys":[{"kid":")" + kid + R"(","alg":"ES256","created":"yesterday"}]})",
       "instant"},
  };
  for (const auto& [text, expected] : cases) {
    writeFile(index, text);
    std::string message = openError(dir, clock);
    BOOST_TEST(message.find(expected) != std::string::npos, message);
    BOOST_TEST(message.find(index.string()) != std::string::npos);
  }
  writeFile(index, original);
  BOOST_TEST(currentKid(*openStore(dir, clock)) == kid);
}

BOOST_AUTO_TEST_CASE(open_refuses_negative_retention) {
  TempDir dir;
  ManualClock clock(kStartMs);
  BOOST_TEST(!FileSigningKeyStore::open(dir.path(), clock, -1).isOk());
}

BOOST_AUTO_TEST_CASE(concurrent_signing_during_rotation) {
  TempDir dir;
  ManualClock clock(kStartMs);  // not advanced: only read concurrently
  auto store = openStore(dir, clock);
  std::atomic<int> failures{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      fhir::Value claims = fhir::Value::object();
      claims.set("sub", fhir::Value::string("p"));
      while (!stop.load()) {
        auto current = store->current();
        if (!current.isOk()) {
          ++failures;
          continue;
        }
        auto token = signJwt(claims, current->key, JwsAlgorithm::kES256, current->kid);
        auto jwt = token.isOk() ? decodeJwt(*token) : Result<DecodedJwt>(token.error());
        auto key = jwt.isOk() ? store->verificationKey(jwt->kid) : Result<PublicKey>(jwt.error());
        if (!key.isOk() || !verifyJwt(*jwt, *key, {JwsAlgorithm::kES256}).isOk()) ++failures;
      }
    });
  }
  for (int i = 0; i < 10; ++i) BOOST_REQUIRE(store->rotate().isOk());
  stop = true;
  for (auto& t : threads) t.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(jwksKids(*store).size() == 11u);
}

BOOST_AUTO_TEST_SUITE_END()
