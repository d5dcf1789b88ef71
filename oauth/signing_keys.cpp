#include "oauth/signing_keys.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "fhir/json/json.h"
#include "fhir/types/datetime.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"

namespace fs = std::filesystem;

namespace mes::oauth {
namespace {

constexpr int64_t kIndexVersion = 1;
constexpr const char* kIndexName = "keys.json";
constexpr const char* kIndexTempName = "keys.json.tmp";
constexpr const char* kLockName = ".lock";
constexpr size_t kMaxKeyFileBytes = 64 * 1024;
constexpr size_t kMaxIndexBytes = 1 << 20;
constexpr size_t kMaxIndexEntries = 1000;
constexpr int64_t kMaxRetainSeconds = int64_t{10} * 366 * 24 * 3600;
constexpr int kLoadAttempts = 3;

Error storeError(std::string message, std::string detail = {}) {
  Error e = Error::make(ErrorKind::kInternal, "signing-key-store-invalid", std::move(message));
  e.detail = std::move(detail);
  return e;
}

std::string errnoText(int err) {
  return std::strerror(err);
}

std::string modeText(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtimeSec = 0;
  int64_t mtimeNsec = 0;
  bool operator==(const FileId&) const = default;
};

FileId fileIdOf(const struct stat& st) {
  return FileId{st.st_dev, st.st_ino, st.st_size, static_cast<int64_t>(st.st_mtim.tv_sec),
                static_cast<int64_t>(st.st_mtim.tv_nsec)};
}

Result<FileId> statIndex(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    return storeError("The signing key index " + path.string() + " cannot be read (" +
                      errnoText(err) + ").");
  }
  return fileIdOf(st);
}

// Checks that a file or directory may hold secrets: ours, and closed to group and others.
Status checkPrivate(const fs::path& path, const struct stat& st, const char* what) {
  if (st.st_uid != ::geteuid()) {
    return storeError(std::string(what) + " " + path.string() + " is owned by another user (uid " +
                      std::to_string(st.st_uid) + "); it must belong to the gateway's user.");
  }
  if ((st.st_mode & 077) != 0) {
    return storeError(std::string(what) + " " + path.string() +
                      " is accessible by group or others (mode " + modeText(st.st_mode) +
                      "); run chmod " + (S_ISDIR(st.st_mode) ? "700" : "600") + " on it.");
  }
  return Status::ok();
}

Status checkDirectory(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    int err = errno;
    return storeError("The signing key directory " + dir.string() + " cannot be read (" +
                      errnoText(err) + ").");
  }
  if (S_ISLNK(st.st_mode)) {
    return storeError("The signing key directory " + dir.string() + " is a symbolic link.");
  }
  if (!S_ISDIR(st.st_mode)) {
    return storeError("The signing key path " + dir.string() + " is not a directory.");
  }
  return checkPrivate(dir, st, "The signing key directory");
}

// Reads a whole file that must be private (see checkPrivate), without following symlinks.
Result<std::string> readPrivateFile(const fs::path& path, size_t maxBytes, const char* what,
                                    FileId* id = nullptr) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return storeError(std::string(what) + " " + path.string() + " is missing.");
    if (err == ELOOP) {
      return storeError(std::string(what) + " " + path.string() + " is a symbolic link.");
    }
    return storeError(std::string(what) + " " + path.string() + " cannot be opened (" +
                      errnoText(err) + ").");
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    return storeError(std::string(what) + " " + path.string() + " cannot be read (" +
                      errnoText(err) + ").");
  }
  if (!S_ISREG(st.st_mode)) {
    return storeError(std::string(what) + " " + path.string() + " is not a regular file.");
  }
  MES_RETURN_IF_ERROR(checkPrivate(path, st, what));
  if (static_cast<uint64_t>(st.st_size) > maxBytes) {
    return storeError(std::string(what) + " " + path.string() + " is too large.");
  }
  std::string content(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < content.size()) {
    ssize_t n = ::read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      secureWipe(content);
      return storeError(std::string(what) + " " + path.string() + " cannot be read (" +
                        errnoText(err) + ").");
    }
    got += static_cast<size_t>(n);
  }
  if (id != nullptr) *id = fileIdOf(st);
  return content;
}

// Creates `path` (which must not exist) with mode 0600 and the given content, durably.
Status writeNewPrivateFile(const fs::path& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    return storeError("Cannot create " + path.string() + " (" + errnoText(err) + ").");
  }
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int err = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    ::unlink(path.c_str());
    return storeError("Cannot write " + path.string() + " (" + errnoText(err) + ").");
  }
  return Status::ok();
}

Status fsyncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    return storeError("Cannot sync the directory " + dir.string() + " (" + errnoText(err) + ").");
  }
  ::close(fd);
  return Status::ok();
}

// Exclusive flock(2) on <dir>/.lock for the lifetime of the object.
class DirectoryLock {
 public:
  static Result<std::unique_ptr<DirectoryLock>> acquire(const fs::path& dir) {
    fs::path path = dir / kLockName;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      int err = errno;
      return storeError("Cannot open the lock file " + path.string() + " (" + errnoText(err) +
                        ").");
    }
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return storeError("Cannot lock " + path.string() + " (" + errnoText(err) + ").");
    }
    return std::unique_ptr<DirectoryLock>(new DirectoryLock(fd));
  }
  ~DirectoryLock() { ::close(fd_); }  // closing releases the lock
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

// ---- index -----------------------------------------------------------------------------------

struct IndexEntry {
  std::string kid;
  int64_t createdMs = 0;
  std::optional<int64_t> retiredAtMs;
};

struct Index {
  std::vector<IndexEntry> entries;
  FileId id;
};

bool isThumbprint(std::string_view kid) {
  Result<std::string> bytes = base64UrlDecode(kid);
  return kid.size() == 43 && bytes && bytes->size() == kSha256Bytes;
}

Result<int64_t> instantMember(const fhir::Value& entry, const char* name,
                              const std::string& where) {
  const std::string* text = entry.findString(name);
  if (text == nullptr) return storeError(where + ": \"" + name + "\" must be an instant string.");
  Result<fhir::DateTime> t = fhir::parseDateTime(*text, fhir::DateTimeForm::kInstant);
  if (!t) return storeError(where + ": \"" + name + "\" is not a valid instant.");
  return t->lowMs;
}

Result<Index> parseIndex(std::string_view text, const fs::path& path) {
  const std::string where = "The signing key index " + path.string();
  Result<fhir::Value> json = fhir::parseJson(text);
  if (!json) return storeError(where + " is not valid JSON.");
  if (!json->isObject()) return storeError(where + " is not a JSON object.");
  for (const auto& [name, value] : json->members()) {
    if (name != "version" && name != "keys") {
      return storeError(where + " has an unknown member \"" + name + "\".");
    }
  }
  const fhir::Value* version = json->find("version");
  if (version == nullptr || !version->isNumber() || version->asInt() != kIndexVersion) {
    return storeError(where + " has no \"version\": 1.");
  }
  const fhir::Value* keys = json->find("keys");
  if (keys == nullptr || !keys->isArray() || keys->items().empty() ||
      keys->items().size() > kMaxIndexEntries) {
    return storeError(where + " has no \"keys\" array.");
  }
  Index index;
  size_t currentCount = 0;
  for (size_t i = 0; i < keys->items().size(); ++i) {
    const fhir::Value& item = keys->items()[i];
    const std::string at = where + " keys[" + std::to_string(i) + "]";
    if (!item.isObject()) return storeError(at + " is not an object.");
    for (const auto& [name, value] : item.members()) {
      if (name != "kid" && name != "alg" && name != "created" && name != "retired_at") {
        return storeError(at + " has an unknown member \"" + name + "\".");
      }
    }
    IndexEntry entry;
    const std::string* kid = item.findString("kid");
    if (kid == nullptr || !isThumbprint(*kid)) {
      return storeError(at + ": \"kid\" must be a key thumbprint (43 base64url characters).");
    }
    entry.kid = *kid;
    const std::string* alg = item.findString("alg");
    if (alg == nullptr || *alg != "ES256") return storeError(at + ": \"alg\" must be \"ES256\".");
    Result<int64_t> created = instantMember(item, "created", at);
    if (!created) return created.takeError();
    entry.createdMs = *created;
    if (item.find("retired_at") != nullptr) {
      Result<int64_t> retired = instantMember(item, "retired_at", at);
      if (!retired) return retired.takeError();
      entry.retiredAtMs = *retired;
    } else {
      ++currentCount;
    }
    for (const IndexEntry& other : index.entries) {
      if (other.kid == entry.kid) return storeError(at + " repeats a kid.");
    }
    index.entries.push_back(std::move(entry));
  }
  if (currentCount != 1) {
    return storeError(where + " must have exactly one current key (without \"retired_at\"), not " +
                      std::to_string(currentCount) + ".");
  }
  return index;
}

Result<Index> readIndex(const fs::path& dir) {
  fs::path path = dir / kIndexName;
  FileId id;
  Result<std::string> text = readPrivateFile(path, kMaxIndexBytes, "The signing key index", &id);
  if (!text) return text.takeError();
  Result<Index> index = parseIndex(*text, path);
  if (!index) return index.takeError();
  index->id = id;
  return index;
}

Status writeIndex(const fs::path& dir, const std::vector<IndexEntry>& entries) {
  fhir::Value keys = fhir::Value::array();
  for (const IndexEntry& e : entries) {
    fhir::Value item = fhir::Value::object();
    item.set("kid", fhir::Value::string(e.kid));
    item.set("alg", fhir::Value::string("ES256"));
    item.set("created", fhir::Value::string(fhir::formatInstant(e.createdMs)));
    if (e.retiredAtMs)
      item.set("retired_at", fhir::Value::string(fhir::formatInstant(*e.retiredAtMs)));
    keys.push(std::move(item));
  }
  fhir::Value root = fhir::Value::object();
  root.set("version", fhir::Value::number(kIndexVersion));
  root.set("keys", std::move(keys));

  fs::path temp = dir / kIndexTempName;
  fs::path path = dir / kIndexName;
  if (::unlink(temp.c_str()) != 0 && errno != ENOENT) {
    int err = errno;
    return storeError("Cannot remove " + temp.string() + " (" + errnoText(err) + ").");
  }
  MES_RETURN_IF_ERROR(writeNewPrivateFile(temp, fhir::toPrettyJson(root) + "\n"));
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return storeError("Cannot replace " + path.string() + " (" + errnoText(err) + ").");
  }
  return fsyncDirectory(dir);
}

fs::path keyFilePath(const fs::path& dir, const std::string& kid) {
  return dir / (kid + ".pem");
}

Result<PrivateKey> readKeyFile(const fs::path& dir, const std::string& kid) {
  fs::path path = keyFilePath(dir, kid);
  Result<std::string> pem = readPrivateFile(path, kMaxKeyFileBytes, "The signing key file");
  if (!pem) return pem.takeError();
  Result<PrivateKey> key = PrivateKey::fromPem(*pem);
  secureWipe(*pem);
  if (!key) {
    return storeError("The signing key file " + path.string() +
                          " is not a valid unencrypted PKCS#8 private key: " +
                          key.error().problems.front().message,
                      key.error().detail);
  }
  if (key->family() != KeyFamily::kEcP256) {
    return storeError("The signing key file " + path.string() + " is not a P-256 (ES256) key.");
  }
  if (key->publicKey().thumbprint() != kid) {
    return storeError("The signing key file " + path.string() +
                      " does not hold the key its name and the index say (thumbprint mismatch).");
  }
  return key;
}

// Removes the key files of pruned entries; a file already gone is fine.
Status removeKeyFiles(const fs::path& dir, const std::vector<IndexEntry>& pruned) {
  for (const IndexEntry& e : pruned) {
    fs::path path = keyFilePath(dir, e.kid);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      int err = errno;
      return storeError("Cannot remove the pruned key file " + path.string() + " (" +
                        errnoText(err) + ").");
    }
  }
  return pruned.empty() ? Status::ok() : fsyncDirectory(dir);
}

PublicKey published(const PublicKey& key, const std::string& kid) {
  return key.withKid(kid).withUse("sig").withAlgorithm(JwsAlgorithm::kES256);
}

}  // namespace

struct FileSigningKeyStore::Snapshot {
  struct Key {
    std::string kid;
    std::optional<int64_t> retiredAtMs;  // nullopt for the current key
    PublicKey publicKey;                 // with kid, use and alg set
  };
  FileId indexId;
  std::vector<Key> keys;  // current first, then retired keys, most recently retired first
  SigningKey current;
};

FileSigningKeyStore::FileSigningKeyStore(fs::path dir, const Clock& clock, int64_t retainMs)
    : dir_(std::move(dir)), clock_(clock), retainMs_(retainMs) {}

Result<std::unique_ptr<FileSigningKeyStore>> FileSigningKeyStore::open(const fs::path& dataDir,
                                                                       const Clock& clock,
                                                                       int64_t retainSeconds) {
  if (retainSeconds < 0 || retainSeconds > kMaxRetainSeconds) {
    return Error::internal("FileSigningKeyStore: retainSeconds out of range");
  }
  std::error_code ec;
  if (!fs::exists(dataDir, ec)) {
    fs::create_directories(dataDir, ec);
    if (ec) {
      return storeError("Cannot create the data directory " + dataDir.string() + " (" +
                        ec.message() + ").");
    }
  }
  fs::path dir = dataDir / "keys";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    int err = errno;
    return storeError("Cannot create the signing key directory " + dir.string() + " (" +
                      errnoText(err) + ").");
  }
  MES_RETURN_IF_ERROR(checkDirectory(dir));
  std::unique_ptr<FileSigningKeyStore> store(
      new FileSigningKeyStore(dir, clock, retainSeconds * 1000));
  MES_RETURN_IF_ERROR(store->bootstrapAndPrune());
  Result<std::shared_ptr<const Snapshot>> snap = store->load();
  if (!snap) return snap.takeError();
  store->snapshot_ = std::move(*snap);
  return store;
}

bool FileSigningKeyStore::retained(int64_t retiredAtMs, int64_t nowMs) const {
  return nowMs < retiredAtMs + retainMs_;
}

Status FileSigningKeyStore::bootstrapAndPrune() {
  Result<std::unique_ptr<DirectoryLock>> lock = DirectoryLock::acquire(dir_);
  if (!lock) return lock.takeError();
  const int64_t now = clock_.nowMs();
  fs::path indexPath = dir_ / kIndexName;
  struct stat st {};
  if (::lstat(indexPath.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      int err = errno;
      return storeError("The signing key index " + indexPath.string() + " cannot be read (" +
                        errnoText(err) + ").");
    }
    // First start: a first key, then the index naming it.
    Result<PrivateKey> key = PrivateKey::generateEs256();
    if (!key) return key.takeError();
    std::string kid = key->publicKey().thumbprint();
    Result<std::string> pem = key->toPem();
    if (!pem) return pem.takeError();
    Status written = writeNewPrivateFile(keyFilePath(dir_, kid), *pem);
    secureWipe(*pem);
    MES_RETURN_IF_ERROR(written);
    return writeIndex(dir_, {IndexEntry{kid, now, std::nullopt}});
  }
  Result<Index> index = readIndex(dir_);
  if (!index) return index.takeError();
  std::vector<IndexEntry> kept;
  std::vector<IndexEntry> pruned;
  for (IndexEntry& e : index->entries) {
    bool expired = e.retiredAtMs && !retained(*e.retiredAtMs, now);
    (expired ? pruned : kept).push_back(std::move(e));
  }
  if (pruned.empty()) return Status::ok();
  MES_RETURN_IF_ERROR(writeIndex(dir_, kept));
  return removeKeyFiles(dir_, pruned);
}

Result<std::shared_ptr<const FileSigningKeyStore::Snapshot>> FileSigningKeyStore::load() const {
  Result<Index> index = readIndex(dir_);
  if (!index) return index.takeError();
  const int64_t now = clock_.nowMs();

  std::vector<IndexEntry> entries = std::move(index->entries);
  // Current first, then retired keys by retirement time, newest first (then by creation).
  std::stable_sort(entries.begin(), entries.end(), [](const IndexEntry& a, const IndexEntry& b) {
    if (!a.retiredAtMs || !b.retiredAtMs) return !a.retiredAtMs && b.retiredAtMs;
    if (*a.retiredAtMs != *b.retiredAtMs) return *a.retiredAtMs > *b.retiredAtMs;
    return a.createdMs > b.createdMs;
  });

  std::optional<SigningKey> current;
  std::vector<Snapshot::Key> keys;
  for (const IndexEntry& e : entries) {
    // Keys past retention are neither read nor served; open() and rotate() delete them.
    if (e.retiredAtMs && !retained(*e.retiredAtMs, now)) continue;
    Result<PrivateKey> key = readKeyFile(dir_, e.kid);
    if (!key) return key.takeError();
    keys.push_back(Snapshot::Key{e.kid, e.retiredAtMs, published(key->publicKey(), e.kid)});
    if (!e.retiredAtMs) current = SigningKey{e.kid, std::move(*key)};
  }
  // parseIndex guarantees exactly one current entry, which is never skipped above.
  if (!current) return storeError("The signing key index has no current key.");
  return std::make_shared<const Snapshot>(
      Snapshot{index->id, std::move(keys), std::move(*current)});
}

Result<std::shared_ptr<const FileSigningKeyStore::Snapshot>> FileSigningKeyStore::loadWithRetry()
    const {
  // A rotation in another process may replace the index and delete a pruned key file between
  // our reading the index and reading that file; the retry then reads the new index.
  for (int attempt = 1;; ++attempt) {
    Result<FileId> before = statIndex(dir_ / kIndexName);
    Result<std::shared_ptr<const Snapshot>> snap = load();
    if (snap || attempt == kLoadAttempts) return snap;
    Result<FileId> after = statIndex(dir_ / kIndexName);
    if (!before || !after || *before == *after) return snap;
  }
}

Result<std::shared_ptr<const FileSigningKeyStore::Snapshot>> FileSigningKeyStore::snapshot() const {
  Result<FileId> id = statIndex(dir_ / kIndexName);
  if (!id) return id.takeError();
  {
    std::shared_lock lock(mutex_);
    if (snapshot_ && snapshot_->indexId == *id) return snapshot_;
  }
  std::unique_lock lock(mutex_);
  if (snapshot_ && snapshot_->indexId == *id) return snapshot_;
  // On failure the previous snapshot stays, and the next call tries again.
  Result<std::shared_ptr<const Snapshot>> loaded = loadWithRetry();
  if (!loaded) return loaded.takeError();
  snapshot_ = std::move(*loaded);
  return snapshot_;
}

Result<SigningKey> FileSigningKeyStore::current() const {
  Result<std::shared_ptr<const Snapshot>> snap = snapshot();
  if (!snap) return snap.takeError();
  return (*snap)->current;
}

Result<PublicKey> FileSigningKeyStore::verificationKey(std::string_view kid) const {
  Result<std::shared_ptr<const Snapshot>> snap = snapshot();
  if (!snap) return snap.takeError();
  const int64_t now = clock_.nowMs();
  for (const Snapshot::Key& key : (*snap)->keys) {
    if (key.kid == kid && (!key.retiredAtMs || retained(*key.retiredAtMs, now))) {
      return key.publicKey;
    }
  }
  return Error::make(ErrorKind::kNotFound, "token-key-unknown",
                     "The token was signed with a key this server does not know.");
}

Result<fhir::Value> FileSigningKeyStore::jwks() const {
  Result<std::shared_ptr<const Snapshot>> snap = snapshot();
  if (!snap) return snap.takeError();
  const int64_t now = clock_.nowMs();
  fhir::Value keys = fhir::Value::array();
  for (const Snapshot::Key& key : (*snap)->keys) {
    if (!key.retiredAtMs || retained(*key.retiredAtMs, now)) keys.push(key.publicKey.toJwk());
  }
  fhir::Value root = fhir::Value::object();
  root.set("keys", std::move(keys));
  return root;
}

Result<std::string> FileSigningKeyStore::rotate() {
  std::unique_lock guard(mutex_);
  std::string kid;
  {
    Result<std::unique_ptr<DirectoryLock>> lock = DirectoryLock::acquire(dir_);
    if (!lock) return lock.takeError();
    // Read the index afresh: another process may have rotated since our last load. A store
    // that does not load (a key file with bad permissions, say) is left untouched.
    Result<std::shared_ptr<const Snapshot>> before = load();
    if (!before) return before.takeError();
    Result<Index> index = readIndex(dir_);
    if (!index) return index.takeError();

    Result<PrivateKey> key = PrivateKey::generateEs256();
    if (!key) return key.takeError();
    kid = key->publicKey().thumbprint();
    Result<std::string> pem = key->toPem();
    if (!pem) return pem.takeError();
    Status written = writeNewPrivateFile(keyFilePath(dir_, kid), *pem);
    secureWipe(*pem);
    MES_RETURN_IF_ERROR(written);

    const int64_t now = clock_.nowMs();
    std::vector<IndexEntry> kept;
    std::vector<IndexEntry> pruned;
    for (IndexEntry& e : index->entries) {
      if (!e.retiredAtMs) e.retiredAtMs = now;
      (retained(*e.retiredAtMs, now) ? kept : pruned).push_back(std::move(e));
    }
    kept.push_back(IndexEntry{kid, now, std::nullopt});
    Status indexed = writeIndex(dir_, kept);
    if (!indexed) {
      ::unlink(keyFilePath(dir_, kid).c_str());  // never referenced: nothing signed with it
      return indexed.takeError();
    }
    MES_RETURN_IF_ERROR(removeKeyFiles(dir_, pruned));
  }
  Result<std::shared_ptr<const Snapshot>> snap = loadWithRetry();
  if (!snap) return snap.takeError();
  snapshot_ = std::move(*snap);
  return kid;
}

}  // namespace mes::oauth
