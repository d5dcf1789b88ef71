#include "fhir/profiles/measure_profiles.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "fhir/profiles/domain_resource.h"
#include "fhir/types/datatypes.h"
#include "fhir/validation/issues.h"

namespace mes::fhir {
namespace {

// ---- The profile table (SPEC §2) --------------------------------------------------------
//
// Decisions where SPEC §2 is silent or ambiguous:
//  - number-of-days on HbA1c (4548-4): SPEC's "(both need number-of-days extension)" can be
//    read as HbA1c + MED-972 or as interstitial glucose + MED-972. The ANS "Mesures de santé"
//    IG (ans.fhir.fr.mesures 3.x) settles it: the glucose profile says the number-of-days
//    extension is for interstitial glucose and the glucose management indicator (IGG), and
//    HbA1c has its own profile (mesures-observation-hb1ac) without that extension. So
//    number-of-days is required for 99504-3 and MED-972 and, as SPEC allows each extension
//    "only where the table says", forbidden for HbA1c like everywhere else.
//  - moment-of-measurement: required for blood glucose 2345-7 only (IG: "utilisée dans le
//    cas de la mesure du glucose sanguin"), forbidden elsewhere.
//  - BMI plausible range: SPEC gives none. BMI is computed by the gateway from a weight and a
//    height that each passed their own range, so its range is exactly what those ranges can
//    produce (0.2 kg / (2.80 m)^2 to 650 kg / (0.20 m)^2): a pairing of two plausible inputs is
//    never refused, while the classic slip of dividing by centimetres instead of metres
//    (70 kg / 175^2 = 0.0023) still is.
//  - Blood-pressure components other than 8480-6 and 8462-4 are refused: MES stores
//    exactly the systolic/diastolic pair.
//  - Steps and pain accept whole numbers written with a zero fraction ("7.0").
//  - Only the gateway's canonical URLs (kMeasureProfileBase) name MES profiles; the ANS IG
//    canonicals are other profiles and are ignored like any other extra meta.profile.

constexpr auto kNo = ExtensionUse::kForbidden;
constexpr auto kYes = ExtensionUse::kRequired;

// clang-format off
// Columns: system, code, label, UCUM unit, plausible range, whole numbers only,
// moment-of-measurement, number-of-days.
constexpr MeasureCode kBodyWeightCodes[] = {
    {kLoincSystem, "29463-7", "body weight",                   "kg",      {0.2, 650},     false, kNo,  kNo}};
constexpr MeasureCode kBodyHeightCodes[] = {
    {kLoincSystem, "8302-2",  "body height",                   "cm",      {20, 280},      false, kNo,  kNo}};
// SPEC gives no BMI range. Each of weight and height may be plausible while their ratio is
// not (an infant's weight with an adult's stale height); the gateway withholds a derived BMI
// outside the range of observed human BMIs rather than show a wrong one.
constexpr PlausibleRange kBmiRange = {5, 250};
constexpr MeasureCode kBmiCodes[] = {
    {kLoincSystem, "39156-5", "body mass index",               "kg/m2",   kBmiRange,      false, kNo,  kNo}};
constexpr MeasureCode kBloodPressureCodes[] = {
    {kLoincSystem, "85354-9", "blood pressure",                "",        {0, 0},         false, kNo,  kNo}};
constexpr MeasureComponent kBloodPressureComponents[] = {
    {"8480-6", "systolic blood pressure",  "mm[Hg]", {40, 300}},   // first: must be above the second
    {"8462-4", "diastolic blood pressure", "mm[Hg]", {20, 200}}};
constexpr MeasureCode kBodyTemperatureCodes[] = {
    {kLoincSystem, "8310-5",  "body temperature",              "Cel",     {25, 45},       false, kNo,  kNo}};
constexpr MeasureCode kHeartRateCodes[] = {
    {kLoincSystem, "8867-4",  "heart rate",                    "/min",    {20, 300},      false, kNo,  kNo}};
constexpr MeasureCode kGlucoseCodes[] = {
    {kLoincSystem, "2345-7",  "blood glucose",                 "mg/dL",   {10, 1000},     false, kYes, kNo},
    {kLoincSystem, "4548-4",  "HbA1c",                         "%",       {2, 25},        false, kNo,  kNo},
    {kLoincSystem, "99504-3", "interstitial glucose",          "mg/dL",   {10, 1000},     false, kNo,  kYes},
    {kCisisSystem, "MED-972", "glucose management indicator",  "%",       {2, 25},        false, kNo,  kYes}};
constexpr MeasureCode kPainSeverityCodes[] = {
    {kLoincSystem, "72514-3", "pain severity",                 "{score}", {0, 10},        true,  kNo,  kNo}};
constexpr MeasureCode kStepsByDayCodes[] = {
    {kLoincSystem, "41950-7", "steps per day",                 "/d",      {0, 200000},    true,  kNo,  kNo}};
constexpr MeasureCode kWaistCircumferenceCodes[] = {
    {kLoincSystem, "8280-0",  "waist circumference",           "cm",      {20, 300},      false, kNo,  kNo}};
constexpr MeasureCode kHeadCircumferenceCodes[] = {
    {kLoincSystem, "8287-5",  "head circumference",            "cm",      {20, 70},       false, kNo,  kNo}};
// clang-format on

#define MES_PROFILE_URL(name) "https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/" name
#define MES_PROFILE(name) name, MES_PROFILE_URL(name)

std::vector<MeasureProfile> buildProfiles() {
  constexpr auto kQuantity = MeasureValue::kQuantity;
  constexpr auto kComponents = MeasureValue::kComponents;
  // Columns: kind, name and canonical URL, label, value shape, codes, components, gateway only.
  // clang-format off
  return {
      {MeasureKind::kBodyWeight,         MES_PROFILE("mes-observation-bodyweight"),         "body weight",         kQuantity,   kBodyWeightCodes,         {},                       false},
      {MeasureKind::kBodyHeight,         MES_PROFILE("mes-observation-bodyheight"),         "body height",         kQuantity,   kBodyHeightCodes,         {},                       false},
      {MeasureKind::kBmi,                MES_PROFILE("mes-observation-bmi"),                "body mass index",     kQuantity,   kBmiCodes,                {},                       true},
      {MeasureKind::kBloodPressure,      MES_PROFILE("mes-observation-bp"),                 "blood pressure",      kComponents, kBloodPressureCodes,      kBloodPressureComponents, false},
      {MeasureKind::kBodyTemperature,    MES_PROFILE("mes-observation-bodytemperature"),    "body temperature",    kQuantity,   kBodyTemperatureCodes,    {},                       false},
      {MeasureKind::kHeartRate,          MES_PROFILE("mes-observation-heartrate"),          "heart rate",          kQuantity,   kHeartRateCodes,          {},                       false},
      {MeasureKind::kGlucose,            MES_PROFILE("mes-observation-glucose"),            "glucose",             kQuantity,   kGlucoseCodes,            {},                       false},
      {MeasureKind::kPainSeverity,       MES_PROFILE("mes-observation-painseverity"),       "pain severity",       kQuantity,   kPainSeverityCodes,       {},                       false},
      {MeasureKind::kStepsByDay,         MES_PROFILE("mes-observation-stepsbyday"),         "steps per day",       kQuantity,   kStepsByDayCodes,         {},                       false},
      {MeasureKind::kWaistCircumference, MES_PROFILE("mes-observation-waistcircumference"), "waist circumference", kQuantity,   kWaistCircumferenceCodes, {},                       false},
      {MeasureKind::kHeadCircumference,  MES_PROFILE("mes-observation-headcircumference"),  "head circumference",  kQuantity,   kHeadCircumferenceCodes,  {},                       false},
  };
  // clang-format on
}

#undef MES_PROFILE
#undef MES_PROFILE_URL

constexpr std::string_view kMomentCodes[] = {"a-jeun", "apres-repas", "apres-effort", "malaise",
                                             "autre"};
constexpr int64_t kNumberOfDaysValues[] = {7, 14, 30, 90};
constexpr std::string_view kMeasureStatuses[] = {"final", "amended", "entered-in-error"};

// R4 Observation elements (4.0.1), with every value[x] and effective[x] choice spelled out.
// clang-format off
constexpr std::string_view kObservationElements[] = {
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
    "modifierExtension", "identifier", "basedOn", "partOf", "status", "category", "code", "subject",
    "focus", "encounter", "effectiveDateTime", "effectivePeriod", "effectiveTiming",
    "effectiveInstant", "issued", "performer", "valueQuantity", "valueCodeableConcept",
    "valueString", "valueBoolean", "valueInteger", "valueRange", "valueRatio", "valueSampledData",
    "valueTime", "valueDateTime", "valuePeriod", "dataAbsentReason", "interpretation", "note",
    "bodySite", "method", "specimen", "device", "referenceRange", "hasMember", "derivedFrom",
    "component"};
// clang-format on
constexpr std::string_view kValueChoices[] = {
    "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean",
    "valueInteger",  "valueRange",           "valueRatio",  "valueSampledData",
    "valueTime",     "valueDateTime",        "valuePeriod"};
constexpr std::string_view kEffectiveChoices[] = {"effectiveDateTime", "effectivePeriod",
                                                  "effectiveTiming", "effectiveInstant"};
// clang-format off
constexpr std::string_view kComponentElements[] = {
    "id", "extension", "modifierExtension", "code", "valueQuantity", "valueCodeableConcept",
    "valueString", "valueBoolean", "valueInteger", "valueRange", "valueRatio", "valueSampledData",
    "valueTime", "valueDateTime", "valuePeriod", "dataAbsentReason", "interpretation",
    "referenceRange"};
// clang-format on
constexpr std::string_view kReferenceRangeElements[] = {
    "id", "extension", "modifierExtension", "low", "high", "type", "appliesTo", "age", "text"};

// A range bound for a message: whole numbers as such ("200000"), others to 6 significant
// digits ("0.2", "0.0255102").
std::string formatNumber(double d) {
  char buf[32];
  auto res = std::trunc(d) == d && std::fabs(d) < 1e15
                 ? std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d))
                 : std::to_chars(buf, buf + sizeof buf, d, std::chars_format::general, 6);
  return std::string(buf, res.ptr);
}

std::string capitalized(std::string_view label) {
  std::string out(label);
  if (!out.empty() && out.front() >= 'a' && out.front() <= 'z') {
    out.front() = static_cast<char>(out.front() - 'a' + 'A');
  }
  return out;
}

std::string joined(std::span<const std::string_view> items, std::string_view sep) {
  std::string out;
  for (std::string_view s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string codeName(const MeasureCode& code) {
  return (code.system == kLoincSystem ? "LOINC " : "") + std::string(code.code);
}

// The choice elements of `object` present among `choices`, in document order.
std::vector<std::string_view> presentChoices(const Value& object,
                                             std::span<const std::string_view> choices) {
  std::vector<std::string_view> out;
  for (const auto& member : object.members()) {
    for (std::string_view c : choices) {
      if (member.first == c) out.push_back(c);
    }
  }
  return out;
}

// Reports more than one choice of a [x] element (structural) and each present choice other
// than `allowed` (rule, with `hint`). Returns whether `allowed` itself is present.
bool checkChoice(const Value& object, const Path& at, std::string_view elementName,
                 std::span<const std::string_view> choices, std::string_view allowed,
                 std::string_view hint, Issues& issues) {
  const std::vector<std::string_view> present = presentChoices(object, choices);
  if (present.size() > 1) {
    issues.structural("invalid-choice",
                      at.str() + " may carry only one " + std::string(elementName) + "; found " +
                          std::string(present[0]) + " and " + std::string(present[1]) + ".",
                      at.member(present[1]));
  }
  bool allowedPresent = false;
  for (std::string_view name : present) {
    if (name == allowed) {
      allowedPresent = true;
    } else {
      issues.notAllowed(at.member(name), hint);
    }
  }
  return allowedPresent;
}

void checkReferenceRange(const Value& value, const Path& at, Issues& issues) {
  if (!checkObject(value, at, "an object", kReferenceRangeElements, issues)) return;
  if (const Value* v = value.find("extension")) readExtensions(*v, at.member("extension"), issues);
  if (value.find("modifierExtension") != nullptr) {
    issues.notAllowed(at.member("modifierExtension"),
                      "the gateway does not accept modifier extensions");
  }
  if (const Value* v = value.find("low")) readQuantity(*v, at.member("low"), issues, true);
  if (const Value* v = value.find("high")) readQuantity(*v, at.member("high"), issues, true);
  if (const Value* v = value.find("type")) readCodeableConcept(*v, at.member("type"), issues);
  if (const Value* v = value.find("appliesTo")) {
    forEachItem(*v, at.member("appliesTo"), issues,
                [&](const Value& item, const Path& p) { readCodeableConcept(item, p, issues); });
  }
  if (const Value* v = value.find("age")) checkRange(*v, at.member("age"), issues);
  if (const Value* v = value.find("text")) readString(*v, at.member("text"), issues);
}

void readReferences(const Value& object, const Path& at, std::string_view name, Issues& issues) {
  if (const Value* v = object.find(name)) {
    forEachItem(*v, at.member(name), issues,
                [&](const Value& item, const Path& p) { readReference(item, p, issues); });
  }
}

void readConcepts(const Value& object, const Path& at, std::string_view name, Issues& issues) {
  if (const Value* v = object.find(name)) {
    forEachItem(*v, at.member(name), issues,
                [&](const Value& item, const Path& p) { readCodeableConcept(item, p, issues); });
  }
}

// What a valueQuantity must be for one measured quantity (a code or a component).
struct QuantityRule {
  std::string_view label;
  std::string_view unit;
  PlausibleRange range;
  bool wholeNumbers;
};

struct CheckedQuantity {
  std::string valueText;
  double value = 0;
  std::string unit;
  bool usable = false;  // value present, unit right, in range
};

// Checks the valueQuantity JSON `raw` at `at`; `rule` null when the code is unknown (then
// only the parts independent of the code are checked).
// Usual spellings of each UCUM unit of the profile table, compared case-insensitively.
bool unitDisplayFits(std::string_view display, std::string_view ucum) {
  struct Spellings {
    std::string_view ucum;
    std::initializer_list<std::string_view> displays;
  };
  static const Spellings kSpellings[] = {
      {"kg", {"kilogram", "kilograms", "kilogramme", "kilogrammes"}},
      {"cm", {"centimeter", "centimeters", "centimetre", "centimetres"}},
      {"Cel", {"\u00b0C", "degC", "C", "celsius", "degree celsius", "degrees celsius"}},
      {"/min", {"bpm", "beats/min", "beats/minute", "{beats}/min", "battements/min", "per minute"}},
      {"mm[Hg]", {"mmHg", "mm Hg", "millimeter of mercury", "millimetre de mercure"}},
      {"mg/dL", {"milligram per deciliter"}},
      {"%", {"percent", "pourcent"}},
      {"{score}", {"score"}},
      {"/d", {"steps", "steps/day", "{steps}/d", "pas", "pas/jour", "per day"}},
      {"kg/m2", {"kg/m\u00b2", "kg/m^2"}},
  };
  auto same = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  };
  if (same(display, ucum)) return true;
  for (const auto& s : kSpellings) {
    if (s.ucum != ucum) continue;
    for (std::string_view d : s.displays) {
      if (same(display, d)) return true;
    }
  }
  return false;
}

CheckedQuantity checkMeasureQuantity(const Value& raw, const Path& at, const QuantityRule* rule,
                                     Issues& issues) {
  CheckedQuantity out;
  std::optional<Quantity> q = readQuantity(raw, at, issues);
  if (!q) return out;
  if (q->comparator) {
    issues.notAllowed(at.member("comparator"), "a measure is an exact value");
  }
  bool unitOk = true;
  if (raw.find("system") == nullptr) {
    issues.missing(at.member("system"), "(http://unitsofmeasure.org)");
    unitOk = false;
  } else if (q->system && *q->system != kUcumSystem) {
    issues.error("unit-system-mismatch",
                 at.str() + ".system must be '" + std::string(kUcumSystem) + "' (UCUM); got '" +
                     *q->system + "'.",
                 at.member("system"), IssueType::kValue);
    unitOk = false;
  } else if (!q->system) {
    unitOk = false;
  }
  if (raw.find("code") == nullptr) {
    std::string why;
    if (rule != nullptr) why = "(the UCUM unit '" + std::string(rule->unit) + "')";
    issues.missing(at.member("code"), why);
    unitOk = false;
  } else if (!q->code) {
    unitOk = false;
  } else if (rule != nullptr && *q->code != rule->unit) {
    issues.error("unit-mismatch",
                 "Unit must be '" + std::string(rule->unit) + "' (UCUM) for " +
                     std::string(rule->label) + "; got '" + *q->code + "'.",
                 at.member("code"), IssueType::kValue);
    unitOk = false;
  }
  // The human-readable unit may differ in spelling from the UCUM code ("mmHg", "bpm"), but not
  // name another unit: "value": 154, "unit": "lbs", "code": "kg" is an app bug that would
  // otherwise store 154 kg.
  if (unitOk && rule != nullptr && q->unit && !unitDisplayFits(*q->unit, rule->unit)) {
    issues.error("unit-display-mismatch",
                 at.str() + ".unit '" + *q->unit + "' does not match the UCUM code '" +
                     std::string(rule->unit) + "'; use '" + std::string(rule->unit) +
                     "' or a usual spelling of it.",
                 at.member("unit"), IssueType::kValue);
    unitOk = false;
  }
  if (raw.find("value") == nullptr) {
    issues.missing(at.member("value"), "for a measure");
    return out;
  }
  if (!q->value) return out;
  out.valueText = q->value->text;
  out.value = q->value->value;
  if (q->code) out.unit = *q->code;
  if (rule == nullptr) return out;
  const Path valuePath = at.member("value");
  bool valueOk = true;
  if (rule->wholeNumbers && std::trunc(out.value) != out.value) {
    issues.error("value-not-integer",
                 capitalized(rule->label) + " must be a whole number; got " + out.valueText + ".",
                 valuePath, IssueType::kValue);
    valueOk = false;
  }
  if (unitOk && (out.value < rule->range.low || out.value > rule->range.high)) {
    issues.error("value-out-of-range",
                 capitalized(rule->label) + " must be between " + formatNumber(rule->range.low) +
                     " and " + formatNumber(rule->range.high) + " " + std::string(rule->unit) +
                     "; got " + out.valueText + ".",
                 valuePath, IssueType::kValue);
    valueOk = false;
  }
  out.usable = unitOk && valueOk && !q->comparator;
  return out;
}

// The MES measure profiles named in meta.profile; reports profile-* problems.
const MeasureProfile* selectProfile(const Value& observation, const std::optional<Meta>& meta,
                                    const Path& root, Issues& issues) {
  const Path at = root.member("meta").member("profile");
  const Value* metaValue = observation.find("meta");
  const bool profileAbsent =
      metaValue == nullptr || (metaValue->isObject() && metaValue->find("profile") == nullptr);
  if (profileAbsent) {
    issues.error("profile-missing",
                 "Observation.meta.profile must name the MES measure profile the measure "
                 "follows (e.g. " +
                     std::string(measureProfiles().front().url) + ").",
                 at, IssueType::kRequired);
    return nullptr;
  }
  if (!meta || meta->profile.empty()) return nullptr;  // malformed: already reported
  const MeasureProfile* found = nullptr;
  for (const std::string& url : meta->profile) {
    const MeasureProfile* p = findMeasureProfile(url);
    if (p == nullptr || p == found) continue;
    if (found != nullptr) {
      issues.error("profile-ambiguous",
                   "Observation.meta.profile names two MES measure profiles (" +
                       std::string(found->name) + " and " + std::string(p->name) +
                       "); a measure follows exactly one.",
                   at, IssueType::kBusinessRule);
      return nullptr;
    }
    found = p;
  }
  if (found == nullptr) {
    std::string names;
    for (const MeasureProfile& p : measureProfiles()) {
      if (!names.empty()) names += ", ";
      names += p.name;
    }
    issues.error("profile-unknown",
                 "Observation.meta.profile must name one of the MES measure profiles under " +
                     std::string(kMeasureProfileBase) + " (" + names + ").",
                 at, IssueType::kValue);
  }
  return found;
}

// The table row matching the codings of `code`; reports code-* problems.
const MeasureCode* selectCode(const CodeableConcept& code, const MeasureProfile& profile,
                              const Path& root, Issues& issues) {
  const Path at = root.member("code").member("coding");
  const MeasureCode* found = nullptr;
  for (const Coding& c : code.coding) {
    if (!c.system || !c.code) continue;
    const MeasureCode* m = profile.findCode(*c.system, *c.code);
    if (m == nullptr || m == found) continue;
    if (found != nullptr) {
      issues.error("code-ambiguous",
                   "Observation.code.coding holds two codes of " + std::string(profile.name) +
                       " (" + codeName(*found) + " and " + codeName(*m) +
                       "); send one measure per Observation.",
                   at, IssueType::kBusinessRule);
      return nullptr;
    }
    found = m;
  }
  if (found != nullptr) return found;

  std::string expected;
  for (const MeasureCode& m : profile.codes) {
    if (!expected.empty()) expected += " or ";
    expected += std::string(m.code) + " (system " + std::string(m.system) + ")";
  }
  // Name the profile the code does belong to, when it is another MES measure.
  for (const Coding& c : code.coding) {
    if (!c.system || !c.code) continue;
    for (const MeasureProfile& other : measureProfiles()) {
      if (&other == &profile || other.findCode(*c.system, *c.code) == nullptr) continue;
      issues.error("code-mismatch",
                   "Code " + *c.code + " belongs to profile " + std::string(other.name) +
                       ", not to " + std::string(profile.name) +
                       " named in meta.profile; expected " + expected + ".",
                   at, IssueType::kValue);
      return nullptr;
    }
  }
  issues.error("code-mismatch",
               "Observation.code.coding must hold the code of " + std::string(profile.name) + ": " +
                   expected + ".",
               at, IssueType::kValue);
  return nullptr;
}

struct MeasureExtensions {
  std::optional<std::string> moment;
  std::optional<int64_t> numberOfDays;
};

// Applies the moment / number-of-days rules to the Observation's extensions. `code` null
// when the code is not known: only the values are checked then.
MeasureExtensions checkMeasureExtensions(const std::vector<Extension>& extensions,
                                         const Value& observation, const MeasureCode* code,
                                         const Path& root, Issues& issues) {
  MeasureExtensions out;
  const Path at = root.member("extension");
  // Index in the JSON array of each read extension: readExtensions drops items that are not
  // objects, so map by position among the object items.
  std::vector<size_t> jsonIndex;
  if (const Value* raw = observation.find("extension"); raw != nullptr && raw->isArray()) {
    for (size_t i = 0; i < raw->items().size(); ++i) {
      if (raw->items()[i].isObject() && !raw->items()[i].members().empty()) jsonIndex.push_back(i);
    }
  }
  size_t momentCount = 0;
  size_t daysCount = 0;
  for (size_t k = 0; k < extensions.size() && k < jsonIndex.size(); ++k) {
    const Extension& e = extensions[k];
    if (!e.url) continue;
    const Path where = at.index(jsonIndex[k]);
    const bool isMoment = *e.url == kMomentOfMeasurementUrl;
    const bool isDays = *e.url == kNumberOfDaysUrl;
    if (!isMoment && !isDays) continue;
    const std::string_view name = isMoment ? "moment-of-measurement" : "number-of-days";
    const ExtensionUse use =
        code == nullptr ? ExtensionUse::kAllowed : (isMoment ? code->moment : code->numberOfDays);
    size_t& count = isMoment ? momentCount : daysCount;
    ++count;
    if (use == ExtensionUse::kForbidden) {
      issues.error("extension-not-allowed",
                   "The " + std::string(name) + " extension is not allowed on " +
                       std::string(code->label) + " (" + codeName(*code) + ").",
                   where, IssueType::kExtension);
      continue;
    }
    if (count > 1) {
      issues.error("extension-duplicate",
                   "The " + std::string(name) + " extension may appear only once.", where,
                   IssueType::kExtension);
      continue;
    }
    const Path valuePath = e.valueElement.empty() ? where : where.member(e.valueElement);
    if (isMoment) {
      const bool ok = e.valueElement == "valueCode" && e.valueText &&
                      std::find(std::begin(kMomentCodes), std::end(kMomentCodes), *e.valueText) !=
                          std::end(kMomentCodes);
      if (ok) {
        out.moment = e.valueText;
      } else if (e.valueElement != "valueCode" || e.valueText) {  // else already reported
        issues.error("extension-value-invalid",
                     "The moment-of-measurement extension must have a valueCode among " +
                         joined(kMomentCodes, ", ") + ".",
                     valuePath, IssueType::kCodeInvalid);
      }
    } else {
      const bool ok = e.valueElement == "valueInteger" && e.valueInteger &&
                      std::find(std::begin(kNumberOfDaysValues), std::end(kNumberOfDaysValues),
                                *e.valueInteger) != std::end(kNumberOfDaysValues);
      if (ok) {
        out.numberOfDays = e.valueInteger;
      } else if (e.valueElement != "valueInteger" || e.valueInteger) {
        issues.error("extension-value-invalid",
                     "The number-of-days extension must have a valueInteger of 7, 14, 30 or 90.",
                     valuePath, IssueType::kValue);
      }
    }
  }
  // An extension element that is not an array was reported already; its content is unknown.
  const Value* raw = observation.find("extension");
  if (code != nullptr && (raw == nullptr || raw->isArray())) {
    if (code->moment == ExtensionUse::kRequired && momentCount == 0) {
      issues.error("extension-missing",
                   capitalized(code->label) + " (" + codeName(*code) +
                       ") requires the moment-of-measurement extension (url " +
                       std::string(kMomentOfMeasurementUrl) + ", valueCode " +
                       joined(kMomentCodes, ", ") + ").",
                   at, IssueType::kRequired);
    }
    if (code->numberOfDays == ExtensionUse::kRequired && daysCount == 0) {
      issues.error("extension-missing",
                   capitalized(code->label) + " (" + codeName(*code) +
                       ") requires the number-of-days extension (url " +
                       std::string(kNumberOfDaysUrl) + ", valueInteger 7, 14, 30 or 90).",
                   at, IssueType::kRequired);
    }
  }
  return out;
}

}  // namespace

const MeasureCode* MeasureProfile::findCode(std::string_view system, std::string_view code) const {
  for (const MeasureCode& m : codes) {
    if (m.system == system && m.code == code) return &m;
  }
  return nullptr;
}

const std::vector<MeasureProfile>& measureProfiles() {
  static const std::vector<MeasureProfile> kProfiles = buildProfiles();
  return kProfiles;
}

const MeasureProfile* findMeasureProfile(std::string_view canonicalUrl) {
  const std::string_view url = canonicalUrl.substr(0, canonicalUrl.find('|'));
  for (const MeasureProfile& p : measureProfiles()) {
    if (p.url == url) return &p;
  }
  return nullptr;
}

namespace {

// Blood-pressure components: each of the profile's components exactly once.
std::vector<ValidatedComponent> checkComponents(const Value& raw, const MeasureProfile& profile,
                                                const Path& root, Issues& issues) {
  const Path at = root.member("component");
  std::vector<std::optional<CheckedQuantity>> seen(profile.components.size());
  // Items whose code could not be read: which component they meant is unknown, so no
  // component is reported missing on top of their own problem.
  bool unidentified = false;
  bool readable = forEachItem(raw, at, issues, [&](const Value& item, const Path& p) {
    if (!checkObject(item, p, "a component object", kComponentElements, issues)) {
      unidentified = true;
      return;
    }
    if (const Value* v = item.find("extension")) readExtensions(*v, p.member("extension"), issues);
    if (item.find("modifierExtension") != nullptr) {
      issues.notAllowed(p.member("modifierExtension"),
                        "the gateway does not accept modifier extensions");
    }
    if (const Value* v = item.find("dataAbsentReason")) {
      readCodeableConcept(*v, p.member("dataAbsentReason"), issues);
      issues.notAllowed(p.member("dataAbsentReason"), "each blood-pressure value is required");
    }
    readConcepts(item, p, "interpretation", issues);
    if (const Value* v = item.find("referenceRange")) {
      forEachItem(*v, p.member("referenceRange"), issues,
                  [&](const Value& r, const Path& rp) { checkReferenceRange(r, rp, issues); });
    }
    checkChoice(item, p, "value[x]", kValueChoices, "valueQuantity",
                "a blood-pressure component carries a valueQuantity", issues);

    const MeasureComponent* component = nullptr;
    size_t componentIndex = 0;
    if (const Value* v = item.find("code")) {
      const size_t errorsBefore = issues.errorCount();
      std::optional<CodeableConcept> cc = readCodeableConcept(*v, p.member("code"), issues);
      if (!cc || issues.errorCount() != errorsBefore) {
        unidentified = true;
      } else {
        for (size_t i = 0; i < profile.components.size() && component == nullptr; ++i) {
          if (cc->find(kLoincSystem, profile.components[i].code) != nullptr) {
            component = &profile.components[i];
            componentIndex = i;
          }
        }
        if (component == nullptr) {
          std::string expected;
          for (const MeasureComponent& c : profile.components) {
            if (!expected.empty()) expected += " or ";
            expected += std::string(c.code) + " (" + std::string(c.label) + ")";
          }
          issues.error("component-not-allowed",
                       p.str() + ".code must be the LOINC code " + expected + ".",
                       p.member("code").member("coding"), IssueType::kValue);
        }
      }
    } else {
      issues.missing(p.member("code"), "in every component");
      unidentified = true;
    }

    std::optional<CheckedQuantity> value;
    if (const Value* q = item.find("valueQuantity")) {
      if (component != nullptr) {
        const QuantityRule rule{component->label, component->unit, component->range, false};
        value = checkMeasureQuantity(*q, p.member("valueQuantity"), &rule, issues);
      } else {
        checkMeasureQuantity(*q, p.member("valueQuantity"), nullptr, issues);
      }
    } else if (presentChoices(item, kValueChoices).empty() &&
               item.find("dataAbsentReason") == nullptr) {
      issues.missing(p.member("valueQuantity"), "in every blood-pressure component");
    }
    if (component == nullptr) return;
    if (seen[componentIndex]) {
      issues.error("component-duplicate",
                   "Blood pressure must have exactly one " + std::string(component->label) +
                       " component (LOINC " + std::string(component->code) + ").",
                   p, IssueType::kDuplicate);
      return;
    }
    seen[componentIndex] = value ? *value : CheckedQuantity{};
  });
  std::vector<ValidatedComponent> out;
  if (!readable) return out;
  for (size_t i = 0; i < profile.components.size(); ++i) {
    const MeasureComponent& c = profile.components[i];
    if (!seen[i]) {
      if (unidentified) continue;
      issues.error("component-missing",
                   "Blood pressure requires one " + std::string(c.label) + " component (LOINC " +
                       std::string(c.code) + ", valueQuantity in " + std::string(c.unit) + ").",
                   at, IssueType::kRequired);
      continue;
    }
    out.push_back({&c, seen[i]->valueText, seen[i]->value});
  }
  // Systolic (first) above diastolic (second), when both values are usable.
  if (seen.size() == 2 && seen[0] && seen[1] && seen[0]->usable && seen[1]->usable &&
      seen[0]->value <= seen[1]->value) {
    issues.error("systolic-not-above-diastolic",
                 "Systolic pressure (" + seen[0]->valueText +
                     " mm[Hg]) must be greater than diastolic pressure (" + seen[1]->valueText +
                     " mm[Hg]).",
                 at, IssueType::kValue);
  }
  return out;
}

}  // namespace

Result<ValidatedMeasure> validateMeasure(const Value& observation, int64_t nowMs,
                                         MeasureOrigin origin) {
  Issues issues;
  if (!checkResourceType(observation, "Observation", issues)) return issues.toError();
  const Path root("Observation");
  issues.checkElements(observation, root, kObservationElements);
  DomainResourceParts common = checkDomainResource(observation, root, issues);

  ValidatedMeasure out;
  const MeasureProfile* profile = selectProfile(observation, common.meta, root, issues);
  if (profile != nullptr && profile->writtenByGatewayOnly && origin == MeasureOrigin::kApp) {
    issues.error("bmi-computed-by-gateway",
                 "The body mass index is computed by the gateway from weight and height; apps "
                 "must not send it.",
                 root.member("meta").member("profile"), IssueType::kBusinessRule);
  }

  // Elements R4 allows and measures do not use are still checked for their shape.
  if (const Value* v = observation.find("identifier")) {
    forEachItem(*v, root.member("identifier"), issues,
                [&](const Value& item, const Path& p) { readIdentifier(item, p, issues); });
  }
  for (std::string_view name :
       {"basedOn", "partOf", "focus", "performer", "hasMember", "derivedFrom"}) {
    readReferences(observation, root, name, issues);
  }
  for (std::string_view name : {"encounter", "specimen", "device"}) {
    if (const Value* v = observation.find(name)) readReference(*v, root.member(name), issues);
  }
  if (const Value* v = observation.find("issued")) {
    readDateTime(*v, root.member("issued"), issues, DateTimeForm::kInstant);
  }
  readConcepts(observation, root, "interpretation", issues);
  for (std::string_view name : {"bodySite", "method"}) {
    if (const Value* v = observation.find(name)) readCodeableConcept(*v, root.member(name), issues);
  }
  if (const Value* v = observation.find("note")) {
    forEachItem(*v, root.member("note"), issues,
                [&](const Value& item, const Path& p) { checkAnnotation(item, p, issues); });
  }
  if (const Value* v = observation.find("referenceRange")) {
    forEachItem(*v, root.member("referenceRange"), issues,
                [&](const Value& item, const Path& p) { checkReferenceRange(item, p, issues); });
  }

  // status
  if (const Value* v = observation.find("status")) {
    if (std::optional<std::string> status = readCode(*v, root.member("status"), issues)) {
      if (std::find(std::begin(kMeasureStatuses), std::end(kMeasureStatuses), *status) ==
          std::end(kMeasureStatuses)) {
        issues.error("status-invalid",
                     "Observation.status must be final, amended or entered-in-error for a "
                     "measure; got '" +
                         *status + "'.",
                     root.member("status"), IssueType::kCodeInvalid);
      }
    }
  } else {
    issues.missing(root.member("status"), "(final, amended or entered-in-error)");
  }

  // category
  const std::string vitalSigns =
      "Observation.category must contain the coding vital-signs "
      "(system " +
      std::string(kObservationCategorySystem) + ").";
  if (const Value* v = observation.find("category")) {
    bool found = false;
    const size_t errorsBefore = issues.errorCount();
    forEachItem(*v, root.member("category"), issues, [&](const Value& item, const Path& p) {
      if (std::optional<CodeableConcept> cc = readCodeableConcept(item, p, issues)) {
        found = found || cc->find(kObservationCategorySystem, kVitalSignsCategory) != nullptr;
      }
    });
    // A category that could not be read whole was reported already.
    if (!found && issues.errorCount() == errorsBefore) {
      issues.error("category-missing", vitalSigns, root.member("category"), IssueType::kValue);
    }
  } else {
    issues.error("category-missing", vitalSigns, root.member("category"), IssueType::kRequired);
  }

  // code
  const MeasureCode* code = nullptr;
  if (const Value* v = observation.find("code")) {
    const size_t errorsBefore = issues.errorCount();
    std::optional<CodeableConcept> cc = readCodeableConcept(*v, root.member("code"), issues);
    // A code that could not be read whole was reported already; matching it would add noise.
    if (cc && profile != nullptr && issues.errorCount() == errorsBefore) {
      code = selectCode(*cc, *profile, root, issues);
    }
  } else {
    issues.missing(root.member("code"), "for every measure");
  }

  // subject
  if (const Value* v = observation.find("subject")) {
    const Path at = root.member("subject");
    if (std::optional<Reference> subject = readReference(*v, at, issues)) {
      RelativeReference ref;
      if (!subject->reference) {
        if (v->find("reference") == nullptr) {
          issues.error("subject-invalid",
                       "Observation.subject must be a reference \"Patient/<id>\" to the paired "
                       "patient.",
                       at.member("reference"), IssueType::kRequired);
        }
      } else if (!parseRelativeReference(*subject->reference, ref) || ref.type != "Patient" ||
                 !ref.versionId.empty()) {
        issues.error("subject-invalid",
                     "Observation.subject.reference must be \"Patient/<id>\" for the paired "
                     "patient; got '" +
                         *subject->reference + "'.",
                     at.member("reference"), IssueType::kValue);
      } else {
        out.patientId = ref.id;
      }
    }
  } else {
    issues.missing(root.member("subject"), "(a reference \"Patient/<id>\" to the paired patient)");
  }

  // effective[x]
  const bool hasEffective =
      checkChoice(observation, root, "effective[x]", kEffectiveChoices, "effectiveDateTime",
                  "a measure is dated with effectiveDateTime", issues);
  if (hasEffective) {
    const Path at = root.member("effectiveDateTime");
    if (std::optional<DateTime> when =
            readDateTime(*observation.find("effectiveDateTime"), at, issues)) {
      out.effective = *when;
      if (when->precision == DatePrecision::kYear || when->precision == DatePrecision::kMonth) {
        issues.error("effective-imprecise",
                     "Observation.effectiveDateTime must give at least the day of the measure; "
                     "got '" +
                         observation.find("effectiveDateTime")->text() + "'.",
                     at, IssueType::kValue);
      }
      if (when->lowMs > nowMs + kMaxFutureSkewMs) {
        issues.error("effective-in-future",
                     "Observation.effectiveDateTime (" +
                         observation.find("effectiveDateTime")->text() +
                         ") is in the future; a measure may be dated at most 5 minutes after "
                         "the server time (" +
                         formatInstant(nowMs) + ").",
                     at, IssueType::kValue);
      }
    }
  } else if (presentChoices(observation, kEffectiveChoices).empty()) {
    issues.missing(root.member("effectiveDateTime"), "for every measure");
  }

  // value[x], component, dataAbsentReason
  const bool componentValued = profile != nullptr && profile->value == MeasureValue::kComponents;
  if (componentValued) {
    checkChoice(observation, root, "value[x]", kValueChoices, "",
                "blood pressure carries its values in component (8480-6 systolic, 8462-4 "
                "diastolic)",
                issues);
    if (const Value* v = observation.find("component")) {
      out.components = checkComponents(*v, *profile, root, issues);
    } else {
      for (const MeasureComponent& c : profile->components) {
        issues.error("component-missing",
                     "Blood pressure requires one " + std::string(c.label) + " component (LOINC " +
                         std::string(c.code) + ", valueQuantity in " + std::string(c.unit) + ").",
                     root.member("component"), IssueType::kRequired);
      }
    }
    if (const Value* v = observation.find("dataAbsentReason")) {
      readCodeableConcept(*v, root.member("dataAbsentReason"), issues);
    }
  } else {
    const bool hasQuantity =
        checkChoice(observation, root, "value[x]", kValueChoices, "valueQuantity",
                    "a measure's value is a valueQuantity", issues);
    if (hasQuantity) {
      const Path at = root.member("valueQuantity");
      std::optional<QuantityRule> rule;
      if (code != nullptr) {
        rule = QuantityRule{code->label, code->unit, code->range, code->wholeNumbers};
      }
      CheckedQuantity q = checkMeasureQuantity(*observation.find("valueQuantity"), at,
                                               rule ? &*rule : nullptr, issues);
      if (!q.valueText.empty()) {
        out.value = q.value;
        out.valueText = q.valueText;
      }
      out.unit = q.unit;
    } else if (presentChoices(observation, kValueChoices).empty()) {
      issues.missing(root.member("valueQuantity"), "for this measure");
    }
    if (observation.find("component") != nullptr) {
      issues.notAllowed(root.member("component"), "only blood pressure has components");
    }
    if (const Value* v = observation.find("dataAbsentReason")) {
      readCodeableConcept(*v, root.member("dataAbsentReason"), issues);
      issues.notAllowed(root.member("dataAbsentReason"), "a measure must carry its value");
    }
  }

  const MeasureExtensions extensions =
      checkMeasureExtensions(common.extension, observation, code, root, issues);

  if (issues.hasErrors()) return issues.toError();
  if (profile == nullptr || code == nullptr) {
    // Every path that leaves either unset reports an error; reaching here is a bug.
    return Error::internal("validateMeasure: no error reported but profile or code unset");
  }
  out.profile = profile;
  out.code = code;
  out.loincOrCode = std::string(code->code);
  out.codeSystem = std::string(code->system);
  out.moment = extensions.moment;
  out.numberOfDays = extensions.numberOfDays;
  return out;
}

}  // namespace mes::fhir
