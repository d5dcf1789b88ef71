// Pairings (SPEC §1): the patient's consent that one service may act on their record, with the
// accesses they ticked. A pairing is stored as a FHIR Consent in the repository, one per
// (patient, service): approving again updates it, ending it makes it `inactive` (a new
// version, so its history stays), approving after an end reactivates it.
//
// The Consent, as apps read it (GET /fhir/Consent?patient=…):
//   status       active | inactive
//   scope        consentscope#patient-privacy; category LOINC 59284-0 (patient consent)
//   patient      Patient/<id>; performer: the same patient (they decided)
//   dateTime     when the pairing last changed
//   policy       urn:mes-gateway:policy:pairing (R4 ppc-1 needs a policy or policyRule)
//   extension    urn:mes-gateway:StructureDefinition:granted-scope (valueString: the granted
//                scope, canonical) and, once ended, …:ended-by (valueCode: patient | service |
//                registry)
//   provision    permit; period.start = start of the current period of consent (the first approval, or the approval that reactivated an ended pairing), period.end = end when inactive;
//                actor = the service (role IRCP, reference.identifier
//                urn:mes-gateway:client-id|<client id>, display = its name); one nested
//                permit provision per granted resource type and permission letter
//                (class = the resource type, action = the SMART letter in
//                urn:mes-gateway:smart-permission, with the consentaction code when one fits).
//
// Enforcement reads the pairing's current version on every request (store::AccessStateReader,
// then PairingStore::atVersion): revoking takes effect on the next request, on every instance
// sharing the store.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "connectors/store/oauth_stores.h"
#include "connectors/store/repository.h"
#include "core/clock.h"
#include "core/status.h"
#include "fhir/json/value.h"
#include "oauth/scope.h"

namespace mes::gateway {

inline constexpr const char* kConsentActorSystem = "urn:mes-gateway:client-id";
inline constexpr const char* kGrantedScopeUrl = "urn:mes-gateway:StructureDefinition:granted-scope";
inline constexpr const char* kEndedByUrl = "urn:mes-gateway:StructureDefinition:ended-by";

struct Pairing {
  std::string id;  // the Consent's id
  int64_t versionId = 0;
  std::string patientId;
  std::string clientId;
  std::string serviceName;
  bool active = false;
  oauth::ScopeSet scope;  // what the patient granted
  int64_t startedMs = 0;  // start of the current period (approval or reactivation)
  int64_t updatedMs = 0;  // last change
  int64_t endedMs = 0;    // 0 while active
  std::string endedBy;    // patient | service | registry, empty while active
};

enum class PairingChange { kCreated, kUpdated, kUnchanged };

// Reads a stored Consent back; kInternal when it is not one this code wrote.
Result<Pairing> pairingFromJson(const fhir::Value& consent, const std::string& id,
                                int64_t versionId);

class PairingStore {
 public:
  PairingStore(store::Repository& repository, const Clock& clock, IdGenerator& ids);

  // Creates the (patient, service) pairing with `granted`, or updates it (reactivating an
  // ended one). kUnchanged when it was already active with exactly this scope (nothing written).
  Result<std::pair<Pairing, PairingChange>> approve(const std::string& patientId,
                                                    const store::ServiceRecord& service,
                                                    const oauth::ScopeSet& granted);
  // kNotFound ("not-found") when there is no such Consent. Reads the current version from the
  // store on every call (so that an end is seen at once, also one made by another instance);
  // the parse is cached per (id, version), since every authenticated request calls this.
  Result<Pairing> byId(const std::string& id);
  // The pairing as of Consent version `versionId` (enforcement passes the current version it
  // just read with store::AccessStateReader): the cached parse when that version was parsed
  // already, else that version is read and parsed. kNotFound ("not-found") when the Consent
  // or that version does not exist, or the version is a delete.
  Result<Pairing> atVersion(const std::string& id, int64_t versionId);
  // The same, shared with the cache instead of copied (enforcement, on every request).
  Result<std::shared_ptr<const Pairing>> sharedAtVersion(const std::string& id,
                                                         int64_t versionId);
  // The (patient, service) pairing, active or not; nullopt when never paired.
  Result<std::optional<Pairing>> find(const std::string& patientId, const std::string& clientId);
  // Every pairing of a patient, active first, then most recently changed first.
  Result<std::vector<Pairing>> ofPatient(const std::string& patientId);
  // Every active pairing of a service (for suspension and withdrawal notices).
  Result<std::vector<Pairing>> activeOfService(const std::string& clientId);
  // Ends a pairing (status inactive). Returns the pairing and whether this call ended it (false
  // when it was already inactive: nothing written).
  Result<std::pair<Pairing, bool>> end(const std::string& id, const std::string& endedBy);

 private:
  store::WriteRequest writeRequest(const std::string& id, const Pairing& pairing);
  // The cached parse of (id, version), or null.
  std::shared_ptr<const Pairing> cached(const std::string& id, int64_t versionId);
  // Parses a stored version and caches it.
  Result<std::shared_ptr<const Pairing>> parseAndCache(const store::ResourceRecord& record);

  store::Repository& repository_;
  const Clock& clock_;
  IdGenerator& ids_;
  std::mutex cacheMutex_;
  // By Consent id, the last version parsed.
  std::unordered_map<std::string, std::shared_ptr<const Pairing>> parsed_;
};

}  // namespace mes::gateway
