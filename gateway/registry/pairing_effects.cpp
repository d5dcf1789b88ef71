#include "gateway/registry/pairing_effects.h"

namespace mes::gateway::registry {

Result<size_t> AuthorizationPairingEffects::endAllPairings(const std::string& clientId,
                                                           const std::string& sourceAddress,
                                                           const std::string& requestId) {
  auto active = pairings_.activeOfService(clientId);
  if (!active) return active.takeError();
  size_t ended = 0;
  for (const Pairing& pairing : *active) {
    MES_RETURN_IF_ERROR(authz_.endPairing(pairing, "registry", sourceAddress, requestId));
    ++ended;
  }
  return ended;
}

}  // namespace mes::gateway::registry
