// Storage interface of the referencing registry (SPEC §5, issue #5): editor organisations and
// their accounts, what the registry keeps of each service beside its OAuth record
// (oauth_stores.h ServiceRecord: this store writes that record too, so that a service and its
// registry facts always change together), the history of every registry action, the
// evaluators' criteria marks and the conformance reports uploaded as evidence.
//
// Store-neutral: SQLite today (connectors/sqlite/sqlite_registry_store.h), PostgreSQL with
// issue #7. Every implementation passes tests/connectors/registry_store_suite.h.
//
// Concurrency: one version per service, ServiceRecord::version. Every change of a service's
// record or registry facts (updateEntry) succeeds only at the expected version and bumps it, in
// one transaction with its history event; a mark or an evidence is stored only while the
// service is still at the expected version (it does not bump it), so that nothing is marked or
// attached to a service whose state moved on since the caller read it.
//
// The store checks shapes (checkServiceRecord, the enumerations below, non-empty ids); the
// workflow, roles, criteria and content rules are the registry's (gateway/registry/).
// History and evidence are append-only: nothing here changes or removes them.
//
// Times are milliseconds since the Unix epoch: service times come from the store's clock
// (as ServiceStore does), the others from the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/store/oauth_stores.h"
#include "core/status.h"

namespace mes::store {

// An editor (éditeur) company: the legal entity whose accounts submit services.
struct EditorOrganisation {
  std::string organisationId;  // [A-Za-z0-9_-]{8,64}, chosen by the caller
  std::string legalName;       // raison sociale
  std::string siret;           // 14 digits (its checksum is the registry's business)
  std::string editorOid;       // urn:oid:..., written in meta.source of its services' writes
  std::string contact;         // e-mail address of the editor's referent
  int64_t createdMs = 0;

  bool operator==(const EditorOrganisation&) const = default;
};

// What the registry keeps of a service beside its ServiceRecord.
struct RegistryDetails {
  std::string organisationId;  // empty for a service an operator registered from the CLI
  std::string editorSiret;     // copied from the organisation at creation; may be empty (CLI)
  std::string contact;         // e-mail address of the person answering for this service
  std::string description;
  std::string category;
  std::string website;
  std::vector<std::string> requestedAccesses;  // MES access family ids (oauth/api_access.h)
  std::vector<std::string> grantedAccesses;    // what the commission granted
  std::string decision;  // "" | favourable | favourable_with_reservations | unfavourable
  std::vector<std::string> reservations;  // with favourable_with_reservations
  int64_t evaluationRound = 0;            // evaluations started so far; marks belong to a round

  bool operator==(const RegistryDetails&) const = default;
};

struct RegistryEntry {
  ServiceRecord service;
  RegistryDetails details;
};

// One registry action on a service, as its history shows it.
struct RegistryEvent {
  int64_t seq = 0;       // set by the store, increasing
  std::string clientId;  // set by the store from the entry acted on
  int64_t recordedMs = 0;
  std::string action;          // create | edit | submit | ... (gateway/registry/workflow.h)
  std::string fromStatus;      // status before (empty for create)
  std::string toStatus;        // status after (the same as before for non-transitions)
  std::string actorAccountId;  // empty for the CLI
  std::string actorLogin;      // the account's login, or "cli"
  std::string actorRole;       // editor | evaluator | commission | admin
  std::string reason;          // why, in the actor's words; may be empty
  std::string detail;          // opaque text the registry writes (JSON), may be empty

  bool operator==(const RegistryEvent&) const = default;
};

// kMarkVerdicts: met | not_met | not_applicable.
struct CriterionMark {
  std::string clientId;
  int64_t round = 0;  // >= 1: RegistryDetails::evaluationRound when marked
  std::string criterionId;
  std::string verdict;
  std::string note;
  std::string actorAccountId;
  std::string actorLogin;
  int64_t markedMs = 0;

  bool operator==(const CriterionMark&) const = default;
};

// A conformance report attached to a service (kind "test-report": a FHIR TestReport, JSON).
struct EvidenceRecord {
  std::string evidenceId;  // [A-Za-z0-9_-]{8,64}, chosen by the caller
  std::string clientId;
  std::string kind;
  std::string content;  // the document as uploaded
  std::string sha256;   // lowercase hex SHA-256 of content
  std::string uploadedByAccountId;
  std::string uploadedByLogin;
  int64_t uploadedMs = 0;

  bool operator==(const EvidenceRecord&) const = default;
};

// kInvalid ("invalid-registry-record", the field in `expression`) for what no store keeps:
// an organisation id outside [A-Za-z0-9_-]{8,64}, an empty legal name, a SIRET that is not 14
// digits, an empty OID; a decision outside the list above; an access id with a space or empty;
// a mark verdict outside the list, a round < 1, an empty criterion id; an evidence of another
// kind than "test-report" or with an empty id or content.
Status checkOrganisation(const EditorOrganisation& organisation);
Status checkRegistryDetails(const RegistryDetails& details);
Status checkCriterionMark(const CriterionMark& mark);
Status checkEvidence(const EvidenceRecord& evidence);

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // --- organisations and their members
  // createdMs = nowMs. kConflict ("already-exists") when the id, the SIRET or the OID is taken.
  virtual Result<EditorOrganisation> createOrganisation(const EditorOrganisation& organisation,
                                                        int64_t nowMs) = 0;
  // kNotFound ("not-found") when unknown.
  virtual Result<EditorOrganisation> organisation(const std::string& organisationId) = 0;
  // Ordered by legal name.
  virtual Result<std::vector<EditorOrganisation>> organisations() = 0;
  // Makes `accountId` a member of the organisation (an editor account belongs to one). The
  // account need not exist yet: the registry records membership before it creates the account,
  // so that no editor account ever exists without its organisation. kNotFound when the
  // organisation is unknown; kConflict ("already-exists") when the account is a member already.
  virtual Status addMember(const std::string& accountId, const std::string& organisationId,
                           int64_t nowMs) = 0;
  // The organisation of an account; nullopt when it belongs to none.
  virtual Result<std::optional<std::string>> organisationOf(const std::string& accountId) = 0;

  // --- services
  // Stores the ServiceRecord (version 1, store clock times), its details and `event` (its
  // clientId taken from the entry) in one transaction. kConflict ("already-exists") when the
  // client id is taken; kNotFound when details.organisationId names no organisation;
  // checkServiceRecord's and checkRegistryDetails's refusals.
  virtual Result<RegistryEntry> createEntry(const RegistryEntry& entry,
                                            const RegistryEvent& event) = 0;
  // kNotFound ("not-found") when there is no such service. A service whose record was written
  // through ServiceStore only (before the registry existed) comes with default details.
  virtual Result<RegistryEntry> entry(const std::string& clientId) = 0;
  // Every service, ordered by client id.
  virtual Result<std::vector<RegistryEntry>> entries() = 0;
  // Replaces the record (every field but clientId and createdMs, as ServiceStore::updateService)
  // and the details, and appends `event`, in one transaction, only when the stored version is
  // `expectedVersion` (else kPreconditionFailed "version-conflict"). Returns the new entry
  // (version + 1). kNotFound when unknown; the checks of createEntry.
  virtual Result<RegistryEntry> updateEntry(const RegistryEntry& entry, int64_t expectedVersion,
                                            const RegistryEvent& event) = 0;
  // Every event of the service, oldest first (empty when unknown).
  virtual Result<std::vector<RegistryEvent>> history(const std::string& clientId) = 0;

  // --- criteria marks
  // Stores (or replaces) the mark of (client, round, criterion) and appends `event`, while the
  // service is at `expectedVersion` (else kPreconditionFailed "version-conflict"; kNotFound
  // when unknown). checkCriterionMark's refusals.
  virtual Status putMark(const CriterionMark& mark, int64_t expectedVersion,
                         const RegistryEvent& event) = 0;
  // The marks of one evaluation round, ordered by criterion id.
  virtual Result<std::vector<CriterionMark>> marks(const std::string& clientId, int64_t round) = 0;

  // --- evidence
  // Stores the evidence and appends `event` while the service is at `expectedVersion` (as
  // putMark). kConflict ("evidence-duplicate") when the same content (sha256) is already
  // attached to the service, ("already-exists") when the evidence id is taken.
  virtual Status addEvidence(const EvidenceRecord& evidence, int64_t expectedVersion,
                             const RegistryEvent& event) = 0;
  // The service's evidence, oldest first, content included.
  virtual Result<std::vector<EvidenceRecord>> evidence(const std::string& clientId) = 0;
};

}  // namespace mes::store
