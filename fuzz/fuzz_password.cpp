// libFuzzer target: verifyPassword and needsRehash (oauth/password.h) on the input as the
// stored hash, e.g. a users-table row written by someone else.
//
// Cost. verifyPassword runs scrypt on every string it accepts. password.cpp bounds the
// parameters (ln 10..20, r 1..32, p 1..16, N < 2^(16 r), 128*r*(N+p+2) <= 128 MiB, N*r*p <= 8 times the
// default 2^15*8*1), which still lets a crafted stored hash cost about 8 default logins: ~1.2 s
// natively for ln=18,r=2,p=4 on the machine this was written on (default 0.13 s), ~2.5 s in
// this ASan build. So that no input costs seconds, the harness checks the bounds themselves
// without scrypt, and runs scrypt only within a budget:
//  - every input: verifyPassword with an empty password, which parses the hash and stops
//    before scrypt, must accept the hash (password-mismatch) exactly when the model below of
//    the documented format and bounds does, and refuse it (password-hash-invalid) otherwise;
//  - inputs the model accepts with N*r*p <= kScryptBudget (twice the default work): the real
//    verifyPassword(kPassword, input), which must fail with password-mismatch — the seeds hash
//    other passwords and no random input is the scrypt hash of kPassword — in bounded time
//    (scripts/fuzz runs this target with -timeout=2).
// Also checked on every input: refusals have one Problem and a message, never the password;
// needsRehash is true for every refused string, and for an accepted one false exactly when it
// has the current parameters ($scrypt$ln=15,r=8,p=1$, 16-byte salt, 32-byte key).
// Seeds: scrypt hashes of other passwords at the current, the RFC 7914 (ln=14) and the smallest
// parameters, and boundary-ln15-r1, the largest N scrypt allows with r=1 (RFC 7914 §2 requires
// N < 2^(16*r)).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "oauth/crypto/encoding.h"
#include "oauth/password.h"

namespace {

using mes::ErrorKind;
using mes::Status;
using mes::fuzz::describe;
using mes::fuzz::printable;

constexpr std::string_view kPassword = "correct horse battery staple";
constexpr uint64_t kDefaultWork = (uint64_t{1} << 15) * 8 * 1;  // ln=15, r=8, p=1
constexpr uint64_t kScryptBudget = 2 * kDefaultWork;

// The parameters of a hash the documentation says verifyPassword accepts; nullopt otherwise.
struct Model {
  uint64_t logN = 0, r = 0, p = 0;
  size_t saltBytes = 0, keyBytes = 0;
};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

// "<name>=<1 to 4 digits, no leading zero>".
std::optional<uint64_t> param(std::string_view field, std::string_view name) {
  if (field.size() < name.size() + 2 || field.substr(0, name.size()) != name ||
      field[name.size()] != '=') {
    return std::nullopt;
  }
  const std::string_view digits = field.substr(name.size() + 1);
  if (digits.size() > 4 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::optional<Model> model(std::string_view encoded) {
  if (encoded.size() > 512) return std::nullopt;
  const std::vector<std::string_view> parts = split(encoded, '$');
  if (parts.size() != 5 || !parts[0].empty() || parts[1] != "scrypt") return std::nullopt;
  const std::vector<std::string_view> fields = split(parts[2], ',');
  if (fields.size() != 3) return std::nullopt;
  const auto ln = param(fields[0], "ln");
  const auto r = param(fields[1], "r");
  const auto p = param(fields[2], "p");
  if (!ln || !r || !p || *ln < 10 || *ln > 20 || *r < 1 || *r > 32 || *p < 1 || *p > 16) {
    return std::nullopt;
  }
  if (*ln >= 16 * *r) return std::nullopt;  // RFC 7914: N < 2^(16 r)
  const uint64_t n = uint64_t{1} << *ln;
  if (128 * *r * (n + *p + 2) > (uint64_t{128} << 20) || n * *r * *p > 8 * kDefaultWork) {
    return std::nullopt;
  }
  const auto salt = mes::oauth::base64DecodeUnpadded(parts[3]);
  const auto key = mes::oauth::base64DecodeUnpadded(parts[4]);
  if (!salt || !key || salt->size() < 8 || salt->size() > 64 || key->size() < 16 ||
      key->size() > 64) {
    return std::nullopt;
  }
  return Model{*ln, *r, *p, salt->size(), key->size()};
}

void checkError(const Status& s, std::string_view code, const std::string& what) {
  MES_FUZZ_CHECK(!s.isOk(), what + ": accepted");
  const mes::Error& e = s.error();
  const ErrorKind kind =
      code == "password-mismatch" ? ErrorKind::kUnauthorized : ErrorKind::kInternal;
  MES_FUZZ_CHECK(e.kind == kind && e.code() == code,
                 what + ": expected " + std::string(code) + ", got " + describe(e));
  MES_FUZZ_CHECK(e.problems.size() == 1 && !e.problems.front().message.empty(),
                 what + ": " + describe(e));
  MES_FUZZ_CHECK(e.problems.front().message.find(kPassword) == std::string::npos &&
                     e.detail.find(kPassword) == std::string::npos,
                 what + ": the error contains the password");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view encoded(reinterpret_cast<const char*>(data), size);
  const std::string shown = printable(encoded.substr(0, 600));
  const std::optional<Model> m = model(encoded);

  // Parsing and bounds, without scrypt: an empty (or over-long) password stops right after.
  const char* verdict = m ? "password-mismatch" : "password-hash-invalid";
  checkError(mes::oauth::verifyPassword("", encoded), verdict,
             "verifyPassword(\"\", " + shown + ")");
  checkError(
      mes::oauth::verifyPassword(std::string(mes::oauth::kMaxPasswordBytes + 1, 'x'), encoded),
      verdict, "verifyPassword(<1025 bytes>, " + shown + ")");

  const bool current =
      m && m->logN == 15 && m->r == 8 && m->p == 1 && m->saltBytes == 16 && m->keyBytes == 32;
  MES_FUZZ_CHECK(mes::oauth::needsRehash(encoded) == !current,
                 "needsRehash(" + shown + ") is " + (current ? "true" : "false"));

  // The real check, within the scrypt budget.
  if (m && (uint64_t{1} << m->logN) * m->r * m->p <= kScryptBudget) {
    checkError(mes::oauth::verifyPassword(kPassword, encoded), "password-mismatch",
               "verifyPassword(" + printable(kPassword) + ", " + shown + ")");
  }
  return 0;
}
