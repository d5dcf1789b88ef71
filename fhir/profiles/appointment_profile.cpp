#include "fhir/profiles/appointment_profile.h"

#include <algorithm>
#include <string_view>

#include "fhir/profiles/domain_resource.h"
#include "fhir/types/datatypes.h"
#include "fhir/validation/issues.h"

namespace mes::fhir {
namespace {

// R4 Appointment elements (4.0.1).
// clang-format off
constexpr std::string_view kAppointmentElements[] = {
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
    "modifierExtension", "identifier", "status", "cancelationReason", "serviceCategory",
    "serviceType", "specialty", "appointmentType", "reasonCode", "reasonReference", "priority",
    "description", "supportingInformation", "start", "end", "minutesDuration", "slot", "created",
    "comment", "patientInstruction", "basedOn", "participant", "requestedPeriod"};
// clang-format on
constexpr std::string_view kParticipantElements[] = {
    "id", "extension", "modifierExtension", "type", "actor", "required", "status", "period"};

constexpr std::string_view kStatuses[] = {"proposed",  "pending",          "booked",
                                          "arrived",   "fulfilled",        "cancelled",
                                          "noshow",    "entered-in-error", "checked-in",
                                          "waitlist"};
// R4 app-3: only these may lack start and end.
constexpr std::string_view kUndatedStatuses[] = {"proposed", "cancelled", "waitlist"};
constexpr std::string_view kParticipantRequired[] = {"required", "optional", "information-only"};
constexpr std::string_view kParticipationStatuses[] = {"accepted", "declined", "tentative",
                                                       "needs-action"};
// R4 Appointment.participant.actor targets.
constexpr std::string_view kActorTypes[] = {"Patient",          "Practitioner", "PractitionerRole",
                                            "RelatedPerson",    "Device",       "HealthcareService",
                                            "Location"};

bool contains(std::span<const std::string_view> list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

void readConcepts(const Value& object, const Path& at, std::string_view name, Issues& issues) {
  if (const Value* v = object.find(name)) {
    forEachItem(*v, at.member(name), issues,
                [&](const Value& item, const Path& p) { readCodeableConcept(item, p, issues); });
  }
}

void readReferences(const Value& object, const Path& at, std::string_view name, Issues& issues) {
  if (const Value* v = object.find(name)) {
    forEachItem(*v, at.member(name), issues,
                [&](const Value& item, const Path& p) { readReference(item, p, issues); });
  }
}

// An integer of an R4 subtype (unsignedInt, positiveInt): malformed below `min`.
void readIntegerAtLeast(const Value& value, const Path& at, Issues& issues, int64_t min,
                        std::string_view typeName) {
  std::optional<int64_t> n = readInteger(value, at, issues);
  if (n && *n < min) {
    issues.structural("invalid-primitive",
                      at.str() + " must be a " + std::string(typeName) + " (at least " +
                          std::to_string(min) + "); got " + value.text() + ".",
                      at);
  }
}

// One participant; adds the patient it names (if any) to `patients`.
void readParticipant(const Value& item, const Path& p, Issues& issues,
                     std::vector<std::string>& patients) {
  if (!checkObject(item, p, "an object", kParticipantElements, issues)) return;
  if (const Value* v = item.find("extension")) readExtensions(*v, p.member("extension"), issues);
  if (item.find("modifierExtension") != nullptr) {
    issues.notAllowed(p.member("modifierExtension"),
                      "the gateway does not accept modifier extensions");
  }
  if (const Value* v = item.find("id")) readString(*v, p.member("id"), issues);
  readConcepts(item, p, "type", issues);
  if (const Value* v = item.find("actor")) {
    std::optional<Reference> actor = readReference(*v, p.member("actor"), issues);
    if (actor && actor->reference) {
      RelativeReference target;
      if (!parseRelativeReference(*actor->reference, target) ||
          !contains(kActorTypes, target.type)) {
        issues.error("reference-target-invalid",
                     p.member("actor").member("reference").str() +
                         " must be a relative reference Type/<id> to a Patient, Practitioner, "
                         "PractitionerRole, RelatedPerson, Device, HealthcareService or Location; "
                         "got '" + *actor->reference + "'.",
                     p.member("actor").member("reference"), IssueType::kValue);
      } else if (target.type == "Patient" &&
                 std::find(patients.begin(), patients.end(), target.id) == patients.end()) {
        patients.push_back(target.id);
      }
    }
  }
  if (item.find("type") == nullptr && item.find("actor") == nullptr) {
    issues.error("participant-type-or-actor",
                 p.str() + " needs a type or an actor (R4 app-1).", p, IssueType::kInvariant);
  }
  if (const Value* v = item.find("required")) {
    readCodeFrom(*v, p.member("required"), issues, kParticipantRequired);
  }
  if (const Value* v = item.find("status")) {
    readCodeFrom(*v, p.member("status"), issues, kParticipationStatuses);
  } else {
    issues.missing(p.member("status"),
                   "in every participant (accepted, declined, tentative or needs-action)");
  }
  if (const Value* v = item.find("period")) readPeriod(*v, p.member("period"), issues);
}

}  // namespace

std::span<const std::string_view> appointmentStatuses() { return kStatuses; }

bool isAppointmentStatus(std::string_view code) { return contains(kStatuses, code); }

Result<ValidatedAppointment> validateAppointment(const Value& appointment) {
  Issues issues;
  if (!checkResourceType(appointment, "Appointment", issues)) return issues.toError();
  const Path root("Appointment");
  issues.checkElements(appointment, root, kAppointmentElements);
  checkDomainResource(appointment, root, issues);
  ValidatedAppointment out;

  if (const Value* v = appointment.find("identifier")) {
    forEachItem(*v, root.member("identifier"), issues, [&](const Value& item, const Path& p) {
      std::optional<Identifier> identifier = readIdentifier(item, p, issues);
      if (!identifier) return;
      if (item.find("system") == nullptr) {
        issues.missing(p.member("system"), "on every appointment identifier");
      }
      if (item.find("value") == nullptr) {
        issues.missing(p.member("value"), "on every appointment identifier");
      }
      if (identifier->system && identifier->value) {
        out.identifiers.push_back({*identifier->system, *identifier->value});
      }
    });
  }

  if (const Value* v = appointment.find("status")) {
    if (auto status = readCodeFrom(*v, root.member("status"), issues, kStatuses)) {
      out.status = *status;
    }
  } else {
    issues.missing(root.member("status"),
                   "(proposed, pending, booked, arrived, fulfilled, cancelled, noshow, "
                   "entered-in-error, checked-in or waitlist)");
  }
  if (const Value* v = appointment.find("cancelationReason")) {
    readCodeableConcept(*v, root.member("cancelationReason"), issues);
  }
  for (std::string_view name :
       {"serviceCategory", "serviceType", "specialty", "reasonCode"}) {
    readConcepts(appointment, root, name, issues);
  }
  if (const Value* v = appointment.find("appointmentType")) {
    readCodeableConcept(*v, root.member("appointmentType"), issues);
  }
  for (std::string_view name : {"reasonReference", "supportingInformation", "slot", "basedOn"}) {
    readReferences(appointment, root, name, issues);
  }
  if (const Value* v = appointment.find("priority")) {
    readIntegerAtLeast(*v, root.member("priority"), issues, 0, "unsignedInt");
  }
  if (const Value* v = appointment.find("minutesDuration")) {
    readIntegerAtLeast(*v, root.member("minutesDuration"), issues, 1, "positiveInt");
  }
  for (std::string_view name : {"description", "comment", "patientInstruction"}) {
    if (const Value* v = appointment.find(name)) readString(*v, root.member(name), issues);
  }
  if (const Value* v = appointment.find("created")) {
    readDateTime(*v, root.member("created"), issues);
  }
  if (const Value* v = appointment.find("requestedPeriod")) {
    forEachItem(*v, root.member("requestedPeriod"), issues,
                [&](const Value& item, const Path& p) { readPeriod(item, p, issues); });
  }

  // start / end: instants, both or neither (app-2), required unless not yet scheduled (app-3),
  // start strictly before end (SPEC §4).
  const Value* start = appointment.find("start");
  const Value* end = appointment.find("end");
  if (start != nullptr) {
    out.start = readDateTime(*start, root.member("start"), issues, DateTimeForm::kInstant);
  }
  if (end != nullptr) {
    out.end = readDateTime(*end, root.member("end"), issues, DateTimeForm::kInstant);
  }
  const bool undatedAllowed = !out.status.empty() && contains(kUndatedStatuses, out.status);
  if (start == nullptr && (end != nullptr || !undatedAllowed)) {
    issues.missing(root.member("start"), end != nullptr
                                             ? "when end is given (R4 app-2)"
                                             : "unless the status is proposed, cancelled or "
                                               "waitlist (R4 app-3)");
  }
  if (end == nullptr && (start != nullptr || !undatedAllowed)) {
    issues.missing(root.member("end"), start != nullptr
                                           ? "when start is given (R4 app-2)"
                                           : "unless the status is proposed, cancelled or "
                                             "waitlist (R4 app-3)");
  }
  if (out.start && out.end && out.start->lowMs >= out.end->lowMs) {
    issues.error("appointment-period-invalid",
                 "Appointment.start (" + start->text() + ") must be before Appointment.end (" +
                     end->text() + ").",
                 root.member("end"), IssueType::kInvariant);
  }

  const Value* participants = appointment.find("participant");
  if (participants == nullptr) {
    issues.missing(root.member("participant"),
                   "and must include the patient (actor Patient/<id>)");
  } else {
    const bool isArray = forEachItem(
        *participants, root.member("participant"), issues,
        [&](const Value& item, const Path& p) { readParticipant(item, p, issues, out.patientIds); });
    if (isArray && !participants->items().empty() && out.patientIds.empty()) {
      issues.error("appointment-patient-missing",
                   "Appointment.participant must include the patient: a participant whose "
                   "actor.reference is Patient/<id>.",
                   root.member("participant"), IssueType::kRequired);
    }
  }
  if (Status s = issues.toStatus(); !s) return s.takeError();
  return out;
}

}  // namespace mes::fhir
