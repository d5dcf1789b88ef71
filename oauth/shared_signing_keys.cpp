#include "oauth/shared_signing_keys.h"

#include "oauth/crypto/keys.h"

namespace mes::oauth {
namespace {

Result<store::StoredSigningKey> newKey(int64_t nowMs) {
  Result<PrivateKey> key = PrivateKey::generateEs256();
  if (!key) return key.takeError();
  Result<std::string> pem = key->toPem();
  if (!pem) return pem.takeError();
  return store::StoredSigningKey{key->publicKey().thumbprint(), std::move(*pem), nowMs,
                                 std::nullopt};
}

Error storeError(const std::string& detail) {
  Error e = Error::make(ErrorKind::kInternal, "signing-key-store-invalid",
                        "The shared signing keys cannot be used: " + detail);
  e.detail = "signing keys: " + detail;
  return e;
}

}  // namespace

Result<std::unique_ptr<SharedSigningKeyStore>> SharedSigningKeyStore::open(
    store::SigningKeyTable& table, const Clock& clock, int64_t retainSeconds, int64_t refreshMs) {
  if (retainSeconds < 0 || refreshMs < 0) return Error::internal("signing keys: negative times");
  std::unique_ptr<SharedSigningKeyStore> keys(
      new SharedSigningKeyStore(table, clock, retainSeconds * 1000, refreshMs));
  Result<store::StoredSigningKey> first = newKey(clock.nowMs());
  if (!first) return first.takeError();
  Result<bool> inserted = table.insertFirstSigningKey(*first);
  if (!inserted) return inserted.takeError();
  Result<std::shared_ptr<const Snapshot>> snap = keys->snapshot(true);
  if (!snap) return snap.takeError();
  return keys;
}

Result<std::shared_ptr<const SharedSigningKeyStore::Snapshot>> SharedSigningKeyStore::load() const {
  Result<std::vector<store::StoredSigningKey>> rows = table_.signingKeys();
  if (!rows) return rows.takeError();
  const int64_t now = clock_.nowMs();
  auto snap = std::make_shared<Snapshot>();
  snap->loadedMs = now;
  bool haveCurrent = false;
  for (const store::StoredSigningKey& row : *rows) {
    if (row.retiredMs && now >= *row.retiredMs + retainMs_) continue;
    Result<PrivateKey> key = PrivateKey::fromPem(row.privatePem);
    if (!key) return storeError("key " + row.kid + " is not a readable private key");
    if (key->publicKey().thumbprint() != row.kid) {
      return storeError("key " + row.kid + " does not hold the key its kid names");
    }
    Snapshot::Key entry{
        row.kid, row.retiredMs,
        key->publicKey().withKid(row.kid).withUse("sig").withAlgorithm(JwsAlgorithm::kES256)};
    if (!row.retiredMs) {
      snap->current = SigningKey{row.kid, std::move(*key)};
      haveCurrent = true;
    }
    snap->keys.push_back(std::move(entry));
  }
  if (!haveCurrent) return storeError("there is no current key");
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

Result<std::shared_ptr<const SharedSigningKeyStore::Snapshot>> SharedSigningKeyStore::snapshot(
    bool force) const {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_.nowMs();
  if (snapshot_ && !force && now - snapshot_->loadedMs < refreshMs_) return snapshot_;
  // On failure the previous keys stay in use; the next call tries again.
  Result<std::shared_ptr<const Snapshot>> loaded = load();
  if (!loaded) {
    if (snapshot_) return snapshot_;
    return loaded.takeError();
  }
  snapshot_ = std::move(*loaded);
  return snapshot_;
}

Result<SigningKey> SharedSigningKeyStore::current() const {
  Result<std::shared_ptr<const Snapshot>> snap = snapshot(false);
  if (!snap) return snap.takeError();
  return *(*snap)->current;
}

Result<PublicKey> SharedSigningKeyStore::verificationKey(std::string_view kid) const {
  Result<std::shared_ptr<const Snapshot>> snap = snapshot(false);
  if (!snap) return snap.takeError();
  auto find = [&](const Snapshot& s) -> const Snapshot::Key* {
    const int64_t now = clock_.nowMs();
    for (const Snapshot::Key& key : s.keys) {
      if (key.kid == kid && retained(key, now)) return &key;
    }
    return nullptr;
  };
  if (const Snapshot::Key* key = find(**snap)) return key->publicKey;
  bool reload = false;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_.nowMs();
    if (now - lastForcedMs_ >= refreshMs_) {
      lastForcedMs_ = now;
      reload = true;
    }
  }
  if (reload) {
    snap = snapshot(true);
    if (!snap) return snap.takeError();
    if (const Snapshot::Key* key = find(**snap)) return key->publicKey;
  }
  return Error::make(ErrorKind::kNotFound, "token-key-unknown",
                     "The token was signed with a key this server does not know.");
}

Result<fhir::Value> SharedSigningKeyStore::jwks() const {
  Result<std::shared_ptr<const Snapshot>> snap = snapshot(false);
  if (!snap) return snap.takeError();
  const int64_t now = clock_.nowMs();
  fhir::Value keys = fhir::Value::array();
  for (const Snapshot::Key& key : (*snap)->keys) {
    if (retained(key, now)) keys.push(key.publicKey.toJwk());
  }
  fhir::Value root = fhir::Value::object();
  root.set("keys", std::move(keys));
  return root;
}

Result<std::string> SharedSigningKeyStore::rotate() {
  const int64_t now = clock_.nowMs();
  Result<store::StoredSigningKey> next = newKey(now);
  if (!next) return next.takeError();
  MES_RETURN_IF_ERROR(table_.rotateSigningKey(*next, now - retainMs_));
  Result<std::shared_ptr<const Snapshot>> snap = snapshot(true);
  if (!snap) return snap.takeError();
  return next->kid;
}

}  // namespace mes::oauth
