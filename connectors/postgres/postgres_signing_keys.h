// store::SigningKeyTable over PostgreSQL (table signing_keys, migration 9): the keys every
// gateway instance on the database signs and verifies with. A partial unique index allows one
// current key (retired_ms IS NULL); writes take the kSigningKeyLock advisory lock, so that
// concurrent rotations from several instances (or the CLI) run one after the other.
#pragma once

#include <memory>

#include "connectors/postgres/postgres_database.h"
#include "connectors/store/signing_key_table.h"

namespace mes::store {

class PostgresSigningKeys final : public SigningKeyTable {
 public:
  explicit PostgresSigningKeys(std::shared_ptr<PostgresDatabase> database)
      : database_(std::move(database)) {}

  Result<std::vector<StoredSigningKey>> signingKeys() override;
  Result<bool> insertFirstSigningKey(const StoredSigningKey& first) override;
  Status rotateSigningKey(const StoredSigningKey& next, int64_t pruneRetiredBeforeMs) override;
  Status importSigningKeys(const std::vector<StoredSigningKey>& keys) override;

 private:
  std::shared_ptr<PostgresDatabase> database_;
};

}  // namespace mes::store
