#include "oauth/password.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <vector>

#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/kdf.h"
#include "oauth/crypto/random.h"

namespace mes::oauth {
namespace {

constexpr std::string_view kScheme = "scrypt";
constexpr uint64_t kLogN = 15;
constexpr uint64_t kR = 8;
constexpr uint64_t kP = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;

constexpr uint64_t kMinLogN = 10;
constexpr uint64_t kMaxLogN = 20;
constexpr uint64_t kMaxR = 32;
constexpr uint64_t kMaxP = 16;
constexpr uint64_t kMaxMemoryBytes = 128ull << 20;
constexpr uint64_t kMaxWork = (uint64_t{1} << kLogN) * kR * kP * 8;  // N*r*p
constexpr size_t kMinSaltBytes = 8;
constexpr size_t kMaxSaltBytes = 64;
constexpr size_t kMinKeyBytes = 16;
constexpr size_t kMaxKeyBytes = 64;

struct ParsedHash {
  uint64_t logN = 0;
  uint64_t r = 0;
  uint64_t p = 0;
  std::string salt;
  std::string key;
};

// Memory scrypt needs (RFC 7914: V is 128*r*N bytes, B is 128*r*p), plus slack for OpenSSL's
// bookkeeping; also the limit handed to OpenSSL.
uint64_t memoryFor(uint64_t n, uint64_t r, uint64_t p) {
  return 128 * r * (n + p + 2);
}

Error hashInvalid(std::string why) {
  Error e = Error::make(ErrorKind::kInternal, "password-hash-invalid",
                        "The stored credential cannot be checked.");
  e.detail = "password hash refused: " + std::move(why);
  return e;
}

Error mismatch() {
  return Error::make(ErrorKind::kUnauthorized, "password-mismatch", "The password is not correct.");
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

// "name=<decimal>" with no sign, no leading zero, at most 4 digits.
std::optional<uint64_t> param(std::string_view field, std::string_view name) {
  if (field.size() <= name.size() + 1 || field.substr(0, name.size()) != name ||
      field[name.size()] != '=') {
    return std::nullopt;
  }
  std::string_view digits = field.substr(name.size() + 1);
  if (digits.size() > 4 || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

Result<ParsedHash> parse(std::string_view encoded) {
  if (encoded.size() > 512) return hashInvalid("too long");
  std::vector<std::string_view> parts = split(encoded, '$');
  if (parts.size() != 5 || !parts[0].empty())
    return hashInvalid("not a $scheme$params$salt$hash string");
  if (parts[1] != kScheme) return hashInvalid("unknown scheme");
  std::vector<std::string_view> fields = split(parts[2], ',');
  if (fields.size() != 3) return hashInvalid("parameters must be ln, r, p");
  std::optional<uint64_t> logN = param(fields[0], "ln");
  std::optional<uint64_t> r = param(fields[1], "r");
  std::optional<uint64_t> p = param(fields[2], "p");
  if (!logN || !r || !p) return hashInvalid("malformed parameters");
  if (*logN < kMinLogN || *logN > kMaxLogN || *r < 1 || *r > kMaxR || *p < 1 || *p > kMaxP) {
    return hashInvalid("parameters out of bounds");
  }
  // RFC 7914 §2: N must be less than 2^(128 * r / 8); OpenSSL refuses anything else.
  if (*logN >= 16 * *r) return hashInvalid("ln too large for r");
  const uint64_t n = uint64_t{1} << *logN;
  if (memoryFor(n, *r, *p) > kMaxMemoryBytes || n * *r * *p > kMaxWork) {
    return hashInvalid("cost out of bounds");
  }
  Result<std::string> salt = base64DecodeUnpadded(parts[3]);
  Result<std::string> key = base64DecodeUnpadded(parts[4]);
  if (!salt || !key) return hashInvalid("salt or hash is not base64");
  if (salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes) return hashInvalid("salt size");
  if (key->size() < kMinKeyBytes || key->size() > kMaxKeyBytes) return hashInvalid("hash size");
  return ParsedHash{*logN, *r, *p, std::move(*salt), std::move(*key)};
}

Result<std::string> derive(std::string_view password, const ParsedHash& h, size_t length) {
  const uint64_t n = uint64_t{1} << h.logN;
  return scrypt(password, h.salt, ScryptCost{n, h.r, h.p}, length, memoryFor(n, h.r, h.p));
}

}  // namespace

Result<std::string> hashPassword(std::string_view password) {
  if (password.empty() || password.size() > kMaxPasswordBytes) {
    return Error::make(ErrorKind::kInvalid, "password-invalid",
                       "The password must be between 1 and 1024 bytes long.");
  }
  Result<std::string> salt = randomBytes(kSaltBytes);
  if (!salt) return salt.takeError();
  ParsedHash h{kLogN, kR, kP, std::move(*salt), {}};
  Result<std::string> key = derive(password, h, kKeyBytes);
  if (!key) return key.takeError();
  std::string encoded = "$" + std::string(kScheme) + "$ln=" + std::to_string(kLogN) +
                        ",r=" + std::to_string(kR) + ",p=" + std::to_string(kP) + "$" +
                        base64EncodeUnpadded(h.salt) + "$" + base64EncodeUnpadded(*key);
  secureWipe(*key);
  return encoded;
}

Status verifyPassword(std::string_view password, std::string_view encoded) {
  Result<ParsedHash> h = parse(encoded);
  if (!h) return h.takeError();
  if (password.empty() || password.size() > kMaxPasswordBytes) return mismatch();
  Result<std::string> key = derive(password, *h, h->key.size());
  if (!key) return key.takeError();
  bool same = constantTimeEquals(*key, h->key);
  secureWipe(*key);
  if (!same) return mismatch();
  return Status::ok();
}

bool needsRehash(std::string_view encoded) {
  Result<ParsedHash> h = parse(encoded);
  return !h || h->logN != kLogN || h->r != kR || h->p != kP || h->salt.size() != kSaltBytes ||
         h->key.size() != kKeyBytes;
}

Result<std::string> oneTimeCode(int digits) {
  if (digits < 4 || digits > 12) return Error::internal("oneTimeCode: digits outside [4, 12]");
  uint64_t bound = 1;
  for (int i = 0; i < digits; ++i) bound *= 10;
  Result<uint64_t> value = randomBelow(bound);
  if (!value) return value.takeError();
  std::string code = std::to_string(*value);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

}  // namespace mes::oauth
