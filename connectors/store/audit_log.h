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

  bool operator==(const AuditEntry&) const = default;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // Appends the entries in one transaction, in order, and sets their seq. An empty list is ok
  // and writes nothing.
  virtual Status append(const std::vector<AuditEntry*>& entries) = 0;

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

}  // namespace mes::store
