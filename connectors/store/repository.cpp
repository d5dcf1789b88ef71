#include "connectors/store/repository.h"

namespace mes::store {
namespace {

template <typename Op>
Result<ResourceRecord> single(Repository& repo, Op op) {
  std::optional<ResourceRecord> out;
  Status s = repo.transaction([&](Transaction& tx) -> Status {
    Result<ResourceRecord> r = op(tx);
    if (!r) return r.takeError();
    out = std::move(r).value();
    return Status::ok();
  });
  if (!s) return s.takeError();
  return std::move(*out);
}

}  // namespace

Result<ResourceRecord> Repository::create(const WriteRequest& request) {
  return single(*this, [&](Transaction& tx) { return tx.create(request); });
}

Result<ResourceRecord> Repository::update(const WriteRequest& request) {
  return single(*this, [&](Transaction& tx) { return tx.update(request); });
}

Result<ResourceRecord> Repository::remove(const std::string& type, const std::string& id,
                                          std::optional<int64_t> ifMatch) {
  return single(*this, [&](Transaction& tx) { return tx.remove(type, id, ifMatch); });
}

}  // namespace mes::store
