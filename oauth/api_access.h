// The MES API access families (SPEC §1, "Scopes") as data: what the consent screen shows as one
// checkbox each, what the registry grants a service, and the rule that turns a request into a
// granted scope.
//
// The table, in display order (id — scopes):
//   mesures.read       patient/Observation.rs patient/Device.rs
//   mesures.write      patient/Observation.cud patient/Device.c
//   documents.read     patient/DocumentReference.rs patient/Binary.r
//   documents.deposit  patient/DocumentReference.c patient/Binary.c patient/DocumentReference.d
//   agenda.write       patient/Appointment.cu patient/Appointment.rs
//   identity           openid fhirUser launch/patient
//   offline            offline_access
//
// Decisions where SPEC's wording left a choice:
//   - agenda.write includes "patient/Appointment.rs": SPEC writes ".cu (and .rs to read back)"
//     in the agenda row itself, and there is no agenda read family, so an app that books must be
//     able to read back and search what it synchronises (the conditional update
//     PUT Appointment?identifier=… is itself a search). Ticking the row grants .crus.
//   - documents.deposit includes "patient/DocumentReference.d": SPEC's "(and .d on own
//     documents)" is part of the row. The letter lets the app send DELETE; "own documents" is not
//     a scope matter but the not-author rule, enforced per request on meta.source. Binary gets no
//     .d: deletion of a document is logical, on the DocumentReference.
//   - SPEC's identity row is split in two checkboxes: "identity" (openid fhirUser launch/patient)
//     and "offline" (offline_access), because staying connected is a separate choice the patient
//     must be able to refuse while still sharing data. Together they are exactly SPEC's row.
#pragma once

#include <string_view>
#include <vector>

#include "oauth/scope.h"

namespace mes::oauth {

// One MES API access family. All views point into static storage (UTF-8).
struct ApiAccess {
  std::string_view id;       // stable: "mesures.read", …, "identity", "offline"
  std::string_view labelFr;  // short checkbox title
  std::string_view labelEn;
  std::string_view descriptionFr;  // one plain-French sentence a patient understands
  std::string_view descriptionEn;
  std::string_view scopes;  // SPEC's scopes, space-separated; parse with ScopeSet::parse
};

// Every family, in display order (see the table above). The same vector for the process's life.
const std::vector<ApiAccess>& mesApiAccesses();

// The family with this id, or nullptr.
const ApiAccess* findApiAccess(std::string_view id);

// The families a request touches, in display order: one row per family of which the request asks
// at least one scope, with two refinements for identity scopes:
//   - "identity" is listed only when openid or fhirUser is asked: launch/patient alone discloses
//     nothing beyond the data rows themselves (see grantedScope);
//   - "offline" is listed when offline_access is asked.
// A "*" resource scope touches each family whose letters it covers. Scopes no family holds
// (patient/Condition.rs…) give no row, hence are never granted. Pass requested ∩ allowed by the
// registry, so the screen offers only what can be granted.
std::vector<const ApiAccess*> accessesRequestedBy(const ScopeSet& requested);

// The union of the scopes of the ticked families. Null entries are ignored.
ScopeSet scopesOf(const std::vector<const ApiAccess*>& ticked);

// The scope a pairing grants: requested ∩ allowedByRegistry ∩ tickedByPatient, resource and
// identity scopes alike (openid, fhirUser and offline_access need the registry's allowance and
// the patient's tick like data do). One refinement: launch/patient is not a choice on the consent
// screen — it names the patient context every pairing has, and SMART requires a server that
// grants patient/ scopes to provide that context — so when requested and allowed it is granted
// as soon as the grant holds a resource scope, even if no ticked row carried it.
ScopeSet grantedScope(const ScopeSet& requested, const ScopeSet& allowedByRegistry,
                      const ScopeSet& tickedByPatient);

}  // namespace mes::oauth
