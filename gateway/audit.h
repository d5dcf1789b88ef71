// The audit trail (issue #3 point 7, SPEC §1): one entry per /fhir interaction (allowed or
// refused), per authorization-server event and per action of the patient in the portal; the
// patient's "Activité" page reads it back.
//
// Promises:
// - Append-only. Nothing here updates or deletes an entry; the store refuses it anyway
//   (connectors/store/audit_log.h), whatever the code above it does.
// - Durable before the caller answers: record() returns only once the entry is committed in
//   the audit journal (when there is one) or the audit log, so a crash can never leave an
//   access that was answered but not traced.
// - Group commit: concurrent record() calls share one append, to the journal when there is one
//   (store::AuditJournal: one write() per group, imported into the log in the background, see
//   connectors/audit/file_audit_journal.h), else to the AuditLog itself. A journal whose
//   appends do not wait for the disk (no fdatasync: store.synchronous=normal) is appended to
//   by each record() directly, since a group would only add hand-offs. The trail has no
//   thread of its own: the first caller that finds no commit in progress becomes the leader,
//   writes everything queued (at most AuditTrailOptions::maxBatch entries) in one append
//   and wakes the others; whoever is still waiting then leads the next batch. A failed commit
//   fails every record() of that batch (kUnavailable "audit-unavailable": answer 503, do not
//   serve untraced data) and nothing of it is stored; the next batch starts afresh.
// - A write and its audit entry are two commits (the resource first): a crash between them
//   leaves a stored write whose client got no answer, never an answered untraced access.
//
// Storage and rendering. The log keeps one narrow row per entry (store::AuditEntry): that is
// what makes tracing every read affordable. auditEventResource() renders an entry as a FHIR R4
// AuditEvent, compact since one exists for every request:
//   id        the entry's seq
//   type      rest: http://terminology.hl7.org/CodeSystem/audit-event-type|rest;
//             otherwise urn:mes-gateway:audit-event-type|oauth or |portal
//   subtype   rest: http://hl7.org/fhir/restful-interaction|<interaction>;
//             otherwise urn:mes-gateway:audit-event-subtype|<subtype>
//   action, recorded (instant, milliseconds), outcome ("0" success, "4" refusal, "8" when the
//   HTTP status is 5xx), outcomeDesc (AuditRecord::outcomeText)
//   agent     the service: who.identifier urn:mes-gateway:client-id|<client id>,
//             who.display <service name>, altId <editor OID> (R4 has one identifier per
//             Reference; altId is the agent's identifier in another identity system, which is
//             what the OID is: the one meta.source carries and the national registry knows);
//             requestor, except in the portal where the patient is the requestor agent
//             (who.reference Patient/<id>) and the service, when there is one, a second agent,
//             and in the registry, where the requestor is the person who acted
//             (who.identifier urn:mes-gateway:registry-account|<login>, AuditRecord::actor) and
//             the service is the target entity (what: the service's identifier and name).
//             network {address, type "2"} on the requestor. An unauthenticated caller is an
//             agent with no `who`.
//   source    observer.display "MES Gateway", type security-source-type|4 (application server)
//   entity    [0] the target: what.reference "Type/id" (what.type "Type" for a type-level
//             interaction), query (base64 of the query string), detail "request-id",
//             "http-status" and "outcome-code" (valueString);
//             [1] the patient: what.reference Patient/<id>, role object-role|1 (Patient).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "connectors/store/audit_log.h"
#include "core/clock.h"
#include "core/status.h"
#include "fhir/json/value.h"

namespace mes::gateway {

// AuditRecord::category.
inline constexpr const char* kAuditRest = "rest";      // a /fhir interaction
inline constexpr const char* kAuditOauth = "oauth";    // the authorization server
inline constexpr const char* kAuditPortal = "portal";  // the patient's own actions in /portal
inline constexpr const char* kAuditRegistry = "registry";  // the referencing registry (#5):
                                                          // subtype = its action (submit...)

// AuditRecord::subtype for oauth and portal events (rest uses the FHIR interaction codes:
// read, vread, history-instance, search-type, create, update, delete, transaction).
inline constexpr const char* kAuditPairingCreated = "pairing-created";
inline constexpr const char* kAuditPairingUpdated = "pairing-updated";
inline constexpr const char* kAuditPairingRevoked = "pairing-revoked";
inline constexpr const char* kAuditPairingDenied = "pairing-denied";  // deny on the consent screen
inline constexpr const char* kAuditTokenIssued = "token-issued";
inline constexpr const char* kAuditTokenRefreshed = "token-refreshed";
inline constexpr const char* kAuditTokenRefused = "token-refused";
inline constexpr const char* kAuditTokenRevoked = "token-revoked";
inline constexpr const char* kAuditLoginSucceeded = "login-succeeded";
inline constexpr const char* kAuditLoginFailed = "login-failed";
inline constexpr const char* kAuditLoginLocked = "login-locked";
inline constexpr const char* kAuditLogout = "logout";
// Events named by their emitters (authorization_server.cpp, portal_auth.cpp loginEventName).
inline constexpr const char* kAuditTokenReuseDetected = "token-reuse-detected";
inline constexpr const char* kAuditAuthorizationRefused = "authorization-refused";
inline constexpr const char* kAuditAccountLocked = "account-locked";
inline constexpr const char* kAuditOtpFailed = "otp-failed";

// Code systems of the project.
inline constexpr const char* kAuditTypeSystem = "urn:mes-gateway:audit-event-type";
inline constexpr const char* kAuditSubtypeSystem = "urn:mes-gateway:audit-event-subtype";
inline constexpr const char* kClientIdSystem = "urn:mes-gateway:client-id";
// Registry accounts, by login (AuditRecord::actor).
inline constexpr const char* kRegistryAccountSystem = "urn:mes-gateway:registry-account";
// And FHIR's.
inline constexpr const char* kAuditDicomTypeSystem =
    "http://terminology.hl7.org/CodeSystem/audit-event-type";
inline constexpr const char* kAuditOutcomeSystem = "http://hl7.org/fhir/audit-event-outcome";
inline constexpr const char* kObjectRoleSystem = "http://terminology.hl7.org/CodeSystem/object-role";

// One audited action (every member has an initializer; see store::AuditEntry). `seq` is the
// entry's number in the log, set when it is committed.
using AuditRecord = store::AuditEntry;

// The AuditEvent for `record` (shape above), with id = seq when seq is set, without meta.
// `record` is assumed valid (see checkAuditRecord).
fhir::Value auditEventResource(const AuditRecord& record);

// Reads back what auditEventResource wrote: auditRecordFrom(auditEventResource(r)) == r.
// kInternal when `event` is not such an AuditEvent.
Result<AuditRecord> auditRecordFrom(const fhir::Value& event);

// kInternal ("audit-record-invalid", the reason in detail) when the category is unknown, the
// action is not one of C R U D E, the subtype is empty, or recordedMs is negative: these are
// bugs of the caller, not of the client.
Status checkAuditRecord(const AuditRecord& record);

// A short plain-French sentence for the patient: "Tensio+ a lu vos mesures",
// "Tensio+ a enregistré une mesure", "Accès refusé à Tensio+ : consentement absent",
// "Vous avez autorisé Tensio+"...
std::string describeFr(const AuditRecord& record);

// One line of the patient's activity page.
struct ActivityEntry {
  std::string id;           // the entry's seq, as the AuditEvent id
  AuditRecord record;       // time, service, resource, outcome...
  std::string description;  // describeFr(record)
};

struct ActivityPage {
  std::vector<ActivityEntry> entries;  // newest first
  bool hasMore = false;                // another page follows
};

struct AuditTrailOptions {
  size_t maxBatch = 256;  // events per group commit, >= 1
  // Size of the in-memory set of (client, patient) pairs known to have had a successful
  // access (recordAccess). Cleared when full: a clear only costs store queries.
  size_t maxKnownPairs = 100000;
};

// Counters for tests and /metrics.
struct AuditTrailStats {
  uint64_t commits = 0;        // successful group commits
  uint64_t events = 0;         // events committed by them
  uint64_t failedBatches = 0;  // group commits that failed
};

// The audit trail over an AuditLog. Thread-safe. The log and the clock must outlive it.
class AuditTrail {
 public:
  // With a journal, entries are appended to it and read back from the log once it drained
  // (activity() and hasSucceededBefore() drain it first, so they see every entry recorded
  // before the call). The journal, the log and the clock must outlive the trail.
  AuditTrail(store::AuditLog& log, const Clock& clock, AuditTrailOptions options = {},
             store::AuditJournal* journal = nullptr);
  AuditTrail(const AuditTrail&) = delete;
  AuditTrail& operator=(const AuditTrail&) = delete;

  // Appends the event; returns once it is committed (group commit, see the top of this file).
  // Errors: checkAuditRecord's; kUnavailable "audit-unavailable" when the commit failed (the
  // store's error in detail). Must not be called from inside a store transaction callback
  // (the store refuses nested write transactions).
  Status record(AuditRecord record);
  // Several events, committed together with whatever else is queued (in order, possibly over
  // several batches when there are more than maxBatch). Ok when all were committed; otherwise
  // the first error (events of batches that did commit stay: the trail is append-only).
  Status recordBatch(std::vector<AuditRecord> records);
  // record() for an access, and whether it was the first successful /fhir access of
  // record.clientId to record.patientId's data (true at most once per pair in this process;
  // false for refusals, non-rest events and records without patient or client). The lead sends
  // the "first access by a service" notification on true. A pair is looked up in the store
  // (hasSucceededBefore) only the first time this process sees it; when that lookup fails the
  // event is still recorded and the answer is false (a notification missed rather than a
  // request failed). Two gateway processes may both answer true for the same pair.
  Result<bool> recordAccess(AuditRecord record);

  // The patient's activity, newest first; `clientId` non-empty keeps one service's events.
  // count 1..100, offset >= 0, else kInvalid "invalid-paging".
  Result<ActivityPage> activity(const std::string& patientId, int count, int offset,
                                const std::string& clientId = "");
  // Whether a successful rest event of `clientId` for `patientId` is committed. One key lookup
  // in the log, no cache.
  Result<bool> hasSucceededBefore(const std::string& patientId, const std::string& clientId);

  AuditTrailStats stats() const;
  // Events waiting for a commit right now (metrics; tests use it to stage batches).
  size_t queued() const;

 private:
  struct Pending {
    AuditRecord record;
    Status status;
    bool done = false;
  };
  Status prepare(AuditRecord& record) const;
  Status submit(std::vector<Pending>& mine);
  Status commit(const std::vector<Pending*>& batch);

  store::AuditLog& log_;
  const Clock& clock_;
  const AuditTrailOptions options_;
  store::AuditJournal* journal_;

  mutable std::mutex mutex_;  // guards queue_, flushing_ and the Pending entries in queue_
  std::condition_variable committed_;
  std::deque<Pending*> queue_;
  bool flushing_ = false;

  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> failedBatches_{0};

  std::mutex knownMutex_;
  std::unordered_set<std::string> knownPairs_;  // client '\x1f' patient
};

}  // namespace mes::gateway
