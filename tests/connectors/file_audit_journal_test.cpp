// The audit journal (connectors/audit/file_audit_journal.h) over the SQLite audit log: entries
// reach the log (drain, background import), a journal left with entries the log never got
// (a crash, a failing log) gives them to the log at the next open exactly once, torn and
// corrupt tails are cut, files rotate, and processes sharing a data directory each get their
// own slot while the slots of dead ones are swept.
#include "connectors/audit/file_audit_journal.h"

#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "connectors/sqlite/sqlite_audit_log.h"
#include "connectors/sqlite/sqlite_database.h"
#include "connectors/sqlite_inspect.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"

namespace {

using mes::audit::FileAuditJournal;
using mes::audit::JournalOptions;
using mes::store::AuditEntry;
using mes::store::AuditLog;
using mes::store::JournalMark;
using Status = mes::Status;

constexpr int64_t kT0 = 1'700'000'000'000;

AuditEntry entry(int n) {
  AuditEntry e;
  e.recordedMs = kT0 + n;
  e.category = "rest";
  e.action = "R";
  e.subtype = "read";
  e.success = n % 3 != 0;
  e.httpStatus = e.success ? 200 : 403;
  e.outcomeCode = e.success ? "" : "consent-missing";
  e.outcomeText = "accès n° " + std::to_string(n);  // UTF-8 kept as is
  e.patientId = "pat-1";
  e.clientId = "tensio";
  e.serviceName = "Tensio+";
  e.serviceOid = "urn:oid:1.2.250.1.999.1";
  e.resource = "Observation/o-" + std::to_string(n);
  e.query = n % 2 == 0 ? "code=http://loinc.org|29463-7" : "";
  e.sourceAddress = "127.0.0.1";
  e.requestId = "req-" + std::to_string(n);
  if (n % 3 == 1) {
    e.category = "registry";
    e.actor = "admin@ans.example";
  }
  return e;
}

// CRC-32 (IEEE, reflected), as the journal frames its records.
uint32_t crc32(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

std::string littleEndian(uint64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
  return out;
}

// The SQLite log, with a switch that makes imports fail (the store is down) without writing.
class SwitchableLog final : public AuditLog {
 public:
  explicit SwitchableLog(AuditLog& inner) : inner_(inner) {}
  std::atomic<bool> failing{false};
  std::atomic<int> imports{0};

  Status append(const std::vector<AuditEntry*>& entries) override { return inner_.append(entries); }
  Status appendImported(const std::vector<AuditEntry*>& entries, const std::string& journal,
                        const JournalMark& mark) override {
    if (failing) return mes::Error::internal("database is locked (test)");
    ++imports;
    return inner_.appendImported(entries, journal, mark);
  }
  mes::Result<std::optional<JournalMark>> journalMark(const std::string& journal) override {
    return inner_.journalMark(journal);
  }
  mes::Result<std::vector<AuditEntry>> forPatient(const std::string& patientId,
                                                  const std::string& clientId, int limit,
                                                  int offset) override {
    return inner_.forPatient(patientId, clientId, limit, offset);
  }
  mes::Result<bool> hasSucceeded(const std::string& patientId,
                                 const std::string& clientId) override {
    return inner_.hasSucceeded(patientId, clientId);
  }

 private:
  AuditLog& inner_;
};

struct World {
  World() : clock(kT0) {
    auto opened = mes::store::SqliteDatabase::open({dir.file("store.db")}, clock);
    if (!opened) throw std::runtime_error(opened.error().detail);
    database = std::move(*opened);
    auto log = mes::store::SqliteAuditLog::open(database);
    if (!log) throw std::runtime_error(log.error().detail);
    sqlite = std::move(*log);
    logs = std::make_unique<SwitchableLog>(*sqlite);
  }

  std::filesystem::path journalDir() const { return dir.path() / "audit"; }

  std::unique_ptr<FileAuditJournal> open(JournalOptions options = quiet()) {
    auto journal = FileAuditJournal::open(journalDir(), *logs, options);
    BOOST_REQUIRE_MESSAGE(journal.isOk(), (journal ? "" : journal.error().detail));
    return std::move(*journal);
  }

  // No background import within a test's lifetime: only drain() and open() import.
  static JournalOptions quiet() {
    JournalOptions o;
    o.importInterval = std::chrono::hours(1);
    o.importBatch = 1'000'000;
    return o;
  }

  void append(FileAuditJournal& journal, int from, int to) {
    std::vector<AuditEntry> entries;
    for (int n = from; n < to; ++n) entries.push_back(entry(n));
    std::vector<AuditEntry*> pointers;
    for (auto& e : entries) pointers.push_back(&e);
    Status s = journal.append(pointers);
    BOOST_REQUIRE_MESSAGE(s.isOk(), (s ? "" : s.error().detail));
    for (const auto& e : entries) BOOST_TEST(e.seq == 0);
  }

  // What the log holds, oldest first, seq cleared for comparison.
  std::vector<AuditEntry> stored() {
    auto rows = sqlite->forPatient("pat-1", "", 100000, 0);
    BOOST_REQUIRE(rows.isOk());
    std::vector<AuditEntry> out(rows->rbegin(), rows->rend());
    for (auto& e : out) e.seq = 0;
    return out;
  }

  void expectStored(int count) {
    const std::vector<AuditEntry> rows = stored();
    BOOST_TEST_REQUIRE(rows.size() == static_cast<size_t>(count));
    for (int n = 0; n < count; ++n) BOOST_TEST((rows[n] == entry(n)), "entry " << n);
  }

  mes::test::TempDir dir{"mes-audit-journal"};
  mes::ManualClock clock;
  std::shared_ptr<mes::store::SqliteDatabase> database;
  std::shared_ptr<mes::store::SqliteAuditLog> sqlite;
  std::unique_ptr<SwitchableLog> logs;
};

void appendBytes(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << bytes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_audit_journal)

BOOST_AUTO_TEST_CASE(appended_entries_reach_the_log_on_drain_field_for_field) {
  World w;
  auto journal = w.open();
  w.append(*journal, 0, 5);
  BOOST_TEST(journal->pending() == 5u);
  BOOST_TEST(w.stored().empty());  // durable in the journal, not yet in the log
  BOOST_REQUIRE(journal->drain().isOk());
  BOOST_TEST(journal->pending() == 0u);
  w.expectStored(5);
  // Imported in order, numbered by the log.
  auto rows = w.sqlite->forPatient("pat-1", "", 10, 0);
  BOOST_REQUIRE(rows.isOk());
  BOOST_TEST(rows->front().seq > rows->back().seq);
}

BOOST_AUTO_TEST_CASE(the_importer_moves_entries_without_being_asked) {
  World w;
  JournalOptions options;
  options.importInterval = std::chrono::milliseconds(5);
  auto journal = w.open(options);
  w.append(*journal, 0, 3);
  for (int i = 0; i < 400 && journal->pending() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  BOOST_TEST(journal->pending() == 0u);
  w.expectStored(3);
}

BOOST_AUTO_TEST_CASE(concurrent_appends_drains_and_imports_store_each_entry_once) {
  World w;
  JournalOptions options;
  options.importInterval = std::chrono::milliseconds(1);
  options.importBatch = 16;
  options.rotateBytes = 4096;  // rotations while others append
  auto journal = w.open(options);
  constexpr int kThreads = 6;
  constexpr int kPerThread = 150;
  std::atomic<int> failures{0};  // Boost.Test's checks are not for other threads
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditEntry e = entry(t * kPerThread + i);
        std::vector<AuditEntry*> one{&e};
        if (!journal->append(one).isOk()) ++failures;
        if (i % 50 == 0 && !journal->drain().isOk()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_REQUIRE(journal->drain().isOk());
  std::vector<AuditEntry> rows = w.stored();
  BOOST_TEST_REQUIRE(rows.size() == static_cast<size_t>(kThreads * kPerThread));
  std::sort(rows.begin(), rows.end(),
            [](const AuditEntry& a, const AuditEntry& b) { return a.recordedMs < b.recordedMs; });
  for (int n = 0; n < kThreads * kPerThread; ++n) BOOST_TEST((rows[n] == entry(n)), "entry " << n);
  BOOST_TEST(journal->generation() > 1);
}

BOOST_AUTO_TEST_CASE(entries_the_log_never_got_are_imported_once_at_the_next_open) {
  World w;
  {
    auto journal = w.open();
    w.append(*journal, 0, 2);
    BOOST_REQUIRE(journal->drain().isOk());
    w.append(*journal, 2, 6);
    w.logs->failing = true;  // the store goes down: nothing more is imported, not even at close
    BOOST_TEST(!journal->close().isOk());
  }
  w.expectStored(2);
  w.logs->failing = false;
  auto journal = w.open();
  BOOST_TEST(journal->recovery().replayed == 4u);
  BOOST_TEST(journal->recovery().droppedBytes == 0u);
  w.expectStored(6);
  // And reopening again imports nothing twice.
  BOOST_REQUIRE(journal->close().isOk());
  auto again = w.open();
  BOOST_TEST(again->recovery().replayed == 0u);
  w.expectStored(6);
}

BOOST_AUTO_TEST_CASE(a_torn_tail_is_cut_and_appending_goes_on) {
  World w;
  std::filesystem::path file;
  {
    auto journal = w.open();
    w.append(*journal, 0, 3);
    file = journal->currentFile();
    w.logs->failing = true;
    (void)journal->close();
  }
  // A record cut by a power loss: a length and a CRC, then half the payload.
  appendBytes(file, std::string("\x40\x00\x00\x00\x12\x34\x56\x78partial", 16));
  const auto sizeWithTail = std::filesystem::file_size(file);
  w.logs->failing = false;
  auto journal = w.open();
  BOOST_TEST(journal->recovery().replayed == 3u);
  BOOST_TEST(journal->recovery().droppedBytes == 16u);
  BOOST_TEST(std::filesystem::file_size(file) == sizeWithTail - 16);
  w.append(*journal, 3, 4);
  BOOST_REQUIRE(journal->drain().isOk());
  w.expectStored(4);
}

BOOST_AUTO_TEST_CASE(a_record_of_format_1_from_before_the_actor_is_still_replayed) {
  World w;
  std::filesystem::path file;
  {
    auto journal = w.open();
    w.append(*journal, 0, 1);
    file = journal->currentFile();
    w.logs->failing = true;
    (void)journal->close();
  }
  // What a gateway of the previous version wrote: format 1, the 13 strings, no actor.
  AuditEntry old = entry(3);
  old.category = "rest";
  old.actor.clear();
  std::string payload(1, '\x01');
  payload += littleEndian(static_cast<uint64_t>(old.recordedMs), 8);
  payload.push_back(old.success ? 1 : 0);
  payload += littleEndian(static_cast<uint64_t>(old.httpStatus), 4);
  for (const std::string* s : {&old.category, &old.action, &old.subtype, &old.outcomeCode,
                               &old.outcomeText, &old.patientId, &old.clientId, &old.serviceName,
                               &old.serviceOid, &old.resource, &old.query, &old.sourceAddress,
                               &old.requestId}) {
    payload += littleEndian(s->size(), 4) + *s;
  }
  appendBytes(file, littleEndian(payload.size(), 4) + littleEndian(crc32(payload), 4) + payload);
  w.logs->failing = false;
  auto journal = w.open();
  BOOST_TEST(journal->recovery().replayed == 2u);
  BOOST_TEST(journal->recovery().droppedBytes == 0u);
  const std::vector<AuditEntry> rows = w.stored();
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST((rows[0] == entry(0)));
  BOOST_TEST((rows[1] == old));
}

BOOST_AUTO_TEST_CASE(a_corrupt_record_ends_the_replay_there) {
  World w;
  std::filesystem::path file;
  uint64_t afterFirst = 0;
  {
    auto journal = w.open();
    w.append(*journal, 0, 1);
    file = journal->currentFile();
    afterFirst = std::filesystem::file_size(file);
    w.append(*journal, 1, 3);
    w.logs->failing = true;
    (void)journal->close();
  }
  {
    // Flip one payload byte of the second record: its CRC no longer matches.
    std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(static_cast<std::streamoff>(afterFirst + 20));
    io.put('#');
  }
  w.logs->failing = false;
  auto journal = w.open();
  BOOST_TEST(journal->recovery().replayed == 1u);
  BOOST_TEST(journal->recovery().droppedBytes > 0u);
  w.expectStored(1);
}

BOOST_AUTO_TEST_CASE(a_file_larger_than_the_limit_rotates_once_imported) {
  World w;
  JournalOptions options = World::quiet();
  options.rotateBytes = 1000;
  {
    auto journal = w.open(options);
    const int64_t first = journal->generation();
    const auto firstFile = journal->currentFile();
    w.append(*journal, 0, 10);  // ~1.9 kB
    BOOST_REQUIRE(journal->drain().isOk());
    BOOST_TEST(journal->generation() == first + 1);
    BOOST_TEST(!std::filesystem::exists(firstFile));
    BOOST_TEST(std::filesystem::file_size(journal->currentFile()) == 16u);  // header only
    w.append(*journal, 10, 12);
    w.logs->failing = true;
    (void)journal->close();
  }
  w.logs->failing = false;
  auto journal = w.open(options);
  BOOST_TEST(journal->recovery().replayed == 2u);
  w.expectStored(12);
}

BOOST_AUTO_TEST_CASE(a_second_process_gets_its_own_slot) {
  World w;
  auto first = w.open();
  auto second = w.open();  // another process on the same data directory (a CLI command)
  BOOST_TEST(first->slot() != second->slot());
  BOOST_TEST(first->id() != second->id());
  w.append(*first, 0, 2);
  w.append(*second, 2, 4);
  BOOST_REQUIRE(first->drain().isOk());
  BOOST_REQUIRE(second->drain().isOk());
  w.expectStored(4);
  // A slot keeps its id across opens.
  const std::string id = first->id();
  const int slot = first->slot();
  BOOST_REQUIRE(first->close().isOk());
  auto reopened = w.open();
  BOOST_TEST(reopened->slot() == slot);
  BOOST_TEST(reopened->id() == id);
}

BOOST_AUTO_TEST_CASE(the_slots_of_dead_processes_are_swept_at_open) {
  World w;
  auto alive = w.open();                 // slot 1, held throughout
  auto crashedA = w.open();              // slot 2
  auto crashedB = w.open();              // slot 3
  w.append(*crashedA, 0, 2);
  w.append(*crashedB, 2, 5);
  w.logs->failing = true;
  (void)crashedA->close();  // both die with entries the log never got
  (void)crashedB->close();
  crashedA.reset();
  crashedB.reset();
  w.logs->failing = false;
  BOOST_TEST(w.stored().empty());
  auto next = w.open();  // takes slot 2 and recovers it, sweeps slot 3
  BOOST_TEST(next->recovery().replayed == 5u);
  w.expectStored(5);
}

BOOST_AUTO_TEST_CASE(a_log_down_for_long_makes_appends_fail_rather_than_grow) {
  World w;
  JournalOptions options = World::quiet();
  options.maxPending = 3;
  auto journal = w.open(options);
  w.logs->failing = true;
  w.append(*journal, 0, 3);
  AuditEntry one = entry(3);
  std::vector<AuditEntry*> more{&one};
  Status refused = journal->append(more);
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST((refused.error().kind == mes::ErrorKind::kUnavailable));
  BOOST_TEST(refused.error().code() == "audit-journal-unavailable");
  w.logs->failing = false;
  BOOST_REQUIRE(journal->drain().isOk());
  BOOST_TEST(journal->append(more).isOk());
}

BOOST_AUTO_TEST_CASE(synced_appends_and_closed_journals) {
  World w;
  JournalOptions options = World::quiet();
  options.syncEachAppend = true;
  auto journal = w.open(options);
  w.append(*journal, 0, 2);
  BOOST_REQUIRE(journal->close().isOk());
  w.expectStored(2);
  AuditEntry one = entry(2);
  std::vector<AuditEntry*> more{&one};
  Status refused = journal->append(more);
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(refused.error().code() == "audit-journal-closed");
  BOOST_TEST(journal->close().isOk());  // idempotent
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_journal_is_refused) {
  World w;
  {
    auto journal = w.open();
    w.append(*journal, 0, 1);
    w.logs->failing = true;
    (void)journal->close();
    std::ofstream(journal->currentFile(), std::ios::binary | std::ios::trunc) << "garbage";
  }
  w.logs->failing = false;
  auto journal = FileAuditJournal::open(w.journalDir(), *w.logs, World::quiet());
  BOOST_REQUIRE(!journal.isOk());
  BOOST_TEST((journal.error().kind == mes::ErrorKind::kInternal));
}

BOOST_AUTO_TEST_SUITE_END()
