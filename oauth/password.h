// Patient passwords (stored as scrypt hashes) and login one-time codes.
//
// Stored format, PHC-string style (B64 = standard base64 alphabet without padding):
//   $scrypt$ln=15,r=8,p=1$<salt B64>$<hash B64>
// with N = 2^ln. New hashes use ln=15, r=8, p=1, a 16-byte random salt and a 32-byte key:
// about 32 MiB of memory and a few tens of milliseconds of CPU per call, on the calling thread.
// Callers must bound how many run at once (login rate limits, lockout).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mes::oauth {

inline constexpr size_t kMaxPasswordBytes = 1024;

// Hashes a new password with a fresh random salt.
// kInvalid "password-invalid" when the password is empty or longer than kMaxPasswordBytes
// (password policy beyond that belongs to the caller); kInternal if randomness or scrypt fail.
Result<std::string> hashPassword(std::string_view password);

// Checks password against a stored hash (constant-time comparison of the derived keys).
//   ok                                  the password matches
//   kUnauthorized "password-mismatch"   it does not (also for an empty or over-long password)
//   kInternal "password-hash-invalid"   the stored string is not a hash this code accepts:
//     unknown scheme, malformed fields, or cost parameters outside sane bounds
//     (ln 10..20, r 1..32, p 1..16, at most 128 MiB of memory and 8 times the default work),
//     so that a crafted stored hash cannot make a login exhaust memory or CPU.
//     Salt 8..64 bytes, hash 16..64 bytes. The detail says why; no message contains secrets.
Status verifyPassword(std::string_view password, std::string_view encoded);

// True when `encoded` should be replaced by hashPassword() of the same password after a
// successful login: unreadable, or made with other parameters, salt or key sizes.
bool needsRehash(std::string_view encoded);

// A one-time login code of `digits` decimal digits (leading zeros kept), uniformly drawn
// without modulo bias. digits must be in [4, 12]; kInternal otherwise or if randomness fails.
Result<std::string> oneTimeCode(int digits = 6);

}  // namespace mes::oauth
