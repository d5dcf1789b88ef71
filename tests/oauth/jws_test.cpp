// oauth/crypto/jws: compact JWT signing, decoding, verification and claim checks.
#include "oauth/crypto/jws.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "fhir/json/json.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"

using namespace mes;
using namespace mes::oauth;
namespace bdata = boost::unit_test::data;

namespace {

fhir::Value json(std::string_view text) {
  auto v = fhir::parseJson(text);
  BOOST_REQUIRE(v.isOk());
  return *v;
}

std::string b64(std::string_view text) {
  return base64UrlEncode(text);
}

// RFC 7515 Appendix A.3.
constexpr std::string_view kA3Token =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr std::string_view kA3Jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
// RFC 7515 Appendix A.1 (HS256) and A.5 (unsecured), same claims.
constexpr std::string_view kA1Token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kA5Token =
    "eyJhbGciOiJub25lIn0."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".";

constexpr int64_t kNowMs = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kNow = kNowMs / 1000;

fhir::Value accessClaims() {
  fhir::Value c = fhir::Value::object();
  c.set("iss", fhir::Value::string("https://mes.example/"));
  c.set("aud", fhir::Value::string("https://mes.example/fhir"));
  c.set("sub", fhir::Value::string("patient-1"));
  c.set("jti", fhir::Value::string("j-1"));
  c.set("iat", fhir::Value::number(kNow));
  c.set("exp", fhir::Value::number(kNow + 600));
  c.set("scope", fhir::Value::string("patient/Observation.rs"));
  return c;
}

ClaimExpectations accessExpectations() {
  ClaimExpectations e;
  e.issuer = "https://mes.example/";
  e.audience = "https://mes.example/fhir";
  e.nowMs = kNowMs;
  return e;
}

// Builds a compact token from raw header/payload JSON text and raw signature bytes.
std::string compact(std::string_view header, std::string_view payload, std::string_view sig) {
  return b64(header) + "." + b64(payload) + "." + b64(sig);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oauth_jws)

BOOST_AUTO_TEST_CASE(rfc7515_a3_token_decodes_and_verifies) {
  auto jwt = decodeJwt(kA3Token);
  BOOST_REQUIRE(jwt.isOk());
  BOOST_TEST((jwt->algorithm == JwsAlgorithm::kES256));
  BOOST_TEST(jwt->kid.empty());
  BOOST_TEST(*jwt->claims.findString("iss") == "joe");
  BOOST_TEST((jwt->claims.find("exp")->asInt() == 1300819380));
  BOOST_TEST(jwt->claims.find("http://example.com/is_root")->asBool());
  auto key = PublicKey::fromJwk(json(kA3Jwk));
  BOOST_REQUIRE(key.isOk());
  BOOST_TEST(verifyJwt(*jwt, *key, {JwsAlgorithm::kES256}).isOk());
  // Allowed list without ES256: refused even though the signature is good.
  auto refused = verifyJwt(*jwt, *key, {JwsAlgorithm::kRS256});
  BOOST_TEST(refused.error().code() == "token-algorithm-refused");
  BOOST_TEST((refused.error().kind == ErrorKind::kUnauthorized));
}

BOOST_AUTO_TEST_CASE(sign_then_decode_verify_check) {
  auto key = PrivateKey::generateEs256();
  BOOST_REQUIRE(key.isOk());
  auto token = signJwt(accessClaims(), *key, JwsAlgorithm::kES256, "kid-1", "at+jwt");
  BOOST_REQUIRE(token.isOk());
  auto jwt = decodeJwt(*token);
  BOOST_REQUIRE(jwt.isOk());
  BOOST_TEST(fhir::toJson(jwt->header) == R"({"alg":"ES256","typ":"at+jwt","kid":"kid-1"})");
  BOOST_TEST(jwt->kid == "kid-1");
  BOOST_TEST((jwt->claims == accessClaims()));
  BOOST_TEST(verifyJwt(*jwt, key->publicKey(), {JwsAlgorithm::kES256}).isOk());
  BOOST_TEST(checkClaims(jwt->claims, accessExpectations()).isOk());

  // Default typ is JWT; an empty kid is left out.
  auto plain = signJwt(accessClaims(), *key, JwsAlgorithm::kES256, "");
  BOOST_REQUIRE(plain.isOk());
  BOOST_TEST(fhir::toJson(decodeJwt(*plain)->header) == R"({"alg":"ES256","typ":"JWT"})");

  // Claims must be an object; the key must fit the algorithm.
  BOOST_TEST(!signJwt(fhir::Value::array(), *key, JwsAlgorithm::kES256, "k").isOk());
  auto wrongAlg = signJwt(accessClaims(), *key, JwsAlgorithm::kRS256, "k");
  BOOST_REQUIRE(!wrongAlg.isOk());
  BOOST_TEST(wrongAlg.error().code() == "token-algorithm-refused");
}

namespace {
struct AlgCase {
  JwsAlgorithm alg;
  const char* name;
};
std::ostream& operator<<(std::ostream& os, const AlgCase& c) {
  return os << c.name;
}
const AlgCase kAlgs[] = {{JwsAlgorithm::kES256, "ES256"},
                         {JwsAlgorithm::kES384, "ES384"},
                         {JwsAlgorithm::kRS256, "RS256"},
                         {JwsAlgorithm::kRS384, "RS384"}};
}  // namespace

BOOST_DATA_TEST_CASE(round_trip_every_algorithm_and_tampering, bdata::make(kAlgs), c) {
  Result<PrivateKey> key = c.alg == JwsAlgorithm::kES256   ? PrivateKey::generateEs256()
                           : c.alg == JwsAlgorithm::kES384 ? PrivateKey::generateEs384()
                                                           : PrivateKey::generateRsa(2048);
  BOOST_REQUIRE(key.isOk());
  auto token = signJwt(accessClaims(), *key, c.alg, "k");
  BOOST_REQUIRE(token.isOk());
  auto jwt = decodeJwt(*token);
  BOOST_REQUIRE(jwt.isOk());
  BOOST_TEST(*jwt->header.findString("alg") == c.name);
  const PublicKey pub = key->publicKey();
  BOOST_TEST(verifyJwt(*jwt, pub, {c.alg}).isOk());

  size_t dot1 = token->find('.');
  size_t dot2 = token->rfind('.');
  const std::string header = token->substr(0, dot1);
  const std::string signature = token->substr(dot2 + 1);

  // Tampered payload: another patient.
  fhir::Value other = accessClaims();
  other.set("sub", fhir::Value::string("patient-2"));
  std::string forged = header + "." + b64(fhir::toJson(other)) + "." + signature;
  auto forgedJwt = decodeJwt(forged);
  BOOST_REQUIRE(forgedJwt.isOk());
  BOOST_TEST(verifyJwt(*forgedJwt, pub, {c.alg}).error().code() == "token-signature-invalid");

  // Tampered header: same alg, another kid (the header is signed too).
  std::string otherHeader =
      b64(std::string(R"({"alg":")") + c.name + R"(","typ":"JWT","kid":"x"})");
  auto headerJwt = decodeJwt(otherHeader + token->substr(dot1));
  BOOST_REQUIRE(headerJwt.isOk());
  BOOST_TEST(verifyJwt(*headerJwt, pub, {c.alg}).error().code() == "token-signature-invalid");

  // Tampered signature.
  std::string sigBytes = *base64UrlDecode(signature);
  sigBytes[0] ^= 0x01;
  auto sigJwt = decodeJwt(token->substr(0, dot2 + 1) + b64(sigBytes));
  BOOST_REQUIRE(sigJwt.isOk());
  BOOST_TEST(verifyJwt(*sigJwt, pub, {c.alg}).error().code() == "token-signature-invalid");

  // Another key of the same kind.
  Result<PrivateKey> stranger = c.alg == JwsAlgorithm::kES256   ? PrivateKey::generateEs256()
                                : c.alg == JwsAlgorithm::kES384 ? PrivateKey::generateEs384()
                                                                : PrivateKey::generateRsa(2048);
  BOOST_REQUIRE(stranger.isOk());
  BOOST_TEST(verifyJwt(*jwt, stranger->publicKey(), {c.alg}).error().code() ==
             "token-signature-invalid");
}

BOOST_AUTO_TEST_CASE(alg_none_refused) {
  // RFC 7515 A.5, the same with a forged signature, and letter-case variants.
  auto a5 = decodeJwt(kA5Token);
  BOOST_REQUIRE(!a5.isOk());
  BOOST_TEST(a5.error().code() == "token-algorithm-refused");
  BOOST_TEST((a5.error().kind == ErrorKind::kUnauthorized));
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    std::string token =
        compact(std::string(R"({"alg":")") + alg + R"("})", R"({"iss":"x"})", "sig");
    auto r = decodeJwt(token);
    BOOST_REQUIRE(!r.isOk());
    BOOST_TEST(r.error().code() == "token-algorithm-refused", alg);
  }
}

BOOST_AUTO_TEST_CASE(hs256_with_public_key_as_secret_refused) {
  // The classic confusion attack: HMAC "signed" with the server's public key as the secret.
  auto key = PrivateKey::generateEs256();
  BOOST_REQUIRE(key.isOk());
  std::string publicJwk = fhir::toJson(key->publicKey().toJwk());
  std::string input =
      b64(R"({"alg":"HS256","typ":"JWT"})") + "." + b64(fhir::toJson(accessClaims()));
  std::string token = input + "." + b64(hmacSha256(publicJwk, input));
  auto r = decodeJwt(token);
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().code() == "token-algorithm-refused");
  // RFC 7515 A.1 (a genuine HS256 token) is refused the same way.
  BOOST_TEST(decodeJwt(kA1Token).error().code() == "token-algorithm-refused");
}

BOOST_AUTO_TEST_CASE(alg_key_mismatch_refused) {
  // An RS256 token verified with an EC key, and ES384 with a P-256 key.
  auto rsa = PrivateKey::generateRsa(2048);
  auto ec = PrivateKey::generateEs256();
  BOOST_REQUIRE(rsa.isOk());
  BOOST_REQUIRE(ec.isOk());
  auto token = signJwt(accessClaims(), *rsa, JwsAlgorithm::kRS256, "k");
  auto jwt = decodeJwt(*token);
  BOOST_REQUIRE(jwt.isOk());
  BOOST_TEST(verifyJwt(*jwt, ec->publicKey(), {JwsAlgorithm::kRS256, JwsAlgorithm::kES256})
                 .error()
                 .code() == "token-algorithm-refused");
  std::string es384 =
      b64(R"({"alg":"ES384"})") + "." + b64(R"({"iss":"x"})") + "." + b64(std::string(96, 'a'));
  auto jwt384 = decodeJwt(es384);
  BOOST_REQUIRE(jwt384.isOk());
  BOOST_TEST(verifyJwt(*jwt384, ec->publicKey(), {JwsAlgorithm::kES384}).error().code() ==
             "token-algorithm-refused");
}

namespace {
struct Malformed {
  const char* why;
  std::string token;
  const char* code;
};
std::ostream& operator<<(std::ostream& os, const Malformed& m) {
  return os << m.why;
}

std::vector<Malformed> malformedCases() {
  const std::string h = b64(R"({"alg":"ES256"})");
  const std::string p = b64(R"({"iss":"x"})");
  const std::string s = b64(std::string(64, 'a'));
  return {
      {"empty", "", "token-malformed"},
      {"one part", h, "token-malformed"},
      {"two parts", h + "." + p, "token-malformed"},
      {"four parts", h + "." + p + "." + s + "." + s, "token-malformed"},
      {"JWE-like five parts", h + ".." + p + "." + s + "." + s, "token-malformed"},
      {"empty header", "." + p + "." + s, "token-malformed"},
      {"empty payload", h + ".." + s, "token-malformed"},
      {"empty signature", h + "." + p + ".", "token-malformed"},
      {"padded header", h + "=." + p + "." + s, "token-malformed"},
      {"space in payload", h + "." + p.substr(0, 4) + " " + p.substr(4) + "." + s,
       "token-malformed"},
      {"signature not base64url", h + "." + p + ".a+b/", "token-malformed"},
      {"header not JSON", b64("alg:ES256") + "." + p + "." + s, "token-malformed"},
      {"header an array", b64(R"(["ES256"])") + "." + p + "." + s, "token-malformed"},
      {"payload not an object", h + "." + b64(R"("x")") + "." + s, "token-malformed"},
      {"payload not JSON", h + "." + b64("{iss}") + "." + s, "token-malformed"},
      {"duplicate claim", h + "." + b64(R"({"sub":"a","sub":"b"})") + "." + s, "token-malformed"},
      {"duplicate header alg", b64(R"({"alg":"ES256","alg":"none"})") + "." + p + "." + s,
       "token-malformed"},
      {"deep payload",
       h + "." + b64("{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}") + "." + s,
       "token-malformed"},
      {"crit header", b64(R"({"alg":"ES256","crit":["exp"],"exp":1})") + "." + p + "." + s,
       "token-malformed"},
      {"kid not a string", b64(R"({"alg":"ES256","kid":1})") + "." + p + "." + s,
       "token-malformed"},
      {"no alg", b64(R"({"typ":"JWT"})") + "." + p + "." + s, "token-algorithm-refused"},
      {"alg not a string", b64(R"({"alg":["ES256"]})") + "." + p + "." + s,
       "token-algorithm-refused"},
      {"alg ES512", b64(R"({"alg":"ES512"})") + "." + p + "." + s, "token-algorithm-refused"},
      {"alg PS256", b64(R"({"alg":"PS256"})") + "." + p + "." + s, "token-algorithm-refused"},
      {"alg lower case", b64(R"({"alg":"es256"})") + "." + p + "." + s, "token-algorithm-refused"},
      {"too large", h + "." + b64("{\"x\":\"" + std::string(kMaxJwtBytes, 'a') + "\"}") + "." + s,
       "token-malformed"},
  };
}
}  // namespace

BOOST_DATA_TEST_CASE(malformed_tokens, bdata::make(malformedCases()), m) {
  auto r = decodeJwt(m.token);
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().code() == m.code);
  BOOST_TEST((r.error().kind == ErrorKind::kUnauthorized));
  if (!m.token.empty()) {
    BOOST_TEST(r.error().problems.front().message.find(m.token) == std::string::npos);
  }
}

// ---- claims ----------------------------------------------------------------------------------

namespace {
struct ClaimCase {
  const char* why;
  const char* set;     // JSON object merged into the valid claims ({} for none)
  const char* remove;  // claim removed from the valid claims, or ""
  void (*adjust)(ClaimExpectations&);
  const char* code;  // expected error code, "" for success
};
std::ostream& operator<<(std::ostream& os, const ClaimCase& c) {
  return os << c.why;
}

void noChange(ClaimExpectations&) {}
void leeway30(ClaimExpectations& e) {
  e.leewaySeconds = 30;
}
void leeway3600(ClaimExpectations& e) {
  e.leewaySeconds = 3600;
}  // clamped to 60
void assertion(ClaimExpectations& e) {
  e.maxLifetimeSeconds = 300;
  e.requireJti = true;
  e.requireSub = true;
}
void needJti(ClaimExpectations& e) {
  e.requireJti = true;
}
void needSub(ClaimExpectations& e) {
  e.requireSub = true;
}
void noExpNeeded(ClaimExpectations& e) {
  e.requireExp = false;
}
void lifetime300(ClaimExpectations& e) {
  e.requireExp = false;
  e.maxLifetimeSeconds = 300;
}
void lifetime300Leeway30(ClaimExpectations& e) {
  e.maxLifetimeSeconds = 300;
  e.leewaySeconds = 30;
}

// kNow = 1700000000; the valid claims expire at kNow + 600.
const ClaimCase kClaimCases[] = {
    {"valid", "{}", "", noChange, ""},
    {"expired", R"({"exp":1699999999})", "", noChange, "token-expired"},
    {"expires exactly now", R"({"exp":1700000000})", "", noChange, "token-expired"},
    {"expired within leeway", R"({"exp":1699999990})", "", leeway30, ""},
    {"expired beyond clamped leeway", R"({"exp":1699999900})", "", leeway3600, "token-expired"},
    {"fractional exp in the future", R"({"exp":1700000000.5})", "", noChange, ""},
    {"nbf in the future", R"({"nbf":1700000100})", "", noChange, "token-not-yet-valid"},
    {"nbf within leeway", R"({"nbf":1700000020})", "", leeway30, ""},
    {"nbf in the past", R"({"nbf":1699999000})", "", noChange, ""},
    {"iat in the future", R"({"iat":1700000100})", "", noChange, "token-not-yet-valid"},
    {"wrong issuer", R"({"iss":"https://evil.example/"})", "", noChange, "token-issuer-invalid"},
    {"issuer differs by a slash", R"({"iss":"https://mes.example"})", "", noChange,
     "token-issuer-invalid"},
    {"issuer not a string", R"({"iss":["https://mes.example/"]})", "", noChange, "token-malformed"},
    {"missing issuer", "{}", "iss", noChange, "token-claim-missing"},
    {"wrong audience", R"({"aud":"https://other.example/fhir"})", "", noChange,
     "token-audience-invalid"},
    {"audience array containing ours",
     R"({"aud":["https://other.example/","https://mes.example/fhir"]})", "", noChange, ""},
    {"audience array without ours", R"({"aud":["https://other.example/"]})", "", noChange,
     "token-audience-invalid"},
    {"empty audience array", R"({"aud":[]})", "", noChange, "token-audience-invalid"},
    {"audience array with a number", R"({"aud":["https://mes.example/fhir",1]})", "", noChange,
     "token-malformed"},
    {"audience an object", R"({"aud":{"x":1}})", "", noChange, "token-malformed"},
    {"missing audience", "{}", "aud", noChange, "token-claim-missing"},
    {"missing exp", "{}", "exp", noChange, "token-claim-missing"},
    {"missing exp allowed", "{}", "exp", noExpNeeded, ""},
    {"missing exp with a lifetime bound", "{}", "exp", lifetime300, "token-claim-missing"},
    {"exp a string", R"({"exp":"1700000600"})", "", noChange, "token-malformed"},
    {"exp negative", R"({"exp":-1})", "", noChange, "token-malformed"},
    {"exp absurdly far", R"({"exp":1e300})", "", noChange, "token-malformed"},
    {"nbf a boolean", R"({"nbf":true})", "", noChange, "token-malformed"},
    {"client assertion valid", R"({"exp":1700000300})", "", assertion, ""},
    {"lifetime too long", R"({"exp":1700000301})", "", assertion, "token-lifetime-too-long"},
    {"lifetime within leeway", R"({"exp":1700000320})", "", lifetime300Leeway30, ""},
    {"lifetime beyond leeway", R"({"exp":1700000331})", "", lifetime300Leeway30,
     "token-lifetime-too-long"},
    {"missing jti", "{}", "jti", needJti, "token-claim-missing"},
    {"empty jti", R"({"jti":""})", "", needJti, "token-malformed"},
    {"jti a number", R"({"jti":5})", "", needJti, "token-malformed"},
    {"missing jti not required", "{}", "jti", noChange, ""},
    {"missing sub", "{}", "sub", needSub, "token-claim-missing"},
    {"empty sub", R"({"sub":""})", "", needSub, "token-malformed"},
};
}  // namespace

BOOST_DATA_TEST_CASE(claim_checks, bdata::make(kClaimCases), c) {
  fhir::Value claims = accessClaims();
  const fhir::Value overrides = json(c.set);
  for (const auto& [name, value] : overrides.members()) claims.set(name, value);
  if (*c.remove != '\0') claims.erase(c.remove);
  ClaimExpectations expect = accessExpectations();
  c.adjust(expect);
  Status s = checkClaims(claims, expect);
  if (*c.code == '\0') {
    BOOST_TEST(s.isOk());
    if (!s.isOk()) BOOST_TEST_MESSAGE(s.error().code());
  } else {
    BOOST_REQUIRE(!s.isOk());
    BOOST_TEST(s.error().code() == c.code);
    BOOST_TEST((s.error().kind == ErrorKind::kUnauthorized));
  }
}

BOOST_AUTO_TEST_CASE(claim_expectations_fail_closed) {
  ClaimExpectations noIssuer = accessExpectations();
  noIssuer.issuer.clear();
  Status s = checkClaims(accessClaims(), noIssuer);
  BOOST_REQUIRE(!s.isOk());
  BOOST_TEST((s.error().kind == ErrorKind::kInternal));
  ClaimExpectations noAudience = accessExpectations();
  noAudience.audience.clear();
  BOOST_TEST((checkClaims(accessClaims(), noAudience).error().kind == ErrorKind::kInternal));
}

BOOST_AUTO_TEST_SUITE_END()

// Found by fuzz_jwk: OpenSSL's RSA public check is probabilistic (random Miller-Rabin bases), so
// this composite modulus (757 x m) was accepted on most calls and refused on some. The outcome
// must not depend on chance.
BOOST_AUTO_TEST_CASE(rsa_jwk_outcome_is_deterministic) {
  std::ifstream in(std::string(MES_TESTDATA_DIR) + "/oauth/rsa_jwk_composite_757.json");
  std::stringstream text;
  text << in.rdbuf();
  auto jwk = mes::fhir::parseJson(text.str());
  BOOST_REQUIRE(jwk.isOk());
  const bool first = mes::oauth::PublicKey::fromJwk(*jwk).isOk();
  for (int i = 0; i < 200; ++i) {
    BOOST_REQUIRE_EQUAL(mes::oauth::PublicKey::fromJwk(*jwk).isOk(), first);
  }
  // An even modulus is never an RSA key.
  mes::fhir::Value even = *jwk;
  std::string n = *even.findString("n");
  auto bytes = mes::oauth::base64UrlDecode(n);
  BOOST_REQUIRE(bytes.isOk());
  bytes->back() = static_cast<char>(bytes->back() & ~1);
  even.set("n", mes::fhir::Value::string(mes::oauth::base64UrlEncode(*bytes)));
  auto refused = mes::oauth::PublicKey::fromJwk(even);
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(refused.error().problems[0].message.find("odd") != std::string::npos);
}
