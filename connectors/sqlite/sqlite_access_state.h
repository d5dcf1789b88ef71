// The per-request access state (connectors/store/access_state.h) over the SqliteDatabase that
// also holds the services and refresh families (migration 2) and the resources (migration 1):
// one statement of three key lookups on one reader connection, so one read transaction and one
// consistent snapshot per request instead of three.
#pragma once

#include <memory>
#include <string_view>

#include "connectors/sql/access_state_sql.h"
#include "connectors/sqlite/sqlite_database.h"
#include "connectors/store/access_state.h"

namespace mes::store {

class SqliteAccessState final : public AccessStateReader {
 public:
  explicit SqliteAccessState(std::shared_ptr<SqliteDatabase> database)
      : database_(std::move(database)) {}

  Result<AccessState> accessState(const std::string& clientId, const std::string& pairingId,
                                  const std::string& familyId) override;

  // The statement it runs (connectors/sql/access_state_sql.h).
  static constexpr std::string_view kQuery = sql::kAccessStateQuery;

 private:
  std::shared_ptr<SqliteDatabase> database_;
};

}  // namespace mes::store
