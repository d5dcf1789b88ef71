// Message digests, HMAC and constant-time comparison (OpenSSL underneath).
//
// Inputs and outputs are raw bytes in std::string. These functions cannot fail in a working
// process; if OpenSSL ever fails to compute one (allocation failure, broken installation) the
// process is stopped rather than handed a wrong digest (see crypto_detail::opensslFatal).
#pragma once

#include <string>
#include <string_view>

namespace mes::oauth {

inline constexpr size_t kSha256Bytes = 32;
inline constexpr size_t kSha1Bytes = 20;

// SHA-256 (FIPS 180-4): 32 raw bytes.
std::string sha256(std::string_view bytes);
// SHA-1: 20 raw bytes. Only for formats that mandate it (FHIR Attachment.hash); never for
// anything an attacker could benefit from colliding.
std::string sha1(std::string_view bytes);
// HMAC-SHA-256 (RFC 2104): 32 raw bytes.
std::string hmacSha256(std::string_view key, std::string_view message);

// True when a and b hold the same bytes. The time taken depends only on the lengths (which
// are not secret for digests, tokens and MACs of a fixed size), never on where they differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

// Overwrites the bytes of a secret (key text, derived key) with zeros in a way the compiler
// cannot optimise away, then empties the string.
void secureWipe(std::string& secret);

}  // namespace mes::oauth
