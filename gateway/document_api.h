// The Documents API routes (SPEC §3, IHE MHD / ANS PDSm): thin handlers over DocumentService.
// Access (token, pairing, scope letter of the route) runs in the Router's AccessPolicy; the
// router's auditor records one entry per request (handlers name DocumentReference/<id>).
//
//   POST   /fhir/DocumentReference        ITI-105 simplified publish (201, Location, ETag);
//                                         needs DocumentReference.c and Binary.c
//   POST   /fhir                          transaction Bundle: an ITI-65 publish when it holds a
//                                         List or a DocumentReference (DocumentReference.c and
//                                         Binary.c), else the Measures transaction (SPEC §2)
//   GET    /fhir/DocumentReference?…      ITI-67 search (gateway/document_search.h)
//   GET    /fhir/DocumentReference/<id>   read
//   DELETE /fhir/DocumentReference/<id>   logical deletion (status entered-in-error, 204)
//   GET    /fhir/Binary/<id>              ITI-68: the bytes with their content type, or the
//                                         FHIR Binary (base64 data) for Accept: application/
//                                         fhir+json or _format=json
//
// The two POST routes are streaming routes (Router::addStreaming): the access policy runs on
// the request head, the body goes through a DocumentUpload to the blob store as it arrives, and
// only the JSON left is held in memory. Their body limit is documentBodyLimit(config) instead
// of max_body_bytes; the decoded document itself is limited to documents.max_bytes (413). The
// raw Binary is sent through an http::BodySource, 64 KiB at a time.
#pragma once

#include <cstdint>
#include <string>

#include "connectors/blob/blob_store.h"
#include "connectors/store/repository.h"
#include "core/clock.h"
#include "fhir/json/value.h"
#include "gateway/config.h"
#include "gateway/document_service.h"
#include "gateway/measure_service.h"
#include "gateway/router.h"

namespace mes::gateway {

// The largest body of a document route: documents.max_bytes as base64 (4/3), with 1/16 more for
// line breaks in the base64, plus max_body_bytes for the JSON around it.
uint64_t documentBodyLimit(const Config& config);

class DocumentApi {
 public:
  DocumentApi(const Config& config, store::Repository& repository, blob::BlobStore& blobs,
              DocumentService& documents, MeasureService& measures, const Clock& clock);
  void registerRoutes(Router& router);

  // The DocumentReference and Binary entries of CapabilityStatement.rest[0].resource.
  static fhir::Value capabilityDocumentReference();
  static fhir::Value capabilityBinary();

 private:
  class Upload;
  Result<std::unique_ptr<RouteBody>> openPublish(const http::Request& head, RequestContext& context);
  Result<std::unique_ptr<RouteBody>> openTransaction(const http::Request& head,
                                                     RequestContext& context);
  http::Response published(const http::Request& request, fhir::Value document,
                           DocumentUpload& upload, RequestContext& context);
  http::Response transaction(const http::Request& request, fhir::Value bundle,
                             DocumentUpload& upload, RequestContext& context);
  http::Response search(const http::Request& request, RequestContext& context);
  http::Response read(const http::Request& request, RequestContext& context);
  http::Response remove(const http::Request& request, RequestContext& context);
  http::Response binary(const http::Request& request, RequestContext& context);

  const Config& config_;
  store::Repository& repository_;
  blob::BlobStore& blobs_;
  DocumentService& documents_;
  MeasureService& measures_;
  const Clock& clock_;
  std::string fhirBase_;
};

}  // namespace mes::gateway
