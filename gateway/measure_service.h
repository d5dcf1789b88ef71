// Writing health measures: validation against the MES profiles, stamping, storage, the
// transaction Bundle with conditional Device create, and the BMI the gateway derives.
//
// Invariants kept here:
// - every write runs in one store transaction: a failure leaves nothing behind;
// - a stored measure always references an existing Patient (and Device when it names one);
// - BMI (39156-5) is written only by the gateway: when a weight arrives and the patient has a
//   height (or the reverse) a BMI measure derived from both is created; when one of its inputs
//   is corrected, its BMI gets a new version; when an input is deleted or marked
//   entered-in-error, its BMI is too.
#pragma once

#include <optional>
#include <string>

#include "connectors/store/repository.h"
#include "core/clock.h"
#include "core/status.h"
#include "fhir/json/value.h"
#include "gateway/router.h"

namespace mes::gateway {

struct CreateOutcome {
  store::ResourceRecord record;
  bool created = true;  // false when If-None-Exist matched an existing measure
};

// meta.source of what the gateway writes itself (BMI).
inline constexpr const char* kGatewaySource = "urn:mes-gateway";

class MeasureService {
 public:
  MeasureService(store::Repository& repository, const Clock& clock, IdGenerator& ids);

  // POST /fhir/Observation. `ifNoneExist` is the If-None-Exist header (a search query string),
  // empty when absent: one match returns it (created=false), several give 412.
  Result<CreateOutcome> create(fhir::Value observation, const RequestContext& context,
                               const std::string& ifNoneExist);
  // PUT /fhir/Observation/<id>. The resource must exist (no update-as-create: ids are the
  // server's); its subject may not change.
  Result<store::ResourceRecord> update(const std::string& id, fhir::Value observation,
                                       std::optional<int64_t> ifMatch,
                                       const RequestContext& context);
  // DELETE /fhir/Observation/<id>.
  Result<store::ResourceRecord> remove(const std::string& id, std::optional<int64_t> ifMatch,
                                       const RequestContext& context);
  // POST /fhir with a transaction Bundle (SPEC §2): one Observation, optionally one Device with
  // a conditional create. Returns the transaction-response Bundle.
  Result<fhir::Value> transaction(const fhir::Value& bundle, const RequestContext& context);

 private:
  struct Prepared;
  Result<Prepared> prepare(fhir::Value observation, const RequestContext& context);
  Result<store::ResourceRecord> createPrepared(store::Transaction& tx, Prepared& prepared,
                                               const RequestContext& context);
  Status checkReferences(store::Transaction& tx, const Prepared& prepared);
  Status deriveBmiFor(store::Transaction& tx, const store::ResourceRecord& input);
  Status refreshDerivedBmi(store::Transaction& tx, const std::string& inputId, bool inputGone);
  store::WriteRequest writeRequest(const std::string& id, fhir::Value resource,
                                   const std::string& source);

  store::Repository& repository_;
  const Clock& clock_;
  IdGenerator& ids_;
};

}  // namespace mes::gateway
