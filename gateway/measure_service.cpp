#include "gateway/measure_service.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>

#include "fhir/json/json.h"
#include "fhir/profiles/device_profile.h"
#include "fhir/profiles/measure_profiles.h"
#include "fhir/types/datetime.h"
#include "gateway/fhir_request.h"
#include "gateway/fhir_response.h"
#include "gateway/http/message.h"
#include "gateway/observation_search.h"
#include "gateway/resource_index.h"

namespace mes::gateway {
namespace {

constexpr const char* kWeightCode = "29463-7";
constexpr const char* kHeightCode = "8302-2";
constexpr const char* kBmiCode = "39156-5";
constexpr const char* kBmiProfile =
    "https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/mes-observation-bmi";

Error unprocessable(std::string code, std::string message, std::string expression) {
  return Error::make(ErrorKind::kUnprocessable, std::move(code), std::move(message),
                     std::move(expression));
}

// First LOINC code of Observation.code, or "".
std::string loincCode(const fhir::Value& observation) {
  const fhir::Value* code = observation.find("code");
  const fhir::Value* codings = code != nullptr ? code->find("coding") : nullptr;
  if (codings == nullptr || !codings->isArray()) return {};
  for (const auto& coding : codings->items()) {
    const std::string* system = coding.findString("system");
    const std::string* value = coding.findString("code");
    if (system != nullptr && value != nullptr && *system == kLoinc) return *value;
  }
  return {};
}

std::string patientOf(const fhir::Value& observation) {
  const fhir::Value* subject = observation.find("subject");
  return subject != nullptr ? referencedId(*subject, "Patient") : std::string();
}

std::optional<double> quantityValue(const fhir::Value& observation) {
  const fhir::Value* q = observation.find("valueQuantity");
  const fhir::Value* v = q != nullptr ? q->find("value") : nullptr;
  return v != nullptr ? v->asDouble() : std::nullopt;
}

const std::string& statusOf(const fhir::Value& observation) {
  static const std::string kEmpty;
  const std::string* s = observation.findString("status");
  return s != nullptr ? *s : kEmpty;
}

Result<fhir::Value> parseStored(const store::ResourceRecord& record) {
  auto parsed = fhir::parseJson(record.content, fhir::ParseLimits{512, record.content.size() + 1});
  if (!parsed) {
    return Error::internal("stored " + record.type + "/" + record.id + " is not valid JSON: " +
                           parsed.error().problems.front().message);
  }
  return parsed;
}

// Moves the problems' locations under the bundle entry that holds the resource.
Error underEntry(Error error, size_t index, const std::string& type) {
  return underBundleEntry(std::move(error), "Bundle.entry[" + std::to_string(index) + "].resource",
                          type);
}

// kg / m², one decimal, as text for the JSON number.
std::string bmiText(double weightKg, double heightCm) {
  const double meters = heightCm / 100.0;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", weightKg / (meters * meters));
  return text;
}

fhir::Value coding(const char* system, const char* code, const char* display) {
  fhir::Value c = fhir::Value::object();
  c.set("system", fhir::Value::string(system));
  c.set("code", fhir::Value::string(code));
  c.set("display", fhir::Value::string(display));
  return c;
}

fhir::Value reference(const std::string& target) {
  fhir::Value r = fhir::Value::object();
  r.set("reference", fhir::Value::string(target));
  return r;
}

// SPEC §1: an app updates or deletes only what it wrote itself (meta.source of the current
// version is its writer identity). Unrestricted contexts (tools, tests) may change anything.
Status checkAuthor(const store::ResourceRecord& current, const RequestContext& context) {
  if (context.source.empty() || current.source == context.source) return Status::ok();
  return Error::make(ErrorKind::kForbidden, "not-author",
                     current.type + "/" + current.id +
                         " was written by another service (or by the gateway); only its author "
                         "may change or delete it.");
}

}  // namespace

struct MeasureService::Prepared {
  fhir::Value resource;
  fhir::ValidatedMeasure measure;
  std::string deviceId;
  std::string expressionRoot = "Observation";
};

MeasureService::MeasureService(store::Repository& repository, const Clock& clock, IdGenerator& ids)
    : repository_(repository), clock_(clock), ids_(ids) {}

store::WriteRequest MeasureService::writeRequest(const std::string& id, fhir::Value resource,
                                                 const std::string& source) {
  store::WriteRequest request;
  const std::string* type = resource.findString("resourceType");
  request.type = type != nullptr ? *type : std::string();
  request.id = id;
  request.index = indexRowsFor(request.type, id, resource);
  request.source = source;
  // meta.source says who wrote a version; only the gateway sets it (from the access context),
  // never the client, since authorship checks rely on it.
  if (fhir::Value* meta = resource.find("meta"); meta != nullptr && meta->isObject()) {
    meta->erase("source");
  }
  auto shared = std::make_shared<fhir::Value>(std::move(resource));
  request.render = [shared, id, source](int64_t version, int64_t lastUpdated) -> Result<std::string> {
    return stampedJson(*shared, id, version, lastUpdated, source);
  };
  return request;
}

Result<MeasureService::Prepared> MeasureService::prepare(fhir::Value observation,
                                                         const RequestContext& context) {
  auto validated = fhir::validateMeasure(observation, clock_.nowMs(), fhir::MeasureOrigin::kApp);
  if (!validated) return validated.takeError();
  if (!context.patientId.empty() && validated->patientId != context.patientId) {
    return Error::make(ErrorKind::kForbidden, "patient-mismatch",
                       "The measure's subject is not the patient this access is for.",
                       "Observation.subject");
  }
  Prepared prepared{std::move(observation), *validated, {}, "Observation"};
  if (const fhir::Value* device = prepared.resource.find("device")) {
    prepared.deviceId = referencedId(*device, "Device");
  }
  return prepared;
}

Status MeasureService::checkReferences(store::Transaction& tx, const Prepared& prepared) {
  auto patient = tx.read("Patient", prepared.measure.patientId);
  if (!patient || patient->deleted) {
    if (!patient && patient.error().kind != ErrorKind::kNotFound) return patient.takeError();
    return unprocessable("subject-unknown",
                         "The subject Patient/" + prepared.measure.patientId + " does not exist.",
                         prepared.expressionRoot + ".subject");
  }
  if (prepared.resource.find("device") != nullptr) {
    if (prepared.deviceId.empty()) {
      return unprocessable("device-reference-invalid",
                           "Observation.device must reference a Device as Device/<id> (or, in a "
                           "transaction, the fullUrl of the Device entry).",
                           prepared.expressionRoot + ".device");
    }
    auto found = tx.read("Device", prepared.deviceId);
    if (!found || found->deleted) {
      if (!found && found.error().kind != ErrorKind::kNotFound) return found.takeError();
      return unprocessable("device-unknown", "The Device/" + prepared.deviceId + " does not exist.",
                           prepared.expressionRoot + ".device");
    }
  }
  return Status::ok();
}

Result<store::ResourceRecord> MeasureService::createPrepared(store::Transaction& tx,
                                                             Prepared& prepared,
                                                             const RequestContext& context) {
  MES_RETURN_IF_ERROR(checkReferences(tx, prepared));
  auto created = tx.create(writeRequest(ids_.next(), prepared.resource, context.source));
  if (!created) return created;
  if ((prepared.measure.profile->kind == fhir::MeasureKind::kBodyWeight ||
       prepared.measure.profile->kind == fhir::MeasureKind::kBodyHeight) &&
      statusOf(prepared.resource) != "entered-in-error") {
    MES_RETURN_IF_ERROR(deriveBmiFor(tx, *created));
  }
  return created;
}

Result<CreateOutcome> MeasureService::create(fhir::Value observation, const RequestContext& context,
                                             const std::string& ifNoneExist) {
  auto prepared = prepare(std::move(observation), context);
  if (!prepared) return prepared.takeError();

  std::optional<store::SearchQuery> condition;
  if (!ifNoneExist.empty()) {
    auto search = parseObservationSearch(http::parseQuery(ifNoneExist));
    if (!search) {
      Error e = search.takeError();
      for (auto& p : e.problems) p.message = "If-None-Exist: " + p.message;
      return e;
    }
    bool paging = false;
    for (const auto& [name, value] : search->linkParams) paging |= name.rfind("_", 0) == 0;
    if (search->patientIdentifier || search->includeDevice || paging ||
        ifNoneExist.find("_count") != std::string::npos ||
        ifNoneExist.find("_offset") != std::string::npos ||
        (search->query.tokens.empty() && search->query.dates.empty())) {
      return Error::make(ErrorKind::kInvalid, "invalid-if-none-exist",
                         "If-None-Exist takes identifier, code or date criteria (and optionally "
                         "patient), e.g. identifier=<system>|<value>; got '" + ifNoneExist + "'.");
    }
    // The criteria apply within the measure's own patient: never match another's data.
    if (search->query.patient && *search->query.patient != prepared->measure.patientId) {
      return Error::make(ErrorKind::kInvalid, "invalid-if-none-exist",
                         "If-None-Exist names another patient than the measure's subject.");
    }
    search->query.patient = prepared->measure.patientId;
    search->query.count = 2;
    search->query.offset = 0;
    search->query.withTotal = false;
    condition = search->query;
  }

  CreateOutcome outcome;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    if (condition) {
      auto found = tx.search(*condition);
      if (!found) return found.takeError();
      if (found->records.size() > 1) {
        return Error::make(ErrorKind::kPreconditionFailed, "multiple-matches",
                           "If-None-Exist matches more than one Observation.");
      }
      if (found->records.size() == 1) {
        outcome.record = found->records.front();
        outcome.created = false;
        return Status::ok();
      }
    }
    auto created = createPrepared(tx, *prepared, context);
    if (!created) return created.takeError();
    outcome.record = std::move(created).value();
    return Status::ok();
  });
  if (!status) return status.takeError();
  return outcome;
}

Result<store::ResourceRecord> MeasureService::update(const std::string& id, fhir::Value observation,
                                                     std::optional<int64_t> ifMatch,
                                                     const RequestContext& context) {
  auto prepared = prepare(std::move(observation), context);
  if (!prepared) return prepared.takeError();
  store::ResourceRecord result;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    auto current = tx.read("Observation", id);
    if (!current) return current.takeError();
    if (current->deleted) {
      return Error::make(ErrorKind::kGone, "deleted", "Observation/" + id + " has been deleted.");
    }
    auto old = parseStored(*current);
    if (!old) return old.takeError();
    if (!context.patientId.empty() && patientOf(*old) != context.patientId) {
      return Error::make(ErrorKind::kNotFound, "not-found", "Observation/" + id + " does not exist.");
    }
    MES_RETURN_IF_ERROR(checkAuthor(*current, context));
    if (patientOf(*old) != prepared->measure.patientId) {
      return unprocessable("subject-change",
                           "A measure cannot be moved to another patient; the subject must stay "
                           "Patient/" + patientOf(*old) + ".",
                           "Observation.subject");
    }
    if (loincCode(*old) != loincCode(prepared->resource) &&
        !(loincCode(*old).empty() && loincCode(prepared->resource).empty())) {
      return unprocessable("code-change",
                           "A measure's code cannot change (stored: " + loincCode(*old) +
                               "); delete it and create a new one instead.",
                           "Observation.code");
    }
    MES_RETURN_IF_ERROR(checkReferences(tx, *prepared));
    store::WriteRequest request = writeRequest(id, prepared->resource, context.source);
    request.ifMatch = ifMatch;
    auto updated = tx.update(request);
    if (!updated) return updated.takeError();
    result = *updated;
    auto kind = prepared->measure.profile->kind;
    if (kind == fhir::MeasureKind::kBodyWeight || kind == fhir::MeasureKind::kBodyHeight) {
      return refreshDerivedBmi(tx, id, false);
    }
    return Status::ok();
  });
  if (!status) return status.takeError();
  return result;
}

Result<store::ResourceRecord> MeasureService::remove(const std::string& id,
                                                     std::optional<int64_t> ifMatch,
                                                     const RequestContext& context) {
  store::ResourceRecord result;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    auto current = tx.read("Observation", id);
    if (!current) return current.takeError();
    if (current->deleted) {
      result = *current;
      return Status::ok();
    }
    auto old = parseStored(*current);
    if (!old) return old.takeError();
    if (!context.patientId.empty() && patientOf(*old) != context.patientId) {
      return Error::make(ErrorKind::kNotFound, "not-found", "Observation/" + id + " does not exist.");
    }
    const std::string code = loincCode(*old);
    if (code == kBmiCode) {
      return unprocessable("bmi-computed-by-gateway",
                           "BMI measures are maintained by the gateway; delete or correct the "
                           "weight or height it comes from instead.",
                           "Observation.code");
    }
    MES_RETURN_IF_ERROR(checkAuthor(*current, context));
    auto removed = tx.remove("Observation", id, ifMatch);
    if (!removed) return removed.takeError();
    result = *removed;
    if (code == kWeightCode || code == kHeightCode) return refreshDerivedBmi(tx, id, true);
    return Status::ok();
  });
  if (!status) return status.takeError();
  return result;
}

Status MeasureService::deriveBmiFor(store::Transaction& tx, const store::ResourceRecord& input) {
  auto inputJson = parseStored(input);
  if (!inputJson) return inputJson.takeError();
  const std::string code = loincCode(*inputJson);
  const bool isWeight = code == kWeightCode;
  const std::string patient = patientOf(*inputJson);

  store::SearchQuery query;
  query.type = "Observation";
  query.patient = patient;
  query.tokens.push_back({"code", {{std::string(kLoinc), isWeight ? kHeightCode : kWeightCode}}});
  query.tokens.push_back({"status",
                          {{std::nullopt, "final"}, {std::nullopt, "amended"}}});
  query.sort = store::SortOrder::kDateDesc;
  query.count = 1;
  query.withTotal = false;
  auto other = tx.search(query);
  if (!other) return other.takeError();
  if (other->records.empty()) return Status::ok();
  const store::ResourceRecord& otherRecord = other->records.front();
  auto otherJson = parseStored(otherRecord);
  if (!otherJson) return otherJson.takeError();

  const fhir::Value& weight = isWeight ? *inputJson : *otherJson;
  const fhir::Value& height = isWeight ? *otherJson : *inputJson;
  const std::string weightId = isWeight ? input.id : otherRecord.id;
  const std::string heightId = isWeight ? otherRecord.id : input.id;
  auto w = quantityValue(weight);
  auto h = quantityValue(height);
  if (!w || !h || *h <= 0) return Error::internal("BMI inputs without a numeric value");

  // Effective when both values are known: the later of the two measures.
  const std::string* we = weight.findString("effectiveDateTime");
  const std::string* he = height.findString("effectiveDateTime");
  auto wr = fhir::parseDateTime(*we);
  auto hr = fhir::parseDateTime(*he);
  const std::string effective = (wr && hr && hr->lowMs > wr->lowMs) ? *he : *we;

  fhir::Value bmi = fhir::Value::object();
  bmi.set("resourceType", fhir::Value::string("Observation"));
  fhir::Value meta = fhir::Value::object();
  fhir::Value profiles = fhir::Value::array();
  profiles.push(fhir::Value::string(kBmiProfile));
  meta.set("profile", std::move(profiles));
  bmi.set("meta", std::move(meta));
  bmi.set("status", fhir::Value::string("final"));
  fhir::Value category = fhir::Value::object();
  fhir::Value categoryCodings = fhir::Value::array();
  categoryCodings.push(coding("http://terminology.hl7.org/CodeSystem/observation-category",
                              "vital-signs", "Vital Signs"));
  category.set("coding", std::move(categoryCodings));
  fhir::Value categories = fhir::Value::array();
  categories.push(std::move(category));
  bmi.set("category", std::move(categories));
  fhir::Value codeConcept = fhir::Value::object();
  fhir::Value codeCodings = fhir::Value::array();
  codeCodings.push(coding(kLoinc, kBmiCode, "Body mass index (BMI) [Ratio]"));
  codeConcept.set("coding", std::move(codeCodings));
  bmi.set("code", std::move(codeConcept));
  bmi.set("subject", reference("Patient/" + patient));
  bmi.set("effectiveDateTime", fhir::Value::string(effective));
  fhir::Value quantity = fhir::Value::object();
  quantity.set("value", fhir::Value::numberText(bmiText(*w, *h)));
  quantity.set("unit", fhir::Value::string("kg/m2"));
  quantity.set("system", fhir::Value::string("http://unitsofmeasure.org"));
  quantity.set("code", fhir::Value::string("kg/m2"));
  bmi.set("valueQuantity", std::move(quantity));
  fhir::Value derived = fhir::Value::array();
  derived.push(reference("Observation/" + weightId));
  derived.push(reference("Observation/" + heightId));
  bmi.set("derivedFrom", std::move(derived));

  // The gateway's own output must meet the profile it claims. Inputs that are each plausible
  // can still give an implausible BMI (an infant's weight with an adult's old height): then
  // no BMI is written rather than a wrong one.
  if (!fhir::validateMeasure(bmi, clock_.nowMs(), fhir::MeasureOrigin::kGateway)) {
    return Status::ok();
  }
  auto created = tx.create(writeRequest(ids_.next(), std::move(bmi), kGatewaySource));
  return created.status();
}

Status MeasureService::refreshDerivedBmi(store::Transaction& tx, const std::string& inputId,
                                         bool inputGone) {
  store::SearchQuery query;
  query.type = "Observation";
  query.references.push_back({"derived-from", {"Observation/" + inputId}});
  query.tokens.push_back({"code", {{std::string(kLoinc), kBmiCode}}});
  query.count = 1000;
  query.withTotal = false;
  auto found = tx.search(query);
  if (!found) return found.takeError();
  for (const auto& record : found->records) {
    if (inputGone) {
      MES_RETURN_IF_ERROR(tx.remove("Observation", record.id, std::nullopt).status());
      continue;
    }
    auto bmi = parseStored(record);
    if (!bmi) return bmi.takeError();
    // Both inputs as they are now.
    std::optional<double> w;
    std::optional<double> h;
    std::string effective;
    int64_t effectiveLow = INT64_MIN;
    bool inputInError = false;
    const fhir::Value* derived = bmi->find("derivedFrom");
    for (const auto& ref : derived != nullptr ? derived->items() : std::vector<fhir::Value>{}) {
      const std::string sourceId = referencedId(ref, "Observation");
      auto source = tx.read("Observation", sourceId);
      if (!source || source->deleted) {
        inputInError = true;
        continue;
      }
      auto json = parseStored(*source);
      if (!json) return json.takeError();
      if (statusOf(*json) == "entered-in-error") inputInError = true;
      const std::string code = loincCode(*json);
      if (code == kWeightCode) w = quantityValue(*json);
      if (code == kHeightCode) h = quantityValue(*json);
      if (const std::string* e = json->findString("effectiveDateTime")) {
        auto range = fhir::parseDateTime(*e);
        if (range && range->lowMs > effectiveLow) {
          effectiveLow = range->lowMs;
          effective = *e;
        }
      }
    }
    if (inputInError || !w || !h || *h <= 0) {
      bmi->set("status", fhir::Value::string("entered-in-error"));
    } else {
      fhir::Value* quantity = bmi->find("valueQuantity");
      if (quantity != nullptr) quantity->set("value", fhir::Value::numberText(bmiText(*w, *h)));
      bmi->set("status", fhir::Value::string("amended"));
      if (!effective.empty()) bmi->set("effectiveDateTime", fhir::Value::string(effective));
      // An implausible result is withdrawn rather than shown (see deriveBmiFor).
      if (!fhir::validateMeasure(*bmi, clock_.nowMs(), fhir::MeasureOrigin::kGateway)) {
        bmi->set("status", fhir::Value::string("entered-in-error"));
      }
    }
    MES_RETURN_IF_ERROR(tx.update(writeRequest(record.id, std::move(*bmi), kGatewaySource)).status());
  }
  return Status::ok();
}

Result<fhir::Value> MeasureService::transaction(const fhir::Value& bundle,
                                                const RequestContext& context) {
  auto invalid = [](std::string code, std::string message, std::string expression) {
    return Error::make(ErrorKind::kInvalid, std::move(code), std::move(message),
                       std::move(expression));
  };
  auto entryList = transactionEntries(bundle);
  if (!entryList) return entryList.takeError();
  const std::vector<fhir::Value>& entryItems = **entryList;

  struct Entry {
    size_t index;
    std::string fullUrl;
    fhir::Value resource;
    std::string ifNoneExist;
  };
  std::optional<Entry> observationEntry;
  std::optional<Entry> deviceEntry;
  for (size_t i = 0; i < entryItems.size(); ++i) {
    auto head = transactionEntry(entryItems[i], i);
    if (!head) return head.takeError();
    const std::string& at = head->at;
    const std::string* rtype = &head->type;
    const fhir::Value* request = head->request;
    Entry e{i, head->fullUrl, *head->resource, {}};
    if (const std::string* cond = request->findString("ifNoneExist")) e.ifNoneExist = *cond;
    if (*rtype == "Observation") {
      if (observationEntry) {
        return Error::make(ErrorKind::kUnprocessable, "transaction-too-many-observations",
                           "A measures transaction carries exactly one Observation.", at);
      }
      if (!e.ifNoneExist.empty()) {
        return Error::make(ErrorKind::kUnprocessable, "transaction-conditional-unsupported",
                           "Conditional create is supported for the Device entry only.",
                           at + ".request.ifNoneExist");
      }
      observationEntry = std::move(e);
    } else if (*rtype == "Device") {
      if (deviceEntry) {
        return Error::make(ErrorKind::kUnprocessable, "transaction-too-many-devices",
                           "A measures transaction carries at most one Device.", at);
      }
      deviceEntry = std::move(e);
    } else {
      return Error::make(ErrorKind::kUnprocessable, "transaction-entry-unsupported",
                         "A measures transaction carries one Observation and optionally one "
                         "Device; " + *rtype + " is not accepted.",
                         at + ".resource");
    }
  }
  if (!observationEntry) {
    return Error::make(ErrorKind::kUnprocessable, "transaction-observation-missing",
                       "The transaction has no Observation entry.", "Bundle.entry");
  }
  // Each entry needs its own letter (SPEC §1); the Device's conditional create is part of the
  // create (the search it implies stays within what the app writes for this patient).
  MES_RETURN_IF_ERROR(requirePermission(context, "Observation", oauth::kCreate));
  if (deviceEntry) MES_RETURN_IF_ERROR(requirePermission(context, "Device", oauth::kCreate));

  // Device: validate, and read its conditional-create criterion (identifier=<system>|<value>).
  std::optional<store::SearchQuery> deviceCondition;
  if (deviceEntry) {
    Status valid = fhir::validateDevice(deviceEntry->resource);
    if (!valid) return underEntry(valid.takeError(), deviceEntry->index, "Device");
    if (!deviceEntry->ifNoneExist.empty()) {
      auto params = http::parseQuery(deviceEntry->ifNoneExist);
      const std::string at =
          "Bundle.entry[" + std::to_string(deviceEntry->index) + "].request.ifNoneExist";
      if (params.size() != 1 || params[0].first != "identifier") {
        return invalid("invalid-if-none-exist",
                       "ifNoneExist for a Device must be identifier=<system>|<value>.", at);
      }
      auto token = fhir::parseTokenParam("identifier", params[0].second);
      if (!token) return invalid("invalid-if-none-exist", token.error().problems[0].message, at);
      store::SearchQuery q;
      q.type = "Device";
      q.tokens.push_back({"identifier", {{token->system, token->code}}});
      q.count = 2;
      q.withTotal = false;
      q.sort = store::SortOrder::kLastUpdatedDesc;
      deviceCondition = q;  // scoped to the measure's patient below
    }
  }

  // Observation: its device reference may point at the Device entry's fullUrl.
  fhir::Value observation = observationEntry->resource;
  bool pointsAtDeviceEntry = false;
  if (fhir::Value* device = observation.find("device"); device != nullptr && device->isObject()) {
    const std::string* target = device->findString("reference");
    if (target != nullptr && deviceEntry && *target == deviceEntry->fullUrl) {
      pointsAtDeviceEntry = true;
    } else if (target != nullptr && target->rfind("urn:", 0) == 0) {
      return underEntry(unprocessable("reference-unresolved",
                                      "Observation.device references '" + *target +
                                          "', which is no entry of this transaction.",
                                      "Observation.device"),
                        observationEntry->index, "Observation");
    }
  }
  auto prepared = prepare(std::move(observation), context);
  if (!prepared) return underEntry(prepared.takeError(), observationEntry->index, "Observation");
  prepared->expressionRoot = "Bundle.entry[" + std::to_string(observationEntry->index) + "].resource";

  // A personal device is filed in the patient's compartment: a cuff shared by two patients is
  // two Devices, so one patient's data never links to another's.
  if (deviceCondition) deviceCondition->patient = prepared->measure.patientId;

  struct Written {
    store::ResourceRecord record;
    bool created;
  };
  std::optional<Written> deviceWritten;
  std::optional<Written> observationWritten;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    if (deviceEntry) {
      std::optional<store::ResourceRecord> existing;
      if (deviceCondition) {
        auto found = tx.search(*deviceCondition);
        if (!found) return found.takeError();
        if (found->records.size() > 1) {
          return Error::make(ErrorKind::kPreconditionFailed, "multiple-matches",
                             "The Device's ifNoneExist matches more than one Device.",
                             "Bundle.entry[" + std::to_string(deviceEntry->index) +
                                 "].request.ifNoneExist");
        }
        if (!found->records.empty()) existing = found->records.front();
      }
      if (existing) {
        deviceWritten = Written{*existing, false};
      } else {
        store::WriteRequest request =
            writeRequest(ids_.next(), deviceEntry->resource, context.source);
        request.index.patient = prepared->measure.patientId;
        auto created = tx.create(request);
        if (!created) return created.takeError();
        deviceWritten = Written{*created, true};
      }
      if (pointsAtDeviceEntry) {
        prepared->resource.find("device")->set(
            "reference", fhir::Value::string("Device/" + deviceWritten->record.id));
        prepared->deviceId = deviceWritten->record.id;
      }
    }
    auto created = createPrepared(tx, *prepared, context);
    if (!created) return created.takeError();
    observationWritten = Written{*created, true};
    return Status::ok();
  });
  if (!status) return status.takeError();

  // transaction-response, entries in the request's order.
  std::vector<std::pair<size_t, Written>> written;
  written.emplace_back(observationEntry->index, *observationWritten);
  if (deviceWritten) written.emplace_back(deviceEntry->index, *deviceWritten);
  std::sort(written.begin(), written.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  fhir::Value response = fhir::Value::object();
  response.set("resourceType", fhir::Value::string("Bundle"));
  response.set("id", fhir::Value::string(ids_.next()));
  response.set("type", fhir::Value::string("transaction-response"));
  fhir::Value outEntries = fhir::Value::array();
  for (const auto& [index, w] : written) {
    fhir::Value e = fhir::Value::object();
    e.set("response", transactionResponseEntry(w.record, w.created));
    outEntries.push(std::move(e));
  }
  response.set("entry", std::move(outEntries));
  return response;
}

}  // namespace mes::gateway
