// oauth/crypto: encodings, digests, randomness, scrypt, keys (JWK, thumbprints, signatures).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "fhir/json/json.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/kdf.h"
#include "oauth/crypto/keys.h"
#include "oauth/crypto/random.h"

using namespace mes;
using namespace mes::oauth;
namespace bdata = boost::unit_test::data;

namespace {

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

fhir::Value json(std::string_view text) {
  auto v = fhir::parseJson(text);
  BOOST_REQUIRE(v.isOk());
  return *v;
}

std::string readTestData(const std::string& name) {
  std::ifstream in(std::string(MES_TESTDATA_DIR) + "/oauth/" + name, std::ios::binary);
  BOOST_REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): same payload, published keys and signatures.
constexpr std::string_view kRfcPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
constexpr std::string_view kA3Header = "eyJhbGciOiJFUzI1NiJ9";
constexpr std::string_view kA3Signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr std::string_view kA3Jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
constexpr std::string_view kA2Header = "eyJhbGciOiJSUzI1NiJ9";
constexpr std::string_view kA2Signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb"
    "1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QO"
    "YEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
constexpr std::string_view kA2Jwk =
    R"({"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4q)"
    R"(PCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0)"
    R"(LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5)"
    R"(ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpo)"
    R"(Q","e":"AQAB"})";

// RFC 7638 §3.1.
constexpr std::string_view kRfc7638Jwk =
    R"({"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aP)"
    R"(FFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4Qy)"
    R"(Q5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrd)"
    R"(kt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",)"
    R"("e":"AQAB","alg":"RS256","kid":"2011-04-29"})";

std::string signingInput(std::string_view header) {
  return std::string(header) + "." + std::string(kRfcPayload);
}

std::string decoded(std::string_view b64url) {
  auto r = base64UrlDecode(b64url);
  BOOST_REQUIRE(r.isOk());
  return *r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oauth_crypto)

// ---- base64 ----------------------------------------------------------------------------------

namespace {
struct B64Vector {
  const char* bytes;
  const char* standard;
  const char* url;
};
std::ostream& operator<<(std::ostream& os, const B64Vector& v) {
  return os << v.standard;
}

// RFC 4648 §10, plus bytes that differ between the two alphabets.
const B64Vector kB64Vectors[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    {"\xfb\xff\xbf", "+/+/", "-_-_"},
    {"\xff\xfe", "//4=", "__4"},
};

struct B64Refusal {
  const char* text;
  bool url;  // base64url (no padding) or standard (padding)
  const char* why;
};
std::ostream& operator<<(std::ostream& os, const B64Refusal& r) {
  return os << r.why;
}

const B64Refusal kB64Refusals[] = {
    {"Zg==", true, "padding in base64url"},
    {"Zg=", true, "partial padding in base64url"},
    {"Z", true, "impossible length"},
    {"Zh", true, "non-zero trailing bits (Zg is canonical)"},
    {"Zm9", true, "non-zero trailing bits (Zm8 is canonical)"},
    {"Zm 9v", true, "whitespace"},
    {"Zm9v\n", true, "line break"},
    {"Zm+v", true, "standard alphabet in base64url"},
    {"Zm/v", true, "standard alphabet in base64url"},
    {"Zm9v.", true, "dot"},
    {"Zg", false, "missing padding"},
    {"Zg=", false, "short padding"},
    {"Zg===", false, "excess padding"},
    {"Z===", false, "three padding characters"},
    {"====", false, "only padding"},
    {"Zh==", false, "non-zero trailing bits"},
    {"Zm8=Zm8=", false, "padding in the middle"},
    {"Zm-v", false, "url alphabet in standard"},
    {"Zm9v\r\n", false, "line break"},
    {"Zm9\xc3\xa9", false, "non-ASCII"},
};
}  // namespace

BOOST_DATA_TEST_CASE(base64_vectors, bdata::make(kB64Vectors), v) {
  BOOST_TEST(base64Encode(v.bytes) == v.standard);
  BOOST_TEST(base64UrlEncode(v.bytes) == v.url);
  auto standard = base64Decode(v.standard);
  BOOST_REQUIRE(standard.isOk());
  BOOST_TEST(*standard == v.bytes);
  auto url = base64UrlDecode(v.url);
  BOOST_REQUIRE(url.isOk());
  BOOST_TEST(*url == v.bytes);
}

BOOST_DATA_TEST_CASE(base64_refusals, bdata::make(kB64Refusals), r) {
  auto result = r.url ? base64UrlDecode(r.text) : base64Decode(r.text);
  BOOST_REQUIRE(!result.isOk());
  BOOST_TEST(result.error().code() == "base64-invalid");
  BOOST_TEST((result.error().kind == ErrorKind::kInvalid));
  BOOST_TEST(result.error().problems.front().message.find(r.text) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(base64_round_trip_every_byte_and_length) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 37) {
    std::string bytes = all.substr(0, len);
    BOOST_TEST(*base64UrlDecode(base64UrlEncode(bytes)) == bytes);
    BOOST_TEST(*base64Decode(base64Encode(bytes)) == bytes);
    BOOST_TEST(*base64DecodeUnpadded(base64EncodeUnpadded(bytes)) == bytes);
  }
  BOOST_TEST(base64EncodeUnpadded("\xfb\xff") == "+/8");
  BOOST_TEST(!base64DecodeUnpadded("+/8=").isOk());
}

// ---- digests ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sha_known_answers) {
  // FIPS 180-2 appendix examples.
  BOOST_TEST(hex(sha256("abc")) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  BOOST_TEST(sha256("abc").size() == kSha256Bytes);
  BOOST_TEST(hex(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  BOOST_TEST(sha1("abc").size() == kSha1Bytes);
}

BOOST_AUTO_TEST_CASE(hmac_sha256_rfc4231) {
  // RFC 4231 test case 2.
  BOOST_TEST(hex(hmacSha256("Jefe", "what do ya want for nothing?")) ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Empty key is a valid (if useless) HMAC key, not "reuse the previous key".
  BOOST_TEST(hmacSha256("", "x").size() == 32u);
  BOOST_TEST(hmacSha256("", "x") == hmacSha256(std::string(), "x"));
}

BOOST_AUTO_TEST_CASE(constant_time_equals) {
  BOOST_TEST(constantTimeEquals("", ""));
  BOOST_TEST(constantTimeEquals("abc", "abc"));
  BOOST_TEST(!constantTimeEquals("abc", "abd"));
  BOOST_TEST(!constantTimeEquals("abc", "ab"));
  BOOST_TEST(!constantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  std::string secret = "secret";
  secureWipe(secret);
  BOOST_TEST(secret.empty());
}

// ---- randomness ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(random_bytes_and_tokens) {
  auto a = randomBytes(32);
  auto b = randomBytes(32);
  BOOST_REQUIRE(a.isOk());
  BOOST_REQUIRE(b.isOk());
  BOOST_TEST(a->size() == 32u);
  BOOST_TEST(*a != *b);
  BOOST_TEST(randomBytes(0)->empty());
  BOOST_TEST(!randomBytes(kMaxRandomBytes + 1).isOk());

  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) {
    auto t = randomToken();
    BOOST_REQUIRE(t.isOk());
    BOOST_TEST(t->size() == 43u);
    BOOST_TEST(base64UrlDecode(*t)->size() == 32u);
    tokens.insert(*t);
  }
  BOOST_TEST(tokens.size() == 100u);
  BOOST_TEST(randomToken(16)->size() == 22u);
  BOOST_TEST(!randomToken(15).isOk());
  BOOST_TEST(!randomToken(2000).isOk());
}

BOOST_AUTO_TEST_CASE(random_below_is_in_range_and_covers_it) {
  BOOST_TEST(!randomBelow(0).isOk());
  BOOST_TEST(*randomBelow(1) == 0u);
  std::set<uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    auto v = randomBelow(7);
    BOOST_REQUIRE(v.isOk());
    BOOST_TEST(*v < 7u);
    seen.insert(*v);
  }
  BOOST_TEST(seen.size() == 7u);
  // A bound just above 2^63 rejects almost half the draws; it must still terminate and fit.
  const uint64_t big = (uint64_t{1} << 63) + 1;
  for (int i = 0; i < 50; ++i) BOOST_TEST(*randomBelow(big) < big);
}

// ---- scrypt ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(scrypt_rfc7914_vectors) {
  // RFC 7914 §12, vectors 1 and 3 (vector 4 needs 1 GiB).
  auto v1 = scrypt("", "", ScryptCost{16, 1, 1}, 64, 1 << 20);
  BOOST_REQUIRE(v1.isOk());
  BOOST_TEST(
      hex(*v1) ==
      "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a"
      "0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  auto v3 = scrypt("pleaseletmein", "SodiumChloride", ScryptCost{16384, 8, 1}, 64, 32u << 20);
  BOOST_REQUIRE(v3.isOk());
  BOOST_TEST(
      hex(*v3) ==
      "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d4970"
      "5242a9af9e61e85dc0d651e40dfcf017b45575887");
  // A memory limit below what the cost needs is refused, not silently exceeded.
  auto tooBig = scrypt("pleaseletmein", "SodiumChloride", ScryptCost{16384, 8, 1}, 64, 1 << 20);
  BOOST_TEST(!tooBig.isOk());
  BOOST_TEST(!scrypt("x", "y", ScryptCost{3, 1, 1}, 32, 1 << 20).isOk());  // N not a power of 2
}

// ---- algorithms ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(algorithm_names) {
  for (JwsAlgorithm alg :
       {JwsAlgorithm::kES256, JwsAlgorithm::kES384, JwsAlgorithm::kRS256, JwsAlgorithm::kRS384}) {
    BOOST_TEST((parseJwsAlgorithm(jwsAlgorithmName(alg)) == alg));
  }
  for (const char* refused : {"none", "None", "HS256", "ES512", "PS256", "es256", "RS256 ", ""}) {
    BOOST_TEST(!parseJwsAlgorithm(refused).has_value(), refused);
  }
}

// ---- RFC known answers -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rfc7515_a3_es256_verifies) {
  auto key = PublicKey::fromJwk(json(kA3Jwk));
  BOOST_REQUIRE(key.isOk());
  BOOST_TEST((key->family() == KeyFamily::kEcP256));
  std::string input = signingInput(kA3Header);
  BOOST_TEST(key->verify(JwsAlgorithm::kES256, input, decoded(kA3Signature)).isOk());

  // Any change to the input or the signature breaks it.
  std::string tampered = input;
  tampered[tampered.size() - 3] ^= 1;
  BOOST_TEST(key->verify(JwsAlgorithm::kES256, tampered, decoded(kA3Signature)).error().code() ==
             "token-signature-invalid");
  std::string sig = decoded(kA3Signature);
  sig[10] ^= 0x40;
  BOOST_TEST(key->verify(JwsAlgorithm::kES256, input, sig).error().code() ==
             "token-signature-invalid");
  // DER-encoded or truncated signatures are not the JOSE format.
  BOOST_TEST(
      key->verify(JwsAlgorithm::kES256, input, decoded(kA3Signature).substr(1)).error().code() ==
      "token-signature-invalid");
  // ES384 or RS256 with a P-256 key: refused before any signature check.
  auto refused = key->verify(JwsAlgorithm::kES384, input, decoded(kA3Signature));
  BOOST_TEST(refused.error().code() == "token-algorithm-refused");
  BOOST_TEST((refused.error().kind == ErrorKind::kUnauthorized));
  BOOST_TEST(key->verify(JwsAlgorithm::kRS256, input, decoded(kA3Signature)).error().code() ==
             "token-algorithm-refused");
}

BOOST_AUTO_TEST_CASE(rfc7515_a2_rs256_signs_and_verifies_exactly) {
  auto pub = PublicKey::fromJwk(json(kA2Jwk));
  BOOST_REQUIRE(pub.isOk());
  std::string input = signingInput(kA2Header);
  BOOST_TEST(pub->verify(JwsAlgorithm::kRS256, input, decoded(kA2Signature)).isOk());
  BOOST_TEST(pub->verify(JwsAlgorithm::kRS384, input, decoded(kA2Signature)).error().code() ==
             "token-signature-invalid");
  BOOST_TEST(pub->verify(JwsAlgorithm::kES256, input, decoded(kA2Signature)).error().code() ==
             "token-algorithm-refused");

  // The RFC's private key (converted once to PKCS#8 PEM): RSASSA-PKCS1-v1_5 is deterministic,
  // so our signature must be the RFC's, byte for byte.
  auto priv = PrivateKey::fromPem(readTestData("rfc7515_a2_rsa.pem"));
  BOOST_REQUIRE(priv.isOk());
  auto sig = priv->sign(JwsAlgorithm::kRS256, input);
  BOOST_REQUIRE(sig.isOk());
  BOOST_TEST(base64UrlEncode(*sig) == kA2Signature);
  BOOST_TEST(priv->publicKey().thumbprint() == pub->thumbprint());
}

BOOST_AUTO_TEST_CASE(es384_interop_vector_verifies) {
  // An ES384 token from another JOSE implementation (lestrrat-go/jwx test suite, whose r
  // starts with small bytes: the JOSE form must keep its fixed 48-byte halves).
  const std::string token =
      "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6IjE5MzFmZTQ0YmFhMWNhZTkyZWUzNzYzOTQ0MDU1OGMwODdl"
      "MTRlNjk5ZWU5NjVhM2Q1OGU1MmU2NGY4MDE0NWIifQ.eyJpc3MiOiJicmt0LWNsaS0xLjAuN3ByZTEiLCJpYXQiOjE0"
      "ODQ2OTU1MjAsImp0aSI6IjgxYjczY2Y3In0.DdFi0KmPHSv4PfIMGcWGMSRLmZsfRPQ3muLFW6Ly2HpiLFFQWZ0VEan"
      "yrFV263wjlp3udfedgw_vrBLz3XC8CkbvCo_xeHMzaTr_yfhjoheSj8gWRLwB-22rOnUX_M0A";
  auto key = PublicKey::fromJwk(json(
      R"({"kty":"EC","crv":"P-384","x":"YHVZ4gc1RDoqxKm4NzaN_Y1r7R7h3RM3JMteC478apSKUiLVb4UNytqWaLoE6ygH",)"
      R"("y":"CRKSqP-aYTIsqJfg_wZEEYUayUR5JhZaS2m4NLk2t1DfXZgfApAJ2lBO0vWKnUMp"})"));
  BOOST_REQUIRE(key.isOk());
  size_t dot = token.rfind('.');
  BOOST_TEST(key->verify(JwsAlgorithm::kES384, token.substr(0, dot), decoded(token.substr(dot + 1)))
                 .isOk());
}

BOOST_AUTO_TEST_CASE(rfc7638_thumbprint) {
  auto key = PublicKey::fromJwk(json(kRfc7638Jwk));
  BOOST_REQUIRE(key.isOk());
  BOOST_TEST(key->thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  BOOST_TEST(key->kid() == "2011-04-29");
  BOOST_TEST((key->algorithm() == JwsAlgorithm::kRS256));
  // The "alg" member restricts the key to RS256.
  BOOST_TEST((key->supports(JwsAlgorithm::kRS256)));
  BOOST_TEST((!key->supports(JwsAlgorithm::kRS384)));
  BOOST_TEST(key->verify(JwsAlgorithm::kRS384, "x", std::string(256, 'a')).error().code() ==
             "token-algorithm-refused");

  // toJwk: public members, then kid/alg; reading it back gives the same key.
  fhir::Value jwk = key->toJwk();
  BOOST_TEST(*jwk.findString("kty") == "RSA");
  BOOST_TEST(*jwk.findString("e") == "AQAB");
  BOOST_TEST(*jwk.findString("kid") == "2011-04-29");
  BOOST_TEST(*jwk.findString("alg") == "RS256");
  BOOST_TEST(jwk.find("d") == nullptr);
  auto again = PublicKey::fromJwk(jwk);
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST(again->thumbprint() == key->thumbprint());

  // A leading zero octet in "n" (emitted by some libraries) does not change the thumbprint.
  fhir::Value padded = json(kRfc7638Jwk);
  padded.set("n", fhir::Value::string(
                      base64UrlEncode(std::string(1, '\0') + decoded(*padded.findString("n")))));
  auto paddedKey = PublicKey::fromJwk(padded);
  BOOST_REQUIRE(paddedKey.isOk());
  BOOST_TEST(paddedKey->thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  BOOST_TEST(*paddedKey->toJwk().findString("n") == *json(kRfc7638Jwk).findString("n"));
}

// ---- JWK refusals ----------------------------------------------------------------------------

namespace {
struct JwkCase {
  const char* why;
  const char* jwk;
  const char* code;
};
std::ostream& operator<<(std::ostream& os, const JwkCase& c) {
  return os << c.why;
}

#define A3_XY \
  R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")"

const JwkCase kJwkRefusals[] = {
    {"not an object", R"([])", "jwk-invalid"},
    {"no kty", R"({)" A3_XY R"(,"crv":"P-256"})", "jwk-invalid"},
    {"symmetric key",
     R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})",
     "jwk-invalid"},
    {"OKP key",
     R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
     "jwk-unsupported"},
    {"P-521", R"({"kty":"EC","crv":"P-521",)" A3_XY R"(})", "jwk-unsupported"},
    {"no crv", R"({"kty":"EC",)" A3_XY R"(})", "jwk-invalid"},
    {"private d",
     R"({"kty":"EC","crv":"P-256",)" A3_XY R"(,"d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})",
     "jwk-invalid"},
    {"x not base64url",
     R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU=","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",
     "jwk-invalid"},
    {"x short",
     R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvR","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",
     "jwk-invalid"},
    {"P-256 point as P-384", R"({"kty":"EC","crv":"P-384",)" A3_XY R"(})", "jwk-invalid"},
    {"point not on curve",
     R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"})",
     "jwk-invalid"},
    {"y missing", R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"})",
     "jwk-invalid"},
    {"x not a string",
     R"({"kty":"EC","crv":"P-256","x":1,"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",
     "jwk-invalid"},
    {"use enc", R"({"kty":"EC","crv":"P-256",)" A3_XY R"(,"use":"enc"})", "jwk-unsupported"},
    {"alg for another curve", R"({"kty":"EC","crv":"P-256",)" A3_XY R"(,"alg":"ES384"})",
     "jwk-invalid"},
    {"alg HS256", R"({"kty":"EC","crv":"P-256",)" A3_XY R"(,"alg":"HS256"})", "jwk-unsupported"},
    {"key_ops without verify", R"({"kty":"EC","crv":"P-256",)" A3_XY R"(,"key_ops":["sign"]})",
     "jwk-unsupported"},
    {"kid not a string", R"({"kty":"EC","crv":"P-256",)" A3_XY R"(,"kid":7})", "jwk-invalid"},
    {"RSA 1024 bits",
     R"({"kty":"RSA","e":"AQAB","n":"vL-RYPL2wHNygMnfX8PzpUBhVHV1coNyzmYxiLkgnprgoGtz6Z941JItCAZhAeY0OOT0BbwUkwP0McKC4CcPWArg616QS942lKE9GqxVfPwy4A5eiWxC7fz5Zq7w443n7kshIHvAA3ZtKpE0sm4blZ3CiiOHw9kFBL10kdjD2Ms"})",
     "jwk-unsupported"},
    {"RSA even exponent",
     R"({"kty":"RSA","e":"AQAA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})",
     "jwk-unsupported"},
    {"RSA exponent 1",
     R"({"kty":"RSA","e":"AQ","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})",
     "jwk-unsupported"},
    {"RSA private member", R"({"kty":"RSA","e":"AQAB","n":"ofgW","p":"4BzE"})", "jwk-invalid"},
};
#undef A3_XY
}  // namespace

BOOST_DATA_TEST_CASE(jwk_refusals, bdata::make(kJwkRefusals), c) {
  auto key = PublicKey::fromJwk(json(c.jwk));
  BOOST_REQUIRE(!key.isOk());
  BOOST_TEST(key.error().code() == c.code);
  BOOST_TEST((key.error().kind == ErrorKind::kInvalid));
}

BOOST_AUTO_TEST_CASE(jwk_optional_members_accepted) {
  auto key = PublicKey::fromJwk(
      json(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
           R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","use":"sig","kid":"k1",)"
           R"("key_ops":["verify"],"alg":"ES256","x5t":"ignored"})"));
  BOOST_REQUIRE(key.isOk());
  fhir::Value jwk = key->toJwk();
  BOOST_TEST(*jwk.findString("use") == "sig");
  BOOST_TEST(*jwk.findString("kid") == "k1");
  BOOST_TEST(jwk.find("x5t") == nullptr);
  BOOST_TEST(jwk.find("key_ops") == nullptr);
}

// ---- private keys, round trips ---------------------------------------------------------------

namespace {
struct AlgCase {
  JwsAlgorithm alg;
  const char* name;
};
std::ostream& operator<<(std::ostream& os, const AlgCase& c) {
  return os << c.name;
}
const AlgCase kAlgCases[] = {{JwsAlgorithm::kES256, "ES256"},
                             {JwsAlgorithm::kES384, "ES384"},
                             {JwsAlgorithm::kRS256, "RS256"},
                             {JwsAlgorithm::kRS384, "RS384"}};

Result<PrivateKey> keyFor(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kES256:
      return PrivateKey::generateEs256();
    case JwsAlgorithm::kES384:
      return PrivateKey::generateEs384();
    default:
      return PrivateKey::generateRsa(2048);
  }
}
}  // namespace

BOOST_DATA_TEST_CASE(sign_verify_round_trip, bdata::make(kAlgCases), c) {
  auto priv = keyFor(c.alg);
  BOOST_REQUIRE(priv.isOk());
  BOOST_TEST(priv->supports(c.alg));
  const std::string input = "header.payload";
  auto sig = priv->sign(c.alg, input);
  BOOST_REQUIRE(sig.isOk());
  if (c.alg == JwsAlgorithm::kES256) BOOST_TEST(sig->size() == 64u);
  if (c.alg == JwsAlgorithm::kES384) BOOST_TEST(sig->size() == 96u);
  if (c.alg == JwsAlgorithm::kRS256 || c.alg == JwsAlgorithm::kRS384)
    BOOST_TEST(sig->size() == 256u);

  // Verified through the published JWK, as a client's key would be.
  auto pub = PublicKey::fromJwk(priv->publicKey().toJwk());
  BOOST_REQUIRE(pub.isOk());
  BOOST_TEST(pub->thumbprint() == priv->publicKey().thumbprint());
  BOOST_TEST(pub->verify(c.alg, input, *sig).isOk());
  BOOST_TEST(pub->verify(c.alg, input + "x", *sig).error().code() == "token-signature-invalid");
  std::string flipped = *sig;
  flipped[flipped.size() / 2] ^= 1;
  BOOST_TEST(pub->verify(c.alg, input, flipped).error().code() == "token-signature-invalid");
  BOOST_TEST(pub->verify(c.alg, input, "").error().code() == "token-signature-invalid");

  // PEM round trip keeps the key.
  auto pem = priv->toPem();
  BOOST_REQUIRE(pem.isOk());
  BOOST_TEST(pem->rfind("-----BEGIN PRIVATE KEY-----", 0) == 0u);
  auto back = PrivateKey::fromPem(*pem);
  BOOST_REQUIRE(back.isOk());
  BOOST_TEST(back->publicKey().thumbprint() == priv->publicKey().thumbprint());
  BOOST_TEST(pub->verify(c.alg, input, *back->sign(c.alg, input)).isOk());

  // Every other algorithm is refused for this key, on both sides.
  for (const AlgCase& other : kAlgCases) {
    if (priv->supports(other.alg)) continue;
    auto wrong = priv->sign(other.alg, input);
    BOOST_REQUIRE(!wrong.isOk());
    BOOST_TEST(wrong.error().code() == "token-algorithm-refused");
    BOOST_TEST(pub->verify(other.alg, input, *sig).error().code() == "token-algorithm-refused");
  }
}

BOOST_AUTO_TEST_CASE(ecdsa_signatures_are_fixed_size_even_with_small_r) {
  // About 1 signature in 128 has a leading zero byte in r or s; the JOSE form must pad it.
  auto priv = PrivateKey::generateEs256();
  BOOST_REQUIRE(priv.isOk());
  PublicKey pub = priv->publicKey();
  for (int i = 0; i < 300; ++i) {
    std::string input = "input-" + std::to_string(i);
    auto sig = priv->sign(JwsAlgorithm::kES256, input);
    BOOST_REQUIRE(sig.isOk());
    BOOST_REQUIRE(sig->size() == 64u);
    BOOST_REQUIRE(pub.verify(JwsAlgorithm::kES256, input, *sig).isOk());
  }
}

BOOST_AUTO_TEST_CASE(generated_keys_differ) {
  auto a = PrivateKey::generateEs256();
  auto b = PrivateKey::generateEs256();
  BOOST_REQUIRE(a.isOk());
  BOOST_REQUIRE(b.isOk());
  BOOST_TEST(a->publicKey().thumbprint() != b->publicKey().thumbprint());
  BOOST_TEST(a->publicKey().thumbprint().size() == 43u);
  BOOST_TEST(!PrivateKey::generateRsa(1024).isOk());
}

BOOST_AUTO_TEST_CASE(pem_refusals) {
  auto es = PrivateKey::generateEs256();
  BOOST_REQUIRE(es.isOk());
  std::string pem = *es->toPem();

  BOOST_TEST(PrivateKey::fromPem("\n  " + pem + "\n\n").isOk());  // surrounding whitespace
  const std::string cases[] = {
      "",
      "garbage",
      "comment before\n" + pem,
      pem + "trailing",
      pem + pem,
      // Traditional (non-PKCS#8) and encrypted forms are refused.
      "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n",
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
  };
  for (const std::string& text : cases) {
    auto key = PrivateKey::fromPem(text);
    BOOST_TEST(!key.isOk());
    if (!key.isOk()) {
      BOOST_TEST(key.error().code() == "key-invalid");
      BOOST_TEST(key.error().problems.front().message.find("MII") == std::string::npos);
    }
  }
  // A PKCS#8 Ed25519 key (RFC 8410 §10.3) is well-formed but not a supported family.
  auto ed = PrivateKey::fromPem(
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
      "-----END PRIVATE KEY-----\n");
  BOOST_REQUIRE(!ed.isOk());
  BOOST_TEST(ed.error().code() == "key-unsupported");
}

BOOST_AUTO_TEST_CASE(public_key_metadata_does_not_change_the_key) {
  auto priv = PrivateKey::generateEs256();
  BOOST_REQUIRE(priv.isOk());
  PublicKey pub = priv->publicKey();
  PublicKey tagged = pub.withKid("k").withUse("sig").withAlgorithm(JwsAlgorithm::kES256);
  BOOST_TEST(pub.kid().empty());
  BOOST_TEST(tagged.kid() == "k");
  BOOST_TEST(tagged.thumbprint() == pub.thumbprint());
  fhir::Value jwk = tagged.toJwk();
  BOOST_TEST(fhir::toJson(jwk).find("\"d\"") == std::string::npos);
  BOOST_TEST(*jwk.findString("crv") == "P-256");
  BOOST_TEST(*jwk.findString("alg") == "ES256");
}

BOOST_AUTO_TEST_SUITE_END()
