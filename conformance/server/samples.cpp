#include "conformance/server/samples.h"

#include <functional>
#include <map>
#include <stdexcept>

#include "fhir/types/datetime.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"

namespace mes::conformance::server {

using fhir::Value;

namespace {

constexpr std::string_view kDmpClassSystem =
    "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument";

// Typical values, so that a report reads like real measures (the profile's middle otherwise).
const std::map<std::string_view, std::string_view>& typicalValues() {
  static const std::map<std::string_view, std::string_view> values = {
      {"29463-7", "72.5"}, {"8302-2", "172"},   {"8310-5", "37.2"}, {"8867-4", "68"},
      {"2345-7", "95"},    {"4548-4", "6.1"},   {"99504-3", "110"}, {"MED-972", "6.4"},
      {"72514-3", "3"},    {"41950-7", "8500"}, {"8280-0", "84"},   {"8287-5", "48"}};
  return values;
}

Value coding(std::string_view system, std::string_view code) {
  Value c = Value::object();
  c.set("system", Value::string(std::string(system)));
  c.set("code", Value::string(std::string(code)));
  return c;
}

Value codeable(std::string_view system, std::string_view code) {
  Value concept_ = Value::object();
  Value codings = Value::array();
  codings.push(coding(system, code));
  concept_.set("coding", std::move(codings));
  return concept_;
}

Value reference(const std::string& ref) {
  Value r = Value::object();
  r.set("reference", Value::string(ref));
  return r;
}

Value quantity(const std::string& value, std::string_view unit) {
  Value q = Value::object();
  q.set("value", Value::numberText(value));
  q.set("unit", Value::string(std::string(unit)));
  q.set("system", Value::string(std::string(fhir::kUcumSystem)));
  q.set("code", Value::string(std::string(unit)));
  return q;
}

Value base(const MeasureSample& sample, const std::string& patientId,
           const std::string& effective) {
  Value o = Value::object();
  o.set("resourceType", Value::string("Observation"));
  Value meta = Value::object();
  Value profiles = Value::array();
  profiles.push(Value::string(std::string(sample.profile->url)));
  meta.set("profile", std::move(profiles));
  o.set("meta", std::move(meta));
  o.set("status", Value::string("final"));
  Value categories = Value::array();
  categories.push(codeable(fhir::kObservationCategorySystem, fhir::kVitalSignsCategory));
  o.set("category", std::move(categories));
  if (sample.code != nullptr) {
    o.set("code", codeable(sample.code->system, sample.code->code));
  } else {
    o.set("code", codeable(fhir::kLoincSystem, sample.profile->codes.front().code));
  }
  o.set("subject", reference("Patient/" + patientId));
  o.set("effectiveDateTime", Value::string(effective));
  return o;
}

void addExtensions(const MeasureSample& sample, Value& o) {
  if (sample.code == nullptr) return;
  Value extensions = Value::array();
  if (sample.code->moment == fhir::ExtensionUse::kRequired) {
    Value e = Value::object();
    e.set("url", Value::string(std::string(fhir::kMomentOfMeasurementUrl)));
    e.set("valueCode", Value::string("a-jeun"));
    extensions.push(std::move(e));
  }
  if (sample.code->numberOfDays == fhir::ExtensionUse::kRequired) {
    Value e = Value::object();
    e.set("url", Value::string(std::string(fhir::kNumberOfDaysUrl)));
    e.set("valueInteger", Value::number(int64_t{30}));
    extensions.push(std::move(e));
  }
  if (!extensions.items().empty()) o.set("extension", std::move(extensions));
}

std::string typicalValue(const fhir::MeasureCode& code) {
  const auto it = typicalValues().find(code.code);
  if (it != typicalValues().end()) return std::string(it->second);
  const double middle = (code.range.low + code.range.high) / 2;
  return numberText(code.wholeNumbers ? static_cast<double>(static_cast<int64_t>(middle)) : middle);
}

std::string base64(std::string_view bytes) {
  return oauth::base64Encode(bytes);
}

Value attachment(const std::string& text, const std::string& title) {
  Value a = Value::object();
  a.set("contentType", Value::string("text/plain"));
  a.set("size", Value::number(static_cast<int64_t>(text.size())));
  a.set("hash", Value::string(base64(oauth::sha1(text))));
  a.set("title", Value::string(title));
  return a;
}

Value documentWithout(const std::string& patientId) {
  Value d = Value::object();
  d.set("resourceType", Value::string("DocumentReference"));
  d.set("status", Value::string("current"));
  d.set("type", codeable(fhir::kLoincSystem, "11488-4"));
  Value categories = Value::array();
  categories.push(codeable(kDmpClassSystem, "10"));
  d.set("category", std::move(categories));
  d.set("subject", reference("Patient/" + patientId));
  d.set("date", Value::string("2026-11-20T10:00:00+01:00"));
  return d;
}

}  // namespace

std::string numberText(double value) {
  return Value::number(value).text();
}

Value transactionEntry(const std::string& fullUrl, Value resource, const std::string& type,
                       const std::string& ifNoneExist) {
  Value e = Value::object();
  e.set("fullUrl", Value::string(fullUrl));
  e.set("resource", std::move(resource));
  Value request = Value::object();
  request.set("method", Value::string("POST"));
  request.set("url", Value::string(type));
  if (!ifNoneExist.empty()) request.set("ifNoneExist", Value::string(ifNoneExist));
  e.set("request", std::move(request));
  return e;
}

std::vector<MeasureSample> measureSamples() {
  std::vector<MeasureSample> out;
  for (const fhir::MeasureProfile& profile : fhir::measureProfiles()) {
    if (profile.writtenByGatewayOnly) continue;
    std::string name(profile.name);
    const std::string prefix = "mes-observation-";
    if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
    if (profile.value == fhir::MeasureValue::kComponents) {
      out.push_back({&profile, nullptr, name, std::string(profile.title)});
      continue;
    }
    for (const fhir::MeasureCode& code : profile.codes) {
      const std::string slug =
          profile.codes.size() > 1 ? name + "-" + std::string(code.code) : name;
      out.push_back({&profile, &code, slug, std::string(code.label)});
    }
  }
  return out;
}

const MeasureSample& sampleOf(fhir::MeasureKind kind, std::string_view code) {
  static const std::vector<MeasureSample> samples = measureSamples();
  for (const MeasureSample& s : samples) {
    if (s.profile->kind == kind && (code.empty() || (s.code != nullptr && s.code->code == code)))
      return s;
  }
  throw std::logic_error("no measure sample for that kind and code");
}

Value measure(const MeasureSample& sample, const std::string& patientId,
              const std::string& effective) {
  if (sample.code == nullptr) return bloodPressure(patientId, effective, "128", "82");
  return measureWith(sample, patientId, effective, typicalValue(*sample.code),
                     std::string(sample.code->unit));
}

Value measureWith(const MeasureSample& sample, const std::string& patientId,
                  const std::string& effective, const std::string& value,
                  const std::string& unitCode) {
  Value o = base(sample, patientId, effective);
  addExtensions(sample, o);
  o.set("valueQuantity", quantity(value, unitCode));
  return o;
}

Value bloodPressure(const std::string& patientId, const std::string& effective,
                    const std::string& systolic, const std::string& diastolic) {
  const MeasureSample& sample = sampleOf(fhir::MeasureKind::kBloodPressure);
  Value o = base(sample, patientId, effective);
  Value components = Value::array();
  for (const auto& [code, value] :
       {std::pair{"8480-6", systolic}, std::pair{"8462-4", diastolic}}) {
    Value c = Value::object();
    c.set("code", codeable(fhir::kLoincSystem, code));
    c.set("valueQuantity", quantity(value, "mm[Hg]"));
    components.push(std::move(c));
  }
  o.set("component", std::move(components));
  return o;
}

std::string outOfRangeValue(const MeasureSample& sample) {
  const double high = sample.code->range.high;
  const double above = high < 20 ? high + 5 : high * 1.5;
  return numberText(sample.code->wholeNumbers ? static_cast<double>(static_cast<int64_t>(above))
                                              : above);
}

std::string dateTimeOf(int64_t ms) {
  const std::string instant = fhir::formatInstant(ms - ms % 1000);  // ...T08:00:00.000Z
  return instant.substr(0, 19) + "Z";
}

int64_t runDay(const std::string& runId) {
  const int64_t day = static_cast<int64_t>(std::hash<std::string>{}(runId) % 9000);
  return (fhir::daysFromCivil(1995, 1, 1) + day) * 86'400'000;
}

Value documentReference(const std::string& patientId, const std::string& text,
                        const std::string& title) {
  Value d = documentWithout(patientId);
  Value a = attachment(text, title);
  a.set("data", Value::string(base64(text)));
  Value content = Value::object();
  content.set("attachment", std::move(a));
  Value contents = Value::array();
  contents.push(std::move(content));
  d.set("content", std::move(contents));
  return d;
}

Value documentBundle(const std::string& patientId, const std::string& text,
                     const std::string& title) {
  const std::string listUrl = "urn:uuid:5e0c1a32-51e3-4d87-9953-9fcc9404eb99";
  const std::string docUrl = "urn:uuid:9d7c1a32-51e3-4d87-9953-9fcc9404eb20";
  const std::string binUrl = "urn:uuid:0c287d32-01e3-4d87-9953-9fcc9404eb20";
  Value list = Value::object();
  list.set("resourceType", Value::string("List"));
  list.set("status", Value::string("current"));
  list.set("mode", Value::string("working"));
  list.set("code",
           codeable("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "submissionset"));
  list.set("subject", reference("Patient/" + patientId));
  Value items = Value::array();
  Value item = Value::object();
  item.set("item", reference(docUrl));
  items.push(std::move(item));
  list.set("entry", std::move(items));

  Value doc = documentWithout(patientId);
  Value a = attachment(text, title);
  a.set("url", Value::string(binUrl));
  Value content = Value::object();
  content.set("attachment", std::move(a));
  Value contents = Value::array();
  contents.push(std::move(content));
  doc.set("content", std::move(contents));

  Value binary = Value::object();
  binary.set("resourceType", Value::string("Binary"));
  binary.set("contentType", Value::string("text/plain"));
  binary.set("data", Value::string(base64(text)));

  Value bundle = Value::object();
  bundle.set("resourceType", Value::string("Bundle"));
  bundle.set("type", Value::string("transaction"));
  Value entries = Value::array();
  entries.push(transactionEntry(listUrl, std::move(list), "List"));
  entries.push(transactionEntry(docUrl, std::move(doc), "DocumentReference"));
  entries.push(transactionEntry(binUrl, std::move(binary), "Binary"));
  bundle.set("entry", std::move(entries));
  return bundle;
}

Value appointment(const std::string& patientId, const std::string& identifierSystem,
                  const std::string& identifierValue, const std::string& start,
                  const std::string& end, const std::string& status) {
  Value a = Value::object();
  a.set("resourceType", Value::string("Appointment"));
  Value identifiers = Value::array();
  Value identifier = Value::object();
  identifier.set("system", Value::string(identifierSystem));
  identifier.set("value", Value::string(identifierValue));
  identifiers.push(std::move(identifier));
  a.set("identifier", std::move(identifiers));
  a.set("status", Value::string(status));
  a.set("description", Value::string("Consultation de suivi (mes-conformance)"));
  a.set("start", Value::string(start));
  a.set("end", Value::string(end));
  Value participants = Value::array();
  Value patient = Value::object();
  patient.set("actor", reference("Patient/" + patientId));
  patient.set("status", Value::string("accepted"));
  participants.push(std::move(patient));
  Value doctor = Value::object();
  Value actor = Value::object();
  actor.set("display", Value::string("Dr Claire Durand"));
  doctor.set("actor", std::move(actor));
  doctor.set("status", Value::string("accepted"));
  participants.push(std::move(doctor));
  a.set("participant", std::move(participants));
  return a;
}

}  // namespace mes::conformance::server
