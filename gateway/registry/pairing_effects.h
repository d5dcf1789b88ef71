// What the registry's decisions do to patients' pairings (SPEC §5 "Effects"). Suspension and
// reinstatement need nothing here: every token check reads the service's status on each
// request (gateway/token_policy.h), so a suspended service's tokens are refused on the next
// request and its pairings, kept, work again once it is referenced. Withdrawal ends them.
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"
#include "gateway/authorization_server.h"
#include "gateway/pairings.h"

namespace mes::gateway::registry {

class PairingEffects {
 public:
  virtual ~PairingEffects() = default;
  // Ends every active pairing of the service (ended by "registry"), revokes its grants and
  // tells each patient through the outbox. Returns how many this call ended. Stops at the
  // first failure: what was ended stays ended, and calling again ends the rest.
  virtual Result<size_t> endAllPairings(const std::string& clientId,
                                        const std::string& sourceAddress,
                                        const std::string& requestId) = 0;
};

// Over the authorization server, which owns ending a pairing (its tokens, its audit entry, the
// patient's notice "… n’a plus accès à votre profil Mon espace santé : elle n’est plus
// référencée.").
class AuthorizationPairingEffects final : public PairingEffects {
 public:
  AuthorizationPairingEffects(PairingStore& pairings, AuthorizationServer& authorizationServer)
      : pairings_(pairings), authz_(authorizationServer) {}

  Result<size_t> endAllPairings(const std::string& clientId, const std::string& sourceAddress,
                                const std::string& requestId) override;

 private:
  PairingStore& pairings_;
  AuthorizationServer& authz_;
};

}  // namespace mes::gateway::registry
