// The rows of a ServiceRecord (tables services and service_redirect_uris, migration 2) read and
// written on a connection the caller holds: the OAuth ServiceStore (postgres_oauth_stores.cpp)
// and the registry store (postgres_registry_store.cpp), which writes a service's record in the
// same transaction as its registry rows, share them. Internal to connectors/postgres.
// Reading the version for a change locks the service row (FOR UPDATE) until the transaction
// ends, so that a version check holds against every other instance until the commit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/postgres/pg_db.h"
#include "connectors/store/oauth_stores.h"
#include "core/status.h"

namespace mes::store::pg {

// Inserts the record as given (version, times included) with its redirect URIs. kConflict
// ("already-exists") when the client id is taken.
Status insertServiceRows(Connection& db, const ServiceRecord& service);
// Replaces every field but clientId and createdMs when the stored version is expectedVersion
// (kPreconditionFailed "version-conflict" otherwise, kNotFound "not-found" when unknown), with
// version = expectedVersion + 1 and updatedMs = nowMs. Fills `service` with what is stored.
Status updateServiceRows(Connection& db, ServiceRecord& service, int64_t expectedVersion,
                         int64_t nowMs);
// The stored version; nullopt when unknown.
Result<std::optional<int64_t>> serviceVersion(Connection& db, const std::string& clientId);
// kPreconditionFailed "version-conflict" unless the service is at expectedVersion; kNotFound
// "not-found" when unknown.
Status requireServiceVersion(Connection& db, const std::string& clientId, int64_t expectedVersion);
// One service (nullopt when unknown), or every service ordered by client id.
Result<std::optional<ServiceRecord>> selectService(Connection& db, const std::string& clientId);
Result<std::vector<ServiceRecord>> selectServices(Connection& db);

Error serviceNotFound(const std::string& clientId);

}  // namespace mes::store::pg
