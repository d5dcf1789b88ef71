// The referencing registry's store (connectors/store/registry_store.h) over a PostgresDatabase
// shared with the other stores, in the tables of migration 8 (see
// connectors/sqlite/sqlite_registry_store.cpp) and the services tables of migration 2, which it
// writes in the same transactions.
//
// Contract beyond the interface:
//  - Thread-safe. Every operation that writes is one transaction, so a service's record, its
//    registry rows and its history event are written together or not at all; the version
//    check locks the service row, so it holds across instances until the commit. An entry is
//    read in one snapshot.
//  - Errors besides the interface's own: the database's (postgres_database.h). A failed call
//    writes nothing.
//  - The clock stamps services' createdMs/updatedMs; it must outlive the store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/postgres/postgres_database.h"
#include "connectors/store/registry_store.h"
#include "core/clock.h"
#include "core/status.h"

namespace mes::store {

class PostgresRegistryStore final : public RegistryStore {
 public:
  // kInternal when the database's schema lacks the registry tables.
  static Result<std::shared_ptr<PostgresRegistryStore>> open(
      std::shared_ptr<PostgresDatabase> database, const Clock& clock);

  PostgresRegistryStore(const PostgresRegistryStore&) = delete;
  PostgresRegistryStore& operator=(const PostgresRegistryStore&) = delete;
  ~PostgresRegistryStore() override = default;

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
  PostgresRegistryStore(std::shared_ptr<PostgresDatabase> database, const Clock& clock)
      : database_(std::move(database)), clock_(clock) {}

  std::shared_ptr<PostgresDatabase> database_;
  const Clock& clock_;
};

}  // namespace mes::store
