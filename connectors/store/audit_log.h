// The audit log: where the audit trail (gateway/audit.h) keeps its entries.
//
// One narrow row per audited action, written for every /fhir request, every OAuth event and
// every portal action; read back by the patient's activity page. It is not a FHIR resource
// table: an entry is rendered as a FHIR AuditEvent when it is shown (gateway/audit.h), so
// that appending one costs one row and one index entry, not a versioned resource with its
// search-index rows.
//
// Promises of every implementation:
//  - Append-only. Nothing in the interface changes or removes an entry, and the store refuses
//    it whatever the code above does (SQLite: migration 5 triggers).
//  - append() is atomic and durable when it returns ok: every entry of the call is stored,
//    in order, or none is.
//  - Entries are numbered in append order (`seq`, strictly increasing, never reused).
//  - Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace mes::store {

// One audited action. Every member has an initializer, so designated initializers may name
// only the members they set (-Wmissing-field-initializers stays quiet). Empty strings mean
// "none" (no patient for an unauthenticated refusal, no client for a portal login...).
struct AuditEntry {
  int64_t seq = 0;              // set by the log on append; 0 before
  int64_t recordedMs = 0;       // when the action happened, UTC milliseconds
  std::string category{};       // "rest" | "oauth" | "portal" (gateway/audit.h)
  std::string action{};         // FHIR AuditEvent.action: C R U D E
  std::string subtype{};        // the interaction or event name
  bool success = true;
  int httpStatus = 0;           // 0 when there is none
  std::string outcomeCode{};    // stable error code on refusal (e.g. consent-missing)
  std::string outcomeText{};    // plain words, no secrets
  std::string patientId{};
  std::string clientId{};       // the service (OAuth client)
  std::string serviceName{};
  std::string serviceOid{};     // editor OID (urn:oid:...)
  std::string resource{};       // "Observation/123", or "Observation" at type level
  std::string query{};          // search query string as received (never carries tokens)
  std::string sourceAddress{};  // remote IP
  std::string requestId{};
  // The person behind a registry event: the registry account's login ("cli" for the command
  // line). Empty for the other categories (a portal event's person is its patient).
  std::string actor{};

  bool operator==(const AuditEntry&) const = default;
};

// How far the entries of one audit journal (connectors/audit/file_audit_journal.h) have been
// imported into the log: the journal file's generation and the byte offset just after the
// last imported record.
struct JournalMark {
  int64_t generation = 0;
  int64_t offset = 0;
  bool operator==(const JournalMark&) const = default;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // Appends the entries in one transaction, in order, and sets their seq. An empty list is ok
  // and writes nothing.
  virtual Status append(const std::vector<AuditEntry*>& entries) = 0;

  // append() of entries imported from journal `journal`, and `mark` recorded as that journal's
  // position, in the same transaction: after a crash the journal resumes exactly after what
  // was committed, so no entry is imported twice or lost. An empty list records the mark only.
  virtual Status appendImported(const std::vector<AuditEntry*>& entries,
                                const std::string& journal, const JournalMark& mark) = 0;
  // The last mark recorded for `journal`; nullopt when none was.
  virtual Result<std::optional<JournalMark>> journalMark(const std::string& journal) = 0;

  // The patient's entries, newest first (recordedMs descending, then seq descending), at most
  // `limit` from `offset`; `clientId` non-empty keeps one service's entries. limit >= 0,
  // offset >= 0.
  virtual Result<std::vector<AuditEntry>> forPatient(const std::string& patientId,
                                                     const std::string& clientId, int limit,
                                                     int offset) = 0;

  // Whether a successful "rest" entry of `clientId` for `patientId` is stored. One key lookup,
  // however long the log.
  virtual Result<bool> hasSucceeded(const std::string& patientId,
                                    const std::string& clientId) = 0;
};

// A durable staging area in front of an AuditLog (connectors/audit/file_audit_journal.h): an
// appended entry is as durable as a committed one, and reaches the log shortly after.
class AuditJournal {
 public:
  virtual ~AuditJournal() = default;
  // Durable when it returns ok; the entries' seq stays 0 (the log numbers them on import).
  // The journal takes the entries' contents: once the call returned ok, the entries it was
  // given are moved-from (unspecified strings); on failure they are unchanged.
  virtual Status append(const std::vector<AuditEntry*>& entries) = 0;
  // Every entry appended before the call is in the log when it returns ok.
  virtual Status drain() = 0;
  // True when an append costs about as little as a write() (it does not wait for the disk):
  // callers then append each entry as it comes rather than grouping concurrent ones.
  virtual bool appendsAreCheap() const = 0;
};

}  // namespace mes::store
