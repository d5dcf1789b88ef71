#include "gateway/document_api.h"

#include <functional>
#include <memory>

#include "fhir/json/json.h"
#include "gateway/capability.h"
#include "fhir/types/datetime.h"
#include "gateway/document_search.h"
#include "gateway/fhir_request.h"
#include "gateway/fhir_response.h"
#include "gateway/resource_index.h"
#include "gateway/search_patient.h"
#include "oauth/crypto/encoding.h"

namespace mes::gateway {
namespace {

constexpr const char* kDocType = "DocumentReference";

fhir::Value str(std::string s) { return fhir::Value::string(std::move(s)); }



// The raw bytes of a blob, pulled by the HTTP adapter as the client reads.
class BlobBody final : public http::BodySource {
 public:
  explicit BlobBody(std::unique_ptr<blob::BlobReader> reader) : reader_(std::move(reader)) {}
  uint64_t size() const override { return reader_->size(); }
  Result<size_t> read(char* buffer, size_t capacity) override {
    return reader_->read(buffer, capacity);
  }

 private:
  std::unique_ptr<blob::BlobReader> reader_;
};

// How GET /fhir/Binary/<id> answers, from Accept and _format (ITI-68): the FHIR Binary when
// FHIR JSON is asked for, else the raw bytes when their type (or a wildcard) is acceptable.
enum class BinaryForm { kRaw, kFhirJson, kNotAcceptable };

BinaryForm binaryForm(const http::Request& request, const std::string& contentType) {
  for (const auto& [name, value] : request.query) {
    if (name == "_format") return value == "json" || isJsonMediaType(value) ? BinaryForm::kFhirJson
                                                                           : BinaryForm::kNotAcceptable;
  }
  const std::string& accept = request.headers.get("Accept");
  if (accept.empty()) return BinaryForm::kRaw;
  const std::string stored = contentType.substr(0, contentType.find('/'));
  bool raw = false;
  for (std::string_view type : acceptedMediaTypes(accept)) {
    if (isJsonMediaType(type)) return BinaryForm::kFhirJson;
    raw = raw || type == "*/*" || http::equalsIgnoreCase(type, contentType) ||
          http::equalsIgnoreCase(type, stored + "/*");
  }
  return raw ? BinaryForm::kRaw : BinaryForm::kNotAcceptable;
}

}  // namespace

uint64_t documentBodyLimit(const Config& config) {
  const uint64_t base64 = (config.documentsMaxBytes + 2) / 3 * 4;
  return base64 + base64 / 16 + config.maxBodyBytes;
}

// A streamed document body: fed to a DocumentUpload, then handed over parsed.
class DocumentApi::Upload final : public RouteBody {
 public:
  using Finish = std::function<http::Response(const http::Request&, fhir::Value, DocumentUpload&,
                                              RequestContext&)>;
  Upload(http::Request head, uint64_t limit, blob::BlobStore& blobs, const UploadLimits& limits,
         std::string type, Finish finish)
      : head_(std::move(head)),
        limit_(limit),
        upload_(blobs, limits),
        type_(std::move(type)),
        finish_(std::move(finish)) {}

  uint64_t limit() const override { return limit_; }
  Status write(std::string_view chunk) override { return upload_.feed(chunk); }
  http::Response finish(Status received, RequestContext& context) override {
    if (!received) return errorResponse(received.error());
    auto body = upload_.finish();
    if (!body) return errorResponse(body.error());
    if (Status s = checkResourceType(*body, type_); !s) return errorResponse(s.error());
    return finish_(head_, std::move(*body), upload_, context);
  }

 private:
  http::Request head_;
  uint64_t limit_;
  DocumentUpload upload_;
  std::string type_;
  Finish finish_;
};

DocumentApi::DocumentApi(const Config& config, store::Repository& repository,
                         blob::BlobStore& blobs, DocumentService& documents,
                         MeasureService& measures, const Clock& clock)
    : config_(config),
      repository_(repository),
      blobs_(blobs),
      documents_(documents),
      measures_(measures),
      clock_(clock),
      fhirBase_(config.fhirBase()) {}

void DocumentApi::registerRoutes(Router& router) {
  auto bind = [this](http::Response (DocumentApi::*method)(const http::Request&, RequestContext&)) {
    return [this, method](const http::Request& request, RequestContext& context) {
      Status accept = checkAccept(request);
      if (!accept) return errorResponse(accept.error());
      return (this->*method)(request, context);
    };
  };
  using I = Interaction;
  router.addStreaming("POST", "/fhir/DocumentReference", I::kCreate, kDocType,
                      [this](const http::Request& head, RequestContext& context) {
                        return openPublish(head, context);
                      });
  router.addStreaming("POST", "/fhir", I::kTransaction, "Bundle",
                      [this](const http::Request& head, RequestContext& context) {
                        return openTransaction(head, context);
                      });
  router.add("GET", "/fhir/DocumentReference", I::kSearch, kDocType, bind(&DocumentApi::search));
  router.add("GET", "/fhir/DocumentReference/{id}", I::kRead, kDocType, bind(&DocumentApi::read));
  router.add("DELETE", "/fhir/DocumentReference/{id}", I::kDelete, kDocType,
             bind(&DocumentApi::remove));
  // Content negotiation of its own (raw bytes or FHIR JSON).
  router.add("GET", "/fhir/Binary/{id}", I::kRead, "Binary",
             [this](const http::Request& request, RequestContext& context) {
               return binary(request, context);
             });
}

Result<std::unique_ptr<RouteBody>> DocumentApi::openPublish(const http::Request& head,
                                                            RequestContext& context) {
  MES_RETURN_IF_ERROR(checkAccept(head));
  MES_RETURN_IF_ERROR(noQueryExcept(head, {}));
  // The deposit creates the Binary too (SPEC §1: documents.deposit grants both).
  MES_RETURN_IF_ERROR(requirePermission(context, "Binary", oauth::kCreate));
  MES_RETURN_IF_ERROR(checkJsonContentType(head));
  UploadLimits limits{config_.maxBodyBytes, config_.maxJsonDepth, 1};
  return std::unique_ptr<RouteBody>(std::make_unique<Upload>(
      head, documentBodyLimit(config_), blobs_, limits, kDocType,
      [this](const http::Request& request, fhir::Value document, DocumentUpload& upload,
             RequestContext& ctx) { return published(request, std::move(document), upload, ctx); }));
}

Result<std::unique_ptr<RouteBody>> DocumentApi::openTransaction(const http::Request& head,
                                                                RequestContext& context) {
  MES_RETURN_IF_ERROR(checkAccept(head));
  MES_RETURN_IF_ERROR(noQueryExcept(head, {}));
  // A transaction creates measures or documents: a caller allowed neither is refused before
  // its body is read (the entries' own permissions are checked once the body is known).
  if (!requirePermission(context, kDocType, oauth::kCreate) &&
      !requirePermission(context, "Observation", oauth::kCreate)) {
    return Error::make(ErrorKind::kForbidden, "consent-missing",
                       "Consent not given, access refused: this access allows no create, which a "
                       "transaction needs.");
  }
  MES_RETURN_IF_ERROR(checkJsonContentType(head));
  UploadLimits limits{config_.maxBodyBytes, config_.maxJsonDepth, kMaxDocumentsPerBundle};
  return std::unique_ptr<RouteBody>(std::make_unique<Upload>(
      head, documentBodyLimit(config_), blobs_, limits, "Bundle",
      [this](const http::Request& request, fhir::Value bundle, DocumentUpload& upload,
             RequestContext& ctx) { return transaction(request, std::move(bundle), upload, ctx); }));
}

http::Response DocumentApi::published(const http::Request& request, fhir::Value document,
                                      DocumentUpload& upload, RequestContext& context) {
  auto written = documents_.publish(std::move(document), upload, context);
  if (!written) return errorResponse(written.error());
  const store::ResourceRecord& record = written->document;
  context.auditedResources = {std::string(kDocType) + "/" + record.id};
  http::Response r = preferReturn(request) == "minimal" ? http::Response{}
                                                         : fhirText(201, record.content);
  r.status = 201;
  setVersionHeaders(r, record);
  setLocation(r, fhirBase_, record);
  return r;
}

http::Response DocumentApi::transaction(const http::Request& request, fhir::Value bundle,
                                        DocumentUpload& upload, RequestContext& context) {
  if (!DocumentService::isDocumentBundle(bundle)) {
    // The Measures transaction (SPEC §2), as before documents existed.
    if (upload.spooledCount() > 0) {
      return errorResponse(Error::make(ErrorKind::kInvalid, "attachment-data-unexpected",
                                       "A measures transaction carries no document bytes (a long "
                                       "'data' value)."));
    }
    auto response = measures_.transaction(bundle, context);
    if (!response) return errorResponse(response.error());
    return fhirJson(200, *response, prettyRequested(request));
  }
  for (const char* type : {kDocType, "Binary"}) {
    if (Status s = requirePermission(context, type, oauth::kCreate); !s) return errorResponse(s.error());
  }
  std::vector<PublishedDocument> published;
  auto response = documents_.publishBundle(bundle, upload, context, published);
  if (!response) return errorResponse(response.error());
  for (const PublishedDocument& document : published) {
    context.auditedResources.push_back(std::string(kDocType) + "/" + document.document.id);
  }
  return fhirJson(200, *response, prettyRequested(request));
}

http::Response DocumentApi::search(const http::Request& request, RequestContext& context) {
  auto parsed = parseDocumentSearch(request.query, clock_.nowMs());
  if (!parsed) return errorResponse(parsed.error());
  DocumentSearch& search = *parsed;
  // INVISIBLE_PATIENT documents are never listed (SPEC §3).
  search.query.tokens.push_back({kVisibilityToken, {{"", kVisibleToPatient}}});
  auto result =
      searchInCompartment(repository_, context, search.query, search.patientIdentifier);
  if (!result) return errorResponse(result.error());
  return searchsetResponse(fhirBase_, kDocType, search.linkParams, search.query, *result,
                           search.pretty);
}

http::Response DocumentApi::read(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  auto record = documents_.read(context.params.at("id"), context);
  if (!record) return errorResponse(record.error());
  http::Response r = fhirText(200, record->content);
  setVersionHeaders(r, *record);
  return r;
}

http::Response DocumentApi::remove(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  auto ifMatch = parseIfMatch(request.headers.get("If-Match"));
  if (!ifMatch) return errorResponse(ifMatch.error());
  auto record = documents_.withdraw(context.params.at("id"), *ifMatch, context);
  if (!record) return errorResponse(record.error());
  http::Response r;
  r.status = 204;
  setVersionHeaders(r, *record);
  return r;
}

http::Response DocumentApi::binary(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  const std::string& id = context.params.at("id");
  auto bytes = documents_.bytes(id, context);
  if (!bytes) return errorResponse(bytes.error());
  const BinaryForm form = binaryForm(request, bytes->contentType);
  if (form == BinaryForm::kNotAcceptable) {
    return errorResponse(Error::make(
        ErrorKind::kNotAcceptable, "format-unsupported",
        "Binary/" + id + " is " + bytes->contentType + "; ask for it (or */*), or for "
        "application/fhir+json to get the FHIR Binary."));
  }
  if (form == BinaryForm::kFhirJson) {
    // Bounded by the stored document's own size (documents.max_bytes may have been lowered
    // since it was deposited).
    auto data = blobs_.readAll(bytes->blob, bytes->size);
    if (!data) return errorResponse(Error::internal("blob read failed: " + data.error().detail));
    fhir::Value out = fhir::Value::object();
    out.set("resourceType", str("Binary"));
    out.set("id", str(id));
    fhir::Value meta = fhir::Value::object();
    meta.set("versionId", str(std::to_string(bytes->binary.versionId)));
    meta.set("lastUpdated", str(fhir::formatInstant(bytes->binary.lastUpdatedMs)));
    out.set("meta", std::move(meta));
    out.set("contentType", str(bytes->contentType));
    auto stored = fhir::parseJson(bytes->binary.content,
                                  fhir::ParseLimits{64, bytes->binary.content.size() + 1});
    if (stored) {
      if (const fhir::Value* security = stored->find("securityContext")) {
        out.set("securityContext", *security);
      }
    }
    out.set("data", str(oauth::base64Encode(*data)));
    http::Response r = fhirJson(200, out, prettyRequested(request));
    setVersionHeaders(r, bytes->binary);
    return r;
  }
  auto reader = blobs_.open(bytes->blob);
  if (!reader) return errorResponse(Error::internal("blob open failed: " + reader.error().detail));
  http::Response r;
  r.status = 200;
  r.headers.set("Content-Type", bytes->contentType);
  // The bytes are the patient's document, not a page of ours: never rendered in our origin.
  r.headers.set("X-Content-Type-Options", "nosniff");
  r.headers.set("Content-Security-Policy", "default-src 'none'; sandbox");
  r.headers.set("Cache-Control", "no-store");
  setVersionHeaders(r, bytes->binary);
  r.source = std::make_shared<BlobBody>(std::move(reader).value());
  return r;
}

fhir::Value DocumentApi::capabilityDocumentReference() {
  fhir::Value r = fhir::Value::object();
  r.set("type", str(kDocType));
  fhir::Value profiles = fhir::Value::array();
  profiles.push(str("https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.DocumentReference"));
  r.set("supportedProfile", std::move(profiles));
  r.set("interaction", capabilityInteractions({"read", "create", "delete", "search-type"}));
  r.set("versioning", str("versioned"));
  r.set("readHistory", fhir::Value::boolean(false));
  r.set("updateCreate", fhir::Value::boolean(false));
  r.set("conditionalCreate", fhir::Value::boolean(false));
  r.set("conditionalUpdate", fhir::Value::boolean(false));
  r.set("conditionalDelete", str("not-supported"));
  r.set("documentation",
        str("The patient's documents (SPEC §3, IHE MHD ITI-105 / ITI-65 / ITI-67). create is "
            "ITI-105 (the bytes in content.attachment.data); delete is logical (status "
            "entered-in-error) and only by the writing service. INVISIBLE_PATIENT documents do "
            "not exist for apps. The author is set by the gateway: the Device of the "
            "referenced service (type SNR)."));
  fhir::Value params = fhir::Value::array();
  params.push(capabilitySearchParam("patient", "reference", "The patient (Patient/<id> or <id>)."));
  params.push(capabilitySearchParam("subject", "reference", "Same as patient."));
  params.push(capabilitySearchParam("patient.identifier", "token", "The patient's identifier, <system>|<value> (e.g. the INS)."));
  params.push(capabilitySearchParam("subject.identifier", "token", "Same as patient.identifier."));
  params.push(capabilitySearchParam("status", "token",
                          "current (the default), superseded or entered-in-error; a comma means OR."));
  params.push(capabilitySearchParam("type", "token", "LOINC document type, [system|]code; a comma means OR."));
  params.push(capabilitySearchParam("category", "token", "DMP document class (TRE_A03), [system|]code."));
  params.push(capabilitySearchParam("date", "date",
                          "DocumentReference.date with prefix eq, ne, gt, lt, ge, le, sa, eb or ap; "
                          "may repeat."));
  params.push(capabilitySearchParam("period", "date", "context.period, the same prefixes; may repeat."));
  params.push(capabilitySearchParam("author", "reference", "The author, Device/<id>; a comma means OR."));
  params.push(capabilitySearchParam("_count", "number", "Page size, default 50, maximum 100."));
  params.push(capabilitySearchParam("_offset", "number", "Index of the first result of the page."));
  r.set("searchParam", std::move(params));
  return r;
}

fhir::Value DocumentApi::capabilityBinary() {
  fhir::Value r = fhir::Value::object();
  r.set("type", str("Binary"));
  r.set("interaction", capabilityInteractions({"read"}));
  r.set("documentation",
        str("ITI-68: the document's bytes with their content type, or this Binary as FHIR JSON "
            "(base64 data) under Accept: application/fhir+json. Binaries are created by the "
            "document publications."));
  return r;
}

}  // namespace mes::gateway
