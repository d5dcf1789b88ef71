// What the app sends and asks for (INT-01 to INT-07, ECH-01 to ECH-03): measures valid against
// their MES profile and never a BMI, devices by conditional create, idempotent uploads,
// searches within the rules, documents and appointments as MHD and the agenda want them, the
// patient's compartment, and only the app's own data changed.
#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <set>

#include "conformance/client/grades.h"
#include "conformance/report/exchange_text.h"
#include "conformance/server/checks.h"
#include "fhir/json/json.h"
#include "fhir/profiles/appointment_profile.h"
#include "fhir/profiles/document_profile.h"
#include "fhir/profiles/measure_profiles.h"
#include "fhir/types/base64.h"
#include "oauth/crypto/digest.h"

namespace mes::conformance::client {

namespace {

using fhir::Value;

constexpr std::string_view kBmiCode = "39156-5";

bool isBmi(const Value& observation) {
  if (const Value* meta = observation.find("meta")) {
    if (const Value* profiles = meta->isObject() ? meta->find("profile") : nullptr;
        profiles != nullptr && profiles->isArray()) {
      for (const Value& p : profiles->items()) {
        const fhir::MeasureProfile* profile =
            p.isString() ? fhir::findMeasureProfile(p.text()) : nullptr;
        if (profile != nullptr && profile->kind == fhir::MeasureKind::kBmi) return true;
      }
    }
  }
  const Value* code = observation.find("code");
  const Value* codings = code != nullptr && code->isObject() ? code->find("coding") : nullptr;
  if (codings == nullptr || !codings->isArray()) return false;
  for (const Value& c : codings->items()) {
    if (server::stringAt(c, "code") == kBmiCode) return true;
  }
  return false;
}

// The identifiers of a resource as "system|value".
std::vector<std::string> identifiersOf(const Value& resource) {
  std::vector<std::string> out;
  const Value* list = resource.find("identifier");
  if (list == nullptr || !list->isArray()) return out;
  for (const Value& i : list->items()) {
    const std::string system = server::stringAt(i, "system");
    const std::string value = server::stringAt(i, "value");
    if (!system.empty() && !value.empty()) out.push_back(system + "|" + value);
  }
  return out;
}

// "identifier=<system>|<value>" naming one of `identifiers` exactly (other criteria allowed
// only when `alone` is false).
bool namesIdentifier(std::string_view condition, const std::vector<std::string>& identifiers,
                     bool alone) {
  const Params params = http::parseQuery(condition);
  if (alone && params.size() != 1) return false;
  for (const auto& [name, value] : params) {
    if (name != "identifier") continue;
    for (const std::string& id : identifiers) {
      if (value == id) return true;
    }
  }
  return false;
}

std::string refusal(const RecordedExchange& e) {
  const std::string codes = outcomeCodesOf(e);
  return "the gateway refused it with " + std::to_string(e.status) +
         (codes.empty() ? std::string() : " (" + codes + ")");
}

void measuresValid(TestScope& t, const Traffic& traffic) {
  std::deque<Value> bodies;
  Findings f(t, traffic);
  size_t measures = 0;
  size_t bmis = 0;
  for (const SentResource& s : resourcesSent(traffic, bodies)) {
    if (s.type != "Observation") continue;
    if (isBmi(*s.resource)) {
      ++bmis;
      continue;
    }
    ++measures;
    const RecordedExchange& e = *s.call->exchange;
    Result<fhir::ValidatedMeasure> checked = fhir::validateMeasure(*s.resource, e.startedMs);
    if (!checked) {
      f.offence(e, (s.where.empty() ? std::string() : "in " + s.where + ", ") +
                       "the measure breaks its MES profile: " + problemsText(checked.error()));
    } else {
      f.judged(e);
    }
  }
  if (measures == 0) {
    t.skip(bmis == 0 ? "The app sent no measure (Observation) during the session."
                     : "The app sent no measure but BMIs, which client.no-bmi judges.");
  }
  f.conclude("Measures the app sent are not valid against their MES profile (INT-01, INT-07)",
             count(measures, "measure", "measures") +
                 " sent, each valid against its MES profile (code, UCUM unit, plausible range, "
                 "extensions, a dated effectiveDateTime not in the future)");
}

void noBmi(TestScope& t, const Traffic& traffic) {
  std::deque<Value> bodies;
  Findings f(t, traffic);
  size_t measures = 0;
  for (const SentResource& s : resourcesSent(traffic, bodies)) {
    if (s.type != "Observation") continue;
    ++measures;
    if (isBmi(*s.resource)) {
      f.offence(*s.call->exchange,
                "sends a BMI (LOINC 39156-5): Mon espace santé computes it from the weight and "
                "the height, apps never send one");
    } else {
      f.judged(*s.call->exchange);
    }
  }
  if (measures == 0) t.skip("The app sent no measure (Observation) during the session.");
  f.conclude("The app sends BMIs, which INT-02 forbids",
             count(measures, "measure", "measures") + " sent, none a BMI");
}

void deviceConditionalCreate(TestScope& t, const Traffic& traffic) {
  std::deque<Value> bodies;
  const std::vector<SentResource> sent = resourcesSent(traffic, bodies);
  Findings f(t, traffic);
  size_t devices = 0;
  for (const SentResource& s : sent) {
    if (s.type != "Device") continue;
    ++devices;
    const RecordedExchange& e = *s.call->exchange;
    if (s.bundle == nullptr) {
      f.offence(e,
                "creates a Device on its own: a device is declared in the measures "
                "transaction Bundle, with request.ifNoneExist on its identifier, so that it is "
                "created once");
      continue;
    }
    const std::vector<std::string> identifiers = identifiersOf(*s.resource);
    const std::string ifNoneExist =
        s.request != nullptr ? server::stringAt(*s.request, "ifNoneExist") : std::string();
    if (identifiers.empty()) {
      f.offence(e, "the Device of " + s.where +
                       " has no identifier (system and value, e.g. its serial number) to be "
                       "created conditionally");
    } else if (ifNoneExist.empty()) {
      f.offence(e, "the Device entry (" + s.where +
                       ") has no request.ifNoneExist: each upload would create the device again");
    } else if (!namesIdentifier(ifNoneExist, identifiers, true)) {
      f.offence(e, "request.ifNoneExist \"" + printableText(ifNoneExist) +
                       "\" is not identifier=<system>|<value> of the Device's own identifier");
    } else {
      bool referenced = false;
      bool observations = false;
      for (const SentResource& other : sent) {
        if (other.bundle != s.bundle || other.type != "Observation") continue;
        observations = true;
        const Value* device = other.resource->find("device");
        referenced = device != nullptr && server::stringAt(*device, "reference") == s.fullUrl &&
                     !s.fullUrl.empty();
      }
      if (observations && !referenced) {
        f.offence(e,
                  "the Observation of this transaction does not reference the Device entry "
                  "(its device.reference is the Device's fullUrl)");
      } else {
        f.judged(e);
      }
    }
  }
  if (devices == 0) {
    t.skip(
        "The app sent no Device during the session (measures typed by hand need none; a "
        "device's app declares it in its measures transaction).");
  }
  f.conclude("Devices are not declared by conditional create, as INT-03 requires",
             count(devices, "Device", "Devices") +
                 " sent, each in a transaction with request.ifNoneExist on its identifier and "
                 "referenced by the transaction's measure");
}

void idempotentUpload(TestScope& t, const Traffic& traffic) {
  Findings f(t, traffic);
  size_t uploads = 0;
  for (const FhirCall& c : traffic.fhirCalls()) {
    if (c.method != "POST" || c.segments.size() != 1 || c.type() != "Observation") continue;
    const std::optional<Value> measure = jsonOf(c.exchange->requestBody);
    if (!measure || !measure->isObject()) continue;
    ++uploads;
    const std::vector<std::string> identifiers = identifiersOf(*measure);
    const std::string& condition = c.exchange->requestHeaders.get("If-None-Exist");
    if (identifiers.empty()) {
      f.offence(*c.exchange,
                "the measure has no identifier (system and value) for its upload "
                "to be made idempotent");
    } else if (condition.empty()) {
      f.offence(*c.exchange,
                "no If-None-Exist header: sent again after a cut, the measure "
                "would be stored twice");
    } else if (!namesIdentifier(condition, identifiers, false)) {
      f.offence(*c.exchange, "If-None-Exist \"" + printableText(condition) +
                                 "\" does not name the measure's own identifier "
                                 "(identifier=<system>|<value>)");
    } else {
      f.judged(*c.exchange);
    }
  }
  if (uploads == 0) {
    t.skip(
        "The app uploaded no single measure (POST /fhir/Observation) during the session; the "
        "measure of a transaction cannot be made conditional (SPEC §2: conditional create "
        "is for its Device).");
  }
  f.conclude("Measure uploads are not idempotent, as ECH-03 requires",
             count(uploads, "measure upload", "measure uploads") +
                 ", each with If-None-Exist on the measure's identifier");
}

// The search parameters each searchable type takes (SPEC §2-§4, swagger/).
const std::map<std::string, std::set<std::string>>& knownParameters() {
  static const std::map<std::string, std::set<std::string>> kKnown = {
      {"Observation",
       {"patient", "subject", "subject.identifier", "code", "identifier", "date", "_lastUpdated",
        "_sort", "_count", "_offset", "_include", "_format", "_pretty"}},
      {"DocumentReference",
       {"patient", "status", "type", "category", "date", "period", "author", "_count", "_offset",
        "_format", "_pretty"}},
      {"Appointment",
       {"patient", "date", "status", "identifier", "_lastUpdated", "_sort", "_count", "_offset",
        "_format", "_pretty"}},
      {"Consent", {"patient", "_format"}},
  };
  return kKnown;
}

constexpr int64_t kMaxPageSize = 100;

// Path and sorted decoded query without the token: what a link and a request share.
std::string normalized(std::string_view path, Params query) {
  std::erase_if(query, [](const auto& p) { return p.first == "access_token"; });
  std::sort(query.begin(), query.end());
  std::string out(path);
  for (const auto& [name, value] : query) out += "&" + name + "=" + value;
  return out;
}

void searchRules(TestScope& t, const Traffic& traffic) {
  Findings f(t, traffic);
  std::set<std::string> links;  // normalized links of the searchsets answered so far
  const std::string base = traffic.info().publicUrl;
  size_t searches = 0;
  for (const FhirCall& c : traffic.fhirCalls()) {
    if (!c.isSearch()) continue;
    ++searches;
    const RecordedExchange& e = *c.exchange;
    std::string problem;
    const auto known = knownParameters().find(c.type());
    if (known == knownParameters().end()) {
      problem = "searches " + c.type() + ", which the MES APIs do not search";
    }
    bool offset = false;
    for (const auto& [rawName, value] : c.query) {
      const std::string name = rawName.substr(0, rawName.find(':'));
      if (name == "access_token" || !problem.empty()) continue;
      if (known->second.count(name) == 0) {
        problem = "unknown parameter " + printableText(rawName) + " for " + c.type() +
                  ": the gateway refuses it rather than ignore a filter";
      } else if (name == "_count") {
        const bool digits = !value.empty() && value.size() < 10 &&
                            value.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || std::stoll(value) > kMaxPageSize) {
          problem = "_count=" + printableText(value) + ": a page holds at most " +
                    std::to_string(kMaxPageSize) + " resources; page through the next link";
        }
      } else if (name == "_offset") {
        offset = true;
      }
    }
    if (problem.empty() && offset &&
        links.count(normalized(pathOfTarget(e.target), c.query)) == 0) {
      problem =
          "its _offset was not taken from a next or previous link the gateway returned: "
          "page through those links";
    }
    if (problem.empty() && e.status == 400) problem = refusal(e);
    if (problem.empty()) {
      f.judged(e);
    } else {
      f.offence(e, problem);
    }
    if (const std::optional<Value> bundle = jsonOf(e.responseBody)) {
      for (const char* relation : {"self", "next", "previous", "first", "last"}) {
        std::string url = server::bundleLink(*bundle, relation);
        if (url.empty()) continue;
        if (url.rfind(base, 0) == 0) url = url.substr(base.size());
        links.insert(normalized(pathOfTarget(url), queryOfTarget(url)));
      }
    }
  }
  if (searches == 0) t.skip("The app made no search during the session.");
  f.conclude("Searches break the MES rules of INT-04",
             count(searches, "search", "searches") +
                 ", each with known parameters, _count at most 100 and pages from the links");
}

// Checks an attachment's declared size and SHA-1 against `bytes`; "" when they match.
std::string attachmentMismatch(const Value& doc, const std::string& bytes) {
  const std::optional<int64_t> size = fhir::declaredSize(doc);
  const std::optional<std::array<unsigned char, 20>> hash = fhir::attachmentSha1(doc);
  if (size && static_cast<uint64_t>(*size) != bytes.size()) {
    return "attachment.size says " + std::to_string(*size) + " bytes, the document has " +
           std::to_string(bytes.size());
  }
  const std::string digest = oauth::sha1(bytes);
  if (hash && std::string(hash->begin(), hash->end()) != digest) {
    return "attachment.hash is not the SHA-1 of the document's bytes";
  }
  return {};
}

std::string attachmentData(const Value& doc) {
  const Value* content = doc.find("content");
  if (content == nullptr || !content->isArray() || content->items().empty()) return {};
  const Value* attachment = content->items()[0].find("attachment");
  return attachment != nullptr ? server::stringAt(*attachment, "data") : std::string();
}

// The problems of an ITI-65 Bundle, "" when none.
std::string publicationProblem(const Value& bundle) {
  std::map<std::string, const Value*> binaries;  // fullUrl -> Binary
  const Value* entries = bundle.find("entry");
  if (entries == nullptr || !entries->isArray()) return "the Bundle has no entry";
  for (const Value& entry : entries->items()) {
    const Value* r = entry.isObject() ? entry.find("resource") : nullptr;
    if (r != nullptr && server::stringAt(*r, "resourceType") == "Binary") {
      binaries[server::stringAt(entry, "fullUrl")] = r;
    }
  }
  for (size_t i = 0; i < entries->items().size(); ++i) {
    const Value* r = entries->items()[i].find("resource");
    if (r == nullptr) continue;
    const std::string at = "Bundle.entry[" + std::to_string(i) + "].resource: ";
    const std::string type = server::stringAt(*r, "resourceType");
    if (type == "List") {
      if (auto list = fhir::validateSubmissionSet(*r); !list)
        return at + problemsText(list.error());
    } else if (type == "Binary") {
      if (auto binary = fhir::validateBinary(*r); !binary) {
        return at + problemsText(binary.error());
      }
    } else if (type == "DocumentReference") {
      auto doc = fhir::validateDocumentReference(*r, {true, fhir::AttachmentSource::kBundleUrl});
      if (!doc) return at + problemsText(doc.error());
      const auto binary = binaries.find(doc->attachmentUrl.value_or(""));
      if (binary == binaries.end()) {
        return at + "attachment.url names no Binary entry of the Bundle";
      }
      Result<std::string> bytes = fhir::decodeBase64(server::stringAt(*binary->second, "data"));
      if (bytes) {
        if (std::string m = attachmentMismatch(*r, *bytes); !m.empty()) return at + m;
      }
    }
  }
  return {};
}

void documentsValid(TestScope& t, const Traffic& traffic) {
  Findings f(t, traffic);
  size_t deposits = 0;
  for (const FhirCall& c : traffic.fhirCalls()) {
    if (c.method != "POST") continue;
    const RecordedExchange& e = *c.exchange;
    const bool single = c.segments.size() == 1 && c.type() == "DocumentReference";
    std::optional<Value> body = jsonOf(e.requestBody);
    const bool publication = c.segments.empty() && body &&
                             server::stringAt(*body, "resourceType") == "Bundle" &&
                             !server::bundleResources(*body, "DocumentReference").empty();
    if (!single && !publication) continue;
    ++deposits;
    std::string problem;
    if (e.requestBody.truncated) {
      // Too large to keep: the gateway's answer is the judge.
      if (e.status >= 400 && e.status < 500) problem = refusal(e);
    } else if (!body) {
      problem = "the body is not JSON";
    } else if (single) {
      auto doc =
          fhir::validateDocumentReference(*body, {true, fhir::AttachmentSource::kInlineData});
      if (!doc) {
        problem = problemsText(doc.error());
      } else if (Result<std::string> bytes = fhir::decodeBase64(attachmentData(*body)); bytes) {
        problem = attachmentMismatch(*body, *bytes);
      }
    } else {
      problem = publicationProblem(*body);
    }
    if (problem.empty() && e.status >= 400 && e.status < 500 && e.status != 401 &&
        e.status != 429) {
      problem = refusal(e);
    }
    if (problem.empty()) {
      f.judged(e);
    } else {
      f.offence(e, "the deposit breaks MHD / PDSm: " + problem);
    }
  }
  if (deposits == 0) {
    t.skip(
        "The app deposited no document during the session (INT-05 concerns apps that "
        "deposit documents).");
  }
  f.conclude("Deposited documents do not follow MHD and PDSm (INT-05)",
             count(deposits, "deposit", "deposits") +
                 ", each with an accepted DMP class and LOINC type, an allowed content type and "
                 "the exact size and SHA-1 of its bytes");
}

void agendaConditionalUpdate(TestScope& t, const Traffic& traffic) {
  Findings f(t, traffic);
  size_t writes = 0;
  for (const FhirCall& c : traffic.fhirCalls()) {
    if (c.type() != "Appointment" || !c.isWrite()) continue;
    ++writes;
    const RecordedExchange& e = *c.exchange;
    std::string problem;
    if (c.method == "POST") {
      problem =
          "creates an appointment with POST: a booking system syncs with PUT "
          "/fhir/Appointment?identifier=<system>|<value>, which creates it once and "
          "updates it afterwards, without duplicates";
    } else if (c.method == "DELETE") {
      problem =
          "deletes an appointment: an app cancels it (status cancelled), and the patient "
          "keeps it in their agenda";
    } else if (c.method == "PUT") {
      const std::optional<Value> body = jsonOf(e.requestBody);
      Result<fhir::ValidatedAppointment> checked =
          body ? fhir::validateAppointment(*body)
               : Result<fhir::ValidatedAppointment>(
                     Error::make(ErrorKind::kInvalid, "not-json", "The body is not JSON."));
      if (c.segments.size() == 1) {
        const std::string& identifier = http::firstValue(c.query, "identifier");
        if (c.query.size() != 1 || identifier.empty()) {
          problem = "the conditional update's query is not exactly identifier=<system>|<value>";
        } else if (checked && std::none_of(checked->identifiers.begin(), checked->identifiers.end(),
                                           [&](const auto& i) {
                                             return i.system + "|" + i.value == identifier;
                                           })) {
          problem = "the appointment does not carry the identifier its update is conditional on";
        }
      }
      if (problem.empty() && !checked) problem = problemsText(checked.error());
      if (problem.empty() && e.status == 412 &&
          outcomeCodesOf(e).find("multiple-matches") != std::string::npos) {
        problem = "its identifier matches several appointments: duplicates were created";
      }
    }
    if (problem.empty()) {
      f.judged(e);
    } else {
      f.offence(e, problem);
    }
  }
  if (writes == 0) {
    t.skip(
        "The app wrote no appointment during the session (INT-06 concerns apps that sync an "
        "agenda).");
  }
  f.conclude("Appointments are not synchronised by conditional update (INT-06)",
             count(writes, "appointment write", "appointment writes") +
                 ", each a valid appointment put by conditional update or by id, none created by "
                 "POST nor deleted");
}

// The patients a resource the app sent names.
std::vector<std::string> patientsNamed(const Value& resource) {
  std::vector<std::string> out;
  for (const char* element : {"subject", "patient"}) {
    if (const Value* ref = resource.find(element); ref != nullptr && ref->isObject()) {
      if (std::string id = patientIdOf(server::stringAt(*ref, "reference")); !id.empty()) {
        out.push_back(id);
      }
    }
  }
  if (const Value* participants = resource.find("participant");
      participants != nullptr && participants->isArray()) {
    for (const Value& p : participants->items()) {
      const Value* actor = p.isObject() ? p.find("actor") : nullptr;
      if (actor == nullptr) continue;
      if (std::string id = patientIdOf(server::stringAt(*actor, "reference")); !id.empty()) {
        out.push_back(id);
      }
    }
  }
  return out;
}

void patientCompartment(TestScope& t, const Traffic& traffic) {
  std::deque<Value> bodies;
  std::map<const FhirCall*, std::vector<std::string>> named;
  for (const SentResource& s : resourcesSent(traffic, bodies)) {
    for (std::string& id : patientsNamed(*s.resource)) named[s.call].push_back(std::move(id));
  }
  Findings f(t, traffic);
  size_t requests = 0;
  for (const FhirCall& c : traffic.fhirCalls()) {
    if (!c.isData() || c.patient.empty()) continue;
    ++requests;
    std::string other;
    for (const auto& [rawName, value] : c.query) {
      const std::string name = rawName.substr(0, rawName.find(':'));
      if (name != "patient" && name != "subject") continue;
      const std::string id = value.find('/') == std::string::npos ? value : patientIdOf(value);
      if (id != c.patient) other = id;
    }
    if (c.type() == "Patient" && c.segments.size() >= 2 && c.segments[1] != c.patient) {
      other = c.segments[1];
    }
    for (const std::string& id : named[&c]) {
      if (id != c.patient) other = id;
    }
    if (other.empty() && c.exchange->status == 403 &&
        outcomeCodesOf(*c.exchange).find("patient-mismatch") != std::string::npos) {
      other = "another patient";
    }
    if (other.empty()) {
      f.judged(*c.exchange);
    } else {
      f.offence(*c.exchange,
                "names " +
                    (other == "another patient" ? other : "Patient/" + printableText(other)) +
                    " with the token of Patient/" + c.patient +
                    ": an app reads and writes only the data of the patient who "
                    "authorised it");
    }
  }
  if (requests == 0) t.skip("The app made no data request with a token during the session.");
  f.conclude("The app leaves the paired patient's compartment, against ECH-01",
             count(requests, "data request", "data requests") +
                 ", each within the data of the patient its token was issued for");
}

void notAuthor(TestScope& t, const Traffic& traffic) {
  Findings f(t, traffic);
  size_t changes = 0;
  for (const FhirCall& c : traffic.fhirCalls()) {
    if (!c.isData() || (c.method != "PUT" && c.method != "DELETE" && c.method != "PATCH")) {
      continue;
    }
    ++changes;
    if (c.exchange->status == 403 &&
        outcomeCodesOf(*c.exchange).find("not-author") != std::string::npos) {
      f.offence(*c.exchange,
                "tried to change data another service wrote (the gateway answered "
                "403 not-author)");
    } else {
      f.judged(*c.exchange);
    }
  }
  if (changes == 0) {
    t.skip("The app changed or deleted nothing during the session (no PUT or DELETE).");
  }
  f.conclude("The app tries to change data it did not write, against ECH-02",
             count(changes, "update or deletion", "updates or deletions") +
                 ", each of the app's own data");
}

}  // namespace

void addDataGrades(Plan& plan, const Traffic& traffic) {
  add(plan, "client.measures-valid", "Every measure sent is valid against its MES profile",
      "Every Observation the app sends (alone, as an update, or in a transaction) passes the MES "
      "measure profile it names, checked by the gateway's own validation: meta.profile, the "
      "profile's LOINC code, the UCUM unit, plausible ranges, required extensions, an "
      "effectiveDateTime with its time zone and not more than 5 minutes in the future.",
      {"INT-01", "INT-07"}, [&traffic](TestScope& t) { measuresValid(t, traffic); });
  add(plan, "client.no-bmi", "The app never sends a BMI",
      "No Observation the app sends is a body mass index (LOINC 39156-5 or the BMI profile): "
      "Mon espace santé computes it from the weight and the height.",
      {"INT-02"}, [&traffic](TestScope& t) { noBmi(t, traffic); });
  add(plan, "client.device-conditional-create",
      "Devices are declared once, by conditional create in a transaction",
      "Every Device the app sends is an entry of a measures transaction Bundle with an "
      "identifier and request.ifNoneExist=identifier=<system>|<value> on it, and the "
      "transaction's measure references it by its fullUrl: the device is created once.",
      {"INT-03"}, [&traffic](TestScope& t) { deviceConditionalCreate(t, traffic); });
  add(plan, "client.idempotent-upload", "Measure uploads are idempotent (If-None-Exist)",
      "Every single measure upload (POST /fhir/Observation) carries If-None-Exist naming the "
      "measure's own identifier, so that an upload sent again after a cut creates no duplicate.",
      {"ECH-03"}, [&traffic](TestScope& t) { idempotentUpload(t, traffic); });
  add(plan, "client.search-rules", "Searches follow the MES rules",
      "Every search uses the parameters the MES APIs know, asks at most 100 resources a page, "
      "and pages with the next and previous links the gateway returns rather than offsets of "
      "its own; the gateway refused none of them.",
      {"INT-04"}, [&traffic](TestScope& t) { searchRules(t, traffic); });
  add(
      plan, "client.documents-valid", "Deposited documents follow MHD and PDSm",
      "Every document the app deposits (ITI-105 or an ITI-65 transaction) passes the gateway's "
      "document checks: an accepted DMP class and LOINC type, an allowed content type, and the "
      "exact size and SHA-1 of its bytes. A body too large to keep in the recording is judged "
      "by the gateway's answer.",
      {"INT-05"}, [&traffic](TestScope& t) { documentsValid(t, traffic); }, false);
  add(
      plan, "client.agenda-conditional-update",
      "Appointments are synchronised by conditional update",
      "The app writes appointments with PUT /fhir/Appointment?identifier=<system>|<value> (or "
      "by id once known), valid and carrying that identifier; it creates none with POST, never "
      "deletes one (it cancels), and never ends with duplicates.",
      {"INT-06"}, [&traffic](TestScope& t) { agendaConditionalUpdate(t, traffic); }, false);
  add(plan, "client.patient-compartment", "Requests stay within the paired patient's data",
      "Every data request names only the patient its token was issued for: in patient and "
      "subject search parameters, in the resources it sends, in reads; the gateway answered no "
      "patient-mismatch.",
      {"ECH-01"}, [&traffic](TestScope& t) { patientCompartment(t, traffic); });
  add(plan, "client.not-author", "The app changes only the data it wrote",
      "No update or deletion of the app touches data another service wrote (the gateway "
      "answered no not-author).",
      {"ECH-02"}, [&traffic](TestScope& t) { notAuthor(t, traffic); });
}

}  // namespace mes::conformance::client
