// store::AccessStateReader over PostgreSQL: the service, pairing and grant-family states of a
// token in one statement (one snapshot), as the SQLite reader does.
#pragma once

#include <memory>
#include <string_view>

#include "connectors/postgres/postgres_database.h"
#include "connectors/store/access_state.h"

namespace mes::store {

class PostgresAccessState final : public AccessStateReader {
 public:
  explicit PostgresAccessState(std::shared_ptr<PostgresDatabase> database)
      : database_(std::move(database)) {}

  Result<AccessState> accessState(const std::string& clientId, const std::string& pairingId,
                                  const std::string& familyId) override;

  // One row whatever exists ($1 client id, $2 Consent id, $3 family id).
  static constexpr std::string_view kQuery =
      "SELECT s.version, s.status, r.version_id, r.deleted, "
      "       (SELECT (revoked_at IS NULL)::int FROM refresh_families WHERE family_id = ?) "
      "FROM (SELECT 1) AS one "
      "LEFT JOIN services AS s ON s.client_id = ? "
      "LEFT JOIN resource AS r ON r.type = 'Consent' AND r.id = ?";

 private:
  std::shared_ptr<PostgresDatabase> database_;
};

}  // namespace mes::store
