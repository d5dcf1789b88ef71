// Writing appointments to the patient's agenda (SPEC §4, API Agenda): validation against
// fhir/profiles/appointment_profile, the patient compartment, authorship, storage, and the
// patient's notifications.
//
// Invariants kept here:
// - every write runs in one store transaction: a failure leaves nothing behind;
// - a stored appointment names exactly one patient among its participants (actor
//   Patient/<id>), an existing Patient; for an app, the patient of its token (else 403
//   patient-mismatch), and it never changes on update;
// - meta.source is the gateway's, never the client's: the writing service's
//   `<editor OID>#<client id>` (RequestContext.source). Only that service may update or cancel
//   the appointment afterwards (403 not-author, compared exactly as for measures);
// - the patient gets an outbox notification (in French) for each new appointment
//   ("appointment-created") and when an appointment becomes cancelled ("appointment-cancelled"),
//   sent after the commit; a notification that cannot be sent is logged, the write stands.
//
// Conditional update (PUT /fhir/Appointment?identifier=<system>|<value>), the idempotent sync
// of a booking system: the identifier search and the create or update run in ONE repository
// transaction. The SQLite store serialises writers (BEGIN IMMEDIATE on its single writer
// connection) and the search reads through that connection, so two concurrent PUTs with the
// same identifier end as one resource: the second one finds and updates what the first
// created. A PostgreSQL repository (issue #7) does not get this from READ COMMITTED: it needs a
// unique index on (patient, writer, identifier system, identifier value) of current
// appointments, or a transaction-scoped advisory lock on that key taken before the search
// (pg_advisory_xact_lock), or SERIALIZABLE with a retry, for the same guarantee.
//
// The identifier search is scoped to the appointment's patient AND to the writing service
// (an index token "_source" = meta.source, written here, not searchable by apps): two apps that
// happen to use the same identifier value for one patient each keep their own appointment, and
// an app can never reach another's appointment through a conditional update. Unrestricted
// contexts (tools, tests: empty source) match on patient and identifier only.
#pragma once

#include <optional>
#include <string>

#include "connectors/outbox/outbox.h"
#include "connectors/store/repository.h"
#include "core/clock.h"
#include "core/status.h"
#include "fhir/json/value.h"
#include "gateway/log.h"
#include "gateway/router.h"

namespace mes::gateway {

struct AgendaWrite {
  store::ResourceRecord record;
  bool created = false;
};

// An identifier=<system>|<value> criterion of a conditional update (both parts required).
struct AppointmentKey {
  std::string system;
  std::string value;
};

class AgendaService {
 public:
  AgendaService(store::Repository& repository, IdGenerator& ids, outbox::Outbox& outbox,
                Logger& logger);

  // POST /fhir/Appointment: a new appointment with a server id (an id in the body is ignored).
  // Every write (create, update, conditional update) refuses an identifier that another
  // appointment of the same service and patient already has: 409 "identifier-in-use" naming
  // it (a second one would make the conditional update by that identifier ambiguous).
  Result<AgendaWrite> create(fhir::Value appointment, const RequestContext& context);

  // PUT /fhir/Appointment/<id>: a new version. The appointment must exist (404: ids are the
  // server's, no update-as-create) and be in the caller's compartment (404 otherwise, existence
  // is not leaked); only its author may change it (403 not-author); If-Match is honoured (412
  // version-conflict); its patient cannot change (422 patient-change).
  Result<AgendaWrite> update(const std::string& id, fhir::Value appointment,
                             std::optional<int64_t> ifMatch, const RequestContext& context);

  // PUT /fhir/Appointment?identifier=<system>|<value>: the body must carry that identifier
  // (400 identifier-mismatch). No match: creates (needs the create permission too, 403
  // consent-missing; an id in the body is refused with 400 id-mismatch since ids are the
  // server's; If-Match then fails with 412). One match: updates it as update() does (an id in
  // the body must be the match's). Several: 412 multiple-matches. See the file comment for
  // the scope of the search and for atomicity.
  Result<AgendaWrite> updateByIdentifier(const AppointmentKey& key, fhir::Value appointment,
                                         std::optional<int64_t> ifMatch,
                                         const RequestContext& context);

 private:
  struct Prepared;
  Result<Prepared> prepare(fhir::Value appointment, const RequestContext& context);
  Status checkPatientExists(store::Transaction& tx, const Prepared& prepared);
  // 409 identifier-in-use when an appointment other than `self` (empty for a new one) of the
  // caller's service and the same patient carries one of the identifiers.
  Status checkIdentifiersFree(store::Transaction& tx, const Prepared& prepared,
                              const RequestContext& context, const std::string& self);
  Result<store::ResourceRecord> createIn(store::Transaction& tx, const Prepared& prepared,
                                         const RequestContext& context);
  // The update of an existing appointment inside `tx`; `previousStatus` gets the old status.
  Result<store::ResourceRecord> updateIn(store::Transaction& tx, const std::string& id,
                                         const Prepared& prepared, std::optional<int64_t> ifMatch,
                                         const RequestContext& context,
                                         std::string& previousStatus);
  store::WriteRequest writeRequest(const std::string& id, fhir::Value resource,
                                   const std::string& source);
  void notifyAfterWrite(const AgendaWrite& write, const fhir::Value& appointment,
                        const std::string& previousStatus, const RequestContext& context);

  store::Repository& repository_;
  IdGenerator& ids_;
  outbox::Outbox& outbox_;
  Logger& logger_;
};

}  // namespace mes::gateway
