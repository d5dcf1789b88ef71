// The gateway's own token-signing keys (ES256), their rotation and the published JWKS.
//
// Tokens are signed with the current key and carry its kid (the RFC 7638 thumbprint of its
// public key). Rotation makes a new current key; the previous one is retired but stays
// published (JWKS) and usable for verification for `retainSeconds`, long enough for every
// token it signed to expire; then it is pruned.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "fhir/json/value.h"
#include "oauth/crypto/keys.h"

namespace mes::oauth {

struct SigningKey {
  std::string kid;
  PrivateKey key;  // P-256, signs ES256
};

// Where signing keys come from. Implementations are thread-safe: tokens are signed and
// verified from many threads at once.
class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;

  // The key to sign new tokens with.
  virtual Result<SigningKey> current() const = 0;
  // The public key for a token's "kid": the current key or a retired one still retained.
  // kNotFound "token-key-unknown" for any other kid (unknown, or pruned).
  virtual Result<PublicKey> verificationKey(std::string_view kid) const = 0;
  // {"keys":[...]}: every key still needed for verification, current first, each with kid,
  // "use":"sig" and "alg":"ES256". Public members only.
  virtual Result<fhir::Value> jwks() const = 0;
  // Makes a new current key and retires the previous one now. Returns the new kid. A store
  // whose current state does not load is refused and left unchanged.
  virtual Result<std::string> rotate() = 0;
};

// Keys kept under <dataDir>/keys/ (mode 0700, owned by the process user):
//   <kid>.pem    one unencrypted PKCS#8 PEM private key per file, mode 0600
//   keys.json    the index, mode 0600:
//                {"version":1,"keys":[{"kid":"…","alg":"ES256","created":"<instant>",
//                                      "retired_at":"<instant>"},…]}
//                exactly one key has no "retired_at": the current one
//   .lock        flock(2) lock serialising writers (this process and the CLI)
//
// The first open() creates the directory, a first key and the index. Every file change is
// atomic (temporary file, fsync, rename, directory fsync), so a reader never sees a half
// written index or an index naming a key file not yet complete.
//
// Another process (the `rotate` CLI command) may rotate while the gateway runs: every call
// stat()s the index and reloads it when it changed (device, inode, size or mtime), so the
// new key is used from the next call on. Reloading never prunes; open() and rotate() prune
// (remove from the index, then delete the files of) retired keys whose retention is over.
class FileSigningKeyStore final : public SigningKeyStore {
 public:
  // Refuses (kInternal "signing-key-store-invalid", the message names the file and why):
  // a keys directory or file that is accessible by group or others, owned by another user,
  // or a symbolic link; an unreadable or invalid index; a key file that is missing, not a
  // P-256 PKCS#8 key, or whose thumbprint is not its kid. retainSeconds must be >= 0.
  static Result<std::unique_ptr<FileSigningKeyStore>> open(const std::filesystem::path& dataDir,
                                                           const Clock& clock,
                                                           int64_t retainSeconds);

  Result<SigningKey> current() const override;
  Result<PublicKey> verificationKey(std::string_view kid) const override;
  Result<fhir::Value> jwks() const override;
  Result<std::string> rotate() override;

  const std::filesystem::path& directory() const { return dir_; }

  struct Snapshot;  // one consistent reading of the index and its keys

 private:
  FileSigningKeyStore(std::filesystem::path dir, const Clock& clock, int64_t retainMs);

  Result<std::shared_ptr<const Snapshot>> snapshot() const;
  Result<std::shared_ptr<const Snapshot>> loadWithRetry() const;
  Result<std::shared_ptr<const Snapshot>> load() const;
  // Under the directory lock: creates the first key when there is no index, prunes.
  Status bootstrapAndPrune();
  bool retained(int64_t retiredAtMs, int64_t nowMs) const;

  std::filesystem::path dir_;
  const Clock& clock_;
  int64_t retainMs_;
  mutable std::shared_mutex mutex_;
  mutable std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace mes::oauth
