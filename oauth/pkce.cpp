#include "oauth/pkce.h"

#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"

namespace mes::oauth {
namespace {

constexpr size_t kChallengeLength = 43;  // base64url of 32 bytes, unpadded
constexpr size_t kMinVerifierLength = 43;
constexpr size_t kMaxVerifierLength = 128;

bool isUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

bool isValidPkceVerifier(std::string_view verifier) {
  if (verifier.size() < kMinVerifierLength || verifier.size() > kMaxVerifierLength) return false;
  for (char c : verifier) {
    if (!isUnreserved(c)) return false;
  }
  return true;
}

std::string challengeFor(std::string_view verifier) {
  return base64UrlEncode(sha256(verifier));
}

Status checkChallenge(std::string_view challenge, std::string_view method) {
  if (method.empty()) {
    return Error::make(ErrorKind::kInvalid, "pkce-method-unsupported",
                       "code_challenge_method is required and must be S256.");
  }
  if (method != "S256") {
    return Error::make(ErrorKind::kInvalid, "pkce-method-unsupported",
                       method == "plain"
                           ? "code_challenge_method \"plain\" is not accepted; use S256."
                           : "code_challenge_method must be S256.");
  }
  if (challenge.empty()) {
    return Error::make(ErrorKind::kInvalid, "pkce-challenge-invalid",
                       "code_challenge is required (PKCE S256).");
  }
  Result<std::string> digest = base64UrlDecode(challenge);
  if (challenge.size() != kChallengeLength || !digest || digest->size() != kSha256Bytes) {
    return Error::make(ErrorKind::kInvalid, "pkce-challenge-invalid",
                       "code_challenge must be the 43-character base64url SHA-256 of the "
                       "code_verifier.");
  }
  return Status::ok();
}

Status verifyPkceS256(std::string_view verifier, std::string_view challenge) {
  if (!isValidPkceVerifier(verifier)) {
    return Error::make(ErrorKind::kInvalid, "pkce-verifier-invalid",
                       "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.");
  }
  if (!constantTimeEquals(challengeFor(verifier), challenge)) {
    return Error::make(ErrorKind::kInvalid, "pkce-mismatch",
                       "code_verifier does not match the code_challenge.");
  }
  return Status::ok();
}

}  // namespace mes::oauth
