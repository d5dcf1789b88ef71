// What the store indexes for each resource type (the FHIR side of store::IndexRows).
#pragma once

#include <string>

#include "connectors/store/repository.h"
#include "fhir/json/value.h"

namespace mes::gateway {

// Observation: patient = subject, date = effectiveDateTime, tokens code / status / identifier,
// references subject / device / derived-from.
// Device: tokens identifier, patient = Device.patient when present.
// Patient: tokens identifier, patient = itself.
// Appointment: patient = the first participant actor Patient/<id>, date = [start, end], tokens
// status / identifier, references actor / patient.
// DocumentReference: patient = subject, date = DocumentReference.date, the named range
// "period" = context.period (an open end reaches the far past / future), tokens status / type /
// category / security-label, the visibility token (below), references subject / author.
// The resource is assumed valid for its profile (validated before).
store::IndexRows indexRowsFor(const std::string& type, const std::string& id,
                              const fhir::Value& resource);

// "Patient/123" -> "123" when the reference is to `type`, else "".
std::string referencedId(const fhir::Value& reference, const std::string& type);

// The named date range (store::DateIndex) of DocumentReference.context.period.
inline constexpr const char* kDocumentPeriodIndex = "period";
inline constexpr const char* kDocumentReferenceStatusSystem =
    "http://hl7.org/fhir/document-reference-status";
// Token "_visibility" = "patient" on the documents the patient (and so every app) may see: all
// but those labelled INVISIBLE_PATIENT (SPEC §3). Written by the gateway; not a search
// parameter apps can name.
inline constexpr const char* kVisibilityToken = "_visibility";
inline constexpr const char* kVisibleToPatient = "patient";

// LOINC and friends.
inline constexpr const char* kLoinc = "http://loinc.org";

}  // namespace mes::gateway
