#include "oauth/crypto/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstring>

#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/openssl_error.h"

namespace mes::oauth {
namespace {

using crypto_detail::takeOpensslErrors;

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Deleter>;
using PkeyPtr = Owned<EVP_PKEY>;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr size_t kMaxRsaExponentBytes = 4;

const unsigned char* bytesOf(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Error jwkInvalid(std::string message) {
  return Error::make(ErrorKind::kInvalid, "jwk-invalid", std::move(message));
}
Error jwkUnsupported(std::string message) {
  return Error::make(ErrorKind::kInvalid, "jwk-unsupported", std::move(message));
}
Error keyInvalid(std::string message, std::string detail = {}) {
  Error e = Error::make(ErrorKind::kInvalid, "key-invalid", std::move(message));
  e.detail = std::move(detail);
  return e;
}
Error algorithmRefused() {
  return Error::make(ErrorKind::kUnauthorized, "token-algorithm-refused",
                     "The signature algorithm is not accepted for this key.");
}
Error signatureInvalid() {
  return Error::make(ErrorKind::kUnauthorized, "token-signature-invalid",
                     "The signature is not valid.");
}

size_t coordinateBytes(KeyFamily family) {
  switch (family) {
    case KeyFamily::kEcP256:
      return 32;
    case KeyFamily::kEcP384:
      return 48;
    case KeyFamily::kRsa:
      return 0;
  }
  return 0;
}

const char* curveName(KeyFamily family) {
  return family == KeyFamily::kEcP384 ? "P-384" : "P-256";
}

const EVP_MD* digestOf(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kES256:
    case JwsAlgorithm::kRS256:
      return EVP_sha256();
    case JwsAlgorithm::kES384:
    case JwsAlgorithm::kRS384:
      return EVP_sha384();
  }
  return EVP_sha256();
}

std::string bnToBytes(const BIGNUM* bn, size_t fixedSize) {
  if (fixedSize == 0) {
    std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    return out;
  }
  std::string out(fixedSize, '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(fixedSize)) <
      0) {
    return {};
  }
  return out;
}

Result<std::string> getBnParam(const EVP_PKEY* pkey, const char* name, size_t fixedSize) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return Error::internal(takeOpensslErrors("EVP_PKEY_get_bn_param failed"));
  }
  Owned<BIGNUM> bn(raw);
  std::string out = bnToBytes(bn.get(), fixedSize);
  if (out.empty()) return Error::internal("public key component larger than expected");
  return out;
}

// Which supported family a key belongs to, or an error naming what it is not.
Result<KeyFamily> familyOf(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &len) != 1) {
      ERR_clear_error();
      return Error::make(ErrorKind::kInvalid, "key-unsupported",
                         "Only named curves P-256 and P-384 are supported.");
    }
    std::string_view name(group, len);
    if (name == "prime256v1" || name == "P-256") return KeyFamily::kEcP256;
    if (name == "secp384r1" || name == "P-384") return KeyFamily::kEcP384;
    return Error::make(ErrorKind::kInvalid, "key-unsupported",
                       "Only the curves P-256 and P-384 are supported.");
  }
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return Error::make(ErrorKind::kInvalid, "key-unsupported",
                         "RSA keys must have 2048 to 8192 bits.");
    }
    return KeyFamily::kRsa;
  }
  return Error::make(ErrorKind::kInvalid, "key-unsupported",
                     "Only EC (P-256, P-384) and RSA keys are supported.");
}

// The members RFC 7638 requires for the key type, in the JWK's conventional order.
struct PublicComponents {
  KeyFamily family = KeyFamily::kEcP256;
  std::string a;  // EC x, or RSA n (minimal big-endian)
  std::string b;  // EC y, or RSA e (minimal big-endian)
};

Result<PublicComponents> componentsOf(const EVP_PKEY* pkey, KeyFamily family) {
  PublicComponents c;
  c.family = family;
  if (family == KeyFamily::kRsa) {
    Result<std::string> n = getBnParam(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
    if (!n) return n.takeError();
    Result<std::string> e = getBnParam(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
    if (!e) return e.takeError();
    c.a = std::move(*n);
    c.b = std::move(*e);
  } else {
    size_t size = coordinateBytes(family);
    Result<std::string> x = getBnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, size);
    if (!x) return x.takeError();
    Result<std::string> y = getBnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, size);
    if (!y) return y.takeError();
    c.a = std::move(*x);
    c.b = std::move(*y);
  }
  return c;
}

// A public-only EVP_PKEY from components, checked (point on the curve, sane RSA values).
Result<PkeyPtr> buildPublicKey(const PublicComponents& c) {
  Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bld) return Error::internal(takeOpensslErrors("OSSL_PARAM_BLD_new failed"));
  const char* type = c.family == KeyFamily::kRsa ? "RSA" : "EC";
  Owned<BIGNUM> n;
  Owned<BIGNUM> e;
  std::string point;
  if (c.family == KeyFamily::kRsa) {
    n.reset(BN_bin2bn(bytesOf(c.a), static_cast<int>(c.a.size()), nullptr));
    e.reset(BN_bin2bn(bytesOf(c.b), static_cast<int>(c.b.size()), nullptr));
    if (!n || !e || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
      return Error::internal(takeOpensslErrors("building RSA parameters failed"));
    }
  } else {
    point.reserve(1 + c.a.size() + c.b.size());
    point.push_back('\x04');  // uncompressed SEC1 point
    point += c.a;
    point += c.b;
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curveName(c.family),
                                        0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
      return Error::internal(takeOpensslErrors("building EC parameters failed"));
    }
  }
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return Error::internal(takeOpensslErrors("EVP_PKEY_fromdata_init failed"));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return jwkInvalid(c.family == KeyFamily::kRsa ? "The RSA public key is not valid."
                                                  : "The EC point is not on the curve.");
  }
  PkeyPtr pkey(raw);
  // EC: the point must be on the curve (a deterministic check). RSA: OpenSSL's public check
  // runs Miller-Rabin with random bases, so a crafted modulus could be accepted on one call
  // and refused on the next (found by fuzz_jwk); the RSA rules that matter for verifying a
  // signature (size, odd modulus, odd exponent > 1) are checked deterministically when the
  // components are read.
  if (c.family != KeyFamily::kRsa) {
    Owned<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (!check) return Error::internal(takeOpensslErrors("EVP_PKEY_CTX_new_from_pkey failed"));
    if (EVP_PKEY_public_check(check.get()) != 1) {
      ERR_clear_error();
      return jwkInvalid("The EC point is not on the curve.");
    }
  }
  return pkey;
}

std::string thumbprintOf(const PublicComponents& c) {
  // RFC 7638 §3.2: required members only, lexicographic order, no whitespace. Every value is
  // base64url or a fixed name, so no JSON escaping is needed.
  std::string canonical;
  if (c.family == KeyFamily::kRsa) {
    canonical = R"({"e":")" + base64UrlEncode(c.b) + R"(","kty":"RSA","n":")" +
                base64UrlEncode(c.a) + R"("})";
  } else {
    canonical = std::string(R"({"crv":")") + curveName(c.family) + R"(","kty":"EC","x":")" +
                base64UrlEncode(c.a) + R"(","y":")" + base64UrlEncode(c.b) + R"("})";
  }
  return base64UrlEncode(sha256(canonical));
}

fhir::Value jwkOf(const PublicComponents& c) {
  fhir::Value jwk = fhir::Value::object();
  if (c.family == KeyFamily::kRsa) {
    jwk.set("kty", fhir::Value::string("RSA"));
    jwk.set("n", fhir::Value::string(base64UrlEncode(c.a)));
    jwk.set("e", fhir::Value::string(base64UrlEncode(c.b)));
  } else {
    jwk.set("kty", fhir::Value::string("EC"));
    jwk.set("crv", fhir::Value::string(curveName(c.family)));
    jwk.set("x", fhir::Value::string(base64UrlEncode(c.a)));
    jwk.set("y", fhir::Value::string(base64UrlEncode(c.b)));
  }
  return jwk;
}

std::string_view stripLeadingZeros(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size() && bytes[i] == '\0') ++i;
  return bytes.substr(i);
}

Result<std::string> decodeMember(const fhir::Value& jwk, std::string_view name) {
  const fhir::Value* v = jwk.find(name);
  if (v == nullptr) return jwkInvalid("The JWK has no \"" + std::string(name) + "\" member.");
  if (!v->isString()) {
    return jwkInvalid("The JWK member \"" + std::string(name) + "\" is not a string.");
  }
  Result<std::string> bytes = base64UrlDecode(v->text());
  if (!bytes) {
    return jwkInvalid("The JWK member \"" + std::string(name) + "\" is not base64url.");
  }
  return bytes;
}

// ECDSA signatures: JOSE r||s (fixed size) <-> DER (what OpenSSL produces and expects).
Result<std::string> joseToDer(std::string_view raw, size_t coordinate) {
  Owned<ECDSA_SIG> sig(ECDSA_SIG_new());
  if (!sig) return Error::internal(takeOpensslErrors("ECDSA_SIG_new failed"));
  BIGNUM* r = BN_bin2bn(bytesOf(raw), static_cast<int>(coordinate), nullptr);
  BIGNUM* s = BN_bin2bn(bytesOf(raw.substr(coordinate)), static_cast<int>(coordinate), nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return Error::internal(takeOpensslErrors("ECDSA_SIG_set0 failed"));
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return Error::internal(takeOpensslErrors("i2d_ECDSA_SIG failed"));
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) {
    return Error::internal(takeOpensslErrors("i2d_ECDSA_SIG failed"));
  }
  return der;
}

Result<std::string> derToJose(std::string_view der, size_t coordinate) {
  const unsigned char* p = bytesOf(der);
  Owned<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return Error::internal(takeOpensslErrors("d2i_ECDSA_SIG failed"));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string rBytes = bnToBytes(r, coordinate);
  std::string sBytes = bnToBytes(s, coordinate);
  if (rBytes.empty() || sBytes.empty()) return Error::internal("ECDSA signature value too large");
  return rBytes + sBytes;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string_view jwsAlgorithmName(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kES256:
      return "ES256";
    case JwsAlgorithm::kES384:
      return "ES384";
    case JwsAlgorithm::kRS256:
      return "RS256";
    case JwsAlgorithm::kRS384:
      return "RS384";
  }
  return "";
}

std::optional<JwsAlgorithm> parseJwsAlgorithm(std::string_view name) {
  for (JwsAlgorithm alg :
       {JwsAlgorithm::kES256, JwsAlgorithm::kES384, JwsAlgorithm::kRS256, JwsAlgorithm::kRS384}) {
    if (jwsAlgorithmName(alg) == name) return alg;
  }
  return std::nullopt;
}

bool familySupports(KeyFamily family, JwsAlgorithm alg) {
  switch (family) {
    case KeyFamily::kEcP256:
      return alg == JwsAlgorithm::kES256;
    case KeyFamily::kEcP384:
      return alg == JwsAlgorithm::kES384;
    case KeyFamily::kRsa:
      return alg == JwsAlgorithm::kRS256 || alg == JwsAlgorithm::kRS384;
  }
  return false;
}

struct PublicKey::Impl {
  PkeyPtr pkey;
  KeyFamily family = KeyFamily::kEcP256;
  std::string thumbprint;
  fhir::Value jwk;  // required public members only
};

struct PrivateKey::Impl {
  Impl(PkeyPtr p, KeyFamily f, PublicKey pub)
      : pkey(std::move(p)), family(f), publicKey(std::move(pub)) {}
  PkeyPtr pkey;
  KeyFamily family;
  PublicKey publicKey;
};

struct KeyFactory {
  // A public key (without metadata) from checked components.
  static Result<PublicKey> makePublic(const PublicComponents& c) {
    Result<PkeyPtr> pkey = buildPublicKey(c);
    if (!pkey) return pkey.takeError();
    auto impl = std::make_shared<PublicKey::Impl>();
    impl->pkey = std::move(*pkey);
    impl->family = c.family;
    impl->thumbprint = thumbprintOf(c);
    impl->jwk = jwkOf(c);
    return PublicKey(std::move(impl));
  }

  // Takes ownership of a private EVP_PKEY after checking it is a supported, consistent key.
  static Result<PrivateKey> adopt(PkeyPtr pkey) {
    Result<KeyFamily> family = familyOf(pkey.get());
    if (!family) return family.takeError();
    Owned<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (!check) return Error::internal(takeOpensslErrors("EVP_PKEY_CTX_new_from_pkey failed"));
    // The private key must match its public part. (A full RSA primality check would cost
    // far more for no gain on keys this process generated or stored itself.)
    if (EVP_PKEY_pairwise_check(check.get()) != 1) {
      return keyInvalid("The private key is inconsistent.",
                        takeOpensslErrors("EVP_PKEY_pairwise_check failed"));
    }
    // The public half is rebuilt from its components: verification keys never hold the
    // private scalar, however long they are kept around (JWKS, caches).
    Result<PublicComponents> components = componentsOf(pkey.get(), *family);
    if (!components) return components.takeError();
    Result<PublicKey> pub = makePublic(*components);
    if (!pub) return pub.takeError();
    return PrivateKey(
        std::make_shared<const PrivateKey::Impl>(std::move(pkey), *family, std::move(*pub)));
  }
};

// ---------------------------------------------------------------------------------------------
// PublicKey

Result<PublicKey> PublicKey::fromJwk(const fhir::Value& jwk) {
  if (!jwk.isObject()) return jwkInvalid("The JWK is not a JSON object.");
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.find(secret) != nullptr) {
      return jwkInvalid(std::string("The JWK contains the private member \"") + secret +
                        "\"; publish public keys only, and replace this key: it is compromised.");
    }
  }
  const std::string* kty = jwk.findString("kty");
  if (kty == nullptr) return jwkInvalid("The JWK has no \"kty\" string member.");

  PublicComponents c;
  if (*kty == "EC") {
    const std::string* crv = jwk.findString("crv");
    if (crv == nullptr) return jwkInvalid("The EC JWK has no \"crv\" string member.");
    if (*crv == "P-256") {
      c.family = KeyFamily::kEcP256;
    } else if (*crv == "P-384") {
      c.family = KeyFamily::kEcP384;
    } else {
      return jwkUnsupported("Only the curves P-256 and P-384 are supported.");
    }
    Result<std::string> x = decodeMember(jwk, "x");
    if (!x) return x.takeError();
    Result<std::string> y = decodeMember(jwk, "y");
    if (!y) return y.takeError();
    size_t size = coordinateBytes(c.family);
    if (x->size() != size || y->size() != size) {
      return jwkInvalid("The EC JWK coordinates \"x\" and \"y\" must be exactly " +
                        std::to_string(size) + " bytes for " + *crv + ".");
    }
    c.a = std::move(*x);
    c.b = std::move(*y);
  } else if (*kty == "RSA") {
    c.family = KeyFamily::kRsa;
    Result<std::string> n = decodeMember(jwk, "n");
    if (!n) return n.takeError();
    Result<std::string> e = decodeMember(jwk, "e");
    if (!e) return e.takeError();
    // Base64urlUInt should be minimal; some libraries emit a leading zero octet. Accept it and
    // keep the canonical form, so that the thumbprint does not depend on the encoder.
    std::string_view modulus = stripLeadingZeros(*n);
    std::string_view exponent = stripLeadingZeros(*e);
    size_t bits = modulus.empty() ? 0 : (modulus.size() - 1) * 8;
    if (!modulus.empty()) {
      for (auto top = static_cast<unsigned char>(modulus.front()); top != 0; top >>= 1) ++bits;
    }
    if (bits < static_cast<size_t>(kMinRsaBits) || bits > static_cast<size_t>(kMaxRsaBits)) {
      return jwkUnsupported("RSA keys must have 2048 to 8192 bits.");
    }
    if ((static_cast<unsigned char>(modulus.back()) & 1) == 0) {
      return jwkInvalid("The RSA modulus \"n\" must be odd.");
    }
    if (exponent.empty() || exponent.size() > kMaxRsaExponentBytes ||
        (static_cast<unsigned char>(exponent.back()) & 1) == 0 ||
        (exponent.size() == 1 && static_cast<unsigned char>(exponent.front()) < 3)) {
      return jwkUnsupported("The RSA exponent \"e\" must be odd, at least 3 and at most 32 bits.");
    }
    c.a = std::string(modulus);
    c.b = std::string(exponent);
  } else {
    return jwkUnsupported("Only \"kty\" EC and RSA keys are supported.");
  }

  std::optional<JwsAlgorithm> alg;
  if (const fhir::Value* a = jwk.find("alg"); a != nullptr) {
    if (!a->isString()) return jwkInvalid("The JWK member \"alg\" is not a string.");
    alg = parseJwsAlgorithm(a->text());
    if (!alg) return jwkUnsupported("The JWK \"alg\" is not one of ES256, ES384, RS256, RS384.");
    if (!familySupports(c.family, *alg)) {
      return jwkInvalid("The JWK \"alg\" does not fit its key type or curve.");
    }
  }
  std::string use;
  if (const fhir::Value* u = jwk.find("use"); u != nullptr) {
    if (!u->isString()) return jwkInvalid("The JWK member \"use\" is not a string.");
    if (u->text() != "sig") return jwkUnsupported("The JWK \"use\" must be \"sig\".");
    use = u->text();
  }
  if (const fhir::Value* ops = jwk.find("key_ops"); ops != nullptr) {
    if (!ops->isArray()) return jwkInvalid("The JWK member \"key_ops\" is not an array.");
    bool verify = false;
    for (const fhir::Value& op : ops->items()) {
      if (!op.isString()) return jwkInvalid("The JWK \"key_ops\" items must be strings.");
      verify = verify || op.text() == "verify";
    }
    if (!verify) return jwkUnsupported("The JWK \"key_ops\" does not allow \"verify\".");
  }
  std::string kid;
  if (const fhir::Value* k = jwk.find("kid"); k != nullptr) {
    if (!k->isString()) return jwkInvalid("The JWK member \"kid\" is not a string.");
    kid = k->text();
  }

  Result<PublicKey> made = KeyFactory::makePublic(c);
  if (!made) return made.takeError();
  PublicKey key = std::move(*made);
  key.kid_ = std::move(kid);
  key.alg_ = alg;
  key.use_ = std::move(use);
  return key;
}

fhir::Value PublicKey::toJwk() const {
  fhir::Value jwk = impl_->jwk;
  if (!kid_.empty()) jwk.set("kid", fhir::Value::string(kid_));
  if (!use_.empty()) jwk.set("use", fhir::Value::string(use_));
  if (alg_) jwk.set("alg", fhir::Value::string(std::string(jwsAlgorithmName(*alg_))));
  return jwk;
}

const std::string& PublicKey::thumbprint() const {
  return impl_->thumbprint;
}

KeyFamily PublicKey::family() const {
  return impl_->family;
}

bool PublicKey::supports(JwsAlgorithm alg) const {
  return familySupports(impl_->family, alg) && (!alg_ || *alg_ == alg);
}

PublicKey PublicKey::withKid(std::string kid) const {
  PublicKey copy = *this;
  copy.kid_ = std::move(kid);
  return copy;
}

PublicKey PublicKey::withAlgorithm(JwsAlgorithm alg) const {
  PublicKey copy = *this;
  copy.alg_ = alg;
  return copy;
}

PublicKey PublicKey::withUse(std::string use) const {
  PublicKey copy = *this;
  copy.use_ = std::move(use);
  return copy;
}

Status PublicKey::verify(JwsAlgorithm alg, std::string_view signingInput,
                         std::string_view signature) const {
  if (!supports(alg)) return algorithmRefused();
  EVP_PKEY* pkey = impl_->pkey.get();
  std::string der;
  std::string_view sig = signature;
  if (impl_->family == KeyFamily::kRsa) {
    if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(pkey))) return signatureInvalid();
  } else {
    size_t size = coordinateBytes(impl_->family);
    if (signature.size() != 2 * size) return signatureInvalid();
    Result<std::string> converted = joseToDer(signature, size);
    if (!converted) return converted.takeError();
    der = std::move(*converted);
    sig = der;
  }
  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digestOf(alg), nullptr, pkey) != 1) {
    return Error::internal(takeOpensslErrors("EVP_DigestVerifyInit failed"));
  }
  int rc = EVP_DigestVerify(ctx.get(), bytesOf(sig), sig.size(), bytesOf(signingInput),
                            signingInput.size());
  if (rc != 1) {
    ERR_clear_error();
    return signatureInvalid();
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// PrivateKey

Result<PrivateKey> PrivateKey::generateEs256() {
  PkeyPtr pkey(EVP_EC_gen("P-256"));
  if (!pkey) return Error::internal(takeOpensslErrors("P-256 key generation failed"));
  return KeyFactory::adopt(std::move(pkey));
}

Result<PrivateKey> PrivateKey::generateEs384() {
  PkeyPtr pkey(EVP_EC_gen("P-384"));
  if (!pkey) return Error::internal(takeOpensslErrors("P-384 key generation failed"));
  return KeyFactory::adopt(std::move(pkey));
}

Result<PrivateKey> PrivateKey::generateRsa(int bits) {
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return Error::internal("generateRsa: bits outside [2048, 8192]");
  }
  PkeyPtr pkey(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  if (!pkey) return Error::internal(takeOpensslErrors("RSA key generation failed"));
  return KeyFactory::adopt(std::move(pkey));
}

Result<PrivateKey> PrivateKey::fromPem(std::string_view pem) {
  static constexpr std::string_view kBegin = "-----BEGIN PRIVATE KEY-----";
  static constexpr std::string_view kEnd = "-----END PRIVATE KEY-----";
  static constexpr std::string_view kSpace = " \t\r\n";
  size_t first = pem.find_first_not_of(kSpace);
  size_t last = pem.find_last_not_of(kSpace);
  if (first == std::string_view::npos) return keyInvalid("The key text is empty.");
  std::string_view body = pem.substr(first, last - first + 1);
  if (body.substr(0, kBegin.size()) != kBegin || body.size() < kBegin.size() + kEnd.size() ||
      body.substr(body.size() - kEnd.size()) != kEnd ||
      body.find("-----BEGIN", 1) != std::string_view::npos) {
    return keyInvalid(
        "The key is not one unencrypted PKCS#8 PEM block (\"-----BEGIN PRIVATE KEY-----\").");
  }
  if (body.size() > 64 * 1024) return keyInvalid("The key text is too large.");

  Owned<BIO> bio(BIO_new_mem_buf(body.data(), static_cast<int>(body.size())));
  if (!bio) return Error::internal(takeOpensslErrors("BIO_new_mem_buf failed"));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    return keyInvalid("The key PEM block cannot be read.",
                      takeOpensslErrors("PEM_read_bio failed"));
  }
  bool plain = std::strcmp(name, "PRIVATE KEY") == 0 && header != nullptr && header[0] == '\0';
  Owned<PKCS8_PRIV_KEY_INFO> p8;
  if (plain) {
    const unsigned char* p = data;
    p8.reset(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len));
    if (p8 && p != data + len) p8.reset();  // trailing bytes inside the block
  }
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_clear_free(data, static_cast<size_t>(len));
  if (!plain) return keyInvalid("The key PEM block is not an unencrypted PKCS#8 private key.");
  if (!p8) {
    return keyInvalid("The key is not valid PKCS#8 DER.",
                      takeOpensslErrors("d2i_PKCS8_PRIV_KEY_INFO failed"));
  }
  PkeyPtr pkey(EVP_PKCS82PKEY(p8.get()));
  if (!pkey) {
    return keyInvalid("The PKCS#8 key cannot be decoded.",
                      takeOpensslErrors("EVP_PKCS82PKEY failed"));
  }
  return KeyFactory::adopt(std::move(pkey));
}

Result<std::string> PrivateKey::toPem() const {
  // Secure-memory BIO: its buffer is cleansed when freed.
  Owned<BIO> bio(BIO_new(BIO_s_secmem()));
  if (!bio) return Error::internal(takeOpensslErrors("BIO_new failed"));
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                    nullptr) != 1) {
    return Error::internal(takeOpensslErrors("PEM_write_bio_PKCS8PrivateKey failed"));
  }
  char* text = nullptr;
  long len = BIO_get_mem_data(bio.get(), &text);
  if (len <= 0 || text == nullptr) return Error::internal("empty PEM output");
  return std::string(text, static_cast<size_t>(len));
}

PublicKey PrivateKey::publicKey() const {
  return impl_->publicKey;
}

KeyFamily PrivateKey::family() const {
  return impl_->family;
}

bool PrivateKey::supports(JwsAlgorithm alg) const {
  return familySupports(impl_->family, alg);
}

Result<std::string> PrivateKey::sign(JwsAlgorithm alg, std::string_view signingInput) const {
  if (!supports(alg)) {
    return Error::make(ErrorKind::kInternal, "token-algorithm-refused",
                       "The signing key does not support the requested algorithm.");
  }
  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, digestOf(alg), nullptr, impl_->pkey.get()) != 1) {
    return Error::internal(takeOpensslErrors("EVP_DigestSignInit failed"));
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, bytesOf(signingInput), signingInput.size()) != 1) {
    return Error::internal(takeOpensslErrors("EVP_DigestSign (size) failed"));
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     bytesOf(signingInput), signingInput.size()) != 1) {
    return Error::internal(takeOpensslErrors("EVP_DigestSign failed"));
  }
  sig.resize(len);
  if (impl_->family == KeyFamily::kRsa) return sig;
  return derToJose(sig, coordinateBytes(impl_->family));
}

}  // namespace mes::oauth
