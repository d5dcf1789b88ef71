// The 11 "Mon espace santé" measure profiles (SPEC §2) as data, and the validation of an
// Observation against them.
//
// The table (measureProfiles()) says, per profile: its canonical URL, the accepted code(s)
// with their system, whether the value is a valueQuantity or blood-pressure components, and
// per code: the UCUM unit, the plausible range, whether values must be whole numbers, and
// whether the moment-of-measurement and number-of-days extensions are required, allowed or
// forbidden. validateMeasure() applies the table plus the rules shared by every measure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/json/value.h"
#include "fhir/profiles/device_profile.h"
#include "fhir/types/datetime.h"

namespace mes::fhir {

inline constexpr std::string_view kMeasureProfileBase =
    "https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/";
inline constexpr std::string_view kLoincSystem = "http://loinc.org";
inline constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";
inline constexpr std::string_view kCisisSystem =
    "https://smt.esante.gouv.fr/fhir/CodeSystem/terminologie-cisis";
inline constexpr std::string_view kObservationCategorySystem =
    "http://terminology.hl7.org/CodeSystem/observation-category";
inline constexpr std::string_view kVitalSignsCategory = "vital-signs";
inline constexpr std::string_view kMomentOfMeasurementUrl =
    "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/"
    "mesures-moment-of-measurement";
inline constexpr std::string_view kNumberOfDaysUrl =
    "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-number-of-days";
// A measure's effectiveDateTime may be at most this far after the server clock.
inline constexpr int64_t kMaxFutureSkewMs = int64_t{5} * 60 * 1000;

enum class MeasureKind {
  kBodyWeight,
  kBodyHeight,
  kBmi,
  kBloodPressure,
  kBodyTemperature,
  kHeartRate,
  kGlucose,
  kPainSeverity,
  kStepsByDay,
  kWaistCircumference,
  kHeadCircumference,
};

// What the profile table says about one extension for one code.
enum class ExtensionUse { kForbidden, kAllowed, kRequired };

// Inclusive plausible human range, in the code's unit.
struct PlausibleRange {
  double low = 0;
  double high = 0;
};

// One accepted code of a profile.
struct MeasureCode {
  std::string_view system;
  std::string_view code;
  std::string_view label;  // plain English, for messages: "body weight"
  std::string_view unit;   // UCUM code required in valueQuantity.code; empty for components
  PlausibleRange range;    // unused for components
  bool wholeNumbers = false;
  ExtensionUse moment = ExtensionUse::kForbidden;        // mesures-moment-of-measurement
  ExtensionUse numberOfDays = ExtensionUse::kForbidden;  // mesures-number-of-days
};

// One component of a component-valued profile (blood pressure), coded in LOINC.
struct MeasureComponent {
  std::string_view code;
  std::string_view label;  // "systolic blood pressure"
  std::string_view unit;   // UCUM
  PlausibleRange range;
};

enum class MeasureValue {
  kQuantity,    // valueQuantity
  kComponents,  // no value[x]; every MeasureComponent exactly once
};

struct MeasureProfile {
  MeasureKind kind;
  std::string_view name;   // e.g. "mes-observation-bodyweight"
  std::string_view url;    // full canonical
  std::string_view title;  // plain English: "body weight"
  MeasureValue value;
  std::span<const MeasureCode> codes;
  std::span<const MeasureComponent> components;  // empty unless value == kComponents
  bool writtenByGatewayOnly = false;             // BMI: computed by the gateway, refused from apps

  // The accepted code with this system and code, or nullptr.
  const MeasureCode* findCode(std::string_view system, std::string_view code) const;
};

// The 11 profiles, in SPEC §2 order. The reference lives as long as the program.
const std::vector<MeasureProfile>& measureProfiles();
// The profile with this canonical URL ("url" or "url|version"), or nullptr.
const MeasureProfile* findMeasureProfile(std::string_view canonicalUrl);

// Who produced the measure: an app, or the gateway itself (the only producer of BMI).
enum class MeasureOrigin { kApp, kGateway };

// One component value of a validated blood-pressure measure.
struct ValidatedComponent {
  const MeasureComponent* component = nullptr;
  std::string valueText;  // as written, e.g. "120"
  double value = 0;
};

struct ValidatedMeasure {
  const MeasureProfile* profile = nullptr;
  std::string loincOrCode;  // the matched code, e.g. "29463-7" or "MED-972"
  std::string codeSystem;   // its system
  std::string patientId;    // from subject "Patient/<id>"
  DateTime effective;
  std::optional<double> value;  // valueQuantity.value when the profile has a value

  const MeasureCode* code = nullptr;           // the table row of loincOrCode
  std::optional<std::string> valueText;        // valueQuantity.value as written ("70.50")
  std::string unit;                            // valueQuantity.code (UCUM); empty for components
  std::vector<ValidatedComponent> components;  // blood pressure: systolic then diastolic
  std::optional<std::string> moment;           // mesures-moment-of-measurement valueCode
  std::optional<int64_t> numberOfDays;         // mesures-number-of-days valueInteger
};

// Validates `observation` (a parsed JSON value) against the R4 Observation structure and the
// MES measure profiles, reporting every problem in one pass. `nowMs` is the server clock (ms
// since the epoch, UTC). On success returns what the gateway needs to store and index the
// measure. On failure returns one Error whose problems carry the project codes listed below
// and FHIRPath expressions; kind kInvalid (400) when any problem is structural (wrong JSON
// type, unknown element, null/empty element, malformed primitive, not an Observation),
// otherwise kUnprocessable (422).
//
// Rules (SPEC §2), with their project codes:
//  - resourceType "Observation" ("resource-type-mismatch"); R4 element names only
//    ("unknown-element"); JSON types of every element ("invalid-type"); one value per choice
//    element ("invalid-choice");
//  - not accepted on measures ("element-not-allowed"): implicitRules, contained,
//    modifierExtension, value[x] other than valueQuantity (none at all for blood pressure),
//    effective[x] other than effectiveDateTime, component outside blood pressure,
//    dataAbsentReason where a value is required, valueQuantity.comparator;
//  - meta.profile names one MES measure profile ("profile-missing", "profile-unknown",
//    "profile-ambiguous" when it names two different ones); other profiles may be listed too;
//  - status final | amended | entered-in-error ("status-invalid");
//  - category holds vital-signs from observation-category ("category-missing");
//  - code.coding holds exactly one of the profile's codes ("code-mismatch" at
//    Observation.code.coding, "code-ambiguous");
//  - subject is a reference "Patient/<id>" ("subject-invalid"); required elements missing:
//    "element-missing";
//  - effectiveDateTime at least to the day ("effective-imprecise") and not more than
//    kMaxFutureSkewMs after nowMs ("effective-in-future");
//  - valueQuantity: value, system UCUM ("unit-system-mismatch"), code = the table's unit
//    ("unit-mismatch"; `unit` is free human text), whole numbers where the table says
//    ("value-not-integer"), inside the plausible range ("value-out-of-range", range in the
//    message; not checked when the unit is wrong);
//  - blood pressure: 8480-6 and 8462-4 each exactly once ("component-missing",
//    "component-duplicate", "component-not-allowed" for any other), each checked like a
//    valueQuantity, systolic > diastolic ("systolic-not-above-diastolic");
//  - extensions moment-of-measurement and number-of-days per the table ("extension-missing",
//    "extension-not-allowed", "extension-duplicate", "extension-value-invalid"); other
//    (non-modifier) extensions are accepted after their structure is checked;
//  - BMI only from MeasureOrigin::kGateway ("bmi-computed-by-gateway").
Result<ValidatedMeasure> validateMeasure(const Value& observation, int64_t nowMs,
                                         MeasureOrigin origin = MeasureOrigin::kApp);

}  // namespace mes::fhir
