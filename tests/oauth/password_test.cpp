// oauth/password: scrypt password hashes and one-time codes.
#include "oauth/password.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <map>
#include <set>

#include "oauth/crypto/encoding.h"

using namespace mes;
using namespace mes::oauth;
namespace bdata = boost::unit_test::data;

namespace {

// A hash with the current parameters, computed once (each costs ~32 MiB and tens of ms).
const std::string& storedHash() {
  static const std::string hash = [] {
    auto h = hashPassword("correct horse battery staple");
    BOOST_REQUIRE(h.isOk());
    return *h;
  }();
  return hash;
}

struct BadHash {
  std::string encoded;
  const char* why;
};
std::ostream& operator<<(std::ostream& os, const BadHash& b) {
  return os << b.why;
}

std::vector<BadHash> badHashes() {
  const std::string salt = base64EncodeUnpadded(std::string(16, 's'));
  const std::string key = base64EncodeUnpadded(std::string(32, 'k'));
  auto with = [&](const std::string& params) {
    return "$scrypt$" + params + "$" + salt + "$" + key;
  };
  return {
      {"", "empty"},
      {"plaintext-password", "not a PHC string"},
      {"$2b$12$abcdefghijklmnopqrstuv", "bcrypt"},
      {"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + key, "another scheme"},
      {"$scrypt$ln=15,r=8,p=1$" + salt, "missing hash"},
      {with("ln=15,r=8,p=1") + "$extra", "extra field"},
      {with("ln=15,r=8"), "missing p"},
      {with("r=8,ln=15,p=1"), "parameters out of order"},
      {with("ln=015,r=8,p=1"), "leading zero"},
      {with("ln=+15,r=8,p=1"), "sign"},
      {with("ln=15,r=8,p=1,x=1"), "unknown parameter"},
      {with("ln=9,r=8,p=1"), "N too small"},
      {with("ln=21,r=8,p=1"), "N too large"},
      {with("ln=18,r=8,p=1"), "memory over 128 MiB"},
      {with("ln=15,r=33,p=1"), "r too large"},
      {with("ln=15,r=0,p=1"), "r zero"},
      {with("ln=15,r=8,p=17"), "p too large"},
      {with("ln=15,r=8,p=9"), "work over 8x the default"},
      {with("ln=99999,r=8,p=1"), "absurd N"},
      {"$scrypt$ln=15,r=8,p=1$" + salt + "==$" + key, "padded salt"},
      {"$scrypt$ln=15,r=8,p=1$" + salt + "$" + key + "*", "hash not base64"},
      {"$scrypt$ln=15,r=8,p=1$" + base64EncodeUnpadded("short") + "$" + key, "salt too short"},
      {"$scrypt$ln=15,r=8,p=1$" + salt + "$" + base64EncodeUnpadded("short"), "hash too short"},
      {"$scrypt$ln=15,r=8,p=1$" + salt + "$" + std::string(600, 'A'), "too long"},
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oauth_password)

BOOST_AUTO_TEST_CASE(hash_and_verify) {
  const std::string& hash = storedHash();
  BOOST_TEST(hash.rfind("$scrypt$ln=15,r=8,p=1$", 0) == 0u);
  BOOST_TEST(hash.find("correct") == std::string::npos);
  BOOST_TEST(verifyPassword("correct horse battery staple", hash).isOk());
  BOOST_TEST(!needsRehash(hash));

  Status wrong = verifyPassword("correct horse battery stapler", hash);
  BOOST_REQUIRE(!wrong.isOk());
  BOOST_TEST(wrong.error().code() == "password-mismatch");
  BOOST_TEST((wrong.error().kind == ErrorKind::kUnauthorized));
  BOOST_TEST(verifyPassword("", hash).error().code() == "password-mismatch");
  BOOST_TEST(verifyPassword(std::string(2000, 'x'), hash).error().code() == "password-mismatch");
}

// Found by fuzz_password: scrypt needs N < 2^(16 r) (RFC 7914); such a hash was an internal
// error instead of an invalid hash.
BOOST_AUTO_TEST_CASE(ln_too_large_for_r_is_an_invalid_hash) {
  auto r = mes::oauth::verifyPassword("x", "$scrypt$ln=16,r=1,p=1$qiUXyVf6Y8Q$iterXBugSrpjgMtInNrGGuk");
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().code() == "password-hash-invalid");
}

BOOST_AUTO_TEST_CASE(salts_differ) {
  auto a = hashPassword("same password");
  auto b = hashPassword("same password");
  BOOST_REQUIRE(a.isOk());
  BOOST_REQUIRE(b.isOk());
  BOOST_TEST(*a != *b);
  BOOST_TEST(verifyPassword("same password", *a).isOk());
  BOOST_TEST(verifyPassword("same password", *b).isOk());
}

BOOST_AUTO_TEST_CASE(hash_input_limits) {
  BOOST_TEST(hashPassword("").error().code() == "password-invalid");
  BOOST_TEST(hashPassword(std::string(kMaxPasswordBytes + 1, 'x')).error().code() ==
             "password-invalid");
  // Any bytes are allowed: the password is not text to us.
  auto binary = hashPassword(std::string("p\0w\xff", 4));
  BOOST_REQUIRE(binary.isOk());
  BOOST_TEST(verifyPassword(std::string("p\0w\xff", 4), *binary).isOk());
  BOOST_TEST(verifyPassword(std::string("p\0w", 3), *binary).error().code() == "password-mismatch");
}

BOOST_AUTO_TEST_CASE(tampered_hash) {
  std::string hash = storedHash();
  // Flip one character of the stored key: still well-formed, no longer matching.
  char& last = hash[hash.size() - 2];
  last = last == 'A' ? 'B' : 'A';
  BOOST_TEST(verifyPassword("correct horse battery staple", hash).error().code() ==
             "password-mismatch");
  // Another salt.
  std::string salted = storedHash();
  size_t saltStart = salted.find('$', 8) + 1;
  salted[saltStart] = salted[saltStart] == 'A' ? 'B' : 'A';
  BOOST_TEST(verifyPassword("correct horse battery staple", salted).error().code() ==
             "password-mismatch");
}

BOOST_DATA_TEST_CASE(unusable_hashes_refused, bdata::make(badHashes()), b) {
  Status s = verifyPassword("correct horse battery staple", b.encoded);
  BOOST_REQUIRE(!s.isOk());
  BOOST_TEST(s.error().code() == "password-hash-invalid");
  BOOST_TEST((s.error().kind == ErrorKind::kInternal));
  BOOST_TEST(s.error().problems.front().message.find("correct") == std::string::npos);
  BOOST_TEST(needsRehash(b.encoded));
}

BOOST_AUTO_TEST_CASE(weaker_parameters_verify_and_need_rehash) {
  // A legacy hash with ln=14 (the RFC 7914 vector 3 cost) must still let its owner in, once.
  // Key computed with RFC 7914's parameters: "pleaseletmein" / "SodiumChloride", first 32 bytes.
  const std::string legacy =
      "$scrypt$ln=14,r=8,p=1$" + base64EncodeUnpadded("SodiumChloride") + "$" +
      base64EncodeUnpadded(std::string(
          "\x70\x23\xbd\xcb\x3a\xfd\x73\x48\x46\x1c\x06\xcd\x81\xfd\x38\xeb\xfd\xa8\xfb\xba\x90\x4f"
          "\x8e\x3e\xa9\xb5\x43\xf6\x54\x5d\xa1\xf2",
          32));
  BOOST_TEST(verifyPassword("pleaseletmein", legacy).isOk());
  BOOST_TEST(verifyPassword("pleaseletmeout", legacy).error().code() == "password-mismatch");
  BOOST_TEST(needsRehash(legacy));
}

BOOST_AUTO_TEST_CASE(one_time_codes) {
  std::set<std::string> seen;
  std::map<char, int> firstDigits;
  for (int i = 0; i < 200; ++i) {
    auto code = oneTimeCode();
    BOOST_REQUIRE(code.isOk());
    BOOST_REQUIRE(code->size() == 6u);
    for (char c : *code) BOOST_REQUIRE((c >= '0' && c <= '9'));
    seen.insert(*code);
    ++firstDigits[code->front()];
  }
  BOOST_TEST(seen.size() > 190u);        // 200 draws from 10^6: collisions are rare
  BOOST_TEST(firstDigits.size() >= 8u);  // leading zeros are kept, every digit appears
  BOOST_TEST(oneTimeCode(8)->size() == 8u);
  BOOST_TEST(oneTimeCode(4)->size() == 4u);
  BOOST_TEST(oneTimeCode(12)->size() == 12u);
  BOOST_TEST(!oneTimeCode(3).isOk());
  BOOST_TEST(!oneTimeCode(13).isOk());
}

BOOST_AUTO_TEST_SUITE_END()
