// The resources the server tests send, built from the MES profile table
// (fhir/profiles/measure_profiles.h) so that "every measure type" means every row the gateway's
// own validation knows, and checked with that same validation before they are sent: a sample the
// harness believes valid must pass validateMeasure, a broken one must fail it with the code the
// test expects from the gateway. Documents and appointments follow SPEC §3 and §4.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fhir/json/value.h"
#include "fhir/profiles/measure_profiles.h"

namespace mes::conformance::server {

// One accepted code of one app-writable profile (BMI is the gateway's).
struct MeasureSample {
  const fhir::MeasureProfile* profile = nullptr;
  const fhir::MeasureCode* code = nullptr;  // null for blood pressure (components)
  std::string slug;                         // for test ids: "bodyweight", "glucose-4548-4"
  std::string label;                        // "body weight"
};
std::vector<MeasureSample> measureSamples();
const MeasureSample& sampleOf(fhir::MeasureKind kind, std::string_view code = {});

// A valid Observation of the sample for Patient/<patientId> at `effective` (a FHIR dateTime):
// a typical value in the profile's unit, with the extensions the profile requires.
fhir::Value measure(const MeasureSample& sample, const std::string& patientId,
                    const std::string& effective);
// The same with the valueQuantity's value and code replaced (text as written in JSON).
fhir::Value measureWith(const MeasureSample& sample, const std::string& patientId,
                        const std::string& effective, const std::string& value,
                        const std::string& unitCode);
// A blood pressure with these component values.
fhir::Value bloodPressure(const std::string& patientId, const std::string& effective,
                          const std::string& systolic, const std::string& diastolic);
// A value of the sample's quantity above its plausible range, as JSON number text.
std::string outOfRangeValue(const MeasureSample& sample);
// The shortest text of a number ("0.2", "650").
std::string numberText(double value);

// FHIR dateTime of `ms` (UTC, seconds precision): 2026-11-23T08:00:00Z.
std::string dateTimeOf(int64_t ms);
// A day (UTC midnight, ms) that belongs to this run: 1995-2019, derived from the run id, so
// that searches by date see only this run's measures.
int64_t runDay(const std::string& runId);

// A transaction Bundle entry: POST of `resource` to `type`, conditional on `ifNoneExist` when
// given.
fhir::Value transactionEntry(const std::string& fullUrl, fhir::Value resource,
                             const std::string& type, const std::string& ifNoneExist = {});

// SPEC §3: a text document of `text` (its size and SHA-1 computed), ITI-105 form (data inline).
fhir::Value documentReference(const std::string& patientId, const std::string& text,
                              const std::string& title);
// The same as an ITI-65 transaction: SubmissionSet List, DocumentReference and Binary.
fhir::Value documentBundle(const std::string& patientId, const std::string& text,
                           const std::string& title);

// SPEC §4: a booked appointment of the patient with the app's identifier.
fhir::Value appointment(const std::string& patientId, const std::string& identifierSystem,
                        const std::string& identifierValue, const std::string& start,
                        const std::string& end, const std::string& status = "booked");

}  // namespace mes::conformance::server
