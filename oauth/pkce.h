// PKCE (RFC 7636), S256 only. "plain" is refused: it protects nothing once the authorization
// request leaks, and OAuth 2.0 Security BCP (RFC 9700 §2.1.1) requires S256.
//
// Errors are kInvalid; the authorization and token endpoints map them to OAuth errors
// (invalid_request at /authorize, invalid_grant at /token). Messages never quote the values.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mes::oauth {

// At /authorize: the code_challenge and code_challenge_method parameters as received
// (empty when absent). Refuses with
//   "pkce-method-unsupported"  method absent (RFC 7636 would default to "plain"), "plain",
//                              or anything but exactly "S256";
//   "pkce-challenge-invalid"   challenge absent, or not 43 characters of base64url encoding
//                              32 bytes (a SHA-256 digest).
Status checkChallenge(std::string_view challenge, std::string_view method);

// At /token: checks the code_verifier against the challenge stored with the code.
//   "pkce-verifier-invalid"  verifier absent or outside RFC 7636 §4.1 (43 to 128 characters
//                            of A-Z a-z 0-9 - . _ ~);
//   "pkce-mismatch"          BASE64URL(SHA256(verifier)) differs from challenge
//                            (compared in constant time).
Status verifyPkceS256(std::string_view verifier, std::string_view challenge);

// True when verifier follows RFC 7636 §4.1.
bool isValidPkceVerifier(std::string_view verifier);

// BASE64URL(SHA256(ASCII(verifier))): what a client sends as code_challenge.
std::string challengeFor(std::string_view verifier);

}  // namespace mes::oauth
