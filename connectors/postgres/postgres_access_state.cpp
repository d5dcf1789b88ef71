#include "connectors/postgres/postgres_access_state.h"

#include "connectors/postgres/pg_db.h"

namespace mes::store {

Result<AccessState> PostgresAccessState::accessState(const std::string& clientId,
                                                     const std::string& pairingId,
                                                     const std::string& familyId) {
  return database_->read([&](pg::Connection& db) -> Result<AccessState> {
    Result<pg::Statement> stmt = db.prepare(kQuery);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, familyId);
    stmt->bindText(2, clientId);
    stmt->bindText(3, pairingId);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) return Error::internal("postgres: the access-state query returned no row");
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
  });
}

}  // namespace mes::store
