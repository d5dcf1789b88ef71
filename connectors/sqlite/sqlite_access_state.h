// The per-request access state (connectors/store/access_state.h) over the SqliteDatabase that
// also holds the services and refresh families (migration 2) and the resources (migration 1):
// one statement of three key lookups on one reader connection, so one read transaction and one
// consistent snapshot per request instead of three.
#pragma once

#include <memory>
#include <string_view>

#include "connectors/sqlite/sqlite_database.h"
#include "connectors/store/access_state.h"

namespace mes::store {

class SqliteAccessState final : public AccessStateReader {
 public:
  explicit SqliteAccessState(std::shared_ptr<SqliteDatabase> database)
      : database_(std::move(database)) {}

  Result<AccessState> accessState(const std::string& clientId, const std::string& pairingId,
                                  const std::string& familyId) override;

  // One row whatever exists: each column comes from a primary-key or unique-index lookup, NULL
  // when the row is absent (?1 client id, ?2 Consent id, ?3 family id).
  static constexpr std::string_view kQuery =
      "SELECT s.version, s.status, r.version_id, r.deleted, "
      "       (SELECT revoked_at IS NULL FROM refresh_families WHERE family_id = ?3) "
      "FROM (SELECT 1) "
      "LEFT JOIN services AS s ON s.client_id = ?1 "
      "LEFT JOIN resource AS r ON r.type = 'Consent' AND r.id = ?2";

 private:
  std::shared_ptr<SqliteDatabase> database_;
};

}  // namespace mes::store
