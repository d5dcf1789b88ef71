// The personal health Device an app may send alongside a measure (SPEC §2 transaction).
#pragma once

#include "core/status.h"
#include "fhir/json/value.h"

namespace mes::fhir {

// Minimal R4 + MES checks of a Device, every problem in one pass:
//  - resourceType "Device" ("resource-type-mismatch"), R4 Device element names only
//    ("unknown-element"), the JSON type and lexical form of every element read
//    ("invalid-type", "invalid-primitive", "invalid-datetime", "empty-element"), codes of the
//    R4 required bindings (status, deviceName.type, udiCarrier.entryType: "code-invalid");
//  - implicitRules, contained and modifierExtension are refused ("element-not-allowed");
//  - each identifier has both system and value (the gateway's conditional create matches on
//    them), each deviceName a name and a type, each specialization a systemType, each version
//    a value, each property a type ("element-missing").
// Errors: kInvalid (400) when any problem is structural, else kUnprocessable (422).
Status validateDevice(const Value& device);

}  // namespace mes::fhir
