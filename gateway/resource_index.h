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
// The resource is assumed valid for its profile (validated before).
store::IndexRows indexRowsFor(const std::string& type, const std::string& id,
                              const fhir::Value& resource);

// "Patient/123" -> "123" when the reference is to `type`, else "".
std::string referencedId(const fhir::Value& reference, const std::string& type);

// LOINC and friends.
inline constexpr const char* kLoinc = "http://loinc.org";

}  // namespace mes::gateway
