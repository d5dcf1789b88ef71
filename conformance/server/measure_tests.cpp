// The Measures API (SPEC §2): every profile valid and invalid, BMI, the interactions, search,
// paging and _include. Every measure sent is first checked with the gateway's own validation
// (fhir::validateMeasure): the harness never blames a gateway for its own bad sample.
#include <algorithm>
#include <set>

#include "conformance/server/checks.h"
#include "conformance/server/plan_parts.h"
#include "conformance/server/samples.h"
#include "fhir/json/json.h"

namespace mes::conformance::server {

namespace {

using fhir::Value;

const std::string& patientOf(ServerContext& ctx, TestScope& t) {
  return ctx.session(t).patientId;
}

std::string validationSummary(const Error& e) {
  std::string out;
  for (const Problem& p : e.problems)
    out += (out.empty() ? "" : "; ") + p.code + " at " + p.expression;
  return out;
}

// The harness's own sample must be valid by the MES profiles.
void expectSampleValid(TestScope& t, const Value& body, int64_t nowMs,
                       fhir::MeasureOrigin origin = fhir::MeasureOrigin::kApp) {
  Result<fhir::ValidatedMeasure> checked = fhir::validateMeasure(body, nowMs, origin);
  if (!checked) {
    t.error("The harness's sample is not a valid MES measure (" +
            validationSummary(checked.error()) +
            "): a bug of mes-conformance, not of the gateway.");
  }
}

// A broken sample must break exactly the rule the test is about.
void expectSampleRefused(TestScope& t, const Value& body, int64_t nowMs, std::string_view code) {
  Result<fhir::ValidatedMeasure> checked = fhir::validateMeasure(body, nowMs);
  const bool refused =
      !checked && std::any_of(checked.error().problems.begin(), checked.error().problems.end(),
                              [&](const Problem& p) { return p.code == code; });
  if (!refused) {
    t.error("The harness's broken sample is not refused with " + std::string(code) +
            " by the MES profiles: a bug of mes-conformance, not of the gateway.");
  }
}

// POSTs a measure; expects 201 with Location and ETag; deletes it at the end. Returns it.
Value createMeasure(ServerContext& ctx, TestScope& t, const Value& body, const std::string& what,
                    Who who = Who::kPatient) {
  const http::ClientResponse r = ctx.fhir(t, "POST", "/Observation", fhir::toJson(body), who);
  expectStatus(t, r, 201, "for " + what);
  const Value created = expectResource(t, r, "Observation");
  const std::string id = stringAt(created, "id");
  t.expect(!id.empty(), "the created measure's id", "none");
  t.atEnd([&ctx, &t, id, who] { ctx.fhir(t, "DELETE", "/Observation/" + id, {}, who); });
  expectHeader(t, r, "Location");
  t.expect(r.headers.get("Location").find("Observation/" + id) != std::string::npos,
           "Location naming Observation/" + id, r.headers.get("Location"));
  expectHeader(t, r, "ETag");
  return created;
}

std::string quantityValue(const Value& observation) {
  const Value* q = observation.find("valueQuantity");
  const Value* v = q != nullptr ? q->find("value") : nullptr;
  return v != nullptr ? v->text() : std::string();
}

bool sameNumber(const std::string& a, const std::string& b) {
  return !a.empty() && !b.empty() &&
         Value::numberText(a).asDouble() == Value::numberText(b).asDouble();
}

void validMeasure(ServerContext& ctx, TestScope& t, const MeasureSample& sample, int index) {
  const int64_t now = ctx.clock().nowMs();
  const Value body =
      measure(sample, patientOf(ctx, t), dateTimeOf(now - 7'200'000 - index * 60'000));
  expectSampleValid(t, body, now);
  const Value created = createMeasure(ctx, t, body, "a valid " + sample.label);
  const std::string id = stringAt(created, "id");
  const http::ClientResponse read = ctx.fhir(t, "GET", "/Observation/" + id);
  expectStatus(t, read, 200, "for the measure read back");
  const Value stored = expectResource(t, read, "Observation");
  Result<fhir::ValidatedMeasure> checked = fhir::validateMeasure(stored, ctx.clock().nowMs());
  t.expect(checked.isOk(), "the stored measure still valid by its MES profile",
           checked ? std::string() : validationSummary(checked.error()));
  t.expect(checked->profile == sample.profile, "the same profile",
           std::string(checked->profile->name));
  if (sample.code != nullptr) {
    t.expect(checked->loincOrCode == sample.code->code,
             "the code " + std::string(sample.code->code), checked->loincOrCode);
    t.expect(
        sameNumber(quantityValue(stored), quantityValue(body)) &&
            checked->unit == sample.code->unit,
        "the value " + quantityValue(body) + " " + std::string(sample.code->unit) + " read back",
        quantityValue(stored) + " " + checked->unit);
  } else {
    t.expect(checked->components.size() == 2 && checked->components[0].valueText == "128" &&
                 checked->components[1].valueText == "82",
             "the components 128/82 mm[Hg] read back", "other components");
  }
}

void refusedMeasure(ServerContext& ctx, TestScope& t, const Value& body, std::string_view code,
                    const std::string& why,
                    const std::vector<std::string>& diagnosticsMention = {}) {
  const int64_t now = ctx.clock().nowMs();
  expectSampleRefused(t, body, now, code);
  const http::ClientResponse r = ctx.fhir(t, "POST", "/Observation", fhir::toJson(body));
  if (r.status == 201) {
    const std::string id = stringAt(expectJson(t, r, "the created measure"), "id");
    t.atEnd([&ctx, &t, id] { ctx.fhir(t, "DELETE", "/Observation/" + id); });
  }
  const std::string said = expectOutcome(t, r, 422, code, why);
  for (const std::string& part : diagnosticsMention) {
    t.expect(said.find(part) != std::string::npos, "the diagnostics to mention " + part,
             "\"" + said + "\"");
  }
}

void outOfRange(ServerContext& ctx, TestScope& t, const MeasureSample& sample) {
  const std::string value = outOfRangeValue(sample);
  const Value body =
      measureWith(sample, patientOf(ctx, t), dateTimeOf(ctx.clock().nowMs() - 7'200'000), value,
                  std::string(sample.code->unit));
  refusedMeasure(ctx, t, body, "value-out-of-range",
                 "for a " + sample.label + " of " + value + " " + std::string(sample.code->unit) +
                     " (plausible: " + numberText(sample.code->range.low) + " to " +
                     numberText(sample.code->range.high) + ")",
                 {numberText(sample.code->range.low), numberText(sample.code->range.high)});
}

std::string effectiveOf(ServerContext& ctx, int minutesAgo) {
  return dateTimeOf(ctx.clock().nowMs() - int64_t{minutesAgo} * 60'000);
}

// Three heart rates at 08:00, 09:00 and 10:00 UTC of this run's own day; their ids in that order.
std::vector<std::string> runDayHeartRates(ServerContext& ctx, TestScope& t) {
  const MeasureSample& hr = sampleOf(fhir::MeasureKind::kHeartRate);
  const int64_t day = runDay(ctx.runId());
  std::vector<std::string> ids;
  for (int hour : {8, 9, 10}) {
    const Value body = measureWith(hr, patientOf(ctx, t), dateTimeOf(day + hour * 3'600'000),
                                   std::to_string(60 + hour), "/min");
    expectSampleValid(t, body, ctx.clock().nowMs());
    ids.push_back(stringAt(createMeasure(ctx, t, body, "a heart rate of the run's day"), "id"));
  }
  return ids;
}

std::string runDayQuery(ServerContext& ctx, TestScope& t) {
  const int64_t day = runDay(ctx.runId());
  return "patient=" + encode(patientOf(ctx, t)) + "&code=" + encode("http://loinc.org|8867-4") +
         "&date=ge" + dateTimeOf(day).substr(0, 10) + "&date=lt" +
         dateTimeOf(day + 86'400'000).substr(0, 10);
}

std::vector<std::string> idsOf(const Value& bundle, std::string_view type = "Observation") {
  std::vector<std::string> ids;
  for (const Value* r : bundleResources(bundle, type)) ids.push_back(stringAt(*r, "id"));
  return ids;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return "[" + out + "]";
}

Value searchset(TestScope& t, const http::ClientResponse& r, const std::string& why) {
  expectStatus(t, r, 200, why);
  const Value bundle = expectResource(t, r, "Bundle");
  t.expect(stringAt(bundle, "type") == "searchset", "a searchset Bundle",
           "type " + stringAt(bundle, "type"));
  return bundle;
}

int64_t totalOf(const Value& bundle) {
  const Value* total = bundle.find("total");
  return total != nullptr && total->asInt() ? *total->asInt() : -1;
}

void searchAll(ServerContext& ctx, TestScope& t) {
  const std::vector<std::string> ids = runDayHeartRates(ctx, t);
  const Value bundle =
      searchset(t, ctx.fhir(t, "GET", "/Observation?" + runDayQuery(ctx, t) + "&_sort=date"),
                "for the search by patient, code and date range");
  t.expect(totalOf(bundle) == 3, "total 3 (the run's three heart rates)",
           "total " + std::to_string(totalOf(bundle)));
  t.expect(idsOf(bundle) == ids, "the three measures in date order " + joined(ids),
           joined(idsOf(bundle)));
  t.expect(!bundleLink(bundle, "self").empty(), "a self link", "none");
  const Value descending =
      searchset(t, ctx.fhir(t, "GET", "/Observation?" + runDayQuery(ctx, t) + "&_sort=-date"),
                "for _sort=-date");
  const std::vector<std::string> reversed(ids.rbegin(), ids.rend());
  t.expect(idsOf(descending) == reversed, "_sort=-date newest first " + joined(reversed),
           joined(idsOf(descending)));
}

void searchLast(ServerContext& ctx, TestScope& t) {
  const MeasureSample& hr = sampleOf(fhir::MeasureKind::kHeartRate);
  std::string newest;
  for (int minutesAgo : {3, 2}) {
    const Value body = measureWith(hr, patientOf(ctx, t), effectiveOf(ctx, minutesAgo),
                                   "7" + std::to_string(minutesAgo), "/min");
    expectSampleValid(t, body, ctx.clock().nowMs());
    newest = stringAt(createMeasure(ctx, t, body, "a recent heart rate"), "id");
  }
  const Value bundle = searchset(
      t,
      ctx.fhir(t, "GET",
               "/Observation?patient=" + encode(patientOf(ctx, t)) +
                   "&code=" + encode("http://loinc.org|8867-4") + "&_sort=-date&_count=1"),
      "for the last measure (code, _sort=-date, _count=1)");
  const std::vector<std::string> ids = idsOf(bundle);
  t.expect(ids == std::vector<std::string>{newest}, "exactly the newest heart rate " + newest,
           joined(ids));
}

void paging(ServerContext& ctx, TestScope& t) {
  const std::vector<std::string> ids = runDayHeartRates(ctx, t);
  const Value first = searchset(
      t, ctx.fhir(t, "GET", "/Observation?" + runDayQuery(ctx, t) + "&_sort=date&_count=2"),
      "for the first page of 2");
  t.expect(idsOf(first).size() == 2, "2 entries on the first page",
           std::to_string(idsOf(first).size()));
  t.expect(totalOf(first) == 3, "total 3", "total " + std::to_string(totalOf(first)));
  const std::string next = bundleLink(first, "next");
  t.expect(!next.empty(), "a next link", "none");
  t.expect(next.rfind(ctx.target().fhirBase, 0) == 0,
           "the next link under the FHIR base " + ctx.target().fhirBase, next);
  const Value second = searchset(t, ctx.fhir(t, "GET", next.substr(ctx.target().fhirBase.size())),
                                 "for the next link");
  t.expect(idsOf(second) == std::vector<std::string>{ids[2]},
           "the third measure alone on the second page", joined(idsOf(second)));
  t.expect(!bundleLink(second, "previous").empty(), "a previous link on the second page", "none");
  t.expect(bundleLink(second, "next").empty(), "no next link on the last page",
           bundleLink(second, "next"));
}

void pageSizeLimit(ServerContext& ctx, TestScope& t) {
  const std::string base = "/Observation?patient=" + encode(patientOf(ctx, t));
  const std::string said = expectOutcome(t, ctx.fhir(t, "GET", base + "&_count=101"), 400,
                                         "page-size-too-large", "for _count=101");
  t.expect(said.find("Maximum page size allowed is 100") != std::string::npos,
           "the diagnostics \"Maximum page size allowed is 100\"", "\"" + said + "\"");
  searchset(t, ctx.fhir(t, "GET", base + "&_count=100"), "for _count=100");
}

Value deviceBundle(ServerContext& ctx, TestScope& t, const std::string& serial,
                   const std::string& effective) {
  Value device = Value::object();
  device.set("resourceType", Value::string("Device"));
  Value identifiers = Value::array();
  Value identifier = Value::object();
  identifier.set("system", Value::string("urn:oid:1.2.250.1.999.1"));
  identifier.set("value", Value::string(serial));
  identifiers.push(std::move(identifier));
  device.set("identifier", std::move(identifiers));
  device.set("manufacturer", Value::string("Tensio"));
  device.set("modelNumber", Value::string("BP-200"));
  Value observation = bloodPressure(patientOf(ctx, t), effective, "126", "81");
  Value ref = Value::object();
  ref.set("reference", Value::string("urn:uuid:0b9c6f1e-0000-4000-8000-000000000001"));
  observation.set("device", std::move(ref));
  expectSampleValid(t, observation, ctx.clock().nowMs());
  Value bundle = Value::object();
  bundle.set("resourceType", Value::string("Bundle"));
  bundle.set("type", Value::string("transaction"));
  Value entries = Value::array();
  entries.push(transactionEntry("urn:uuid:0b9c6f1e-0000-4000-8000-000000000001", std::move(device),
                                "Device", "identifier=urn:oid:1.2.250.1.999.1|" + serial));
  entries.push(transactionEntry("urn:uuid:0b9c6f1e-0000-4000-8000-000000000002",
                                std::move(observation), "Observation", ""));
  bundle.set("entry", std::move(entries));
  return bundle;
}

struct TransactionAnswer {
  std::string deviceStatus;
  std::string deviceLocation;
  std::string observationId;
};

TransactionAnswer postTransaction(ServerContext& ctx, TestScope& t, const Value& bundle,
                                  const std::string& why) {
  const http::ClientResponse r = ctx.fhir(t, "POST", "", fhir::toJson(bundle));
  expectStatus(t, r, 200, why);
  const Value answer = expectResource(t, r, "Bundle");
  t.expect(stringAt(answer, "type") == "transaction-response", "a transaction-response Bundle",
           "type " + stringAt(answer, "type"));
  const Value* entries = answer.find("entry");
  t.expect(entries != nullptr && entries->isArray() && entries->items().size() == 2,
           "one response entry per request entry (2)", "another count");
  TransactionAnswer out;
  const Value* device = entries->items()[0].find("response");
  const Value* observation = entries->items()[1].find("response");
  t.expect(device != nullptr && observation != nullptr, "a response (status, location) per entry",
           "none");
  out.deviceStatus = stringAt(*device, "status");
  out.deviceLocation = stringAt(*device, "location");
  const std::string location = stringAt(*observation, "location");
  t.expect(stringAt(*observation, "status").rfind("201", 0) == 0 &&
               location.find("Observation/") != std::string::npos,
           "the Observation entry 201 with its location",
           stringAt(*observation, "status") + " " + location);
  const size_t at = location.find("Observation/") + 12;
  out.observationId = location.substr(at, location.find('/', at) - at);
  const std::string id = out.observationId;
  t.atEnd([&ctx, &t, id] { ctx.fhir(t, "DELETE", "/Observation/" + id); });
  return out;
}

void transactionWithDevice(ServerContext& ctx, TestScope& t) {
  const std::string serial = "SN-" + ctx.runId();
  const Value bundle = deviceBundle(ctx, t, serial, effectiveOf(ctx, 150));
  const TransactionAnswer first =
      postTransaction(ctx, t, bundle, "for a measure with its device (transaction)");
  t.expect(first.deviceStatus.rfind("201", 0) == 0, "the new Device entry 201 Created",
           first.deviceStatus);
  const TransactionAnswer again = postTransaction(
      ctx, t, deviceBundle(ctx, t, serial, effectiveOf(ctx, 149)), "for the same device again");
  t.expect(again.deviceStatus.rfind("200", 0) == 0,
           "the known Device entry 200 (conditional create)", again.deviceStatus);
  const auto deviceId = [](const std::string& location) {
    const size_t at = location.find("Device/");
    return at == std::string::npos ? location
                                   : location.substr(at + 7, location.find('/', at + 7) - at - 7);
  };
  t.expect(deviceId(again.deviceLocation) == deviceId(first.deviceLocation),
           "the same Device both times", first.deviceLocation + " then " + again.deviceLocation);
}

void includeDevice(ServerContext& ctx, TestScope& t) {
  const int64_t day = runDay(ctx.runId());
  const std::string effective = dateTimeOf(day + 12 * 3'600'000);
  const TransactionAnswer posted =
      postTransaction(ctx, t, deviceBundle(ctx, t, "SN-inc-" + ctx.runId(), effective),
                      "for a measure with its device");
  const Value bundle =
      searchset(t,
                ctx.fhir(t, "GET",
                         "/Observation?patient=" + encode(patientOf(ctx, t)) +
                             "&code=" + encode("http://loinc.org|85354-9") + "&date=" + effective +
                             "&_include=Observation:device"),
                "for the search with _include=Observation:device");
  t.expect(idsOf(bundle) == std::vector<std::string>{posted.observationId},
           "the measure " + posted.observationId, joined(idsOf(bundle)));
  const std::vector<std::string> devices = idsOf(bundle, "Device");
  t.expect(devices.size() == 1 &&
               posted.deviceLocation.find("Device/" + devices.front()) != std::string::npos,
           "its Device included (" + posted.deviceLocation + ")", joined(devices));
  const Value* entries = bundle.find("entry");
  bool modeInclude = false;
  for (const Value& e : entries->items()) {
    const Value* resource = e.find("resource");
    const Value* search = e.find("search");
    if (resource != nullptr && stringAt(*resource, "resourceType") == "Device" &&
        search != nullptr) {
      modeInclude = stringAt(*search, "mode") == "include";
    }
  }
  t.expect(modeInclude, "the Device entry with search.mode include", "another mode");
}

void ifNoneExist(ServerContext& ctx, TestScope& t) {
  const MeasureSample& steps = sampleOf(fhir::MeasureKind::kStepsByDay);
  Value body = measure(steps, patientOf(ctx, t), effectiveOf(ctx, 180));
  Value identifiers = Value::array();
  Value identifier = Value::object();
  identifier.set("system", Value::string("urn:oid:1.2.250.1.999.1.7"));
  identifier.set("value", Value::string("steps-" + ctx.runId()));
  identifiers.push(std::move(identifier));
  body.set("identifier", std::move(identifiers));
  expectSampleValid(t, body, ctx.clock().nowMs());
  http::Headers condition;
  condition.add("If-None-Exist", "identifier=urn:oid:1.2.250.1.999.1.7|steps-" + ctx.runId());
  const http::ClientResponse first =
      ctx.fhir(t, "POST", "/Observation", fhir::toJson(body), Who::kPatient, condition);
  expectStatus(t, first, 201, "for the first upload with If-None-Exist");
  const std::string id = stringAt(expectResource(t, first, "Observation"), "id");
  t.atEnd([&ctx, &t, id] { ctx.fhir(t, "DELETE", "/Observation/" + id); });
  const http::ClientResponse again =
      ctx.fhir(t, "POST", "/Observation", fhir::toJson(body), Who::kPatient, condition);
  expectStatus(t, again, 200, "for the same upload again (no duplicate)");
  const std::string sameId = stringAt(expectResource(t, again, "Observation"), "id");
  t.expect(sameId == id, "the existing measure " + id, sameId);
}

Value createdWeight(ServerContext& ctx, TestScope& t, int minutesAgo) {
  const Value body = measure(sampleOf(fhir::MeasureKind::kBodyWeight), patientOf(ctx, t),
                             effectiveOf(ctx, minutesAgo));
  expectSampleValid(t, body, ctx.clock().nowMs());
  return createMeasure(ctx, t, body, "a weight");
}

http::ClientResponse putWeight(ServerContext& ctx, TestScope& t, Value stored,
                               const std::string& value, const std::string& ifMatch) {
  Value* q = stored.find("valueQuantity");
  q->set("value", Value::numberText(value));
  http::Headers headers;
  headers.add("If-Match", ifMatch);
  return ctx.fhir(t, "PUT", "/Observation/" + stringAt(stored, "id"), fhir::toJson(stored),
                  Who::kPatient, headers);
}

std::string versionOf(const Value& resource) {
  const Value* meta = resource.find("meta");
  return meta != nullptr ? stringAt(*meta, "versionId") : std::string();
}

void updateIfMatch(ServerContext& ctx, TestScope& t) {
  const Value created = createdWeight(ctx, t, 190);
  const std::string v1 = versionOf(created);
  t.expect(!v1.empty(), "meta.versionId on the created measure", "none");
  const http::ClientResponse r = putWeight(ctx, t, created, "72.9", "W/\"" + v1 + "\"");
  expectStatus(t, r, 200, "for an update with If-Match of the current version");
  const Value updated = expectResource(t, r, "Observation");
  t.expect(versionOf(updated) != v1 && !versionOf(updated).empty(), "a new versionId",
           versionOf(updated));
  t.expect(quantityValue(updated) == "72.9", "the corrected value 72.9", quantityValue(updated));
  const http::ClientResponse history =
      ctx.fhir(t, "GET", "/Observation/" + stringAt(created, "id") + "/_history/" + v1);
  expectStatus(t, history, 200, "for the first version (vread)");
  t.expect(quantityValue(expectResource(t, history, "Observation")) == quantityValue(created),
           "the first version's value " + quantityValue(created), "another value");
}

void updateIfMatchStale(ServerContext& ctx, TestScope& t) {
  const Value created = createdWeight(ctx, t, 195);
  const std::string v1 = versionOf(created);
  expectStatus(t, putWeight(ctx, t, created, "72.8", "W/\"" + v1 + "\""), 200,
               "for the first update (version " + v1 + ")");
  const http::ClientResponse stale = putWeight(ctx, t, created, "90", "W/\"" + v1 + "\"");
  t.expect(
      stale.status == 412,
      "412 Precondition Failed for a second update still naming version " + v1 + " in If-Match",
      stale.status == 200 ? "200 OK: the gateway ignored If-Match and overwrote the newer version"
                          : describeResponse(stale));
  const http::ClientResponse read = ctx.fhir(t, "GET", "/Observation/" + stringAt(created, "id"));
  const std::string kept = quantityValue(expectResource(t, read, "Observation"));
  t.expect(kept == "72.8", "the first update's value kept (72.8)", kept);
}

void deleteMeasure(ServerContext& ctx, TestScope& t) {
  const std::string id = stringAt(createdWeight(ctx, t, 200), "id");
  const http::ClientResponse r = ctx.fhir(t, "DELETE", "/Observation/" + id);
  t.expect(r.status == 204 || r.status == 200, "204 (or 200) for the deletion",
           describeResponse(r));
  const http::ClientResponse read = ctx.fhir(t, "GET", "/Observation/" + id);
  t.expect(read.status == 410 || read.status == 404, "410 Gone (or 404) when read afterwards",
           describeResponse(read));
  const Value bundle = searchset(t,
                                 ctx.fhir(t, "GET",
                                          "/Observation?patient=" + encode(patientOf(ctx, t)) +
                                              "&code=" + encode("http://loinc.org|29463-7") +
                                              "&date=" + effectiveOf(ctx, 200)),
                                 "for a search at its date");
  const std::vector<std::string> ids = idsOf(bundle);
  t.expect(std::find(ids.begin(), ids.end(), id) == ids.end(),
           "the deleted measure no longer found", joined(ids));
}

void bmiRefused(ServerContext& ctx, TestScope& t) {
  const fhir::MeasureProfile* bmi = nullptr;
  for (const fhir::MeasureProfile& p : fhir::measureProfiles()) {
    if (p.kind == fhir::MeasureKind::kBmi) bmi = &p;
  }
  const MeasureSample sample{bmi, &bmi->codes.front(), "bmi", "body mass index"};
  const Value body = measureWith(sample, patientOf(ctx, t), effectiveOf(ctx, 210), "24.5", "kg/m2");
  refusedMeasure(ctx, t, body, "bmi-computed-by-gateway",
                 "for a BMI sent by an app (the gateway computes it)");
}

void bmiComputed(ServerContext& ctx, TestScope& t) {
  const int64_t at = runDay(ctx.runId()) + 14 * 3'600'000;
  const Value height = measureWith(sampleOf(fhir::MeasureKind::kBodyHeight), patientOf(ctx, t),
                                   dateTimeOf(at), "175", "cm");
  const Value weight = measureWith(sampleOf(fhir::MeasureKind::kBodyWeight), patientOf(ctx, t),
                                   dateTimeOf(at + 60'000), "70", "kg");
  expectSampleValid(t, height, ctx.clock().nowMs());
  expectSampleValid(t, weight, ctx.clock().nowMs());
  const std::string heightId = stringAt(createMeasure(ctx, t, height, "a height of 175 cm"), "id");
  const std::string weightId = stringAt(createMeasure(ctx, t, weight, "a weight of 70 kg"), "id");
  const Value bundle = searchset(t,
                                 ctx.fhir(t, "GET",
                                          "/Observation?patient=" + encode(patientOf(ctx, t)) +
                                              "&code=" + encode("http://loinc.org|39156-5") +
                                              "&date=ge" + dateTimeOf(at).substr(0, 10)),
                                 "for the BMI search");
  const Value* bmi = nullptr;
  for (const Value* r : bundleResources(bundle, "Observation")) {
    const std::string text = fhir::toJson(*r);
    if (text.find("Observation/" + weightId) != std::string::npos &&
        text.find("Observation/" + heightId) != std::string::npos) {
      bmi = r;
    }
  }
  t.expect(bmi != nullptr,
           "a BMI derivedFrom Observation/" + weightId + " and Observation/" + heightId,
           std::to_string(bundleResources(bundle, "Observation").size()) +
               " BMI measures, none derived from both");
  const std::string value = quantityValue(*bmi);
  t.expect(sameNumber(value, "22.9"), "the value 22.9 kg/m2 (70 / 1.75²)", value);
  Result<fhir::ValidatedMeasure> checked =
      fhir::validateMeasure(*bmi, ctx.clock().nowMs(), fhir::MeasureOrigin::kGateway);
  t.expect(checked.isOk(), "the gateway's BMI valid by mes-observation-bmi",
           checked ? std::string() : validationSummary(checked.error()));
}

void outcomeShape(ServerContext& ctx, TestScope& t) {
  const MeasureSample& weight = sampleOf(fhir::MeasureKind::kBodyWeight);
  const Value body = measureWith(weight, patientOf(ctx, t), effectiveOf(ctx, 220), "900", "kg");
  const http::ClientResponse r = ctx.fhir(t, "POST", "/Observation", fhir::toJson(body));
  expectOutcome(t, r, 422, "value-out-of-range", "for a weight of 900 kg");
  const Value outcome = expectResource(t, r, "OperationOutcome");
  for (const Value& issue : outcome.find("issue")->items()) {
    t.expect(!stringAt(issue, "severity").empty() && !stringAt(issue, "code").empty(),
             "severity and code on every issue", fhir::toJson(issue));
    const Value* details = issue.find("details");
    const Value* codings = details != nullptr ? details->find("coding") : nullptr;
    t.expect(codings != nullptr && codings->isArray() && !codings->items().empty() &&
                 !stringAt(codings->items().front(), "system").empty(),
             "details.coding with a system and a stable code", fhir::toJson(issue));
    const Value* expression = issue.find("expression");
    t.expect(expression != nullptr && expression->isArray() && !expression->items().empty() &&
                 expression->items().front().text().find("valueQuantity") != std::string::npos,
             "the FHIRPath expression of the value (Observation.valueQuantity…)",
             fhir::toJson(issue));
  }
}

}  // namespace

void addMeasureTests(Plan& plan, ServerContext& ctx) {
  const std::vector<MeasureSample> samples = measureSamples();
  for (size_t i = 0; i < samples.size(); ++i) {
    const MeasureSample& s = samples[i];
    add(plan, "server.measure-valid-" + s.slug, "A valid " + s.label + " is stored and read back",
        "An Observation of " + std::string(s.profile->name) +
            (s.code != nullptr
                 ? " (" + std::string(s.code->system) + "|" + std::string(s.code->code) + ", " +
                       std::string(s.code->unit) + ")"
                 : " (components 8480-6 and 8462-4, mm[Hg])") +
            ", valid by the gateway's own profile check, is created (201, Location, ETag), read "
            "back "
            "valid with the same code and value, then deleted.",
        {"GW-MES-01"},
        [&ctx, s, i](TestScope& t) { validMeasure(ctx, t, s, static_cast<int>(i)); });
  }
  for (const MeasureSample& s : samples) {
    if (s.code == nullptr) continue;
    add(plan, "server.measure-out-of-range-" + s.slug,
        "A " + s.label + " outside plausible ranges is refused",
        "A value above " + numberText(s.code->range.high) + " " + std::string(s.code->unit) +
            ": 422 value-out-of-range, the range in the diagnostics.",
        {"GW-MES-02"}, [&ctx, s](TestScope& t) { outOfRange(ctx, t, s); });
  }
  add(plan, "server.measure-weight-pounds-refused", "A weight in pounds is refused",
      "A body weight of 160 [lb_av]: the profile's unit is kg, so 422 unit-mismatch (a gateway "
      "that "
      "stores it would show the patient 160 kg).",
      {"GW-MES-02"}, [&ctx](TestScope& t) {
        const Value body = measureWith(sampleOf(fhir::MeasureKind::kBodyWeight), patientOf(ctx, t),
                                       effectiveOf(ctx, 230), "160", "[lb_av]");
        refusedMeasure(ctx, t, body, "unit-mismatch", "for a weight in pounds ([lb_av])");
      });
  add(plan, "server.measure-temperature-fahrenheit-refused",
      "A temperature in Fahrenheit is refused",
      "A body temperature of 98.6 [degF]: 422 unit-mismatch (the profile's unit is Cel).",
      {"GW-MES-02"}, [&ctx](TestScope& t) {
        const Value body = measureWith(sampleOf(fhir::MeasureKind::kBodyTemperature),
                                       patientOf(ctx, t), effectiveOf(ctx, 231), "98.6", "[degF]");
        refusedMeasure(ctx, t, body, "unit-mismatch", "for a temperature in [degF]");
      });
  add(plan, "server.measure-bp-systolic-not-above-diastolic",
      "A blood pressure with systolic below diastolic is refused",
      "80/120 mm[Hg]: 422 systolic-not-above-diastolic.", {"GW-MES-02"}, [&ctx](TestScope& t) {
        refusedMeasure(ctx, t, bloodPressure(patientOf(ctx, t), effectiveOf(ctx, 232), "80", "120"),
                       "systolic-not-above-diastolic", "for 80/120 mm[Hg]");
      });
  add(plan, "server.measure-bp-component-missing",
      "A blood pressure without its diastolic is refused",
      "Only the systolic component: 422 component-missing.", {"GW-MES-02"}, [&ctx](TestScope& t) {
        Value body = bloodPressure(patientOf(ctx, t), effectiveOf(ctx, 233), "128", "82");
        body.find("component")->items().pop_back();
        refusedMeasure(ctx, t, body, "component-missing",
                       "for a blood pressure without its diastolic");
      });
  add(plan, "server.measure-glucose-moment-missing",
      "A blood glucose without its moment is refused",
      "Blood glucose (2345-7) without the mesures-moment-of-measurement extension: 422 "
      "extension-missing.",
      {"GW-MES-02"}, [&ctx](TestScope& t) {
        Value body = measure(sampleOf(fhir::MeasureKind::kGlucose, "2345-7"), patientOf(ctx, t),
                             effectiveOf(ctx, 234));
        body.erase("extension");
        refusedMeasure(ctx, t, body, "extension-missing",
                       "for a blood glucose without its moment of measurement");
      });
  add(plan, "server.measure-interstitial-days-missing",
      "An interstitial glucose without its number of days is refused",
      "Interstitial glucose (99504-3) without the mesures-number-of-days extension: 422 "
      "extension-missing.",
      {"GW-MES-02"}, [&ctx](TestScope& t) {
        Value body = measure(sampleOf(fhir::MeasureKind::kGlucose, "99504-3"), patientOf(ctx, t),
                             effectiveOf(ctx, 235));
        body.erase("extension");
        refusedMeasure(ctx, t, body, "extension-missing",
                       "for an interstitial glucose without its number of days");
      });
  add(plan, "server.measure-future-date", "A measure dated tomorrow is refused",
      "effectiveDateTime one day ahead (more than 5 minutes in the future): 422 "
      "effective-in-future.",
      {"GW-MES-02"}, [&ctx](TestScope& t) {
        const Value body = measure(sampleOf(fhir::MeasureKind::kHeartRate), patientOf(ctx, t),
                                   dateTimeOf(ctx.clock().nowMs() + 86'400'000));
        refusedMeasure(ctx, t, body, "effective-in-future", "for a measure dated tomorrow");
      });
  add(plan, "server.measure-profile-missing", "A measure without meta.profile is refused",
      "An otherwise valid weight without meta.profile: 422 profile-missing.", {"GW-MES-02"},
      [&ctx](TestScope& t) {
        Value body = measure(sampleOf(fhir::MeasureKind::kBodyWeight), patientOf(ctx, t),
                             effectiveOf(ctx, 236));
        body.erase("meta");
        refusedMeasure(ctx, t, body, "profile-missing", "for a measure without meta.profile");
      });
  add(plan, "server.measure-error-outcome", "A refusal is an OperationOutcome an app can act on",
      "A weight of 900 kg: every issue has severity, code, details.coding (system and stable code) "
      "and the FHIRPath expression of the value.",
      {"GW-SEC-06", "GW-MES-02"}, [&ctx](TestScope& t) { outcomeShape(ctx, t); });
  add(plan, "server.measure-bmi-refused", "A BMI sent by an app is refused",
      "A valid-looking mes-observation-bmi (39156-5, 24.5 kg/m2) from the app: 422 "
      "bmi-computed-by-gateway.",
      {"GW-MES-03"}, [&ctx](TestScope& t) { bmiRefused(ctx, t); });
  add(plan, "server.measure-bmi-computed", "The gateway computes the BMI from weight and height",
      "A height of 175 cm then a weight of 70 kg: the gateway writes a BMI of 22.9 kg/m2 derived "
      "from "
      "both, valid by mes-observation-bmi.",
      {"GW-MES-03"}, [&ctx](TestScope& t) { bmiComputed(ctx, t); });
  add(plan, "server.measure-transaction-device", "A transaction creates the device once",
      "A transaction Bundle with a Device (ifNoneExist on its identifier) and a blood pressure "
      "pointing at it: 200 transaction-response, Device 201; the same Bundle again: Device 200, "
      "the "
      "same Device.",
      {"GW-MES-04"}, [&ctx](TestScope& t) { transactionWithDevice(ctx, t); });
  add(plan, "server.measure-if-none-exist", "If-None-Exist makes uploads idempotent",
      "POST with If-None-Exist: identifier=…: 201, then the same again: 200 with the same measure.",
      {"GW-MES-11"}, [&ctx](TestScope& t) { ifNoneExist(ctx, t); });
  add(plan, "server.measure-update-if-match", "An update with the current version succeeds",
      "PUT with If-Match W/\"<versionId>\" of the current version: 200, a new versionId, the new "
      "value; the first version still reads (vread).",
      {"GW-MES-06", "GW-MES-05"}, [&ctx](TestScope& t) { updateIfMatch(ctx, t); });
  add(plan, "server.measure-update-if-match-stale", "An update with a stale version is 412",
      "Two updates naming the same If-Match version: the second gets 412 Precondition Failed and "
      "the first one's value stays.",
      {"GW-MES-06"}, [&ctx](TestScope& t) { updateIfMatchStale(ctx, t); });
  add(plan, "server.measure-delete", "A deleted measure is gone",
      "DELETE of the app's measure: 204; read: 410 (or 404); no longer found by search.",
      {"GW-MES-07"}, [&ctx](TestScope& t) { deleteMeasure(ctx, t); });
  add(plan, "server.measure-search-all", "Search by patient, code and date range, sorted",
      "Three heart rates of one day: patient + code + date=ge…&date=lt… finds exactly them, total "
      "3, "
      "self link; _sort=date oldest first and _sort=-date newest first.",
      {"GW-MES-08"}, [&ctx](TestScope& t) { searchAll(ctx, t); });
  add(plan, "server.measure-search-last", "The last measure is code=…&_sort=-date&_count=1",
      "Two recent heart rates: the \"last measure\" search answers exactly the newer one.",
      {"GW-MES-08"}, [&ctx](TestScope& t) { searchLast(ctx, t); });
  add(plan, "server.measure-paging", "Pages follow _count with next and previous links",
      "Three measures with _count=2: 2 entries, total 3 and a next link under the FHIR base; the "
      "next "
      "page holds the third with a previous link and no next.",
      {"GW-MES-09"}, [&ctx](TestScope& t) { paging(ctx, t); });
  add(plan, "server.measure-page-size-limit", "_count above 100 is refused",
      "_count=101: 400 \"Maximum page size allowed is 100\" (page-size-too-large); _count=100: "
      "200.",
      {"GW-MES-09"}, [&ctx](TestScope& t) { pageSizeLimit(ctx, t); });
  add(plan, "server.measure-include-device", "_include=Observation:device adds the device",
      "A measure with its device, searched with _include=Observation:device: the Device is in the "
      "Bundle with search.mode include.",
      {"GW-MES-10"}, [&ctx](TestScope& t) { includeDevice(ctx, t); });
}

}  // namespace mes::conformance::server
