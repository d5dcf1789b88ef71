// The audit journal: a durable local file in front of the audit log, so that tracing every
// request costs one write() per group commit instead of one database transaction.
//
// Why. Every /fhir request is audited and its entry must be durable before the response is
// sent (a crash may not leave an answered, untraced read). Committing each group of entries
// as a database transaction cost more than the request itself (SQLite: BEGIN IMMEDIATE, the
// WAL frames of two B-trees, the wal-index and file locks, ~40 % of the gateway's CPU on
// authenticated reads). Appending the group to this file is as durable as that commit was:
//  - process crash (kill -9): what write() returned is in the kernel's page cache and is
//    found again at restart, exactly as SQLite's WAL under synchronous=NORMAL;
//  - power loss: with syncEachAppend (the gateway sets it for store.synchronous=full) every
//    append is fdatasync'ed before it returns, as SQLite's synchronous=FULL fsyncs its WAL.
// A background thread then imports the entries into the AuditLog in large transactions, each
// one recording the journal position it reached (AuditLog::appendImported), so a crash at any
// point imports every entry exactly once at the next start.
//
// Reading the trail. The log lags the journal by at most the import interval; a caller that
// must see everything appended so far (the activity page, the first-access lookup) calls
// drain() first, which imports synchronously.
//
// Files, under <directory> (0700; files 0600). Several processes may open journals on one
// data directory (the server and a CLI command, two servers on one SQLite file): each takes
// its own *slot*, the first whose lock it can hold, so no two processes ever append to or
// import the same journal.
//   journal-<slot>.lock   flock()ed by the process that owns the slot, for as long as it has
//                         it open; holds the slot's journal id (32 hex digits, random, chosen
//                         when the slot is first used: the key of its mark in the log, so the
//                         journals of several processes or machines can share one log)
//   journal-<slot>.<gen>  the entries, generation <gen> (decimal): header "MESAUDJ1" + the
//                         generation (8 bytes little endian), then records: u32 payload length,
//                         u32 CRC-32 of the payload, payload (little endian): format byte 1,
//                         i64 recordedMs, u8 success, i32 httpStatus, then 13 strings (u32
//                         length + bytes) in AuditEntry order: category, action, subtype,
//                         outcomeCode, outcomeText, patientId, clientId, serviceName,
//                         serviceOid, resource, query, sourceAddress, requestId.
// Once everything is imported and the current file is larger than rotateBytes, generation + 1
// starts (created and fsynced first, then the old file removed). Recovery, for a slot: files
// older than the mark's generation were fully imported and are removed, the mark's own
// generation resumes after the mark's offset, newer ones are replayed from their first record
// (entries are imported in order, so a mark in generation g+1 means all of g was imported). A
// torn or corrupt tail (an append cut by a power loss, never acknowledged) is cut off and
// reported in recovery(). open() also recovers the slots no running process holds (left by a
// process that crashed), so their entries reach the log at the next start of any process.
//
// Thread-safe. Errors: kUnavailable "audit-journal-unavailable" for I/O failures (the system
// error in detail), the log's errors as it gives them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/store/audit_log.h"
#include "core/status.h"

namespace mes::audit {

struct JournalOptions {
  bool syncEachAppend = false;  // fdatasync after every append (power-loss durability)
  size_t importBatch = 2048;    // entries per import transaction, >= 1
  // The importer runs when importBatch entries are waiting, or this long after the first one.
  std::chrono::milliseconds importInterval{20};
  uint64_t rotateBytes = uint64_t{16} << 20;  // a fully imported file larger than this restarts
  // Entries appended but not yet imported; past it append() refuses (the log is down: answer
  // 503 rather than grow without bound).
  size_t maxPending = 200000;
};

// What open() found.
struct JournalRecovery {
  uint64_t replayed = 0;      // entries the log had not imported, imported at open (every slot)
  uint64_t droppedBytes = 0;  // torn or corrupt tails cut off
};

class FileAuditJournal final : public store::AuditJournal {
 public:
  // Takes the first free slot under `directory` (creating it when absent), imports into `log`
  // what it and every other free slot hold that the log has not imported yet, and starts the
  // importer. kUnavailable "audit-journal-busy" when all kMaxSlots slots are held. `log` must
  // outlive the journal.
  static Result<std::unique_ptr<FileAuditJournal>> open(const std::filesystem::path& directory,
                                                        store::AuditLog& log,
                                                        JournalOptions options = {});
  static constexpr int kMaxSlots = 64;
  ~FileAuditJournal() override;  // close(), ignoring its status
  FileAuditJournal(const FileAuditJournal&) = delete;
  FileAuditJournal& operator=(const FileAuditJournal&) = delete;

  // Appends the entries (one write) and returns once they are durable as described above.
  // Their seq stays 0: the log numbers them when it imports them. An empty list is ok.
  Status append(const std::vector<store::AuditEntry*>& entries) override;
  // Imports, before returning, every entry appended before the call.
  Status drain() override;
  // No fdatasync per append (syncEachAppend off).
  bool appendsAreCheap() const override { return !options_.syncEachAppend; }
  // Stops the importer, imports what is left and closes the file. Idempotent; append() fails
  // afterwards with kUnavailable "audit-journal-closed".
  Status close();

  // Called from the importer thread when a background import fails (it retries later).
  void setImportErrorHandler(std::function<void(const Error&)> handler);

  const JournalRecovery& recovery() const { return recovery_; }
  const std::string& id() const { return id_; }
  int slot() const { return slot_; }
  int64_t generation() const { return generation_.load(); }
  size_t pending() const;
  // The file appended to now.
  std::filesystem::path currentFile() const;

 private:
  struct Pending {
    store::AuditEntry entry;
    int64_t generation;  // of the file holding its record
    uint64_t endOffset;  // offset just after its record in that file
  };
  FileAuditJournal(std::filesystem::path directory, store::AuditLog& log, JournalOptions options);
  // Claims a slot and recovers it; then sweeps the free ones.
  Status start();
  // The entries of the slot's files that the log has not imported, in order, and the newest
  // file (generation, valid size; generation 0 when the slot has no file). Files fully
  // imported are removed; torn tails are cut off (counted in recovery_).
  struct Recovered {
    std::deque<Pending> entries;
    int64_t generation = 0;
    uint64_t size = 0;
  };
  Result<Recovered> recoverSlot(int slot, const std::string& id);
  // Imports `entries` of journal `id` into the log, in batches, each with its mark.
  Status importAll(const std::string& id, std::deque<Pending>& entries);
  // Imports up to `limit` pending entries in one transaction; how many in `imported`.
  Status importSome(size_t limit, size_t& imported);
  // Removes the slot's files older than `generation`.
  void removeOlderFiles(int slot, int64_t generation) const;
  Status importUntil(uint64_t target);
  Status rotateIfDue();
  void runImporter();
  std::filesystem::path fileOf(int slot, int64_t generation) const;

  const std::filesystem::path directory_;
  store::AuditLog& log_;
  const JournalOptions options_;
  int slot_ = 0;
  int lockFd_ = -1;
  std::string id_;
  JournalRecovery recovery_;

  // Lock order: importMutex_, then appendMutex_, then pendingMutex_.
  std::mutex importMutex_;  // one import (or rotation) at a time
  std::mutex appendMutex_;  // fd_, size_, generation_ (writes), closed_
  int fd_ = -1;
  uint64_t size_ = 0;
  std::atomic<int64_t> generation_{0};
  bool closed_ = false;

  mutable std::mutex pendingMutex_;  // pending_, appended_, imported_, stopping_
  std::condition_variable wake_;
  std::deque<Pending> pending_;  // appended or recovered, not yet imported, in order
  uint64_t appended_ = 0;        // entries appended since open (recovered ones included)
  uint64_t imported_ = 0;        // of those, imported
  bool stopping_ = false;
  std::function<void(const Error&)> onImportError_;
  std::thread importer_;
};

}  // namespace mes::audit
