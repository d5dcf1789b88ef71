// The registry store (connectors/store/registry_store.h) over a SQL database, written once for
// SQLite (connectors/sqlite/sqlite_registry_store.h) and PostgreSQL
// (connectors/postgres/postgres_registry_store.h): the tables of migration 8, the same statements,
// the differences in connectors/sql/dialect.h. `Database` is SqliteDatabase or PostgresDatabase:
// write(work) runs `work` in one transaction, read(work) outside one, snapshot(work) in one
// read-only snapshot. The member definitions are in registry_store_sql_impl.h, instantiated once
// per database by its connector.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/store/registry_store.h"
#include "core/clock.h"
#include "core/status.h"

namespace mes::store::sql {

template <typename Database, typename Dialect>
class RegistryStoreOver final : public RegistryStore {
 public:
  // kInternal when the database's schema lacks the registry tables.
  static Result<std::shared_ptr<RegistryStoreOver>> open(std::shared_ptr<Database> database,
                                                         const Clock& clock);

  RegistryStoreOver(const RegistryStoreOver&) = delete;
  RegistryStoreOver& operator=(const RegistryStoreOver&) = delete;
  ~RegistryStoreOver() override = default;

  // The migration that created the registry tables.
  static constexpr int64_t kSchemaVersion = 8;

  Result<EditorOrganisation> createOrganisation(const EditorOrganisation& organisation,
                                                int64_t nowMs) override;
  Result<EditorOrganisation> organisation(const std::string& organisationId) override;
  Result<std::vector<EditorOrganisation>> organisations() override;
  Status addMember(const std::string& accountId, const std::string& organisationId,
                   int64_t nowMs) override;
  Result<std::optional<std::string>> organisationOf(const std::string& accountId) override;

  Result<RegistryEntry> createEntry(const RegistryEntry& entry,
                                    const RegistryEvent& event) override;
  Result<RegistryEntry> entry(const std::string& clientId) override;
  Result<std::vector<RegistryEntry>> entries() override;
  Result<RegistryEntry> updateEntry(const RegistryEntry& entry, int64_t expectedVersion,
                                    const RegistryEvent& event) override;
  Result<std::vector<RegistryEvent>> history(const std::string& clientId) override;

  Status putMark(const CriterionMark& mark, int64_t expectedVersion,
                 const RegistryEvent& event) override;
  Result<std::vector<CriterionMark>> marks(const std::string& clientId, int64_t round) override;

  Status addEvidence(const EvidenceRecord& evidence, int64_t expectedVersion,
                     const RegistryEvent& event) override;
  Result<std::vector<EvidenceRecord>> evidence(const std::string& clientId) override;

 private:
  RegistryStoreOver(std::shared_ptr<Database> database, const Clock& clock)
      : database_(std::move(database)), clock_(clock) {}

  const std::shared_ptr<Database> database_;
  const Clock& clock_;
};

}  // namespace mes::store::sql
