// oauth/pkce: RFC 7636 S256 only.
#include "oauth/pkce.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "oauth/crypto/random.h"

using namespace mes;
using namespace mes::oauth;
namespace bdata = boost::unit_test::data;

namespace {

// RFC 7636 Appendix B.
constexpr std::string_view kRfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kRfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct VerifierCase {
  std::string verifier;
  bool valid;
  const char* why;
};
std::ostream& operator<<(std::ostream& os, const VerifierCase& c) {
  return os << c.why;
}

std::vector<VerifierCase> verifierCases() {
  return {
      {std::string(kRfcVerifier), true, "RFC 7636 example"},
      {std::string(43, 'a'), true, "minimum length"},
      {std::string(128, 'Z'), true, "maximum length"},
      {"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~", true,
       "every unreserved character"},
      {std::string(42, 'a'), false, "too short"},
      {std::string(129, 'a'), false, "too long"},
      {"", false, "empty"},
      {std::string(42, 'a') + "+", false, "plus"},
      {std::string(42, 'a') + "/", false, "slash"},
      {std::string(42, 'a') + "=", false, "padding"},
      {std::string(42, 'a') + " ", false, "space"},
      {std::string(42, 'a') + "%", false, "percent"},
      {std::string(41, 'a') + "\xc3\xa9", false, "non-ASCII"},
      {std::string(42, 'a') + std::string(1, '\0'), false, "NUL"},
  };
}

struct ChallengeCase {
  std::string challenge;
  std::string method;
  const char* code;  // "" when accepted
  const char* why;
};
std::ostream& operator<<(std::ostream& os, const ChallengeCase& c) {
  return os << c.why;
}

std::vector<ChallengeCase> challengeCases() {
  const std::string good(kRfcChallenge);
  return {
      {good, "S256", "", "RFC 7636 example"},
      {good, "plain", "pkce-method-unsupported", "plain refused"},
      {good, "", "pkce-method-unsupported", "absent method (defaults to plain) refused"},
      {good, "s256", "pkce-method-unsupported", "method is case-sensitive"},
      {good, "S512", "pkce-method-unsupported", "unknown method"},
      {"", "S256", "pkce-challenge-invalid", "absent challenge"},
      {good.substr(0, 42), "S256", "pkce-challenge-invalid", "42 characters"},
      {good + "A", "S256", "pkce-challenge-invalid", "44 characters"},
      {good + "=", "S256", "pkce-challenge-invalid", "padded"},
      {good.substr(0, 42) + "N", "S256", "pkce-challenge-invalid", "non-canonical last character"},
      {good.substr(0, 10) + "+" + good.substr(11), "S256", "pkce-challenge-invalid",
       "standard base64 alphabet"},
      {std::string(kRfcVerifier), "S256", "", "any 32-byte value is a well-formed challenge"},
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oauth_pkce)

BOOST_AUTO_TEST_CASE(rfc7636_appendix_b) {
  BOOST_TEST(challengeFor(kRfcVerifier) == kRfcChallenge);
  BOOST_TEST(verifyPkceS256(kRfcVerifier, kRfcChallenge).isOk());
  BOOST_TEST(checkChallenge(kRfcChallenge, "S256").isOk());
}

BOOST_DATA_TEST_CASE(verifier_grammar, bdata::make(verifierCases()), c) {
  BOOST_TEST(isValidPkceVerifier(c.verifier) == c.valid);
  Status s = verifyPkceS256(c.verifier, challengeFor(c.verifier));
  BOOST_TEST(s.isOk() == c.valid);
  if (!c.valid) {
    BOOST_TEST(s.error().code() == "pkce-verifier-invalid");
    BOOST_TEST((s.error().kind == ErrorKind::kInvalid));
  }
}

BOOST_DATA_TEST_CASE(challenge_and_method, bdata::make(challengeCases()), c) {
  Status s = checkChallenge(c.challenge, c.method);
  if (*c.code == '\0') {
    BOOST_TEST(s.isOk());
  } else {
    BOOST_REQUIRE(!s.isOk());
    BOOST_TEST(s.error().code() == c.code);
    BOOST_TEST((s.error().kind == ErrorKind::kInvalid));
  }
}

BOOST_AUTO_TEST_CASE(plain_refusal_says_why) {
  Status s = checkChallenge(kRfcChallenge, "plain");
  BOOST_REQUIRE(!s.isOk());
  BOOST_TEST(s.error().problems.front().message.find("S256") != std::string::npos);
  BOOST_TEST(s.error().problems.front().message.find("plain") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mismatch) {
  // Missing, wrong, and "plain"-style (the challenge itself as verifier).
  std::string other = std::string(kRfcVerifier);
  other.back() = other.back() == 'k' ? 'j' : 'k';
  BOOST_TEST(verifyPkceS256(other, kRfcChallenge).error().code() == "pkce-mismatch");
  BOOST_TEST(verifyPkceS256(kRfcChallenge, kRfcChallenge).error().code() == "pkce-mismatch");
  BOOST_TEST(verifyPkceS256("", kRfcChallenge).error().code() == "pkce-verifier-invalid");
  BOOST_TEST(verifyPkceS256(kRfcVerifier, "").error().code() == "pkce-mismatch");
  // Messages never echo the verifier.
  auto s = verifyPkceS256(other, kRfcChallenge);
  BOOST_TEST(s.error().problems.front().message.find(other) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(random_verifiers_round_trip) {
  for (int i = 0; i < 20; ++i) {
    auto verifier = randomToken(32);
    BOOST_REQUIRE(verifier.isOk());
    BOOST_TEST(isValidPkceVerifier(*verifier));
    std::string challenge = challengeFor(*verifier);
    BOOST_TEST(checkChallenge(challenge, "S256").isOk());
    BOOST_TEST(verifyPkceS256(*verifier, challenge).isOk());
  }
}

BOOST_AUTO_TEST_SUITE_END()
