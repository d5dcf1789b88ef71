#include "connectors/audit/file_audit_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "core/clock.h"

namespace mes::audit {
namespace {

constexpr std::string_view kMagic = "MESAUDJ1";
constexpr size_t kIdLength = 32;
constexpr size_t kHeaderSize = kMagic.size() + 8;
// Format 2 appends the actor to format 1's strings; both are read.
constexpr uint8_t kFormat = 2;
constexpr uint8_t kFormatWithoutActor = 1;
constexpr uint32_t kMaxPayload = 1 << 20;  // an entry is a few hundred bytes

Error ioError(const std::string& what, int err) {
  Error e = Error::make(ErrorKind::kUnavailable, "audit-journal-unavailable",
                        "The audit journal cannot be written.");
  e.detail = what + ": " + std::strerror(err);
  return e;
}

Error corrupt(const std::string& path, const std::string& why) {
  return Error::internal("audit journal " + path + ": " + why);
}

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32).
uint32_t crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return table;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : bytes) crc = kTable[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

void putU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
void putU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
void putString(std::string& out, const std::string& s) {
  putU32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// The strings of an entry in file order.
template <typename Entry, typename F>
void forEachString(Entry& e, F&& f) {
  for (auto* s : {&e.category, &e.action, &e.subtype, &e.outcomeCode, &e.outcomeText,
                  &e.patientId, &e.clientId, &e.serviceName, &e.serviceOid, &e.resource,
                  &e.query, &e.sourceAddress, &e.requestId}) {
    f(*s);
  }
}

void appendRecord(std::string& out, const store::AuditEntry& e) {
  std::string payload;
  payload.reserve(256);
  payload.push_back(static_cast<char>(kFormat));
  putU64(payload, static_cast<uint64_t>(e.recordedMs));
  payload.push_back(e.success ? 1 : 0);
  putU32(payload, static_cast<uint32_t>(e.httpStatus));
  forEachString(e, [&](const std::string& s) { putString(payload, s); });
  putString(payload, e.actor);
  putU32(out, static_cast<uint32_t>(payload.size()));
  putU32(out, crc32(payload));
  out += payload;
}

// Reads little-endian fields from a byte range; any read past the end marks it failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  uint64_t u64() { return unsignedOf(8); }
  uint32_t u32() { return static_cast<uint32_t>(unsignedOf(4)); }
  uint8_t u8() { return static_cast<uint8_t>(unsignedOf(1)); }
  std::string string() {
    const uint32_t n = u32();
    if (failed_ || n > bytes_.size() - at_) {
      failed_ = true;
      return {};
    }
    std::string s(bytes_.substr(at_, n));
    at_ += n;
    return s;
  }
  bool ok() const { return !failed_; }
  bool atEnd() const { return at_ == bytes_.size(); }

 private:
  uint64_t unsignedOf(size_t n) {
    if (failed_ || n > bytes_.size() - at_) {
      failed_ = true;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v |= uint64_t{static_cast<unsigned char>(bytes_[at_ + i])} << (8 * i);
    }
    at_ += n;
    return v;
  }
  std::string_view bytes_;
  size_t at_ = 0;
  bool failed_ = false;
};

bool parsePayload(std::string_view payload, store::AuditEntry& e) {
  Reader r(payload);
  const uint8_t format = r.u8();
  if (format != kFormat && format != kFormatWithoutActor) return false;
  e.recordedMs = static_cast<int64_t>(r.u64());
  const uint8_t success = r.u8();
  e.success = success == 1;
  e.httpStatus = static_cast<int>(r.u32());
  forEachString(e, [&](std::string& s) { s = r.string(); });
  e.actor = format == kFormat ? r.string() : std::string();
  return r.ok() && r.atEnd() && success <= 1;
}

Status writeAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("write " + path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Status syncDirectory(const std::filesystem::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ioError("open " + directory.string(), errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ioError("fsync " + directory.string(), err);
  return Status::ok();
}

std::string headerOf(int64_t generation) {
  std::string header(kMagic);
  putU64(header, static_cast<uint64_t>(generation));
  return header;
}

// Creates a journal file (header only), durably: written, fsynced, directory fsynced. Returns
// its descriptor, open for appending.
Result<int> createFile(const std::filesystem::path& path, int64_t generation) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return ioError("create " + path.string(), errno);
  Status written = writeAll(fd, headerOf(generation), path.string());
  if (written && ::fsync(fd) != 0) written = ioError("fsync " + path.string(), errno);
  if (written) written = syncDirectory(path.parent_path());
  if (!written) {
    ::close(fd);
    ::unlink(path.c_str());
    return written.takeError();
  }
  return fd;
}

// A journal file's first kHeaderSize bytes (fewer when it is shorter) and its bytes from
// `from` to the end (none when `from` is past the end: the caller checks it against size).
struct FileBytes {
  std::string header;
  std::string tail;  // from `from`
  uint64_t size = 0;
};

Result<FileBytes> readJournal(const std::filesystem::path& path, uint64_t from) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ioError("open " + path.string(), errno);
  FileBytes out;
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    return ioError(std::string(what) + " " + path.string(), err);
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("stat");
  out.size = static_cast<uint64_t>(st.st_size);
  out.header.resize(kHeaderSize);
  const ssize_t got = ::pread(fd, out.header.data(), kHeaderSize, 0);
  if (got < 0) return fail("read");
  out.header.resize(static_cast<size_t>(got));
  const uint64_t at = std::min(std::max<uint64_t>(from, kHeaderSize), out.size);
  out.tail.resize(static_cast<size_t>(out.size - at));
  size_t done = 0;
  while (done < out.tail.size()) {
    const ssize_t n = ::pread(fd, out.tail.data() + done, out.tail.size() - done,
                              static_cast<off_t>(at + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("read");
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.tail.resize(done);
  ::close(fd);
  return out;
}

}  // namespace

FileAuditJournal::FileAuditJournal(std::filesystem::path directory, store::AuditLog& log,
                                   JournalOptions options)
    : directory_(std::move(directory)), log_(log), options_(options) {}

Result<std::unique_ptr<FileAuditJournal>> FileAuditJournal::open(
    const std::filesystem::path& directory, store::AuditLog& log, JournalOptions options) {
  if (options.importBatch == 0 || options.maxPending == 0) {
    return Error::internal("audit journal: importBatch and maxPending must be positive");
  }
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return ioError("create " + directory.string(), ec.value());
  ::chmod(directory.c_str(), 0700);
  std::unique_ptr<FileAuditJournal> journal(new FileAuditJournal(directory, log, options));
  MES_RETURN_IF_ERROR(journal->start());
  journal->importer_ = std::thread([j = journal.get()] { j->runImporter(); });
  return journal;
}

FileAuditJournal::~FileAuditJournal() { (void)close(); }

std::filesystem::path FileAuditJournal::fileOf(int slot, int64_t generation) const {
  return directory_ / ("journal-" + std::to_string(slot) + "." + std::to_string(generation));
}

std::filesystem::path FileAuditJournal::currentFile() const {
  return fileOf(slot_, generation());
}

namespace {

// Opens (creating) a slot's lock file and tries to lock it without waiting. Returns the
// descriptor, or -1 when another process holds it.
Result<int> lockSlot(const std::filesystem::path& lockPath) {
  const int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ioError("open " + lockPath.string(), errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return -1;
    return ioError("lock " + lockPath.string(), err);
  }
  return fd;
}

// The slot's journal id, kept in its lock file; chosen and written on first use.
Result<std::string> slotId(int lockFd, const std::filesystem::path& lockPath) {
  std::array<char, kIdLength + 1> buffer{};
  const ssize_t n = ::pread(lockFd, buffer.data(), buffer.size(), 0);
  if (n < 0) return ioError("read " + lockPath.string(), errno);
  if (static_cast<size_t>(n) == kIdLength) return std::string(buffer.data(), kIdLength);
  if (n != 0) return corrupt(lockPath.string(), "the slot's journal id is malformed");
  RandomIdGenerator ids;
  std::string id = ids.next();
  if (::pwrite(lockFd, id.data(), id.size(), 0) != static_cast<ssize_t>(id.size()) ||
      ::fsync(lockFd) != 0) {
    return ioError("write " + lockPath.string(), errno);
  }
  return id;
}

// The generations of a slot's files, ascending.
std::vector<int64_t> generationsOf(const std::filesystem::path& directory, int slot) {
  const std::string prefix = "journal-" + std::to_string(slot) + ".";
  std::vector<int64_t> out;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(directory, ec)) {
    const std::string name = item.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    if (rest.empty() || rest.size() > 18 ||
        rest.find_first_not_of("0123456789") != std::string::npos) {
      continue;  // the .lock file, or something that is not ours
    }
    out.push_back(std::stoll(rest));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Status FileAuditJournal::start() {
  for (int slot = 1; slot <= kMaxSlots && lockFd_ < 0; ++slot) {
    auto fd = lockSlot(directory_ / ("journal-" + std::to_string(slot) + ".lock"));
    if (!fd) return fd.takeError();
    if (*fd < 0) continue;
    lockFd_ = *fd;
    slot_ = slot;
  }
  if (lockFd_ < 0) {
    return Error::make(ErrorKind::kUnavailable, "audit-journal-busy",
                       "Every audit journal slot under " + directory_.string() +
                           " is held by another process.");
  }
  auto id = slotId(lockFd_, directory_ / ("journal-" + std::to_string(slot_) + ".lock"));
  if (!id) return id.takeError();
  id_ = std::move(*id);

  auto mine = recoverSlot(slot_, id_);
  if (!mine) return mine.takeError();
  recovery_.replayed += mine->entries.size();
  if (mine->generation == 0) {
    auto mark = log_.journalMark(id_);
    if (!mark) return mark.takeError();
    const int64_t generation = *mark ? (*mark)->generation + 1 : 1;
    auto fd = createFile(fileOf(slot_, generation), generation);
    if (!fd) return fd.takeError();
    fd_ = *fd;
    generation_ = generation;
    size_ = kHeaderSize;
  } else {
    const std::filesystem::path current = fileOf(slot_, mine->generation);
    fd_ = ::open(current.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) return ioError("open " + current.string(), errno);
    generation_ = mine->generation;
    size_ = mine->size;
  }
  appended_ = mine->entries.size();
  pending_ = std::move(mine->entries);
  // Everything found is in the log before the process serves anything.
  MES_RETURN_IF_ERROR(importUntil(appended_));
  removeOlderFiles(slot_, generation());

  // The slots of processes that are gone.
  for (int slot = 1; slot <= kMaxSlots; ++slot) {
    if (slot == slot_) continue;
    const std::filesystem::path lockPath = directory_ / ("journal-" + std::to_string(slot) + ".lock");
    if (!std::filesystem::exists(lockPath)) continue;
    auto fd = lockSlot(lockPath);
    if (!fd) return fd.takeError();
    if (*fd < 0) continue;  // in use
    Status swept = [&]() -> Status {
      auto other = slotId(*fd, lockPath);
      if (!other) return other.takeError();
      auto found = recoverSlot(slot, *other);
      if (!found) return found.takeError();
      recovery_.replayed += found->entries.size();
      MES_RETURN_IF_ERROR(importAll(*other, found->entries));
      removeOlderFiles(slot, found->generation);
      return Status::ok();
    }();
    ::close(*fd);  // releases the lock
    MES_RETURN_IF_ERROR(swept);
  }
  return Status::ok();
}

Result<FileAuditJournal::Recovered> FileAuditJournal::recoverSlot(int slot,
                                                                  const std::string& id) {
  auto mark = log_.journalMark(id);
  if (!mark) return mark.takeError();
  Recovered out;
  for (int64_t generation : generationsOf(directory_, slot)) {
    const std::filesystem::path path = fileOf(slot, generation);
    if (*mark && generation < (*mark)->generation) {
      ::unlink(path.c_str());  // fully imported (a later generation holds the mark)
      continue;
    }
    // Only what follows the mark is read: the file may be tens of megabytes already imported.
    const bool resumes = *mark && generation == (*mark)->generation;
    const uint64_t markOffset = resumes ? static_cast<uint64_t>((*mark)->offset) : kHeaderSize;
    auto bytes = readJournal(path, markOffset);
    if (!bytes) return bytes.takeError();
    const std::string_view header(bytes->header);
    if (header.size() < kHeaderSize || header.substr(0, kMagic.size()) != kMagic ||
        static_cast<int64_t>(Reader(header.substr(kMagic.size(), 8)).u64()) != generation) {
      return corrupt(path.string(), "not an audit journal of generation " +
                                        std::to_string(generation) + " (bad header)");
    }
    if (markOffset < kHeaderSize || markOffset > bytes->size) {
      return corrupt(path.string(), "the log's mark (offset " + std::to_string(markOffset) +
                                        ") is outside the file (" + std::to_string(bytes->size) +
                                        " bytes)");
    }
    const std::string_view tail(bytes->tail);
    size_t pos = 0;  // in tail; the file offset is markOffset + pos
    while (pos < tail.size()) {
      Reader frame(tail.substr(pos, 8));
      const uint32_t length = frame.u32();
      const uint32_t crc = frame.u32();
      if (!frame.ok() || length > kMaxPayload || length > tail.size() - pos - 8) break;
      const std::string_view payload = tail.substr(pos + 8, length);
      Pending p{{}, generation, 0};
      if (crc32(payload) != crc || !parsePayload(payload, p.entry)) break;
      pos += 8 + length;
      p.endOffset = markOffset + pos;
      out.entries.push_back(std::move(p));
    }
    const uint64_t at = markOffset + pos;
    if (at < bytes->size) {
      recovery_.droppedBytes += bytes->size - at;
      if (::truncate(path.c_str(), static_cast<off_t>(at)) != 0) {
        return ioError("truncate " + path.string(), errno);
      }
    }
    out.generation = generation;
    out.size = at;
  }
  return out;
}

Status FileAuditJournal::importAll(const std::string& id, std::deque<Pending>& entries) {
  while (!entries.empty()) {
    const size_t n = std::min(options_.importBatch, entries.size());
    std::vector<store::AuditEntry*> batch;
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) batch.push_back(&entries[i].entry);
    const Pending& last = entries[n - 1];
    MES_RETURN_IF_ERROR(log_.appendImported(
        batch, id, store::JournalMark{last.generation, static_cast<int64_t>(last.endOffset)}));
    entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return Status::ok();
}

void FileAuditJournal::removeOlderFiles(int slot, int64_t generation) const {
  for (int64_t older : generationsOf(directory_, slot)) {
    if (older < generation) ::unlink(fileOf(slot, older).c_str());
  }
}

Status FileAuditJournal::append(const std::vector<store::AuditEntry*>& entries) {
  if (entries.empty()) return Status::ok();
  std::string bytes;
  bytes.reserve(entries.size() * 320);
  std::vector<uint64_t> ends;
  ends.reserve(entries.size());
  for (const store::AuditEntry* e : entries) {
    appendRecord(bytes, *e);
    ends.push_back(bytes.size());
  }
  std::lock_guard lock(appendMutex_);
  if (closed_) {
    return Error::make(ErrorKind::kUnavailable, "audit-journal-closed",
                       "The audit journal is closed.");
  }
  {
    std::lock_guard pendingLock(pendingMutex_);
    if (pending_.size() + entries.size() > options_.maxPending) {
      Error e = Error::make(ErrorKind::kUnavailable, "audit-journal-unavailable",
                            "The audit journal is full.");
      e.detail = "audit journal: " + std::to_string(pending_.size()) +
                 " entries wait for the audit log; is the store unavailable?";
      return e;
    }
  }
  Status written = writeAll(fd_, bytes, currentFile().string());
  if (written && options_.syncEachAppend && ::fdatasync(fd_) != 0) {
    written = ioError("fdatasync " + currentFile().string(), errno);
  }
  if (!written) {
    // Cut what may have been half written, so that the next record starts on a boundary.
    (void)::ftruncate(fd_, static_cast<off_t>(size_));
    return written;
  }
  const uint64_t base = size_;
  size_ += bytes.size();
  bool wake = false;
  {
    std::lock_guard pendingLock(pendingMutex_);
    const bool wasEmpty = pending_.empty();
    for (size_t i = 0; i < entries.size(); ++i) {
      Pending p{std::move(*entries[i]), generation(), base + ends[i]};
      p.entry.seq = 0;
      pending_.push_back(std::move(p));
    }
    appended_ += entries.size();
    wake = wasEmpty || pending_.size() >= options_.importBatch;
  }
  if (wake) wake_.notify_one();
  return Status::ok();
}

Status FileAuditJournal::importSome(size_t limit, size_t& imported) {
  imported = 0;
  std::vector<store::AuditEntry*> batch;
  store::JournalMark mark;
  {
    // Elements of a deque stay where they are while others push_back, and only this
    // (importMutex_-holding) code pops: the pointers stay valid without the lock.
    std::lock_guard lock(pendingMutex_);
    const size_t n = std::min(limit, pending_.size());
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) batch.push_back(&pending_[i].entry);
    if (n > 0) {
      mark.generation = pending_[n - 1].generation;
      mark.offset = static_cast<int64_t>(pending_[n - 1].endOffset);
    }
  }
  if (batch.empty()) return Status::ok();
  MES_RETURN_IF_ERROR(log_.appendImported(batch, id_, mark));
  std::lock_guard lock(pendingMutex_);
  for (size_t i = 0; i < batch.size(); ++i) pending_.pop_front();
  imported_ += batch.size();
  imported = batch.size();
  return Status::ok();
}

Status FileAuditJournal::importUntil(uint64_t target) {
  std::lock_guard lock(importMutex_);
  for (;;) {
    {
      std::lock_guard pendingLock(pendingMutex_);
      if (imported_ >= target) break;
    }
    size_t imported = 0;
    MES_RETURN_IF_ERROR(importSome(options_.importBatch, imported));
    if (imported == 0) break;
  }
  return rotateIfDue();
}

Status FileAuditJournal::drain() {
  uint64_t target = 0;
  {
    std::lock_guard lock(pendingMutex_);
    target = appended_;
  }
  return importUntil(target);
}

// With importMutex_ held.
Status FileAuditJournal::rotateIfDue() {
  std::lock_guard lock(appendMutex_);
  if (closed_ || size_ <= options_.rotateBytes) return Status::ok();
  {
    std::lock_guard pendingLock(pendingMutex_);
    if (!pending_.empty()) return Status::ok();
  }
  // Everything of this generation is in the log (its mark says so): the next file starts
  // over. A crash before the new file exists leaves the old one, fully imported; after, the
  // new generation is replayed from its start and the old one is removed at the next open.
  const int64_t next = generation() + 1;
  auto fd = createFile(fileOf(slot_, next), next);
  if (!fd) return fd.takeError();
  ::close(fd_);
  fd_ = *fd;
  const int64_t previous = generation();
  generation_ = next;
  size_ = kHeaderSize;
  ::unlink(fileOf(slot_, previous).c_str());
  return Status::ok();
}

size_t FileAuditJournal::pending() const {
  std::lock_guard lock(pendingMutex_);
  return pending_.size();
}

void FileAuditJournal::setImportErrorHandler(std::function<void(const Error&)> handler) {
  std::lock_guard lock(pendingMutex_);
  onImportError_ = std::move(handler);
}

void FileAuditJournal::runImporter() {
  std::unique_lock lock(pendingMutex_);
  while (!stopping_) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_) break;
    // Gather: a full batch, or whatever came within the interval.
    wake_.wait_for(lock, options_.importInterval,
                   [this] { return stopping_ || pending_.size() >= options_.importBatch; });
    if (stopping_) break;
    const uint64_t target = appended_;
    lock.unlock();
    Status imported = importUntil(target);
    lock.lock();
    if (!imported) {
      if (onImportError_) {
        auto handler = onImportError_;
        lock.unlock();
        handler(imported.error());
        lock.lock();
      }
      // The log is failing: retry in a while rather than spin.
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  }
}

Status FileAuditJournal::close() {
  {
    std::lock_guard lock(pendingMutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (importer_.joinable()) importer_.join();
  {
    std::lock_guard lock(appendMutex_);
    if (closed_) return Status::ok();
  }
  Status drained = drain();
  std::lock_guard lock(appendMutex_);
  closed_ = true;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (lockFd_ >= 0) {
    ::close(lockFd_);  // releases the slot
    lockFd_ = -1;
  }
  return drained;
}

}  // namespace mes::audit
