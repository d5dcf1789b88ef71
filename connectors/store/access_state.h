// What the resource server re-reads on every request to know that an access token may still
// be used (gateway/token_policy.h): the state of the token's service, of its pairing (the
// Consent) and of its grant family, in ONE store round trip.
//
// Enforcement must see a suspension, a revocation or the end of a pairing on the very next
// request, on every instance sharing the store, so none of this is cached. What is expensive to
// read and rarely changes (the service record with its JWKS and redirect URIs, the parsed
// Consent) is cached by the caller, keyed by the versions this read returns: a cached copy is
// used only while its version is the current one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"

namespace mes::store {

struct AccessState {
  // The service (ServiceStore): nullopt when no service has that client id.
  std::optional<int64_t> serviceVersion;
  std::string serviceStatus;  // ServiceRecord::status when the service exists
  // The pairing's Consent (Repository, type "Consent"): its current version, nullopt when it
  // was never written; deleted when that version is a delete.
  std::optional<int64_t> pairingVersion;
  bool pairingDeleted = false;
  // The grant family (RefreshTokenStore::familyLive): true only when it exists and is not
  // revoked.
  bool familyLive = false;

  bool operator==(const AccessState&) const = default;
};

class AccessStateReader {
 public:
  virtual ~AccessStateReader() = default;
  // One consistent read (a single snapshot) of the three states. Unknown ids are not errors:
  // they give nullopt / false. Errors only for infrastructure failures.
  virtual Result<AccessState> accessState(const std::string& clientId,
                                          const std::string& pairingId,
                                          const std::string& familyId) = 0;
};

}  // namespace mes::store
