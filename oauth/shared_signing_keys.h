// Signing keys shared by every gateway instance through the store (DESIGN "Scaling past one
// machine"): an oauth::SigningKeyStore over a store::SigningKeyTable (the PostgreSQL store's
// signing_keys table), with the rotation semantics of FileSigningKeyStore: rotate() makes a
// new current ES256 key and retires the previous one, which stays published and verifies its
// tokens for `retainSeconds`, then is pruned (at the next rotation).
//
// Each instance keeps the keys it loaded and reloads them from the table when they are older
// than `refreshMs` (1 s by default: a rotation made on another instance, or by the CLI, is used
// for signing and published there within that time) and at once when a token names a kid it
// does not know (a token signed on another instance with a key made since). Unknown-kid reloads
// are limited to one per refreshMs, so tokens with forged kids cannot make every request a
// store round trip. The first open() of any instance on an empty table creates the first key
// (one wins when several start together).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/store/signing_key_table.h"
#include "core/clock.h"
#include "core/status.h"
#include "oauth/signing_keys.h"

namespace mes::oauth {

class SharedSigningKeyStore final : public SigningKeyStore {
 public:
  static Result<std::unique_ptr<SharedSigningKeyStore>> open(store::SigningKeyTable& table,
                                                             const Clock& clock,
                                                             int64_t retainSeconds,
                                                             int64_t refreshMs = 1000);
  Result<SigningKey> current() const override;
  Result<PublicKey> verificationKey(std::string_view kid) const override;
  Result<fhir::Value> jwks() const override;
  Result<std::string> rotate() override;

 private:
  struct Snapshot {
    struct Key {
      std::string kid;
      std::optional<int64_t> retiredMs;
      PublicKey publicKey;
    };
    std::vector<Key> keys;              // current first
    std::optional<SigningKey> current;  // always set once loaded
    int64_t loadedMs = 0;
  };
  SharedSigningKeyStore(store::SigningKeyTable& table, const Clock& clock, int64_t retainMs,
                        int64_t refreshMs)
      : table_(table), clock_(clock), retainMs_(retainMs), refreshMs_(refreshMs) {}
  Result<std::shared_ptr<const Snapshot>> load() const;
  // The cached snapshot, reloaded when older than refreshMs (or when `force`).
  Result<std::shared_ptr<const Snapshot>> snapshot(bool force) const;
  bool retained(const Snapshot::Key& key, int64_t nowMs) const {
    return !key.retiredMs || nowMs < *key.retiredMs + retainMs_;
  }

  store::SigningKeyTable& table_;
  const Clock& clock_;
  const int64_t retainMs_;
  const int64_t refreshMs_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const Snapshot> snapshot_;
  mutable int64_t lastForcedMs_ = 0;
};

}  // namespace mes::oauth
