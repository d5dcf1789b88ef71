// The member definitions of RegistryStoreOver (registry_store_sql.h), included only by the two
// connectors' sources, which instantiate it (connectors/sqlite/sqlite_registry_store.cpp,
// connectors/postgres/postgres_registry_store.cpp) with their connection header included first.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/sql/dialect.h"
#include "connectors/sql/registry_store_sql.h"
#include "connectors/sql/service_rows_sql.h"

namespace mes::store::sql {
namespace registry_store_detail {

inline constexpr std::string_view kInsertOrganisation =
    "INSERT INTO registry_organisations (organisation_id, legal_name, siret, editor_oid, "
    "contact, created_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
inline constexpr std::string_view kSelectOrganisation =
    "SELECT organisation_id, legal_name, siret, editor_oid, contact, created_ms "
    "FROM registry_organisations WHERE organisation_id = ?";
template <typename Dialect>
inline const std::string kSelectOrganisations =
    "SELECT organisation_id, legal_name, siret, editor_oid, contact, created_ms "
    "FROM registry_organisations ORDER BY legal_name" +
    std::string(Dialect::kTextOrder) + ", organisation_id" + std::string(Dialect::kTextOrder);
inline constexpr std::string_view kInsertMember =
    "INSERT INTO registry_members (account_id, organisation_id, created_ms) VALUES (?, ?, ?) "
    "ON CONFLICT (account_id) DO NOTHING";
inline constexpr std::string_view kSelectMember =
    "SELECT organisation_id FROM registry_members WHERE account_id = ?";

inline constexpr std::string_view kUpsertDetails =
    "INSERT INTO registry_services (client_id, organisation_id, editor_siret, contact, "
    "description, category, website, requested_accesses, granted_accesses, decision, "
    "evaluation_round) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (client_id) DO UPDATE SET organisation_id = excluded.organisation_id, "
    "editor_siret = excluded.editor_siret, contact = excluded.contact, "
    "description = excluded.description, category = excluded.category, "
    "website = excluded.website, requested_accesses = excluded.requested_accesses, "
    "granted_accesses = excluded.granted_accesses, decision = excluded.decision, "
    "evaluation_round = excluded.evaluation_round";
inline constexpr std::string_view kDetailColumns =
    "SELECT client_id, organisation_id, editor_siret, contact, description, category, website, "
    "requested_accesses, granted_accesses, decision, evaluation_round FROM registry_services";
inline constexpr std::string_view kSelectDetails =
    "SELECT client_id, organisation_id, editor_siret, contact, description, category, website, "
    "requested_accesses, granted_accesses, decision, evaluation_round FROM registry_services "
    "WHERE client_id = ?";
inline constexpr std::string_view kDeleteReservations =
    "DELETE FROM registry_reservations WHERE client_id = ?";
inline constexpr std::string_view kInsertReservation =
    "INSERT INTO registry_reservations (client_id, position, text) VALUES (?, ?, ?)";
inline constexpr std::string_view kSelectReservations =
    "SELECT client_id, text FROM registry_reservations WHERE client_id = ? ORDER BY position";
template <typename Dialect>
inline const std::string kSelectAllReservations =
    "SELECT client_id, text FROM registry_reservations ORDER BY client_id" +
    std::string(Dialect::kTextOrder) + ", position";

inline constexpr std::string_view kInsertEvent =
    "INSERT INTO registry_history (client_id, recorded_ms, action, from_status, to_status, "
    "actor_account_id, actor_login, actor_role, reason, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
inline constexpr std::string_view kSelectHistory =
    "SELECT seq, client_id, recorded_ms, action, from_status, to_status, actor_account_id, "
    "actor_login, actor_role, reason, detail FROM registry_history WHERE client_id = ? "
    "ORDER BY seq";

inline constexpr std::string_view kUpsertMark =
    "INSERT INTO registry_marks (client_id, round, criterion_id, verdict, note, "
    "actor_account_id, actor_login, marked_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (client_id, round, criterion_id) DO UPDATE SET verdict = excluded.verdict, "
    "note = excluded.note, actor_account_id = excluded.actor_account_id, "
    "actor_login = excluded.actor_login, marked_ms = excluded.marked_ms";
template <typename Dialect>
inline const std::string kSelectMarks =
    "SELECT client_id, round, criterion_id, verdict, note, actor_account_id, actor_login, "
    "marked_ms FROM registry_marks WHERE client_id = ? AND round = ? ORDER BY criterion_id" +
    std::string(Dialect::kTextOrder);

inline constexpr std::string_view kSelectEvidenceBySha =
    "SELECT 1 FROM registry_evidence WHERE client_id = ? AND sha256 = ?";
inline constexpr std::string_view kInsertEvidence =
    "INSERT INTO registry_evidence (evidence_id, client_id, kind, content, sha256, "
    "uploaded_by_account_id, uploaded_by_login, uploaded_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (evidence_id) DO NOTHING";
template <typename Dialect>
inline const std::string kSelectEvidence =
    "SELECT evidence_id, client_id, kind, content, sha256, uploaded_by_account_id, "
    "uploaded_by_login, uploaded_ms FROM registry_evidence WHERE client_id = ? ORDER BY " +
    std::string(Dialect::kInsertionOrder);

inline Error alreadyExists(std::string message) {
  return Error::make(ErrorKind::kConflict, "already-exists", std::move(message));
}

inline Error organisationNotFound(const std::string& id) {
  return Error::make(ErrorKind::kNotFound, "not-found", "Organisation " + id + " does not exist.");
}

inline std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : " ") + id;
  return out;
}

inline std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

template <typename Row>
EditorOrganisation organisationAt(const Row& row) {
  EditorOrganisation o;
  o.organisationId = row.stringAt(0);
  o.legalName = row.stringAt(1);
  o.siret = row.stringAt(2);
  o.editorOid = row.stringAt(3);
  o.contact = row.stringAt(4);
  o.createdMs = row.int64At(5);
  return o;
}

// The columns of kDetailColumns, from column 1 (column 0 is the client id).
template <typename Row>
RegistryDetails detailsAt(const Row& row) {
  RegistryDetails d;
  d.organisationId = row.isNull(1) ? std::string() : row.stringAt(1);
  d.editorSiret = row.stringAt(2);
  d.contact = row.stringAt(3);
  d.description = row.stringAt(4);
  d.category = row.stringAt(5);
  d.website = row.stringAt(6);
  d.requestedAccesses = split(row.textAt(7));
  d.grantedAccesses = split(row.textAt(8));
  d.decision = row.stringAt(9);
  d.evaluationRound = row.int64At(10);
  return d;
}

// Runs `work` in one read transaction, so that its statements see one snapshot.
template <typename Db>
Status requireOrganisation(Db& db, const std::string& organisationId) {
  auto stmt = db.prepare(kSelectOrganisation);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, organisationId);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return organisationNotFound(organisationId);
  return Status::ok();
}

template <typename Db>
Status insertEvent(Db& db, const std::string& clientId, const RegistryEvent& event) {
  auto stmt = db.prepare(kInsertEvent);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, clientId);
  stmt->bindInt64(2, event.recordedMs);
  stmt->bindText(3, event.action);
  stmt->bindText(4, event.fromStatus);
  stmt->bindText(5, event.toStatus);
  stmt->bindText(6, event.actorAccountId);
  stmt->bindText(7, event.actorLogin);
  stmt->bindText(8, event.actorRole);
  stmt->bindText(9, event.reason);
  stmt->bindText(10, event.detail);
  return stmt->run();
}

template <typename Db>
Status writeDetails(Db& db, const std::string& clientId, const RegistryDetails& details) {
  if (!details.organisationId.empty()) {
    MES_RETURN_IF_ERROR(requireOrganisation(db, details.organisationId));
  }
  const std::string requested = joined(details.requestedAccesses);
  const std::string granted = joined(details.grantedAccesses);
  auto stmt = db.prepare(kUpsertDetails);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, clientId);
  stmt->bindTextOrNull(2, details.organisationId);
  stmt->bindText(3, details.editorSiret);
  stmt->bindText(4, details.contact);
  stmt->bindText(5, details.description);
  stmt->bindText(6, details.category);
  stmt->bindText(7, details.website);
  stmt->bindText(8, requested);
  stmt->bindText(9, granted);
  stmt->bindText(10, details.decision);
  stmt->bindInt64(11, details.evaluationRound);
  MES_RETURN_IF_ERROR(stmt->run());
  auto remove = db.prepare(kDeleteReservations);
  if (!remove) return remove.takeError();
  remove->bindText(1, clientId);
  MES_RETURN_IF_ERROR(remove->run());
  auto insert = db.prepare(kInsertReservation);
  if (!insert) return insert.takeError();
  int64_t position = 0;
  for (const std::string& text : details.reservations) {
    insert->bindText(1, clientId);
    insert->bindInt64(2, position++);
    insert->bindText(3, text);
    MES_RETURN_IF_ERROR(insert->run());
  }
  return Status::ok();
}

// Details and reservations of one service, or of every service (clientId empty), by client id.
template <typename Dialect, typename Db>
Result<std::map<std::string, RegistryDetails>> readDetails(Db& db, const std::string& clientId) {
  std::map<std::string, RegistryDetails> out;
  {
    auto stmt = db.prepare(clientId.empty() ? kDetailColumns : kSelectDetails);
    if (!stmt) return stmt.takeError();
    if (!clientId.empty()) stmt->bindText(1, clientId);
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) break;
      out[stmt->stringAt(0)] = detailsAt(*stmt);
    }
  }
  auto stmt = db.prepare(clientId.empty() ? kSelectAllReservations<Dialect> : kSelectReservations);
  if (!stmt) return stmt.takeError();
  if (!clientId.empty()) stmt->bindText(1, clientId);
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) break;
    out[stmt->stringAt(0)].reservations.push_back(stmt->stringAt(1));
  }
  return out;
}

inline Status checkEntry(const RegistryEntry& entry) {
  MES_RETURN_IF_ERROR(checkServiceRecord(entry.service));
  return checkRegistryDetails(entry.details);
}

}  // namespace registry_store_detail

using namespace registry_store_detail;

template <typename Database, typename Dialect>
Result<std::shared_ptr<RegistryStoreOver<Database, Dialect>>>
RegistryStoreOver<Database, Dialect>::open(std::shared_ptr<Database> database, const Clock& clock) {
  if (database == nullptr) return Error::internal("store: the registry store needs a database");
  if (database->schemaVersion() < kSchemaVersion) {
    return Error::internal("store: the database is at schema version " +
                           std::to_string(database->schemaVersion()) +
                           ", the registry store needs " + std::to_string(kSchemaVersion));
  }
  return std::shared_ptr<RegistryStoreOver<Database, Dialect>>(
      new RegistryStoreOver(std::move(database), clock));
}

// --- organisations --------------------------------------------------------------------------

template <typename Database, typename Dialect>
Result<EditorOrganisation> RegistryStoreOver<Database, Dialect>::createOrganisation(
    const EditorOrganisation& organisation, int64_t nowMs) {
  MES_RETURN_IF_ERROR(checkOrganisation(organisation));
  EditorOrganisation created = organisation;
  created.createdMs = nowMs;
  Status written = this->database_->write([&](auto& db) -> Status {
    auto stmt = db.prepare(kInsertOrganisation);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, created.organisationId);
    stmt->bindText(2, created.legalName);
    stmt->bindText(3, created.siret);
    stmt->bindText(4, created.editorOid);
    stmt->bindText(5, created.contact);
    stmt->bindInt64(6, created.createdMs);
    Result<int64_t> inserted = runCounting(db, *stmt);
    if (!inserted) return inserted.takeError();
    if (*inserted == 0) {
      return alreadyExists("An organisation with this id, SIRET or OID is already registered.");
    }
    return Status::ok();
  });
  if (!written) return written.takeError();
  return created;
}

template <typename Database, typename Dialect>
Result<EditorOrganisation> RegistryStoreOver<Database, Dialect>::organisation(
    const std::string& organisationId) {
  return this->database_->read([&](auto& db) -> Result<EditorOrganisation> {
    auto stmt = db.prepare(kSelectOrganisation);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, organisationId);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) return organisationNotFound(organisationId);
    return organisationAt(*stmt);
  });
}

template <typename Database, typename Dialect>
Result<std::vector<EditorOrganisation>> RegistryStoreOver<Database, Dialect>::organisations() {
  return this->database_->read([](auto& db) -> Result<std::vector<EditorOrganisation>> {
    auto stmt = db.prepare(kSelectOrganisations<Dialect>);
    if (!stmt) return stmt.takeError();
    std::vector<EditorOrganisation> out;
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) return out;
      out.push_back(organisationAt(*stmt));
    }
  });
}

template <typename Database, typename Dialect>
Status RegistryStoreOver<Database, Dialect>::addMember(const std::string& accountId,
                                                       const std::string& organisationId,
                                                       int64_t nowMs) {
  if (accountId.empty()) {
    return Error::make(ErrorKind::kInvalid, "invalid-registry-record", "The account id is empty.",
                       "accountId");
  }
  return this->database_->write([&](auto& db) -> Status {
    MES_RETURN_IF_ERROR(requireOrganisation(db, organisationId));
    auto stmt = db.prepare(kInsertMember);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, accountId);
    stmt->bindText(2, organisationId);
    stmt->bindInt64(3, nowMs);
    Result<int64_t> inserted = runCounting(db, *stmt);
    if (!inserted) return inserted.takeError();
    if (*inserted == 0) return alreadyExists("The account already belongs to an organisation.");
    return Status::ok();
  });
}

template <typename Database, typename Dialect>
Result<std::optional<std::string>> RegistryStoreOver<Database, Dialect>::organisationOf(
    const std::string& accountId) {
  return this->database_->read([&](auto& db) -> Result<std::optional<std::string>> {
    auto stmt = db.prepare(kSelectMember);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, accountId);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(stmt->stringAt(0));
  });
}

// --- services -------------------------------------------------------------------------------

template <typename Database, typename Dialect>
Result<RegistryEntry> RegistryStoreOver<Database, Dialect>::createEntry(
    const RegistryEntry& entry, const RegistryEvent& event) {
  MES_RETURN_IF_ERROR(checkEntry(entry));
  RegistryEntry created = entry;
  created.service.version = 1;
  created.service.createdMs = this->clock_.nowMs();
  created.service.updatedMs = created.service.createdMs;
  Status written = this->database_->write([&](auto& db) -> Status {
    MES_RETURN_IF_ERROR(insertServiceRows(db, created.service));
    MES_RETURN_IF_ERROR(writeDetails(db, created.service.clientId, created.details));
    return insertEvent(db, created.service.clientId, event);
  });
  if (!written) return written.takeError();
  return created;
}

template <typename Database, typename Dialect>
Result<RegistryEntry> RegistryStoreOver<Database, Dialect>::entry(const std::string& clientId) {
  return this->database_->snapshot([&](auto& db) -> Result<RegistryEntry> {
    return [&]() -> Result<RegistryEntry> {
      Result<std::optional<ServiceRecord>> service = selectService(db, clientId);
      if (!service) return service.takeError();
      if (!*service) return serviceNotFound(clientId);
      Result<std::map<std::string, RegistryDetails>> details = readDetails<Dialect>(db, clientId);
      if (!details) return details.takeError();
      RegistryEntry out;
      out.service = std::move(**service);
      if (auto it = details->find(clientId); it != details->end()) {
        out.details = std::move(it->second);
      }
      return out;
    }();
  });
}

template <typename Database, typename Dialect>
Result<std::vector<RegistryEntry>> RegistryStoreOver<Database, Dialect>::entries() {
  return this->database_->snapshot([&](auto& db) -> Result<std::vector<RegistryEntry>> {
    return [&]() -> Result<std::vector<RegistryEntry>> {
      Result<std::vector<ServiceRecord>> services = selectServices<Dialect>(db);
      if (!services) return services.takeError();
      Result<std::map<std::string, RegistryDetails>> details = readDetails<Dialect>(db, "");
      if (!details) return details.takeError();
      std::vector<RegistryEntry> out;
      out.reserve(services->size());
      for (ServiceRecord& service : *services) {
        RegistryEntry& e = out.emplace_back();
        if (auto it = details->find(service.clientId); it != details->end()) {
          e.details = std::move(it->second);
        }
        e.service = std::move(service);
      }
      return out;
    }();
  });
}

template <typename Database, typename Dialect>
Result<RegistryEntry> RegistryStoreOver<Database, Dialect>::updateEntry(
    const RegistryEntry& entry, int64_t expectedVersion, const RegistryEvent& event) {
  MES_RETURN_IF_ERROR(checkEntry(entry));
  RegistryEntry updated = entry;
  const int64_t now = this->clock_.nowMs();
  Status written = this->database_->write([&](auto& db) -> Status {
    MES_RETURN_IF_ERROR(updateServiceRows<Dialect>(db, updated.service, expectedVersion, now));
    MES_RETURN_IF_ERROR(writeDetails(db, updated.service.clientId, updated.details));
    return insertEvent(db, updated.service.clientId, event);
  });
  if (!written) return written.takeError();
  return updated;
}

template <typename Database, typename Dialect>
Result<std::vector<RegistryEvent>> RegistryStoreOver<Database, Dialect>::history(
    const std::string& clientId) {
  return this->database_->read([&](auto& db) -> Result<std::vector<RegistryEvent>> {
    auto stmt = db.prepare(kSelectHistory);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, clientId);
    std::vector<RegistryEvent> out;
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) return out;
      RegistryEvent& e = out.emplace_back();
      e.seq = stmt->int64At(0);
      e.clientId = stmt->stringAt(1);
      e.recordedMs = stmt->int64At(2);
      e.action = stmt->stringAt(3);
      e.fromStatus = stmt->stringAt(4);
      e.toStatus = stmt->stringAt(5);
      e.actorAccountId = stmt->stringAt(6);
      e.actorLogin = stmt->stringAt(7);
      e.actorRole = stmt->stringAt(8);
      e.reason = stmt->stringAt(9);
      e.detail = stmt->stringAt(10);
    }
  });
}

// --- marks ----------------------------------------------------------------------------------

template <typename Database, typename Dialect>
Status RegistryStoreOver<Database, Dialect>::putMark(const CriterionMark& mark,
                                                     int64_t expectedVersion,
                                                     const RegistryEvent& event) {
  MES_RETURN_IF_ERROR(checkCriterionMark(mark));
  return this->database_->write([&](auto& db) -> Status {
    MES_RETURN_IF_ERROR(requireServiceVersion<Dialect>(db, mark.clientId, expectedVersion));
    auto stmt = db.prepare(kUpsertMark);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, mark.clientId);
    stmt->bindInt64(2, mark.round);
    stmt->bindText(3, mark.criterionId);
    stmt->bindText(4, mark.verdict);
    stmt->bindText(5, mark.note);
    stmt->bindText(6, mark.actorAccountId);
    stmt->bindText(7, mark.actorLogin);
    stmt->bindInt64(8, mark.markedMs);
    MES_RETURN_IF_ERROR(stmt->run());
    return insertEvent(db, mark.clientId, event);
  });
}

template <typename Database, typename Dialect>
Result<std::vector<CriterionMark>> RegistryStoreOver<Database, Dialect>::marks(
    const std::string& clientId, int64_t round) {
  return this->database_->read([&](auto& db) -> Result<std::vector<CriterionMark>> {
    auto stmt = db.prepare(kSelectMarks<Dialect>);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, clientId);
    stmt->bindInt64(2, round);
    std::vector<CriterionMark> out;
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) return out;
      CriterionMark& m = out.emplace_back();
      m.clientId = stmt->stringAt(0);
      m.round = stmt->int64At(1);
      m.criterionId = stmt->stringAt(2);
      m.verdict = stmt->stringAt(3);
      m.note = stmt->stringAt(4);
      m.actorAccountId = stmt->stringAt(5);
      m.actorLogin = stmt->stringAt(6);
      m.markedMs = stmt->int64At(7);
    }
  });
}

// --- evidence -------------------------------------------------------------------------------

template <typename Database, typename Dialect>
Status RegistryStoreOver<Database, Dialect>::addEvidence(const EvidenceRecord& evidence,
                                                         int64_t expectedVersion,
                                                         const RegistryEvent& event) {
  MES_RETURN_IF_ERROR(checkEvidence(evidence));
  return this->database_->write([&](auto& db) -> Status {
    MES_RETURN_IF_ERROR(requireServiceVersion<Dialect>(db, evidence.clientId, expectedVersion));
    {
      auto stmt = db.prepare(kSelectEvidenceBySha);
      if (!stmt) return stmt.takeError();
      stmt->bindText(1, evidence.clientId);
      stmt->bindText(2, evidence.sha256);
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (*row) {
        return Error::make(ErrorKind::kConflict, "evidence-duplicate",
                           "This report is already attached to the service.");
      }
    }
    auto stmt = db.prepare(kInsertEvidence);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, evidence.evidenceId);
    stmt->bindText(2, evidence.clientId);
    stmt->bindText(3, evidence.kind);
    stmt->bindText(4, evidence.content);
    stmt->bindText(5, evidence.sha256);
    stmt->bindText(6, evidence.uploadedByAccountId);
    stmt->bindText(7, evidence.uploadedByLogin);
    stmt->bindInt64(8, evidence.uploadedMs);
    Result<int64_t> inserted = runCounting(db, *stmt);
    if (!inserted) return inserted.takeError();
    if (*inserted == 0) return alreadyExists("The evidence id is already taken.");
    return insertEvent(db, evidence.clientId, event);
  });
}

template <typename Database, typename Dialect>
Result<std::vector<EvidenceRecord>> RegistryStoreOver<Database, Dialect>::evidence(
    const std::string& clientId) {
  return this->database_->read([&](auto& db) -> Result<std::vector<EvidenceRecord>> {
    auto stmt = db.prepare(kSelectEvidence<Dialect>);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, clientId);
    std::vector<EvidenceRecord> out;
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) return out;
      EvidenceRecord& e = out.emplace_back();
      e.evidenceId = stmt->stringAt(0);
      e.clientId = stmt->stringAt(1);
      e.kind = stmt->stringAt(2);
      e.content = stmt->stringAt(3);
      e.sha256 = stmt->stringAt(4);
      e.uploadedByAccountId = stmt->stringAt(5);
      e.uploadedByLogin = stmt->stringAt(6);
      e.uploadedMs = stmt->int64At(7);
    }
  });
}

}  // namespace mes::store::sql
