// The Appointment an app writes to the patient's agenda (SPEC §4, API Agenda), and its
// validation: R4 Appointment (4.0.1) plus the MES rules. Pure: no store, no clock, no token.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/json/value.h"
#include "fhir/types/datetime.h"

namespace mes::fhir {

// R4 AppointmentStatus (required binding), http://hl7.org/fhir/appointmentstatus.
inline constexpr std::string_view kAppointmentStatusSystem = "http://hl7.org/fhir/appointmentstatus";
std::span<const std::string_view> appointmentStatuses();
bool isAppointmentStatus(std::string_view code);

struct AppointmentIdentifier {
  std::string system;
  std::string value;
};

// What the gateway needs of a valid Appointment.
struct ValidatedAppointment {
  std::string status;
  std::optional<DateTime> start;  // both set, or neither (proposed / cancelled / waitlist only)
  std::optional<DateTime> end;
  // Ids of the participants whose actor is a relative reference Patient/<id>: distinct, in
  // document order. Never empty for a valid appointment.
  std::vector<std::string> patientIds;
  std::vector<AppointmentIdentifier> identifiers;  // each with system and value
};

// Every problem in one pass:
//  - structural (400): resourceType "Appointment", R4 Appointment element names only
//    ("unknown-element"), the JSON type and lexical form of every element read ("invalid-type",
//    "invalid-primitive", "invalid-datetime", "empty-element"); start and end are FHIR
//    instants (seconds and an offset required);
//  - rule (422): status required and an R4 AppointmentStatus code, participant.status an R4
//    ParticipationStatus and participant.required an R4 ParticipantRequired code
//    ("code-invalid"); implicitRules, contained and modifierExtension refused
//    ("element-not-allowed"); start and end both present or both absent, and absent only when
//    the status is proposed, cancelled or waitlist (R4 app-2, app-3: "element-missing");
//    start strictly before end ("appointment-period-invalid", at Appointment.end); at least
//    one participant, each with status and with a type or an actor (R4 app-1); participant
//    actors only of R4's target types ("reference-target-invalid"); at least one participant
//    whose actor is Patient/<id> ("appointment-patient-missing", at Appointment.participant);
//    each identifier with system and value (the conditional update matches on them).
//  priority (unsignedInt) below 0 and minutesDuration (positiveInt) below 1 are malformed
//  primitives (structural "invalid-primitive"), as for every R4 integer subtype.
// Which patient may be named (the token's) is the caller's business: see patientIds.
Result<ValidatedAppointment> validateAppointment(const Value& appointment);

}  // namespace mes::fhir
