#include "connectors/postgres/postgres_access_state.h"

#include "connectors/postgres/pg_db.h"

namespace mes::store {

Result<AccessState> PostgresAccessState::accessState(const std::string& clientId,
                                                     const std::string& pairingId,
                                                     const std::string& familyId) {
  return database_->read(
      [&](pg::Connection& db) { return sql::readAccessState(db, clientId, pairingId, familyId); });
}

}  // namespace mes::store
