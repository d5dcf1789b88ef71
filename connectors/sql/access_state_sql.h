// The per-request access state (connectors/store/access_state.h) read in one statement of three
// key lookups, shared by the SQLite and PostgreSQL readers: one consistent snapshot per request
// instead of three reads. Works on any connection type of connectors/sql (repository_sql.h).
#pragma once

#include <string>
#include <string_view>

#include "connectors/store/access_state.h"
#include "core/status.h"

namespace mes::store::sql {

// One row whatever exists: each column comes from a primary-key or unique-index lookup, NULL
// when the row is absent. Parameters: family id, client id, Consent id. The family's liveness
// is a boolean (PostgreSQL) or 0/1 (SQLite): the readers take both as an integer.
inline constexpr std::string_view kAccessStateQuery =
    "SELECT s.version, s.status, r.version_id, r.deleted, "
    "       (SELECT revoked_at IS NULL FROM refresh_families WHERE family_id = ?) "
    "FROM (SELECT 1) AS one "
    "LEFT JOIN services AS s ON s.client_id = ? "
    "LEFT JOIN resource AS r ON r.type = 'Consent' AND r.id = ?";

template <typename Db>
Result<AccessState> readAccessState(Db& db, const std::string& clientId,
                                    const std::string& pairingId, const std::string& familyId) {
  auto stmt = db.prepare(kAccessStateQuery);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, familyId);
  stmt->bindText(2, clientId);
  stmt->bindText(3, pairingId);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return Error::internal("store: the access-state query returned no row");
  AccessState state;
  if (!stmt->isNull(0)) {
    state.serviceVersion = stmt->int64At(0);
    state.serviceStatus = stmt->stringAt(1);
  }
  if (!stmt->isNull(2)) {
    state.pairingVersion = stmt->int64At(2);
    state.pairingDeleted = stmt->int64At(3) != 0;
  }
  state.familyLive = !stmt->isNull(4) && stmt->int64At(4) == 1;
  return state;
}

}  // namespace mes::store::sql
