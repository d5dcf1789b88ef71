// The /fhir routes of the Measures API: thin handlers that translate HTTP to MeasureService /
// repository calls and back. Access control is not here: it runs in the Router's AccessPolicy
// before a handler. POST /fhir (transaction) is registered by DocumentApi, which streams the
// body and hands measure bundles to MeasureService::transaction.
#pragma once

#include <mutex>
#include <string>

#include "connectors/store/repository.h"
#include "gateway/config.h"
#include "gateway/measure_service.h"
#include "gateway/router.h"

namespace mes::gateway {

class FhirApi {
 public:
  FhirApi(const Config& config, store::Repository& repository, MeasureService& measures);
  void registerRoutes(Router& router);

  // The CapabilityStatement served at /fhir/metadata (lists exactly the routes registered).
  fhir::Value capabilityStatement() const;

 private:
  http::Response metadata(const http::Request& request, RequestContext& context);
  http::Response createObservation(const http::Request& request, RequestContext& context);
  http::Response readResource(const http::Request& request, RequestContext& context);
  http::Response vreadResource(const http::Request& request, RequestContext& context);
  http::Response historyObservation(const http::Request& request, RequestContext& context);
  http::Response updateObservation(const http::Request& request, RequestContext& context);
  http::Response deleteObservation(const http::Request& request, RequestContext& context);
  http::Response searchObservation(const http::Request& request, RequestContext& context);

  // 404 unless the resource (by its newest content) is in the caller's patient compartment.
  Status checkOwner(const std::string& type, const std::string& id, const RequestContext& context);

  std::once_flag capabilityOnce_;
  std::string capabilityText_;  // compact JSON of capabilityStatement(), built on first use
  const Config& config_;
  store::Repository& repository_;
  MeasureService& measures_;
  std::string fhirBase_;
};

}  // namespace mes::gateway
