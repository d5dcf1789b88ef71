#include "connectors/sqlite/sqlite_access_state.h"

#include "connectors/sqlite/sqlite_db.h"

namespace mes::store {

Result<AccessState> SqliteAccessState::accessState(const std::string& clientId,
                                                   const std::string& pairingId,
                                                   const std::string& familyId) {
  return database_->read([&](sqlite::Connection& db) {
    return sql::readAccessState(db, clientId, pairingId, familyId);
  });
}

}  // namespace mes::store
