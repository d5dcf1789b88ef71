#include "fhir/profiles/measure_profiles.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "fhir/json_edit.h"
#include "fhir/outcome/operation_outcome.h"

using mes::ErrorKind;
using mes::Status;
using namespace mes::fhir;
using mes::test::actualProblems;
using mes::test::apply;
using mes::test::Edit;  // edits of the base resource; index == size appends
namespace bdata = boost::unit_test::data;

namespace {

#define MOMENT_URL                                                      \
  "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/" \
  "mesures-moment-of-measurement"
#define DAYS_URL \
  "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-number-of-days"
#define MOMENT_EXT R"({"url":")" MOMENT_URL R"(","valueCode":"a-jeun"})"
#define DAYS_EXT R"({"url":")" DAYS_URL R"(","valueInteger":14})"
#define LOINC "http://loinc.org"
#define CISIS "https://smt.esante.gouv.fr/fhir/CodeSystem/terminologie-cisis"

// Server clock of every test: 2025-03-01T12:00:00Z.
int64_t now() {
  static const int64_t kNow =
      parseDateTime("2025-03-01T12:00:00Z", DateTimeForm::kInstant).value().lowMs;
  return kNow;
}

// One valid measure per profile and per glucose code.
struct Variant {
  const char* id;
  const char* profile;  // profile name
  const char* system;
  const char* code;
  const char* unit;        // "" for blood pressure
  const char* value;       // JSON number, unused for blood pressure
  const char* extensions;  // JSON array or ""
};

// clang-format off
const Variant kVariants[] = {
    {"weight", "mes-observation-bodyweight", LOINC, "29463-7", "kg", "70.50", ""},
    {"height", "mes-observation-bodyheight", LOINC, "8302-2", "cm", "175", ""},
    {"bmi", "mes-observation-bmi", LOINC, "39156-5", "kg/m2", "23.0", ""},
    {"bp", "mes-observation-bp", LOINC, "85354-9", "", "", ""},
    {"temperature", "mes-observation-bodytemperature", LOINC, "8310-5", "Cel", "37.2", ""},
    {"heartrate", "mes-observation-heartrate", LOINC, "8867-4", "/min", "72", ""},
    {"glucose-blood", "mes-observation-glucose", LOINC, "2345-7", "mg/dL", "95",
     "[" MOMENT_EXT "]"},
    {"glucose-hba1c", "mes-observation-glucose", LOINC, "4548-4", "%", "6.5", ""},
    {"glucose-interstitial", "mes-observation-glucose", LOINC, "99504-3", "mg/dL", "110",
     "[" DAYS_EXT "]"},
    {"glucose-gmi", "mes-observation-glucose", CISIS, "MED-972", "%", "6.8", "[" DAYS_EXT "]"},
    {"pain", "mes-observation-painseverity", LOINC, "72514-3", "{score}", "4", ""},
    {"steps", "mes-observation-stepsbyday", LOINC, "41950-7", "/d", "8500", ""},
    {"waist", "mes-observation-waistcircumference", LOINC, "8280-0", "cm", "85", ""},
    {"head", "mes-observation-headcircumference", LOINC, "8287-5", "cm", "35", ""},
};
// clang-format on

std::ostream& operator<<(std::ostream& os, const Variant& v) {
  return os << v.id;
}

const Variant& variant(std::string_view id) {
  for (const Variant& v : kVariants) {
    if (v.id == id) return v;
  }
  throw std::runtime_error("no variant " + std::string(id));
}

Value parse(const std::string& json) {
  auto r = parseJson(json);
  if (!r.isOk()) throw std::runtime_error("bad test JSON: " + json);
  return std::move(r).value();
}

Value baseObservation(const Variant& v) {
  std::string json = R"({"resourceType":"Observation","meta":{"profile":[")";
  json += "https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/";
  json += v.profile;
  json += R"("]},)";
  if (*v.extensions != '\0') json += std::string(R"("extension":)") + v.extensions + ",";
  json +=
      R"("status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)";
  json += R"("code":{"coding":[{"system":")" + std::string(v.system) + R"(","code":")" + v.code +
          R"("}]},)";
  json +=
      R"("subject":{"reference":"Patient/p-123"},"effectiveDateTime":"2025-03-01T08:30:00+01:00",)";
  if (*v.unit == '\0') {
    json +=
        R"("component":[)"
        R"({"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},)"
        R"("valueQuantity":{"value":120,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},)"
        R"({"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},)"
        R"("valueQuantity":{"value":80,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]})";
  } else {
    json += R"("valueQuantity":{"value":)" + std::string(v.value) + R"(,"unit":")" + v.unit +
            R"(","system":"http://unitsofmeasure.org","code":")" + v.unit + R"("}})";
  }
  return parse(json);
}

struct Case {
  const char* variant;
  const char* what;
  Edit edit1;
  Edit edit2;
  MeasureOrigin origin;
  int status;          // 0 = valid; else 400 or 422
  const char* expect;  // "code@expression" separated by spaces, in order; "" when valid
};
std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.variant << " / " << c.what;
}

constexpr MeasureOrigin kApp = MeasureOrigin::kApp;
constexpr MeasureOrigin kGw = MeasureOrigin::kGateway;
constexpr Edit kNoEdit{};

// clang-format off
const Case kCases[] = {
    // ---- body weight
    {"weight", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"weight", "wrong unit", {"valueQuantity.code", R"("[lb_av]")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"weight", "wrong code", {"code.coding.0.code", R"("8302-2")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"weight", "subject missing", {"subject", nullptr}, kNoEdit, kApp, 422,
     "element-missing@Observation.subject"},
    {"weight", "out of range", {"valueQuantity.value", "700"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"weight", "moment forbidden", {"extension", "[" MOMENT_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    // ---- body height
    {"height", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"height", "wrong unit", {"valueQuantity.code", R"("m")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"height", "wrong code", {"code.coding.0.code", R"("29463-7")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"height", "status missing", {"status", nullptr}, kNoEdit, kApp, 422,
     "element-missing@Observation.status"},
    {"height", "out of range", {"valueQuantity.value", "10"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"height", "days forbidden", {"extension", "[" DAYS_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    // ---- BMI (from the gateway, the only producer)
    {"bmi", "valid from gateway", kNoEdit, kNoEdit, kGw, 0, ""},
    {"bmi", "refused from app", kNoEdit, kNoEdit, kApp, 422,
     "bmi-computed-by-gateway@Observation.meta.profile"},
    {"bmi", "wrong unit", {"valueQuantity.code", R"("kg/cm2")"}, kNoEdit, kGw, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"bmi", "wrong code", {"code.coding.0.code", R"("8867-4")"}, kNoEdit, kGw, 422,
     "code-mismatch@Observation.code.coding"},
    {"bmi", "value missing", {"valueQuantity.value", nullptr}, kNoEdit, kGw, 422,
     "element-missing@Observation.valueQuantity.value"},
    {"bmi", "out of range (height in cm)", {"valueQuantity.value", "0.0023"}, kNoEdit, kGw, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"bmi", "moment forbidden", {"extension", "[" MOMENT_EXT "]"}, kNoEdit, kGw, 422,
     "extension-not-allowed@Observation.extension[0]"},
    // ---- blood pressure
    {"bp", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"bp", "wrong unit", {"component.0.valueQuantity.code", R"("kPa")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.component[0].valueQuantity.code"},
    {"bp", "wrong code", {"code.coding.0.code", R"("8867-4")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"bp", "diastolic missing", {"component.1", nullptr}, kNoEdit, kApp, 422,
     "component-missing@Observation.component"},
    {"bp", "systolic out of range", {"component.0.valueQuantity.value", "310"}, kNoEdit, kApp,
     422, "value-out-of-range@Observation.component[0].valueQuantity.value"},
    {"bp", "days forbidden", {"extension", "[" DAYS_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    {"bp", "systolic below diastolic", {"component.0.valueQuantity.value", "70"}, kNoEdit, kApp,
     422, "systolic-not-above-diastolic@Observation.component"},
    {"bp", "systolic twice", {"component.1.code.coding.0.code", R"("8480-6")"}, kNoEdit, kApp,
     422, "component-duplicate@Observation.component[1] component-missing@Observation.component"},
    {"bp", "value[x] present",
     {"valueQuantity", R"({"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"})"},
     kNoEdit, kApp, 422, "element-not-allowed@Observation.valueQuantity"},
    {"bp", "other component",
     {"component.2", R"({"code":{"coding":[{"system":"http://loinc.org","code":"8478-0"}]},"valueQuantity":{"value":93,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}})"},
     kNoEdit, kApp, 422, "component-not-allowed@Observation.component[2].code.coding"},
    {"bp", "components missing", {"component", nullptr}, kNoEdit, kApp, 422,
     "component-missing@Observation.component component-missing@Observation.component"},
    // ---- body temperature
    {"temperature", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"temperature", "wrong unit", {"valueQuantity.code", R"("[degF]")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"temperature", "wrong code", {"code.coding.0.code", R"("8331-1")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"temperature", "effective missing", {"effectiveDateTime", nullptr}, kNoEdit, kApp, 422,
     "element-missing@Observation.effectiveDateTime"},
    {"temperature", "out of range", {"valueQuantity.value", "46"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"temperature", "moment forbidden", {"extension", "[" MOMENT_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    // ---- heart rate
    {"heartrate", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"heartrate", "wrong unit", {"valueQuantity.code", R"("/s")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"heartrate", "wrong code", {"code.coding.0.code", R"("8310-5")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"heartrate", "category missing", {"category", nullptr}, kNoEdit, kApp, 422,
     "category-missing@Observation.category"},
    {"heartrate", "out of range", {"valueQuantity.value", "19"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"heartrate", "days forbidden", {"extension", "[" DAYS_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    // ---- blood glucose 2345-7
    {"glucose-blood", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"glucose-blood", "wrong unit", {"valueQuantity.code", R"("mmol/L")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"glucose-blood", "wrong code", {"code.coding.0.code", R"("29463-7")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"glucose-blood", "meta missing", {"meta", nullptr}, kNoEdit, kApp, 422,
     "profile-missing@Observation.meta.profile"},
    {"glucose-blood", "out of range", {"valueQuantity.value", "5"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"glucose-blood", "moment missing", {"extension", nullptr}, kNoEdit, kApp, 422,
     "extension-missing@Observation.extension"},
    {"glucose-blood", "days forbidden", {"extension.1", DAYS_EXT}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[1]"},
    {"glucose-blood", "moment value unknown",
     {"extension.0", R"({"url":")" MOMENT_URL R"(","valueCode":"soir"})"}, kNoEdit, kApp, 422,
     "extension-value-invalid@Observation.extension[0].valueCode"},
    {"glucose-blood", "moment twice", {"extension.1", MOMENT_EXT}, kNoEdit, kApp, 422,
     "extension-duplicate@Observation.extension[1]"},
    // ---- HbA1c 4548-4
    {"glucose-hba1c", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"glucose-hba1c", "wrong unit", {"valueQuantity.code", R"("mg/dL")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"glucose-hba1c", "wrong code", {"code.coding.0.code", R"("4548-5")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"glucose-hba1c", "unit system missing", {"valueQuantity.system", nullptr}, kNoEdit, kApp,
     422, "element-missing@Observation.valueQuantity.system"},
    {"glucose-hba1c", "out of range", {"valueQuantity.value", "30"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"glucose-hba1c", "days forbidden", {"extension", "[" DAYS_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    // ---- interstitial glucose 99504-3
    {"glucose-interstitial", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"glucose-interstitial", "wrong unit", {"valueQuantity.code", R"("%")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"glucose-interstitial", "wrong code", {"code.coding.0.code", R"("8287-5")"}, kNoEdit, kApp,
     422, "code-mismatch@Observation.code.coding"},
    {"glucose-interstitial", "code missing", {"code", nullptr}, kNoEdit, kApp, 422,
     "element-missing@Observation.code"},
    {"glucose-interstitial", "out of range", {"valueQuantity.value", "1200"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"glucose-interstitial", "days missing", {"extension", nullptr}, kNoEdit, kApp, 422,
     "extension-missing@Observation.extension"},
    {"glucose-interstitial", "moment forbidden", {"extension.1", MOMENT_EXT}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[1]"},
    {"glucose-interstitial", "days value unknown",
     {"extension.0", R"({"url":")" DAYS_URL R"(","valueInteger":10})"}, kNoEdit, kApp, 422,
     "extension-value-invalid@Observation.extension[0].valueInteger"},
    // ---- glucose management indicator MED-972
    {"glucose-gmi", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"glucose-gmi", "wrong unit", {"valueQuantity.code", R"("mg/dL")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"glucose-gmi", "wrong system", {"code.coding.0.system", R"("http://loinc.org")"}, kNoEdit,
     kApp, 422, "code-mismatch@Observation.code.coding"},
    {"glucose-gmi", "unit code missing", {"valueQuantity.code", nullptr}, kNoEdit, kApp, 422,
     "element-missing@Observation.valueQuantity.code"},
    {"glucose-gmi", "out of range", {"valueQuantity.value", "1.5"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"glucose-gmi", "days missing", {"extension", nullptr}, kNoEdit, kApp, 422,
     "extension-missing@Observation.extension"},
    // ---- pain severity
    {"pain", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"pain", "wrong unit", {"valueQuantity.code", R"("1")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"pain", "wrong code", {"code.coding.0.code", R"("38208-5")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"pain", "valueQuantity missing", {"valueQuantity", nullptr}, kNoEdit, kApp, 422,
     "element-missing@Observation.valueQuantity"},
    {"pain", "out of range", {"valueQuantity.value", "11"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"pain", "moment forbidden", {"extension", "[" MOMENT_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    {"pain", "not a whole number", {"valueQuantity.value", "4.5"}, kNoEdit, kApp, 422,
     "value-not-integer@Observation.valueQuantity.value"},
    // ---- steps by day
    {"steps", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"steps", "wrong unit", {"valueQuantity.code", R"("{steps}")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"steps", "wrong code", {"code.coding.0.code", R"("55423-8")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"steps", "subject not a patient reference", {"subject", R"({"display":"Jean"})"}, kNoEdit,
     kApp, 422, "subject-invalid@Observation.subject.reference"},
    {"steps", "negative", {"valueQuantity.value", "-1"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"steps", "days forbidden", {"extension", "[" DAYS_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    {"steps", "whole number written 8500.0", {"valueQuantity.value", "8500.0"}, kNoEdit, kApp, 0,
     ""},
    // ---- waist circumference
    {"waist", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"waist", "wrong unit", {"valueQuantity.code", R"("[in_i]")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"waist", "wrong code", {"code.coding.0.code", R"("8287-5")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"waist", "effective missing", {"effectiveDateTime", nullptr}, kNoEdit, kApp, 422,
     "element-missing@Observation.effectiveDateTime"},
    {"waist", "out of range", {"valueQuantity.value", "301"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"waist", "moment forbidden", {"extension", "[" MOMENT_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    // ---- head circumference
    {"head", "valid", kNoEdit, kNoEdit, kApp, 0, ""},
    {"head", "wrong unit", {"valueQuantity.code", R"("mm")"}, kNoEdit, kApp, 422,
     "unit-mismatch@Observation.valueQuantity.code"},
    {"head", "wrong code", {"code.coding.0.code", R"("8280-0")"}, kNoEdit, kApp, 422,
     "code-mismatch@Observation.code.coding"},
    {"head", "unit code missing", {"valueQuantity.code", nullptr}, kNoEdit, kApp, 422,
     "element-missing@Observation.valueQuantity.code"},
    {"head", "out of range", {"valueQuantity.value", "71"}, kNoEdit, kApp, 422,
     "value-out-of-range@Observation.valueQuantity.value"},
    {"head", "days forbidden", {"extension", "[" DAYS_EXT "]"}, kNoEdit, kApp, 422,
     "extension-not-allowed@Observation.extension[0]"},
    // ---- rules shared by every measure
    {"weight", "unit display names another unit", {"valueQuantity.unit", R"("lbs")"}, kNoEdit,
     kApp, 422, "unit-display-mismatch@Observation.valueQuantity.unit"},
    {"weight", "unit display spelled out", {"valueQuantity.unit", R"("kilograms")"}, kNoEdit,
     kApp, 0, ""},
    {"bp", "unit display mmHg", {"component.0.valueQuantity.unit", R"("mmHg")"}, kNoEdit, kApp, 0,
     ""},
    {"temperature", "unit display degree sign", {"valueQuantity.unit", "\"\u00b0C\""}, kNoEdit, kApp,
     0, ""},
    {"weight", "status preliminary", {"status", R"("preliminary")"}, kNoEdit, kApp, 422,
     "status-invalid@Observation.status"},
    {"weight", "status amended", {"status", R"("amended")"}, kNoEdit, kApp, 0, ""},
    {"weight", "status entered-in-error", {"status", R"("entered-in-error")"}, kNoEdit, kApp, 0,
     ""},
    {"weight", "category without vital-signs",
     {"category.0.coding.0.code", R"("laboratory")"}, kNoEdit, kApp, 422,
     "category-missing@Observation.category"},
    {"weight", "profile unknown",
     {"meta.profile.0", R"("http://hl7.org/fhir/StructureDefinition/bodyweight")"}, kNoEdit, kApp,
     422, "profile-unknown@Observation.meta.profile"},
    {"weight", "profile with version",
     {"meta.profile.0",
      R"("https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bodyweight|3.1.0")"},
     kNoEdit, kApp, 0, ""},
    {"weight", "extra non-MES profile",
     {"meta.profile.1", R"("http://hl7.org/fhir/StructureDefinition/vitalsigns")"}, kNoEdit,
     kApp, 0, ""},
    {"weight", "two MES profiles",
     {"meta.profile.1",
      R"("https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bodyheight")"},
     kNoEdit, kApp, 422, "profile-ambiguous@Observation.meta.profile"},
    {"weight", "subject is a Group", {"subject.reference", R"("Group/g1")"}, kNoEdit, kApp, 422,
     "subject-invalid@Observation.subject.reference"},
    {"weight", "unit system not UCUM", {"valueQuantity.system", R"("http://snomed.info/sct")"},
     kNoEdit, kApp, 422, "unit-system-mismatch@Observation.valueQuantity.system"},
    {"weight", "human unit text differs", {"valueQuantity.unit", R"("kilogrammes")"}, kNoEdit,
     kApp, 0, ""},
    {"weight", "comparator", {"valueQuantity.comparator", R"("<")"}, kNoEdit, kApp, 422,
     "element-not-allowed@Observation.valueQuantity.comparator"},
    {"weight", "effective with a period",
     {"effectiveDateTime", nullptr},
     {"effectivePeriod", R"({"start":"2025-03-01T08:00:00Z"})"}, kApp, 422,
     "element-not-allowed@Observation.effectivePeriod"},
    {"weight", "value as a string", {"valueQuantity", nullptr}, {"valueString", R"("70 kg")"},
     kApp, 422, "element-not-allowed@Observation.valueString"},
    {"weight", "effective only to the month", {"effectiveDateTime", R"("2025-02")"}, kNoEdit,
     kApp, 422, "effective-imprecise@Observation.effectiveDateTime"},
    {"weight", "effective a day", {"effectiveDateTime", R"("2025-03-01")"}, kNoEdit, kApp, 0, ""},
    {"weight", "component on a weight",
     {"component", R"([{"code":{"text":"x"},"valueQuantity":{"value":1}}])"}, kNoEdit, kApp, 422,
     "element-not-allowed@Observation.component"},
    {"weight", "dataAbsentReason with a value", {"dataAbsentReason", R"({"text":"unknown"})"},
     kNoEdit, kApp, 422, "element-not-allowed@Observation.dataAbsentReason"},
    {"weight", "modifierExtension",
     {"modifierExtension", R"([{"url":"http://example.org/x","valueBoolean":true}])"}, kNoEdit,
     kApp, 422, "element-not-allowed@Observation.modifierExtension"},
    {"weight", "other extension accepted",
     {"extension", R"([{"url":"http://example.org/fhir/note","valueString":"after run"}])"},
     kNoEdit, kApp, 0, ""},
    {"weight", "device reference accepted", {"device", R"({"reference":"urn:uuid:4f1c"})"},
     kNoEdit, kApp, 0, ""},
    // ---- structural problems: 400
    {"weight", "status is a number", {"status", "5"}, kNoEdit, kApp, 400,
     "invalid-type@Observation.status"},
    {"weight", "value is a string", {"valueQuantity.value", R"("70")"}, kNoEdit, kApp, 400,
     "invalid-type@Observation.valueQuantity.value"},
    {"weight", "coding is an object", {"code.coding", "{}"}, kNoEdit, kApp, 400,
     "invalid-type@Observation.code.coding"},
    {"weight", "category is an object", {"category", R"({"text":"vital signs"})"}, kNoEdit, kApp,
     400, "invalid-type@Observation.category"},
    {"weight", "unknown element", {"valeur", "70"}, kNoEdit, kApp, 400,
     "unknown-element@Observation.valeur"},
    {"weight", "bad id", {"id", R"("an id with spaces")"}, kNoEdit, kApp, 400,
     "invalid-primitive@Observation.id"},
    {"weight", "bad dateTime", {"effectiveDateTime", R"("01/03/2025")"}, kNoEdit, kApp, 400,
     "invalid-datetime@Observation.effectiveDateTime"},
    {"weight", "two value[x]", {"valueString", R"("70 kg")"}, kNoEdit, kApp, 400,
     "invalid-choice@Observation.valueString element-not-allowed@Observation.valueString"},
    {"weight", "null element", {"issued", "null"}, kNoEdit, kApp, 400,
     "invalid-type@Observation.issued"},
    {"weight", "empty array", {"identifier", "[]"}, kNoEdit, kApp, 400,
     "empty-element@Observation.identifier"},
    {"weight", "structural and rule problems together", {"status", "5"},
     {"valueQuantity.value", "700"}, kApp, 400,
     "invalid-type@Observation.status value-out-of-range@Observation.valueQuantity.value"},
    {"bp", "component item not an object", {"component.1", "5"}, kNoEdit, kApp, 400,
     "invalid-type@Observation.component[1]"},
    {"glucose-blood", "extension is an object", {"extension", MOMENT_EXT}, kNoEdit, kApp, 400,
     "invalid-type@Observation.extension"},
    {"weight", "not an Observation", {"resourceType", R"("Patient")"}, kNoEdit, kApp, 400,
     "resource-type-mismatch@Observation.resourceType"},
};
// clang-format on

}  // namespace

BOOST_AUTO_TEST_SUITE(measure_profiles)

BOOST_DATA_TEST_CASE(profile_table, bdata::make(kCases), c) {
  Value observation = baseObservation(variant(c.variant));
  apply(observation, c.edit1);
  apply(observation, c.edit2);
  auto result = validateMeasure(observation, now(), c.origin);
  if (c.status == 0) {
    BOOST_TEST(result.isOk(), (result.isOk() ? "" : actualProblems(result.error())));
    return;
  }
  BOOST_REQUIRE(!result.isOk());
  BOOST_TEST(mes::httpStatusOf(result.error().kind) == c.status);
  BOOST_TEST(actualProblems(result.error()) == c.expect);
  for (const auto& p : result.error().problems) {
    BOOST_TEST(!p.message.empty());
    BOOST_TEST(p.severity == "error");
  }
}

// Every profile and every glucose code has a valid example above; the table covers them all.
BOOST_AUTO_TEST_CASE(table_covers_every_profile_and_code) {
  BOOST_TEST(measureProfiles().size() == 11u);
  size_t codes = 0;
  for (const MeasureProfile& p : measureProfiles()) {
    BOOST_TEST(p.url == std::string(kMeasureProfileBase) + std::string(p.name));
    for (const MeasureCode& code : p.codes) {
      ++codes;
      bool covered = false;
      for (const Variant& v : kVariants) {
        covered =
            covered || (v.profile == p.name && v.code == code.code && v.system == code.system);
      }
      BOOST_TEST(covered, p.name << " " << code.code);
    }
  }
  BOOST_TEST(codes == 14u);
}

BOOST_AUTO_TEST_CASE(find_profile_by_canonical) {
  const MeasureProfile* p = findMeasureProfile(
      "https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bp|3.0.0");
  BOOST_REQUIRE(p != nullptr);
  BOOST_TEST((p->kind == MeasureKind::kBloodPressure));
  BOOST_TEST(p->components.size() == 2u);
  BOOST_TEST(findMeasureProfile("mes-observation-bp") == nullptr);
  BOOST_TEST(findMeasureProfile("") == nullptr);
}

BOOST_AUTO_TEST_CASE(valid_measure_gives_what_the_gateway_stores) {
  auto r = validateMeasure(baseObservation(variant("weight")), now());
  BOOST_REQUIRE(r.isOk());
  BOOST_TEST((r->profile->kind == MeasureKind::kBodyWeight));
  BOOST_TEST(r->loincOrCode == "29463-7");
  BOOST_TEST(r->codeSystem == "http://loinc.org");
  BOOST_TEST(r->patientId == "p-123");
  BOOST_TEST(formatInstant(r->effective.lowMs) == "2025-03-01T07:30:00.000Z");
  BOOST_REQUIRE(r->value.has_value());
  BOOST_TEST(*r->value == 70.5);
  BOOST_TEST(*r->valueText == "70.50");
  BOOST_TEST(r->unit == "kg");
  BOOST_TEST(!r->moment.has_value());

  auto gmi = validateMeasure(baseObservation(variant("glucose-gmi")), now());
  BOOST_REQUIRE(gmi.isOk());
  BOOST_TEST(gmi->loincOrCode == "MED-972");
  BOOST_TEST(gmi->codeSystem == CISIS);
  BOOST_REQUIRE(gmi->numberOfDays.has_value());
  BOOST_TEST(*gmi->numberOfDays == 14);

  auto blood = validateMeasure(baseObservation(variant("glucose-blood")), now());
  BOOST_REQUIRE(blood.isOk());
  BOOST_TEST(*blood->moment == "a-jeun");

  auto bp = validateMeasure(baseObservation(variant("bp")), now());
  BOOST_REQUIRE(bp.isOk());
  BOOST_TEST(!bp->value.has_value());
  BOOST_REQUIRE(bp->components.size() == 2u);
  BOOST_TEST(bp->components[0].component->code == "8480-6");
  BOOST_TEST(bp->components[0].value == 120.0);
  BOOST_TEST(bp->components[1].component->code == "8462-4");
  BOOST_TEST(bp->components[1].valueText == "80");
}

BOOST_AUTO_TEST_CASE(three_problems_in_one_pass) {
  Value obs = baseObservation(variant("weight"));
  apply(obs, {"valueQuantity.code", R"("[lb_av]")"});
  apply(obs, {"status", R"("preliminary")"});
  apply(obs, {"subject.reference", R"("Patient/")"});
  auto r = validateMeasure(obs, now());
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(mes::httpStatusOf(r.error().kind) == mes::httpStatusOf(ErrorKind::kUnprocessable));
  BOOST_TEST(r.error().problems.size() == 3u);
  BOOST_TEST(actualProblems(r.error()) ==
             "status-invalid@Observation.status subject-invalid@Observation.subject.reference "
             "unit-mismatch@Observation.valueQuantity.code");
  BOOST_TEST(r.error().problems[2].message ==
             "Unit must be 'kg' (UCUM) for body weight; got '[lb_av]'.");
}

BOOST_AUTO_TEST_CASE(messages_name_the_expected_value) {
  Value obs = baseObservation(variant("weight"));
  apply(obs, {"valueQuantity.value", "700"});
  auto r = validateMeasure(obs, now());
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().problems[0].message ==
             "Body weight must be between 0.2 and 650 kg; got 700.");

  obs = baseObservation(variant("bmi"));
  apply(obs, {"valueQuantity.value", "0.0023"});  // weight / height^2 with height in cm
  r = validateMeasure(obs, now(), MeasureOrigin::kGateway);
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().problems[0].message ==
             "Body mass index must be between 5 and 250 kg/m2; got 0.0023.");

  obs = baseObservation(variant("bp"));
  apply(obs, {"component.0.valueQuantity.value", "80"});
  r = validateMeasure(obs, now());
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().problems[0].message ==
             "Systolic pressure (80 mm[Hg]) must be greater than diastolic pressure (80 mm[Hg]).");
}

struct FutureCase {
  const char* effective;
  bool ok;
};
std::ostream& operator<<(std::ostream& os, const FutureCase& c) {
  return os << c.effective;
}
// clang-format off
const FutureCase kFutureCases[] = {
    {"2025-03-01T12:00:00Z", true},
    {"2025-03-01T12:05:00Z", true},       // exactly 5 minutes ahead
    {"2025-03-01T12:05:00.001Z", false},  // just over
    {"2025-03-01T13:04:59+01:00", true},  // 12:04:59Z
    {"2025-03-01T13:06:00+01:00", false},
    {"2025-03-01", true},                 // the day has started
    {"2025-03-02", false},
    {"2024-12-31T23:59:59Z", true},
};
// clang-format on

BOOST_DATA_TEST_CASE(effective_in_future, bdata::make(kFutureCases), c) {
  Value obs = baseObservation(variant("heartrate"));
  obs.set("effectiveDateTime", Value::string(c.effective));
  auto r = validateMeasure(obs, now());
  BOOST_TEST(r.isOk() == c.ok);
  if (!r.isOk()) {
    BOOST_TEST(actualProblems(r.error()) == "effective-in-future@Observation.effectiveDateTime");
    BOOST_TEST(mes::httpStatusOf(r.error().kind) == mes::httpStatusOf(ErrorKind::kUnprocessable));
  }
}

BOOST_AUTO_TEST_CASE(not_an_object) {
  auto r = validateMeasure(Value::array(), now());
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(mes::httpStatusOf(r.error().kind) == mes::httpStatusOf(ErrorKind::kInvalid));
  BOOST_TEST(actualProblems(r.error()) == "invalid-type@Observation");
}

// Every element of every valid example, replaced by a JSON value of another type, gives a
// 400 with an "invalid-type" problem at that element's FHIRPath.
struct Location {
  std::vector<std::string> segments;  // member names, or array indexes as digits
  std::string fhirPath;
  Value::Kind kind;
};

void collectLocations(const Value& v, std::vector<std::string>& segments, const std::string& path,
                      std::vector<Location>& out) {
  if (!segments.empty()) out.push_back({segments, path, v.kind()});
  if (v.isObject()) {
    for (const auto& [name, member] : v.members()) {
      if (name == "resourceType") continue;
      segments.push_back(name);
      collectLocations(member, segments, path + "." + name, out);
      segments.pop_back();
    }
  } else if (v.isArray()) {
    for (size_t i = 0; i < v.items().size(); ++i) {
      segments.push_back(std::to_string(i));
      collectLocations(v.items()[i], segments, path + "[" + std::to_string(i) + "]", out);
      segments.pop_back();
    }
  }
}

BOOST_DATA_TEST_CASE(every_element_with_a_wrong_json_type, bdata::make(kVariants), v) {
  const Value base = baseObservation(v);
  std::vector<Location> locations;
  std::vector<std::string> segments;
  collectLocations(base, segments, "Observation", locations);
  const Value replacements[] = {Value::null(),      Value::boolean(true), Value::number(int64_t{5}),
                                Value::string("x"), parse("[1]"),         parse(R"({"a":1})")};
  const MeasureOrigin origin = std::string_view(v.id) == "bmi" ? kGw : kApp;
  for (const Location& loc : locations) {
    for (const Value& replacement : replacements) {
      if (replacement.kind() == loc.kind) continue;
      Value mutated = base;
      Value* parent = &mutated;
      for (size_t i = 0; i + 1 < loc.segments.size(); ++i) {
        parent = parent->isArray() ? &parent->items()[std::stoul(loc.segments[i])]
                                   : parent->find(loc.segments[i]);
      }
      if (parent->isArray()) {
        parent->items()[std::stoul(loc.segments.back())] = replacement;
      } else {
        parent->set(loc.segments.back(), replacement);
      }
      auto r = validateMeasure(mutated, now(), origin);
      BOOST_REQUIRE_MESSAGE(!r.isOk(), loc.fhirPath << " = " << toJson(replacement));
      BOOST_TEST(mes::httpStatusOf(r.error().kind) == 400, loc.fhirPath);
      bool atLocation = false;
      for (const auto& p : r.error().problems) {
        atLocation = atLocation || (p.code == "invalid-type" && p.expression == loc.fhirPath);
        BOOST_TEST(!p.message.empty());
        BOOST_TEST(!p.expression.empty());
      }
      BOOST_TEST(atLocation,
                 loc.fhirPath << " = " << toJson(replacement) << ": " << actualProblems(r.error()));
    }
  }
}

// Golden files: testdata/measures/<case>.json gives the OperationOutcome in
// <case>.outcome.json when validated at now().
BOOST_AUTO_TEST_CASE(golden_outcomes) {
  const std::filesystem::path dir = std::filesystem::path(MES_TESTDATA_DIR) / "measures";
  size_t cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json" || name.find(".outcome.") != std::string::npos) {
      continue;
    }
    ++cases;
    auto read = [](const std::filesystem::path& p) {
      std::ifstream in(p);
      std::stringstream ss;
      ss << in.rdbuf();
      return parse(ss.str());
    };
    const Value input = read(entry.path());
    std::filesystem::path expectedPath = entry.path();
    expectedPath.replace_extension(".outcome.json");
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists(expectedPath), expectedPath);
    const Value expected = read(expectedPath);
    auto r = validateMeasure(input, now());
    BOOST_REQUIRE_MESSAGE(!r.isOk(), name);
    const Value actual = operationOutcome(r.error());
    BOOST_TEST(toPrettyJson(actual) == toPrettyJson(expected), name);
  }
  BOOST_TEST(cases >= 2u);
}

// ---- Device -------------------------------------------------------------------------------

struct DeviceCase {
  const char* what;
  const char* json;
  int status;
  const char* expect;
};
std::ostream& operator<<(std::ostream& os, const DeviceCase& c) {
  return os << c.what;
}

// clang-format off
const DeviceCase kDeviceCases[] = {
    {"valid",
     R"({"resourceType":"Device","identifier":[{"system":"urn:oid:1.2.250.1.999","value":"SN-1"}],)"
     R"("status":"active","manufacturer":"Withings","deviceName":[{"name":"Body+","type":"user-friendly-name"}],)"
     R"("modelNumber":"WBS05","type":{"coding":[{"system":"urn:iso:std:iso:11073:10101","code":"528399"}]},)"
     R"("patient":{"reference":"Patient/p-123"}})",
     0, ""},
    {"minimal", R"({"resourceType":"Device"})", 0, ""},
    {"identifier without value", R"({"resourceType":"Device","identifier":[{"system":"urn:x"}]})",
     422, "element-missing@Device.identifier[0].value"},
    {"identifier without system and value",
     R"({"resourceType":"Device","identifier":[{"use":"official"}]})", 422,
     "element-missing@Device.identifier[0].system element-missing@Device.identifier[0].value"},
    {"status unknown code", R"({"resourceType":"Device","status":"on"})", 422,
     "code-invalid@Device.status"},
    {"status wrong type", R"({"resourceType":"Device","status":5})", 400,
     "invalid-type@Device.status"},
    {"unknown element", R"({"resourceType":"Device","colour":"blue"})", 400,
     "unknown-element@Device.colour"},
    {"identifier not an array", R"({"resourceType":"Device","identifier":{"system":"a","value":"b"}})",
     400, "invalid-type@Device.identifier"},
    {"deviceName without type", R"({"resourceType":"Device","deviceName":[{"name":"Body+"}]})", 422,
     "element-missing@Device.deviceName[0].type"},
    {"deviceName type unknown",
     R"({"resourceType":"Device","deviceName":[{"name":"Body+","type":"nickname"}]})", 422,
     "code-invalid@Device.deviceName[0].type"},
    {"contained refused", R"({"resourceType":"Device","contained":[{"resourceType":"Patient"}]})",
     422, "element-not-allowed@Device.contained"},
    {"manufactureDate malformed", R"({"resourceType":"Device","manufactureDate":"2024-13"})", 400,
     "invalid-datetime@Device.manufactureDate"},
    {"not a Device", R"({"resourceType":"Observation"})", 400,
     "resource-type-mismatch@Device.resourceType"},
};
// clang-format on

BOOST_DATA_TEST_CASE(device_table, bdata::make(kDeviceCases), c) {
  Status s = validateDevice(parse(c.json));
  if (c.status == 0) {
    BOOST_TEST(s.isOk(), (s.isOk() ? "" : actualProblems(s.error())));
    return;
  }
  BOOST_REQUIRE(!s.isOk());
  BOOST_TEST(mes::httpStatusOf(s.error().kind) == c.status);
  BOOST_TEST(actualProblems(s.error()) == c.expect);
}

BOOST_AUTO_TEST_SUITE_END()
