// Where the token-signing keys live when every gateway instance must share them (DESIGN
// "Scaling past one machine"): rows of a store table instead of files of one data directory.
// oauth/shared_signing_keys.h turns these rows into an oauth::SigningKeyStore; the PostgreSQL
// store keeps them (connectors/postgres/postgres_signing_keys.h, migration 9).
//
// A row holds the private key as PKCS#8 PEM: whoever can read the table can sign tokens, so
// the table is as secret as the key files it replaces (README "Running on PostgreSQL").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace mes::store {

struct StoredSigningKey {
  std::string kid;         // RFC 7638 thumbprint of the public key
  std::string privatePem;  // PKCS#8 PEM
  int64_t createdMs = 0;
  std::optional<int64_t> retiredMs;  // nullopt for the current key

  bool operator==(const StoredSigningKey&) const = default;
};

class SigningKeyTable {
 public:
  virtual ~SigningKeyTable() = default;
  // Every stored key: the current one first, then retired ones, newest retirement first.
  virtual Result<std::vector<StoredSigningKey>> signingKeys() = 0;
  // Stores `first` as the current key unless there is one already (first start of any
  // instance); true when it was stored. Atomic across instances: exactly one first key wins.
  virtual Result<bool> insertFirstSigningKey(const StoredSigningKey& first) = 0;
  // One atomic step: retires the current key at next.createdMs, stores `next` as current and
  // deletes the keys retired before `pruneRetiredBeforeMs`. Concurrent rotations (on any
  // instance) take turns: each retires the key the previous one made current.
  virtual Status rotateSigningKey(const StoredSigningKey& next, int64_t pruneRetiredBeforeMs) = 0;
  // Stores `keys` as they are (one of them current), into an empty table: a deployment's keys
  // moved into the store (`mes-gateway store copy`). kConflict ("target-not-empty") when the
  // table holds keys already.
  virtual Status importSigningKeys(const std::vector<StoredSigningKey>& keys) = 0;
};

}  // namespace mes::store
