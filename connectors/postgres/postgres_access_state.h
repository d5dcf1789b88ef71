// store::AccessStateReader over PostgreSQL: the service, pairing and grant-family states of a
// token in one statement (one snapshot), as the SQLite reader does.
#pragma once

#include <memory>
#include <string_view>

#include "connectors/postgres/postgres_database.h"
#include "connectors/sql/access_state_sql.h"
#include "connectors/store/access_state.h"

namespace mes::store {

class PostgresAccessState final : public AccessStateReader {
 public:
  explicit PostgresAccessState(std::shared_ptr<PostgresDatabase> database)
      : database_(std::move(database)) {}

  Result<AccessState> accessState(const std::string& clientId, const std::string& pairingId,
                                  const std::string& familyId) override;

  // The statement it runs (connectors/sql/access_state_sql.h).
  static constexpr std::string_view kQuery = sql::kAccessStateQuery;

 private:
  std::shared_ptr<PostgresDatabase> database_;
};

}  // namespace mes::store
