// Key derivation functions (OpenSSL underneath). Password storage policy (formats, cost
// parameters, bounds) lives in oauth/password.h; this is the primitive only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mes::oauth {

struct ScryptCost {
  uint64_t n = 0;  // CPU/memory cost, a power of two > 1
  uint64_t r = 0;  // block size
  uint64_t p = 0;  // parallelism
};

// scrypt (RFC 7914): `length` raw bytes derived from password and salt. The derivation may
// use at most maxMemoryBytes (about 128 * r * (n + p) bytes are needed); parameters that do
// not fit, or that scrypt refuses, give kInternal "internal-error" (detail for the log, which
// never contains the password). The caller bounds the parameters: cost is its responsibility.
Result<std::string> scrypt(std::string_view password, std::string_view salt, const ScryptCost& cost,
                           size_t length, uint64_t maxMemoryBytes);

}  // namespace mes::oauth
