#include "gateway/resource_index.h"

#include <limits>

#include "fhir/profiles/document_profile.h"
#include "fhir/types/datetime.h"

namespace mes::gateway {
namespace {

void addTokens(store::IndexRows& rows, const std::string& param, const fhir::Value* codings) {
  if (codings == nullptr || !codings->isArray()) return;
  for (const auto& coding : codings->items()) {
    const std::string* code = coding.findString(param == "identifier" ? "value" : "code");
    if (code == nullptr) continue;
    const std::string* system = coding.findString("system");
    rows.tokens.push_back({param, system != nullptr ? *system : std::string(), *code});
  }
}

void addReference(store::IndexRows& rows, const std::string& param, const fhir::Value* ref) {
  if (ref == nullptr || !ref->isObject()) return;
  if (const std::string* target = ref->findString("reference")) {
    rows.references.push_back({param, *target});
  }
}

// Appointment (gateway/agenda_service.h): patient = the first participant whose actor is
// Patient/<id>, date = [start, end], tokens status / identifier, references actor (every
// participant's) and patient.
void addAppointmentRows(store::IndexRows& rows, const fhir::Value& appointment) {
  const std::string* start = appointment.findString("start");
  const std::string* end = appointment.findString("end");
  if (start != nullptr && end != nullptr) {
    auto low = fhir::parseDateTime(*start, fhir::DateTimeForm::kInstant);
    auto high = fhir::parseDateTime(*end, fhir::DateTimeForm::kInstant);
    if (low && high) {
      rows.dateLowMs = low->lowMs;
      rows.dateHighMs = high->highMs;
    }
  }
  if (const std::string* status = appointment.findString("status")) {
    rows.tokens.push_back({"status", "http://hl7.org/fhir/appointmentstatus", *status});
  }
  addTokens(rows, "identifier", appointment.find("identifier"));
  const fhir::Value* participants = appointment.find("participant");
  if (participants == nullptr || !participants->isArray()) return;
  for (const auto& participant : participants->items()) {
    const fhir::Value* actor = participant.find("actor");
    if (actor == nullptr) continue;
    addReference(rows, "actor", actor);
    const std::string patient = referencedId(*actor, "Patient");
    if (patient.empty()) continue;
    addReference(rows, "patient", actor);
    if (rows.patient.empty()) rows.patient = patient;
  }
}

// DocumentReference (gateway/document_service.h).
void addDocumentRows(store::IndexRows& rows, const fhir::Value& doc) {
  if (const fhir::Value* subject = doc.find("subject")) {
    rows.patient = referencedId(*subject, "Patient");
    addReference(rows, "subject", subject);
    addReference(rows, "patient", subject);
  }
  if (const std::string* date = doc.findString("date")) {
    if (auto range = fhir::parseDateTime(*date)) {
      rows.dateLowMs = range->lowMs;
      rows.dateHighMs = range->highMs;
    }
  }
  if (const std::string* status = doc.findString("status")) {
    rows.tokens.push_back({"status", kDocumentReferenceStatusSystem, *status});
  }
  if (const fhir::Value* type = doc.find("type")) addTokens(rows, "type", type->find("coding"));
  bool invisible = false;
  if (const fhir::Value* categories = doc.find("category"); categories && categories->isArray()) {
    for (const auto& category : categories->items()) addTokens(rows, "category", category.find("coding"));
  }
  if (const fhir::Value* labels = doc.find("securityLabel"); labels && labels->isArray()) {
    for (const auto& label : labels->items()) {
      addTokens(rows, "security-label", label.find("coding"));
      if (const fhir::Value* codings = label.find("coding"); codings && codings->isArray()) {
        for (const auto& coding : codings->items()) {
          const std::string* code = coding.findString("code");
          invisible = invisible || (code != nullptr && *code == fhir::kInvisiblePatientLabel);
        }
      }
    }
  }
  if (!invisible) rows.tokens.push_back({kVisibilityToken, "", kVisibleToPatient});
  if (const fhir::Value* authors = doc.find("author"); authors && authors->isArray()) {
    for (const auto& author : authors->items()) addReference(rows, "author", &author);
  }
  if (const fhir::Value* context = doc.find("context")) {
    if (const fhir::Value* period = context->find("period")) {
      const std::string* start = period->findString("start");
      const std::string* end = period->findString("end");
      std::optional<fhir::DateTime> low;
      std::optional<fhir::DateTime> high;
      if (start != nullptr) {
        if (auto parsed = fhir::parseDateTime(*start)) low = *parsed;
      }
      if (end != nullptr) {
        if (auto parsed = fhir::parseDateTime(*end)) high = *parsed;
      }
      if (low || high) {
        rows.dates.push_back({kDocumentPeriodIndex,
                              low ? low->lowMs : std::numeric_limits<int64_t>::min(),
                              high ? high->highMs : std::numeric_limits<int64_t>::max()});
      }
    }
  }
}

}  // namespace

std::string referencedId(const fhir::Value& reference, const std::string& type) {
  const std::string* target = reference.findString("reference");
  if (target == nullptr) return {};
  const std::string prefix = type + "/";
  if (target->rfind(prefix, 0) != 0) return {};
  std::string id = target->substr(prefix.size());
  if (id.empty() || id.find('/') != std::string::npos) return {};
  return id;
}

store::IndexRows indexRowsFor(const std::string& type, const std::string& id,
                              const fhir::Value& resource) {
  store::IndexRows rows;
  if (type == "Observation") {
    if (const fhir::Value* subject = resource.find("subject")) {
      rows.patient = referencedId(*subject, "Patient");
      addReference(rows, "subject", subject);
    }
    if (const std::string* effective = resource.findString("effectiveDateTime")) {
      if (auto range = fhir::parseDateTime(*effective)) {
        rows.dateLowMs = range->lowMs;
        rows.dateHighMs = range->highMs;
      }
    }
    if (const fhir::Value* code = resource.find("code")) addTokens(rows, "code", code->find("coding"));
    if (const std::string* status = resource.findString("status")) {
      rows.tokens.push_back({"status", "http://hl7.org/fhir/observation-status", *status});
    }
    addTokens(rows, "identifier", resource.find("identifier"));
    addReference(rows, "device", resource.find("device"));
    if (const fhir::Value* derived = resource.find("derivedFrom"); derived && derived->isArray()) {
      for (const auto& ref : derived->items()) addReference(rows, "derived-from", &ref);
    }
  } else if (type == "Device") {
    addTokens(rows, "identifier", resource.find("identifier"));
    if (const fhir::Value* patient = resource.find("patient")) {
      rows.patient = referencedId(*patient, "Patient");
    }
  } else if (type == "Patient") {
    rows.patient = id;
    addTokens(rows, "identifier", resource.find("identifier"));
  } else if (type == "Appointment") {
    addAppointmentRows(rows, resource);
  } else if (type == "DocumentReference") {
    addDocumentRows(rows, resource);
  }
  return rows;
}

}  // namespace mes::gateway
