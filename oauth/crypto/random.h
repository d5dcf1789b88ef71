// Cryptographically secure randomness (OpenSSL's DRBG, seeded from the OS).
//
// Every function either returns randomness fit for keys, tokens and codes, or an Error
// (kInternal, code "internal-error", detail for the log): it never falls back to weaker
// randomness. All functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace mes::oauth {

inline constexpr size_t kMaxRandomBytes = 1 << 20;

// n random bytes (n <= kMaxRandomBytes; a larger n is a programming error and gets an Error).
Result<std::string> randomBytes(size_t n);

// `bytes` random bytes as base64url without padding: 32 bytes (256 bits) give 43 characters.
// For opaque tokens: authorization codes, refresh tokens, session ids, CSRF tokens.
// bytes must be in [16, 1024] (fewer than 128 bits is never a token).
Result<std::string> randomToken(size_t bytes = 32);

// A uniformly distributed integer in [0, bound), by rejection sampling (no modulo bias).
// bound must be >= 1.
Result<uint64_t> randomBelow(uint64_t bound);

}  // namespace mes::oauth
