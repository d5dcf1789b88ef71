#include "gateway/document_service.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "fhir/json/json.h"
#include "fhir/profiles/document_profile.h"
#include "fhir/types/base64.h"
#include "fhir/types/datetime.h"
#include "gateway/fhir_request.h"
#include "gateway/fhir_response.h"
#include "gateway/resource_index.h"
#include "oauth/crypto/digest.h"

namespace mes::gateway {
namespace {

constexpr const char* kDocType = "DocumentReference";
constexpr const char* kBinaryType = "Binary";

Error invalid(std::string code, std::string message, std::string expression = {}) {
  return Error::make(ErrorKind::kInvalid, std::move(code), std::move(message),
                     std::move(expression));
}

Error unprocessable(std::string code, std::string message, std::string expression = {}) {
  return Error::make(ErrorKind::kUnprocessable, std::move(code), std::move(message),
                     std::move(expression));
}

Error notFound(const std::string& type, const std::string& id) {
  return Error::make(ErrorKind::kNotFound, "not-found", type + "/" + id + " does not exist.");
}

// The profile module reports a refused content type as a 400/422 problem; when it is the only
// problem, the answer is 415 Unsupported Media Type with the same OperationOutcome.
Error withContentTypeStatus(Error error) {
  const bool onlyContentType =
      !error.problems.empty() &&
      std::all_of(error.problems.begin(), error.problems.end(), [](const Problem& p) {
        return p.code == fhir::kContentTypeNotAllowed;
      });
  if (onlyContentType) error.kind = ErrorKind::kUnsupportedMediaType;
  return error;
}

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 0xF]);
  }
  return out;
}

fhir::Value str(std::string s) { return fhir::Value::string(std::move(s)); }

fhir::Value reference(const std::string& target) {
  fhir::Value r = fhir::Value::object();
  r.set("reference", str(target));
  return r;
}

Result<fhir::Value> parseStored(const store::ResourceRecord& record) {
  auto parsed = fhir::parseJson(record.content, fhir::ParseLimits{512, record.content.size() + 1});
  if (!parsed) {
    return Error::internal("stored " + record.type + "/" + record.id + " is not valid JSON");
  }
  return parsed;
}

// The blob named by a stored Binary's meta.tag, or "".
std::string blobOf(const fhir::Value& binary) {
  const fhir::Value* meta = binary.find("meta");
  const fhir::Value* tags = meta != nullptr ? meta->find("tag") : nullptr;
  if (tags == nullptr || !tags->isArray()) return {};
  for (const auto& tag : tags->items()) {
    const std::string* system = tag.findString("system");
    const std::string* code = tag.findString("code");
    if (system != nullptr && *system == kBlobTagSystem && code != nullptr) return *code;
  }
  return {};
}

// The attachment of content[0] (validated documents have exactly one).
fhir::Value* attachmentOf(fhir::Value& document) {
  fhir::Value* content = document.find("content");
  if (content == nullptr || !content->isArray() || content->items().empty()) return nullptr;
  return content->items().front().find("attachment");
}

const std::string* dataText(const fhir::Value* holder) {
  return holder != nullptr ? holder->findString("data") : nullptr;
}

std::string serviceLabel(const RequestContext& context) {
  return context.serviceName.empty() ? std::string("Une application") : context.serviceName;
}

}  // namespace

// One document ready to be written: validated, its bytes staged and checked.
struct DocumentService::Staged {
  fhir::Value document;  // what will be stored (attachment.url set, data removed, author set)
  std::string patientId;
  std::string contentType;
  std::string typeCode;
  std::string typeDisplay;
  std::string documentId;
  std::string binaryId;
  bool invisible = false;  // INVISIBLE_PATIENT: hidden from the patient, so not announced either
  std::unique_ptr<blob::StagedBlob> blob;
};

DocumentService::DocumentService(store::Repository& repository, blob::BlobStore& blobs,
                                 IdGenerator& ids, outbox::Outbox& outbox, Logger& logger)
    : repository_(repository), blobs_(blobs), ids_(ids), outbox_(outbox), logger_(logger) {}

bool DocumentService::isDocumentBundle(const fhir::Value& bundle) {
  const fhir::Value* entries = bundle.find("entry");
  if (entries == nullptr || !entries->isArray()) return false;
  for (const auto& entry : entries->items()) {
    const fhir::Value* resource = entry.find("resource");
    const std::string* type = resource != nullptr ? resource->findString("resourceType") : nullptr;
    if (type != nullptr && (*type == "List" || *type == kDocType)) return true;
  }
  return false;
}

std::string DocumentService::authorDeviceId(const std::string& clientId) {
  const bool plain = !clientId.empty() && clientId.size() <= 60 &&
                     std::all_of(clientId.begin(), clientId.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
                     });
  if (plain) return "snr-" + clientId;
  return "snr-" + hex(oauth::sha256(clientId)).substr(0, 32);
}

Result<DocumentService::Staged> DocumentService::stageDocument(
    fhir::Value document, const std::string& at, const fhir::Value* binary,
    const std::string& binaryAt, DocumentUpload& upload, const RequestContext& context) {
  fhir::DocumentRules rules;
  rules.forCreate = true;
  rules.attachment =
      binary != nullptr ? fhir::AttachmentSource::kBundleUrl : fhir::AttachmentSource::kInlineData;
  auto validated = fhir::validateDocumentReference(document, rules);
  if (!validated) return withContentTypeStatus(underBundleEntry(validated.takeError(), at, kDocType));
  const fhir::ValidatedDocument& v = *validated;
  if (!context.patientId.empty() && v.patientId != context.patientId) {
    return Error::make(ErrorKind::kForbidden, "patient-mismatch",
                       "The document's subject is another patient than the one this access is "
                       "for.",
                       at + ".subject");
  }

  // The bytes: a spooled value (long data) or short base64 left inline in the JSON.
  std::optional<size_t> spooled = v.spooledData;
  const std::string* inlineData = nullptr;
  std::string dataAt = at + ".content[0].attachment.data";
  if (binary != nullptr) {
    auto vb = fhir::validateBinary(*binary);
    if (!vb) return withContentTypeStatus(underBundleEntry(vb.takeError(), binaryAt, kBinaryType));
    if (vb->contentType != v.contentType) {
      return unprocessable("content-type-mismatch",
                           binaryAt + ".contentType (" + std::string(vb->contentType) +
                               ") differs from the document's attachment.contentType (" +
                               std::string(v.contentType) + ").",
                           binaryAt + ".contentType");
    }
    spooled = vb->spooledData;
    dataAt = binaryAt + ".data";
    if (!spooled) inlineData = dataText(binary);
  } else if (!spooled) {
    inlineData = dataText(attachmentOf(document));
  }
  std::unique_ptr<blob::StagedBlob> blob;
  if (spooled) {
    blob = upload.take(*spooled);
    if (!blob) return Error::internal("spooled value " + std::to_string(*spooled) + " not staged");
  } else {
    if (inlineData == nullptr) return Error::internal("validated document without data");
    auto bytes = fhir::decodeBase64(*inlineData);
    if (!bytes) return invalid("invalid-primitive", dataAt + " is not base64.", dataAt);
    auto writer = blobs_.begin();
    if (!writer) return writer.takeError();
    MES_RETURN_IF_ERROR((*writer)->append(*bytes));
    auto finished = (*writer)->finish();
    if (!finished) return finished.takeError();
    blob = std::move(finished).value();
  }

  const blob::BlobDigest& digest = blob->digest();
  const std::string attachmentAt = at + ".content[0].attachment";
  if (digest.size != static_cast<uint64_t>(v.size)) {
    return unprocessable("attachment-size-mismatch",
                         attachmentAt + ".size says " + std::to_string(v.size) +
                             " bytes but the document has " + std::to_string(digest.size) + ".",
                         attachmentAt + ".size");
  }
  if (digest.sha1.size() != v.sha1.size() ||
      std::memcmp(digest.sha1.data(), v.sha1.data(), v.sha1.size()) != 0) {
    return unprocessable("attachment-hash-mismatch",
                         attachmentAt + ".hash is not the SHA-1 of the document's bytes.",
                         attachmentAt + ".hash");
  }

  Staged staged;
  staged.patientId = v.patientId;
  staged.contentType = std::string(v.contentType);
  staged.typeCode = std::string(v.type->code);
  staged.typeDisplay = std::string(v.type->display);
  staged.documentId = ids_.next();
  staged.binaryId = ids_.next();
  staged.invisible = v.labels.invisiblePatient;
  staged.blob = std::move(blob);
  // What the gateway owns in the stored document.
  document.erase("id");
  if (fhir::Value* meta = document.find("meta"); meta != nullptr && meta->isObject()) {
    meta->erase("source");
    meta->erase("versionId");
    meta->erase("lastUpdated");
  }
  if (fhir::Value* attachment = attachmentOf(document)) {
    attachment->erase("data");
    attachment->set("url", str(std::string(kBinaryType) + "/" + staged.binaryId));
  }
  if (!context.clientId.empty()) {
    fhir::Value author = reference("Device/" + authorDeviceId(context.clientId));
    author.set("type", str("Device"));
    author.set("display", str(serviceLabel(context)));
    fhir::Value authors = fhir::Value::array();
    authors.push(std::move(author));
    document.set("author", std::move(authors));
  }
  staged.document = std::move(document);
  return staged;
}

Status DocumentService::commitBlobs(std::vector<Staged>& staged) {
  for (Staged& s : staged) MES_RETURN_IF_ERROR(s.blob->commit());
  return Status::ok();
}

namespace {

// The subject of a publication must be a Patient that exists (and is not deleted).
Status subjectExists(Result<store::ResourceRecord> patient, const std::string& patientId,
                     const std::string& expression) {
  if (patient && !patient->deleted) return Status::ok();
  if (!patient && patient.error().kind != ErrorKind::kNotFound &&
      patient.error().kind != ErrorKind::kGone) {
    return patient.takeError();
  }
  return unprocessable("subject-unknown", "The subject Patient/" + patientId + " does not exist.",
                       expression);
}

}  // namespace

Status DocumentService::checkPatient(store::Transaction& tx, const std::string& patientId,
                                     const std::string& expression) {
  return subjectExists(tx.read("Patient", patientId), patientId, expression);
}

Status DocumentService::commitBlobsFor(const std::string& patientId, const std::string& expression,
                                       std::vector<Staged>& staged) {
  // The subject first, so that a refused one commits no bytes (the row transaction checks it
  // again: the patient could go in between).
  MES_RETURN_IF_ERROR(
      subjectExists(repository_.read("Patient", patientId), patientId, expression));
  return commitBlobs(staged);
}

Status DocumentService::writeAuthor(store::Transaction& tx, const RequestContext& context) {
  if (context.clientId.empty()) return Status::ok();
  const std::string id = authorDeviceId(context.clientId);
  const std::string name = serviceLabel(context);
  auto current = tx.read("Device", id);
  if (current && !current->deleted) {
    auto json = parseStored(*current);
    if (!json) return json.takeError();
    const fhir::Value* names = json->find("deviceName");
    if (names != nullptr && names->isArray() && !names->items().empty()) {
      const std::string* known = names->items().front().findString("name");
      if (known != nullptr && *known == name) return Status::ok();
    }
  } else if (!current && current.error().kind != ErrorKind::kNotFound) {
    return current.takeError();
  }
  const std::string editorOid = context.source.substr(0, context.source.find('#'));
  fhir::Value device = fhir::Value::object();
  device.set("resourceType", str("Device"));
  fhir::Value identifier = fhir::Value::object();
  identifier.set("system", str(editorOid.rfind("urn:oid:", 0) == 0 ? editorOid
                                                                     : "urn:mes-gateway:service"));
  identifier.set("value", str(context.clientId));
  fhir::Value identifiers = fhir::Value::array();
  identifiers.push(std::move(identifier));
  device.set("identifier", std::move(identifiers));
  fhir::Value deviceName = fhir::Value::object();
  deviceName.set("name", str(name));
  deviceName.set("type", str("user-friendly-name"));
  fhir::Value deviceNames = fhir::Value::array();
  deviceNames.push(std::move(deviceName));
  device.set("deviceName", std::move(deviceNames));
  fhir::Value coding = fhir::Value::object();
  coding.set("system", str(kProducerKindSystem));
  coding.set("code", str(kProducerSnr));
  coding.set("display", str("Service numérique référencé"));
  fhir::Value codings = fhir::Value::array();
  codings.push(std::move(coding));
  fhir::Value type = fhir::Value::object();
  type.set("coding", std::move(codings));
  device.set("type", std::move(type));

  store::WriteRequest request;
  request.type = "Device";
  request.id = id;
  request.source = context.source;
  request.index = indexRowsFor("Device", id, device);
  auto shared = std::make_shared<fhir::Value>(std::move(device));
  request.render = [shared, id, source = context.source](int64_t v, int64_t t) -> Result<std::string> {
    return stampedJson(*shared, id, v, t, source);
  };
  auto written = tx.update(request);
  if (!written) return written.takeError();
  return Status::ok();
}

Result<PublishedDocument> DocumentService::writeDocument(store::Transaction& tx, Staged& staged,
                                                         const RequestContext& context) {
  fhir::Value binary = fhir::Value::object();
  binary.set("resourceType", str(kBinaryType));
  fhir::Value tag = fhir::Value::object();
  tag.set("system", str(kBlobTagSystem));
  tag.set("code", str(staged.blob->digest().sha256));
  fhir::Value tags = fhir::Value::array();
  tags.push(std::move(tag));
  fhir::Value meta = fhir::Value::object();
  meta.set("tag", std::move(tags));
  binary.set("meta", std::move(meta));
  binary.set("contentType", str(staged.contentType));
  binary.set("securityContext", reference(std::string(kDocType) + "/" + staged.documentId));

  store::WriteRequest binaryRequest;
  binaryRequest.type = kBinaryType;
  binaryRequest.id = staged.binaryId;
  binaryRequest.source = context.source;
  binaryRequest.index.patient = staged.patientId;
  binaryRequest.index.references.push_back(
      {"security-context", std::string(kDocType) + "/" + staged.documentId});
  auto binaryJson = std::make_shared<fhir::Value>(std::move(binary));
  binaryRequest.render = [binaryJson, id = staged.binaryId, source = context.source](
                             int64_t v, int64_t t) -> Result<std::string> {
    return stampedJson(*binaryJson, id, v, t, source);
  };

  store::WriteRequest documentRequest;
  documentRequest.type = kDocType;
  documentRequest.id = staged.documentId;
  documentRequest.source = context.source;
  documentRequest.index = indexRowsFor(kDocType, staged.documentId, staged.document);
  auto documentJson = std::make_shared<fhir::Value>(staged.document);
  documentRequest.render = [documentJson, id = staged.documentId, source = context.source](
                               int64_t v, int64_t t) -> Result<std::string> {
    return stampedJson(*documentJson, id, v, t, source);
  };

  PublishedDocument out;
  auto binaryRecord = tx.create(binaryRequest);
  if (!binaryRecord) return binaryRecord.takeError();
  out.binary = std::move(binaryRecord).value();
  auto documentRecord = tx.create(documentRequest);
  if (!documentRecord) return documentRecord.takeError();
  out.document = std::move(documentRecord).value();
  return out;
}

Result<PublishedDocument> DocumentService::publish(fhir::Value document, DocumentUpload& upload,
                                                   const RequestContext& context) {
  std::vector<Staged> staged;
  auto one = stageDocument(std::move(document), kDocType, nullptr, {}, upload, context);
  if (!one) return one.takeError();
  staged.push_back(std::move(one).value());
  if (upload.untaken() > 0) {
    return invalid("attachment-data-unexpected",
                   "The body carries document bytes (a long 'data' value) elsewhere than "
                   "DocumentReference.content[0].attachment.data.");
  }
  MES_RETURN_IF_ERROR(
      commitBlobsFor(staged.front().patientId, "DocumentReference.subject", staged));
  PublishedDocument published;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(checkPatient(tx, staged.front().patientId, "DocumentReference.subject"));
    MES_RETURN_IF_ERROR(writeAuthor(tx, context));
    auto written = writeDocument(tx, staged.front(), context);
    if (!written) return written.takeError();
    published = std::move(written).value();
    return Status::ok();
  });
  if (!status) return status.takeError();
  notifyCreated(published, staged.front(), context);
  return published;
}

Result<fhir::Value> DocumentService::publishBundle(const fhir::Value& bundle,
                                                   DocumentUpload& upload,
                                                   const RequestContext& context,
                                                   std::vector<PublishedDocument>& published) {
  auto entryList = transactionEntries(bundle);
  if (!entryList) return entryList.takeError();
  const std::vector<fhir::Value>& entries = **entryList;

  struct Entry {
    size_t index;
    std::string at;  // Bundle.entry[i].resource
    std::string fullUrl;
    std::string type;
    const fhir::Value* resource;
  };
  std::vector<Entry> all;
  std::optional<size_t> listEntry;
  std::map<std::string, size_t> byFullUrl;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto head = transactionEntry(entries[i], i);
    if (!head) return head.takeError();
    const std::string& at = head->at;
    const std::string* rtype = &head->type;
    const std::string* fullUrl = &head->fullUrl;
    const fhir::Value* resource = head->resource;
    if (fullUrl->rfind("urn:uuid:", 0) != 0) {
      return invalid("fullurl-invalid", at + ".fullUrl must be urn:uuid:<uuid>.", at + ".fullUrl");
    }
    if (*rtype != "List" && *rtype != kDocType && *rtype != kBinaryType) {
      return unprocessable("entry-type-unsupported",
                           "A document publication (ITI-65) holds one List (the SubmissionSet), "
                           "DocumentReferences and their Binaries; " + at + " is a " + *rtype + ".",
                           at + ".resource.resourceType");
    }
    if (!byFullUrl.emplace(*fullUrl, all.size()).second) {
      return invalid("fullurl-duplicate", at + ".fullUrl repeats an earlier entry's.", at + ".fullUrl");
    }
    if (*rtype == "List") {
      if (listEntry) {
        return unprocessable("submissionset-multiple",
                             "A publication has exactly one SubmissionSet List.", at + ".resource");
      }
      listEntry = all.size();
    }
    all.push_back(Entry{i, at + ".resource", *fullUrl, *rtype, resource});
  }
  if (!listEntry) {
    return unprocessable("submissionset-missing",
                         "A document publication (ITI-65) needs its SubmissionSet List entry.",
                         "Bundle.entry");
  }
  const Entry& list = all[*listEntry];
  auto submission = fhir::validateSubmissionSet(*list.resource);
  if (!submission) return underBundleEntry(submission.takeError(), list.at, "List");
  if (!context.patientId.empty() && submission->patientId != context.patientId) {
    return Error::make(ErrorKind::kForbidden, "patient-mismatch",
                       "The SubmissionSet's subject is another patient than the one this access "
                       "is for.",
                       list.at + ".subject");
  }

  // Documents, each with the Binary its attachment.url names.
  std::vector<Staged> staged;
  std::vector<size_t> stagedEntry;        // index in `all` of each staged document
  std::vector<size_t> stagedBinaryEntry;  // and of its Binary
  std::set<size_t> usedBinaries;
  for (size_t e = 0; e < all.size(); ++e) {
    const Entry& entry = all[e];
    if (entry.type != kDocType) continue;
    if (staged.size() == kMaxDocumentsPerBundle) {
      return Error::make(ErrorKind::kTooLarge, "too-many-documents",
                         "A publication carries at most " + std::to_string(kMaxDocumentsPerBundle) +
                             " documents.",
                         entry.at);
    }
    const fhir::Value* attachment = nullptr;
    if (const fhir::Value* content = entry.resource->find("content");
        content != nullptr && content->isArray() && !content->items().empty()) {
      attachment = content->items().front().find("attachment");
    }
    const std::string* url = attachment != nullptr ? attachment->findString("url") : nullptr;
    const fhir::Value* binary = nullptr;
    std::string binaryAt;
    size_t binaryEntry = 0;
    if (url != nullptr) {
      if (auto it = byFullUrl.find(*url); it != byFullUrl.end() && all[it->second].type == kBinaryType) {
        binaryEntry = it->second;
        if (!usedBinaries.insert(it->second).second) {
          return unprocessable("binary-shared",
                               "Two documents point at the same Binary entry " + *url + ".",
                               entry.at + ".content[0].attachment.url");
        }
        binary = all[it->second].resource;
        binaryAt = all[it->second].at;
      } else {
        // Let validation report a malformed url first; a well-formed one must be an entry.
        fhir::DocumentRules rules;
        rules.attachment = fhir::AttachmentSource::kBundleUrl;
        if (auto v = fhir::validateDocumentReference(*entry.resource, rules); !v) {
          return withContentTypeStatus(underBundleEntry(v.takeError(), entry.at, kDocType));
        }
        return unprocessable("attachment-binary-missing",
                             entry.at + ".content[0].attachment.url (" + *url +
                                 ") must be the fullUrl of a Binary entry of this Bundle.",
                             entry.at + ".content[0].attachment.url");
      }
    }
    // Without a url, validation reports it (element-missing); a placeholder Binary keeps the
    // call shape.
    static const fhir::Value kNoBinary = fhir::Value::object();
    auto one = stageDocument(*entry.resource, entry.at, binary != nullptr ? binary : &kNoBinary,
                             binaryAt.empty() ? entry.at : binaryAt, upload, context);
    if (!one) return one.takeError();
    staged.push_back(std::move(one).value());
    stagedEntry.push_back(e);
    stagedBinaryEntry.push_back(binaryEntry);
  }
  if (staged.empty()) {
    return unprocessable("document-missing", "The publication holds no DocumentReference.",
                         "Bundle.entry");
  }
  for (size_t e = 0; e < all.size(); ++e) {
    if (all[e].type == kBinaryType && usedBinaries.count(e) == 0) {
      return unprocessable("binary-unreferenced",
                           all[e].at + " is the attachment of no DocumentReference of the Bundle.",
                           all[e].at);
    }
  }
  if (upload.untaken() > 0) {
    return invalid("attachment-data-unexpected",
                   "The Bundle carries document bytes (a long 'data' value) elsewhere than in "
                   "its Binary entries.");
  }
  // The SubmissionSet lists exactly the documents.
  std::map<std::string, size_t> listed;  // fullUrl -> staged index
  for (const auto& item : submission->entries) {
    auto it = byFullUrl.find(item.reference);
    if (it == byFullUrl.end() || all[it->second].type != kDocType) {
      return unprocessable("submissionset-entry-unknown",
                           item.expression + " (" + item.reference +
                               ") must be the fullUrl of a DocumentReference entry of this Bundle.",
                           locatedUnder(item.expression, list.at, "List"));
    }
    const size_t at = static_cast<size_t>(
        std::find(stagedEntry.begin(), stagedEntry.end(), it->second) - stagedEntry.begin());
    listed.emplace(item.reference, at);
  }
  for (size_t k = 0; k < staged.size(); ++k) {
    const Entry& doc = all[stagedEntry[k]];
    if (listed.count(doc.fullUrl) == 0) {
      return unprocessable("document-not-in-submissionset",
                           doc.at + " is not an entry of the SubmissionSet List.", list.at + ".entry");
    }
  }

  // Everything checked: bytes first, then the rows in one transaction.
  MES_RETURN_IF_ERROR(commitBlobsFor(submission->patientId, list.at + ".subject", staged));
  const std::string listId = ids_.next();
  std::vector<PublishedDocument> written;
  store::ResourceRecord listRecord;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(checkPatient(tx, submission->patientId, list.at + ".subject"));
    MES_RETURN_IF_ERROR(writeAuthor(tx, context));
    written.clear();
    for (Staged& s : staged) {
      auto one = writeDocument(tx, s, context);
      if (!one) return one.takeError();
      written.push_back(std::move(one).value());
    }
    fhir::Value stored = *list.resource;
    stored.erase("id");
    if (fhir::Value* meta = stored.find("meta"); meta != nullptr && meta->isObject()) {
      meta->erase("source");
    }
    if (fhir::Value* items = stored.find("entry"); items != nullptr && items->isArray()) {
      for (auto& item : items->items()) {
        fhir::Value* target = item.find("item");
        const std::string* ref = target != nullptr ? target->findString("reference") : nullptr;
        if (ref == nullptr) continue;
        auto it = listed.find(*ref);
        if (it != listed.end()) {
          target->set("reference", str(std::string(kDocType) + "/" + staged[it->second].documentId));
        }
      }
    }
    store::WriteRequest request;
    request.type = "List";
    request.id = listId;
    request.source = context.source;
    request.index.patient = submission->patientId;
    for (const Staged& s : staged) {
      request.index.references.push_back({"item", std::string(kDocType) + "/" + s.documentId});
    }
    auto shared = std::make_shared<fhir::Value>(std::move(stored));
    request.render = [shared, listId, source = context.source](int64_t v, int64_t t) -> Result<std::string> {
      return stampedJson(*shared, listId, v, t, source);
    };
    auto created = tx.create(request);
    if (!created) return created.takeError();
    listRecord = std::move(created).value();
    return Status::ok();
  });
  if (!status) return status.takeError();

  // transaction-response: one entry per request entry, in order.
  std::map<size_t, const store::ResourceRecord*> recordOf;  // index in `all` -> what it became
  recordOf[*listEntry] = &listRecord;
  for (size_t k = 0; k < staged.size(); ++k) {
    recordOf[stagedEntry[k]] = &written[k].document;
    recordOf[stagedBinaryEntry[k]] = &written[k].binary;
  }
  fhir::Value response = fhir::Value::object();
  response.set("resourceType", str("Bundle"));
  response.set("id", str(ids_.next()));
  response.set("type", str("transaction-response"));
  fhir::Value out = fhir::Value::array();
  for (size_t e = 0; e < all.size(); ++e) {
    fhir::Value entry = fhir::Value::object();
    entry.set("response", transactionResponseEntry(*recordOf.at(e), true));
    out.push(std::move(entry));
  }
  response.set("entry", std::move(out));
  for (size_t k = 0; k < staged.size(); ++k) notifyCreated(written[k], staged[k], context);
  published = std::move(written);
  return response;
}

// The current version of type/id when it is in the caller's patient compartment; 404 otherwise
// (never written, deleted, another patient's).
Result<store::ResourceRecord> DocumentService::inCompartment(const std::string& type,
                                                             const std::string& id,
                                                             const RequestContext& context) {
  auto record = repository_.read(type, id);
  if (!record) {
    const ErrorKind kind = record.error().kind;
    if (kind == ErrorKind::kNotFound || kind == ErrorKind::kGone) return notFound(type, id);
    return record.takeError();
  }
  if (!context.patientId.empty() && record->patient != context.patientId) {
    return notFound(type, id);
  }
  return record;
}

Result<store::ResourceRecord> DocumentService::visibleDocument(const std::string& id,
                                                               const RequestContext& context) {
  auto record = inCompartment(kDocType, id, context);
  if (!record) return record;
  auto json = parseStored(*record);
  if (!json) return json.takeError();
  if (fhir::securityLabels(*json).invisiblePatient) return notFound(kDocType, id);
  return record;
}

Result<store::ResourceRecord> DocumentService::read(const std::string& id,
                                                    const RequestContext& context) {
  return visibleDocument(id, context);
}

Result<DocumentBytes> DocumentService::bytes(const std::string& id, const RequestContext& context) {
  auto record = inCompartment(kBinaryType, id, context);
  if (!record) return record.takeError();
  auto json = parseStored(*record);
  if (!json) return json.takeError();
  const fhir::Value* security = json->find("securityContext");
  const std::string documentId = security != nullptr ? referencedId(*security, kDocType) : "";
  if (documentId.empty()) return Error::internal("Binary/" + id + " has no securityContext");
  auto document = visibleDocument(documentId, context);
  if (!document) {
    if (document.error().kind == ErrorKind::kNotFound) return notFound(kBinaryType, id);
    return document.takeError();
  }
  auto documentJson = parseStored(*document);
  if (!documentJson) return documentJson.takeError();
  const std::string* status = documentJson->findString("status");
  if (status != nullptr && *status == "entered-in-error") return notFound(kBinaryType, id);

  DocumentBytes out;
  out.blob = blobOf(*json);
  const std::string* contentType = json->findString("contentType");
  out.contentType = contentType != nullptr ? *contentType : "application/octet-stream";
  auto size = blobs_.size(out.blob);
  if (!size) {
    Error e = Error::internal("the blob of Binary/" + id + " cannot be read: " +
                              size.error().code() + " " + size.error().detail);
    return e;
  }
  out.size = *size;
  out.binary = std::move(record).value();
  return out;
}

Result<store::ResourceRecord> DocumentService::withdraw(const std::string& id,
                                                        std::optional<int64_t> ifMatch,
                                                        const RequestContext& context) {
  store::ResourceRecord result;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    auto current = tx.read(kDocType, id);
    if (!current) {
      if (current.error().kind == ErrorKind::kNotFound) return notFound(kDocType, id);
      return current.takeError();
    }
    if (current->deleted ||
        (!context.patientId.empty() && current->patient != context.patientId)) {
      return notFound(kDocType, id);
    }
    auto json = parseStored(*current);
    if (!json) return json.takeError();
    if (fhir::securityLabels(*json).invisiblePatient) return notFound(kDocType, id);
    if (!context.source.empty() && current->source != context.source) {
      return Error::make(ErrorKind::kForbidden, "not-author",
                         "DocumentReference/" + id +
                             " was deposited by another service; only its author may withdraw it.");
    }
    if (ifMatch && *ifMatch != current->versionId) {
      return Error::make(ErrorKind::kPreconditionFailed, "version-conflict",
                         "Version conflict on DocumentReference/" + id + ": expected version " +
                             std::to_string(*ifMatch) + ", current version is " +
                             std::to_string(current->versionId) + ".");
    }
    const std::string* was = json->findString("status");
    if (was != nullptr && *was == "entered-in-error") {
      result = std::move(current).value();
      return Status::ok();
    }
    json->set("status", str("entered-in-error"));
    store::WriteRequest request;
    request.type = kDocType;
    request.id = id;
    request.source = context.source.empty() ? current->source : context.source;
    request.index = indexRowsFor(kDocType, id, *json);
    request.ifMatch = current->versionId;
    auto shared = std::make_shared<fhir::Value>(std::move(*json));
    request.render = [shared, id, source = request.source](int64_t v, int64_t t) -> Result<std::string> {
      return stampedJson(*shared, id, v, t, source);
    };
    auto updated = tx.update(request);
    if (!updated) return updated.takeError();
    result = std::move(updated).value();
    return Status::ok();
  });
  if (!status) return status.takeError();
  return result;
}

Result<BlobCheck> DocumentService::checkBlobs() {
  BlobCheck check;
  auto names = blobs_.list();
  if (!names) return names.takeError();
  check.blobs = names->size();
  std::set<std::string> referenced;
  store::SearchQuery query;
  query.type = kBinaryType;
  query.count = 100;
  query.withTotal = false;
  for (;;) {
    auto page = repository_.search(query);
    if (!page) return page.takeError();
    for (const auto& record : page->records) {
      ++check.binaries;
      auto json = parseStored(record);
      if (!json) return json.takeError();
      const std::string blob = blobOf(*json);
      referenced.insert(blob);
      if (!std::binary_search(names->begin(), names->end(), blob)) {
        check.missing.push_back("Binary/" + record.id + " " + blob);
      }
    }
    if (page->records.size() < static_cast<size_t>(query.count)) break;
    query.offset += query.count;
  }
  for (const auto& name : *names) {
    if (referenced.count(name) == 0) check.unreferenced.push_back(name);
  }
  return check;
}

void DocumentService::notifyCreated(const PublishedDocument& published, const Staged& staged,
                                    const RequestContext& context) {
  if (staged.invisible) return;
  const std::string service = serviceLabel(context);
  const std::string app =
      context.serviceName.empty() ? service : "L’application " + context.serviceName;
  outbox::Notification n;
  n.recipient = staged.patientId;
  n.kind = "document-created";
  n.subject = "Nouveau document ajouté par " + service;
  n.body = app + " a ajouté un document à votre espace Mon espace santé : « " + staged.typeDisplay +
           " ». Vous pouvez le consulter, voir l’historique des accès et retirer son autorisation "
           "depuis votre espace.";
  n.data = {{"document", std::string(kDocType) + "/" + published.document.id},
            {"type", staged.typeCode},
            {"type_display", staged.typeDisplay}};
  if (!context.clientId.empty()) n.data.emplace_back("client_id", context.clientId);
  if (auto sent = outbox_.send(n); !sent) {
    logger_.error("document notification not sent",
                  {{"kind", n.kind}, {"detail", sent.error().detail}});
  }
}

}  // namespace mes::gateway
