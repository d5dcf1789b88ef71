#include "connectors/blob/file_blob_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace mes::blob {
namespace {

constexpr size_t kWriteBuffer = 64 << 10;

Error unavailable(const std::string& what, int err) {
  Error e = Error::make(ErrorKind::kUnavailable, "blob-store-unavailable",
                        "The document store is unavailable.");
  e.detail = what + ": " + std::strerror(err);
  return e;
}

Error badName() {
  return Error::make(ErrorKind::kInvalid, "blob-name-invalid",
                     "A blob name is the SHA-256 of its content in 64 lowercase hex digits.");
}

Error notFound() {
  return Error::make(ErrorKind::kNotFound, "blob-not-found", "No stored content has that name.");
}

Error spent() { return Error::internal("blob writer used after finish() or a failure"); }

std::string hex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return out;
}

// Writes all of [data, data+n) to fd.
Status writeAll(int fd, const char* data, size_t n, const std::string& what) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return unavailable("write " + what, errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::ok();
}

Status syncDirectory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return unavailable("open " + dir.string(), errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return unavailable("fsync " + dir.string(), err);
  return Status::ok();
}

// Creates `dir` (0700) when missing; `created` tells whether this call made it.
Status makeDirectory(const std::filesystem::path& dir, bool& created) {
  created = false;
  if (::mkdir(dir.c_str(), 0700) == 0) {
    created = true;
    ::chmod(dir.c_str(), 0700);  // whatever the umask
    return Status::ok();
  }
  if (errno != EEXIST) return unavailable("mkdir " + dir.string(), errno);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return unavailable("mkdir " + dir.string(), ENOTDIR);
  }
  return Status::ok();
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

Result<MdCtx> newDigest(const EVP_MD* md) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return Error::internal("EVP_DigestInit_ex failed");
  }
  return ctx;
}

class FileStagedBlob final : public StagedBlob {
 public:
  FileStagedBlob(std::filesystem::path storeDir, std::filesystem::path temp, BlobDigest digest)
      : storeDir_(std::move(storeDir)), temp_(std::move(temp)), digest_(std::move(digest)) {}
  FileStagedBlob(const FileStagedBlob&) = delete;
  FileStagedBlob& operator=(const FileStagedBlob&) = delete;
  ~FileStagedBlob() override {
    if (!committed_) ::unlink(temp_.c_str());
  }

  const BlobDigest& digest() const override { return digest_; }

  Status commit() override {
    if (committed_) return Status::ok();
    const std::filesystem::path fanOut = storeDir_ / digest_.sha256.substr(0, 2);
    const std::filesystem::path final = fanOut / digest_.sha256;
    bool created = false;
    MES_RETURN_IF_ERROR(makeDirectory(fanOut, created));
    if (created) MES_RETURN_IF_ERROR(syncDirectory(storeDir_));

    if (::link(temp_.c_str(), final.c_str()) != 0) {
      const int err = errno;
      if (err == EEXIST) {
        // Same name, same bytes: keep the stored file, unless it is not whole (only a damaged
        // disk or a hand-made file could do that), which the staged copy then replaces.
        struct stat st {};
        if (::stat(final.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
            static_cast<uint64_t>(st.st_size) != digest_.size) {
          if (::rename(temp_.c_str(), final.c_str()) != 0) {
            return unavailable("rename " + final.string(), errno);
          }
          committed_ = true;
          return syncDirectory(fanOut);
        }
      } else if (err == EPERM || err == EOPNOTSUPP || err == EMLINK || err == ENOSYS) {
        // No hard links here: rename, which may replace an equal blob; still atomic.
        if (::rename(temp_.c_str(), final.c_str()) != 0) {
          return unavailable("rename " + final.string(), errno);
        }
        committed_ = true;
        return syncDirectory(fanOut);
      } else {
        return unavailable("link " + final.string(), err);
      }
    }
    ::unlink(temp_.c_str());
    committed_ = true;
    // Also when the blob was already there: its writer's own commit may not have synced yet.
    return syncDirectory(fanOut);
  }

 private:
  std::filesystem::path storeDir_;
  std::filesystem::path temp_;
  BlobDigest digest_;
  bool committed_ = false;
};

class FileBlobWriter final : public BlobWriter {
 public:
  FileBlobWriter(std::filesystem::path storeDir, std::filesystem::path temp, int fd,
                 uint64_t maxBytes, MdCtx sha256, MdCtx sha1)
      : storeDir_(std::move(storeDir)),
        temp_(std::move(temp)),
        fd_(fd),
        maxBytes_(maxBytes),
        sha256_(std::move(sha256)),
        sha1_(std::move(sha1)) {
    buffer_.reserve(kWriteBuffer);
  }
  FileBlobWriter(const FileBlobWriter&) = delete;
  FileBlobWriter& operator=(const FileBlobWriter&) = delete;
  ~FileBlobWriter() override { discard(); }

  Status append(std::string_view bytes) override {
    if (fd_ < 0) return spent();
    if (bytes.size() > maxBytes_ - size_) {
      discard();
      Error e = Error::make(ErrorKind::kTooLarge, "blob-too-large",
                            "The document is larger than the " + std::to_string(maxBytes_) +
                                "-byte limit.");
      e.detail = "append of " + std::to_string(bytes.size()) + " bytes after " +
                 std::to_string(size_);
      return e;
    }
    if (EVP_DigestUpdate(sha256_.get(), bytes.data(), bytes.size()) != 1 ||
        EVP_DigestUpdate(sha1_.get(), bytes.data(), bytes.size()) != 1) {
      discard();
      return Error::internal("EVP_DigestUpdate failed");
    }
    size_ += bytes.size();
    if (buffer_.size() + bytes.size() <= kWriteBuffer) {
      buffer_.append(bytes);
      if (buffer_.size() == kWriteBuffer) return flush();
      return Status::ok();
    }
    MES_RETURN_IF_ERROR(flush());
    if (bytes.size() >= kWriteBuffer) return fail(writeAll(fd_, bytes.data(), bytes.size(), temp_));
    buffer_.append(bytes);
    return Status::ok();
  }

  uint64_t size() const override { return size_; }

  Result<std::unique_ptr<StagedBlob>> finish() override {
    if (fd_ < 0) return spent();
    MES_RETURN_IF_ERROR(flush());
    if (::fsync(fd_) != 0) return fail(unavailable("fsync " + temp_.string(), errno));
    if (::close(fd_) != 0) {
      fd_ = -1;
      const int err = errno;
      discard();
      return unavailable("close " + temp_.string(), err);
    }
    fd_ = -1;
    unsigned char sha256[EVP_MAX_MD_SIZE];
    unsigned char sha1[EVP_MAX_MD_SIZE];
    unsigned int n256 = 0;
    unsigned int n1 = 0;
    if (EVP_DigestFinal_ex(sha256_.get(), sha256, &n256) != 1 ||
        EVP_DigestFinal_ex(sha1_.get(), sha1, &n1) != 1 || n256 != 32 || n1 != 20) {
      discard();
      return Error::internal("EVP_DigestFinal_ex failed");
    }
    BlobDigest digest;
    digest.sha256 = hex(sha256, n256);
    digest.sha1.assign(reinterpret_cast<const char*>(sha1), n1);
    digest.size = size_;
    auto staged = std::make_unique<FileStagedBlob>(storeDir_, temp_, std::move(digest));
    temp_.clear();  // the staged blob owns the file now
    return std::unique_ptr<StagedBlob>(std::move(staged));
  }

 private:
  Status flush() {
    if (buffer_.empty()) return Status::ok();
    Status s = writeAll(fd_, buffer_.data(), buffer_.size(), temp_);
    buffer_.clear();
    return fail(std::move(s));
  }
  // Passes `s` through; a failure first discards the writer.
  Status fail(Status s) {
    if (!s.isOk()) discard();
    return s;
  }
  void discard() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_.empty()) ::unlink(temp_.c_str());
    temp_.clear();
    buffer_.clear();
  }

  std::filesystem::path storeDir_;
  std::filesystem::path temp_;
  int fd_;
  uint64_t maxBytes_;
  MdCtx sha256_;
  MdCtx sha1_;
  uint64_t size_ = 0;
  std::string buffer_;
};

class FileBlobReader final : public BlobReader {
 public:
  FileBlobReader(int fd, uint64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  FileBlobReader(const FileBlobReader&) = delete;
  FileBlobReader& operator=(const FileBlobReader&) = delete;
  ~FileBlobReader() override { ::close(fd_); }

  uint64_t size() const override { return size_; }

  Result<size_t> read(char* buffer, size_t capacity) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, capacity);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return unavailable("read " + path_, errno);
    }
  }

 private:
  int fd_;
  uint64_t size_;
  std::string path_;
};

// Opens a stored blob read-only; kNotFound when absent.
Result<std::pair<int, uint64_t>> openBlob(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return notFound();
    return unavailable("open " + path.string(), errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    ::close(fd);
    return unavailable("fstat " + path.string(), err != 0 ? err : EINVAL);
  }
  return std::pair<int, uint64_t>{fd, static_cast<uint64_t>(st.st_size)};
}

bool isHexPair(const std::string& s) {
  return s.size() == 2 && isBlobName(s + std::string(62, '0'));
}

}  // namespace

Result<std::unique_ptr<FileBlobStore>> FileBlobStore::open(const std::filesystem::path& directory,
                                                           const Clock& clock,
                                                           FileBlobStoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    Error e = Error::make(ErrorKind::kUnavailable, "blob-store-unavailable",
                          "Cannot create the blob directory " + directory.string() + ".");
    e.detail = ec.message();
    return e;
  }
  std::filesystem::permissions(directory, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  bool created = false;
  MES_RETURN_IF_ERROR(makeDirectory(directory / "tmp", created));
  return std::unique_ptr<FileBlobStore>(new FileBlobStore(directory, clock, options));
}

std::filesystem::path FileBlobStore::pathOf(std::string_view sha256) const {
  return directory_ / std::string(sha256.substr(0, 2)) / std::string(sha256);
}

Result<std::unique_ptr<BlobWriter>> FileBlobStore::begin() {
  auto sha256 = newDigest(EVP_sha256());
  if (!sha256) return sha256.takeError();
  auto sha1 = newDigest(EVP_sha1());
  if (!sha1) return sha1.takeError();
  RandomIdGenerator random;
  for (int attempt = 0;; ++attempt) {
    std::filesystem::path temp = tempDirectory() / (random.next() + ".tmp");
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      if (errno == EEXIST && attempt < 3) continue;
      return unavailable("open " + temp.string(), errno);
    }
    ::fchmod(fd, 0600);  // whatever the umask
    return std::unique_ptr<BlobWriter>(std::make_unique<FileBlobWriter>(
        directory_, std::move(temp), fd, options_.maxBlobBytes, std::move(*sha256),
        std::move(*sha1)));
  }
}

Result<BlobDigest> FileBlobStore::put(std::string_view bytes) {
  auto writer = begin();
  if (!writer) return writer.takeError();
  MES_RETURN_IF_ERROR((*writer)->append(bytes));
  auto staged = (*writer)->finish();
  if (!staged) return staged.takeError();
  MES_RETURN_IF_ERROR((*staged)->commit());
  return (*staged)->digest();
}

Result<std::unique_ptr<BlobReader>> FileBlobStore::open(std::string_view sha256) const {
  if (!isBlobName(sha256)) return badName();
  const std::filesystem::path path = pathOf(sha256);
  auto opened = openBlob(path);
  if (!opened) return opened.takeError();
  return std::unique_ptr<BlobReader>(
      std::make_unique<FileBlobReader>(opened->first, opened->second, path.string()));
}

Result<std::string> FileBlobStore::readAll(std::string_view sha256, uint64_t maxBytes) const {
  auto reader = open(sha256);
  if (!reader) return reader.takeError();
  const uint64_t size = (*reader)->size();
  if (size > maxBytes) {
    return Error::internal("readAll of a " + std::to_string(size) + "-byte blob, limit " +
                           std::to_string(maxBytes));
  }
  std::string out(static_cast<size_t>(size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    auto n = (*reader)->read(out.data() + got, out.size() - got);
    if (!n) return n.takeError();
    if (*n == 0) return Error::internal("blob " + std::string(sha256) + " shrank while read");
    got += *n;
  }
  return out;
}

Result<uint64_t> FileBlobStore::size(std::string_view sha256) const {
  if (!isBlobName(sha256)) return badName();
  struct stat st {};
  const std::filesystem::path path = pathOf(sha256);
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return notFound();
    return unavailable("stat " + path.string(), errno);
  }
  if (!S_ISREG(st.st_mode)) return notFound();
  return static_cast<uint64_t>(st.st_size);
}

Result<bool> FileBlobStore::exists(std::string_view sha256) const {
  auto s = size(sha256);
  if (s) return true;
  if (s.error().kind == ErrorKind::kNotFound) return false;
  return s.takeError();
}

Result<std::vector<std::string>> FileBlobStore::list() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator top(directory_, ec), end; !ec && top != end;
       top.increment(ec)) {
    const std::string prefix = top->path().filename().string();
    if (!isHexPair(prefix) || !top->is_directory(ec)) continue;
    for (std::filesystem::directory_iterator it(top->path(), ec); !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (isBlobName(name) && name.compare(0, 2, prefix) == 0 && it->is_regular_file(ec)) {
        names.push_back(name);
      }
    }
  }
  if (ec) return unavailable("list " + directory_.string(), ec.value());
  std::sort(names.begin(), names.end());
  return names;
}

Result<size_t> FileBlobStore::removeStaleTemps(int64_t olderThanMs) {
  const int64_t cutoff = clock_.nowMs() - olderThanMs;
  size_t removed = 0;
  std::error_code ec;
  const std::filesystem::path dir = tempDirectory();
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    const int64_t mtimeMs =
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (mtimeMs > cutoff) continue;
    if (::unlink(it->path().c_str()) == 0) {
      ++removed;
    } else if (errno != ENOENT) {
      return unavailable("unlink " + it->path().string(), errno);
    }
  }
  if (ec) return unavailable("list " + dir.string(), ec.value());
  return removed;
}

}  // namespace mes::blob
