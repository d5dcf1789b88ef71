#include "connectors/blob/file_blob_store.h"

#include "connectors/temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace mes;
using blob::BlobDigest;
using blob::FileBlobStore;

namespace {

constexpr std::string_view kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kAbcSha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kEmptySha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
// FIPS 180-2 test vector: 1,000,000 times 'a'.
constexpr std::string_view kMillionASha256 =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
constexpr std::string_view kMillionASha1 = "34aa973cd4c4daa4f61eeb2bdbad27316534016f";

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t countFiles(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) ++n;
  }
  return n;
}

unsigned modeOf(const std::filesystem::path& p) {
  struct stat st {};
  BOOST_REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

// Deterministic pseudo-random bytes.
std::string bytesOf(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xFF);
  }
  return out;
}

struct BlobFixture {
  test::TempDir temp{"mes-blobs"};
  std::filesystem::path dir = temp.path() / "blobs";
  ManualClock clock{1'700'000'000'000};
  std::unique_ptr<FileBlobStore> store = openStore();

  std::unique_ptr<FileBlobStore> openStore(blob::FileBlobStoreOptions options = {}) {
    auto s = FileBlobStore::open(dir, clock, options);
    BOOST_REQUIRE(s.isOk());
    return std::move(*s);
  }
  // Streams `bytes` through a writer in chunks of `chunk` bytes, then finish + commit.
  BlobDigest streamed(const std::string& bytes, size_t chunk) {
    auto writer = store->begin();
    BOOST_REQUIRE(writer.isOk());
    for (size_t at = 0; at < bytes.size(); at += chunk) {
      BOOST_REQUIRE((*writer)->append(std::string_view(bytes).substr(at, chunk)).isOk());
    }
    BOOST_TEST((*writer)->size() == bytes.size());
    auto staged = (*writer)->finish();
    BOOST_REQUIRE(staged.isOk());
    BOOST_REQUIRE((*staged)->commit().isOk());
    return (*staged)->digest();
  }
  size_t temps() const { return countFiles(store->tempDirectory()); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(file_blob_store, BlobFixture)

BOOST_AUTO_TEST_CASE(known_answer_vectors) {
  auto abc = store->put("abc");
  BOOST_REQUIRE(abc.isOk());
  BOOST_TEST(abc->sha256 == kAbcSha256);
  BOOST_TEST(hex(abc->sha1) == kAbcSha1);
  BOOST_TEST(abc->sha1.size() == 20u);
  BOOST_TEST(abc->size == 3u);

  auto empty = store->put("");
  BOOST_REQUIRE(empty.isOk());
  BOOST_TEST(empty->sha256 == kEmptySha256);
  BOOST_TEST(hex(empty->sha1) == kEmptySha1);
  BOOST_TEST(empty->size == 0u);

  const BlobDigest million = streamed(std::string(1'000'000, 'a'), 4099);
  BOOST_TEST(million.sha256 == kMillionASha256);
  BOOST_TEST(hex(million.sha1) == kMillionASha1);

  BOOST_TEST(readFile(dir / "ba" / std::string(kAbcSha256)) == "abc");
  BOOST_TEST(*store->readAll(kAbcSha256) == "abc");
  BOOST_TEST(*store->readAll(kEmptySha256) == "");
  BOOST_TEST(*store->size(std::string(kMillionASha256)) == 1'000'000u);
}

BOOST_AUTO_TEST_CASE(streaming_in_odd_chunks_equals_one_shot) {
  const std::string bytes = bytesOf(300'000, 7);
  auto oneShot = store->put(bytes);
  BOOST_REQUIRE(oneShot.isOk());
  for (size_t chunk : {1u, 3u, 17u, 4095u, 65535u, 65536u, 65537u, 200'000u, 300'000u}) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      if (chunk == 1 || chunk == 3) {
        // Small chunks on a smaller prefix keep the test fast.
        const std::string prefix = bytes.substr(0, 70'000);
        BOOST_TEST(streamed(prefix, chunk).sha256 == store->put(prefix)->sha256);
        continue;
      }
      const BlobDigest d = streamed(bytes, chunk);
      BOOST_TEST(d.sha256 == oneShot->sha256);
      BOOST_TEST(d.sha1 == oneShot->sha1);
      BOOST_TEST(d.size == bytes.size());
    }
  }
  BOOST_TEST(*store->readAll(oneShot->sha256) == bytes);
  BOOST_TEST(store->list()->size() == 2u);  // the full bytes and the 70,000-byte prefix
  BOOST_TEST(temps() == 0u);
}

BOOST_AUTO_TEST_CASE(same_content_is_stored_once) {
  auto first = store->put("same bytes");
  auto second = store->put("same bytes");
  BOOST_REQUIRE(first.isOk());
  BOOST_REQUIRE(second.isOk());
  BOOST_TEST(first->sha256 == second->sha256);
  BOOST_TEST(store->list()->size() == 1u);
  BOOST_TEST(countFiles(dir) == 1u);  // no temporary copy left either

  // A staged blob whose name appears meanwhile still commits (dedup), and commit is idempotent.
  auto writer = store->begin();
  BOOST_REQUIRE(writer.isOk());
  BOOST_REQUIRE((*writer)->append("other bytes").isOk());
  auto staged = (*writer)->finish();
  BOOST_REQUIRE(staged.isOk());
  BOOST_REQUIRE(store->put("other bytes").isOk());
  BOOST_TEST((*staged)->commit().isOk());
  BOOST_TEST((*staged)->commit().isOk());
  BOOST_TEST(store->list()->size() == 2u);
  BOOST_TEST(temps() == 0u);
}

BOOST_AUTO_TEST_CASE(nothing_is_visible_under_its_name_before_commit) {
  const std::string bytes = bytesOf(200'000, 3);
  auto writer = store->begin();
  BOOST_REQUIRE(writer.isOk());
  BOOST_REQUIRE((*writer)->append(std::string_view(bytes).substr(0, 100'000)).isOk());
  BOOST_TEST(store->list()->empty());
  BOOST_REQUIRE((*writer)->append(std::string_view(bytes).substr(100'000)).isOk());
  auto staged = (*writer)->finish();
  BOOST_REQUIRE(staged.isOk());
  const std::string name = (*staged)->digest().sha256;

  // Staged: durable and complete in tmp/, absent under its name.
  BOOST_TEST(!*store->exists(name));
  BOOST_TEST((store->open(name).error().kind == ErrorKind::kNotFound));
  BOOST_TEST(store->list()->empty());
  BOOST_REQUIRE_EQUAL(temps(), 1u);
  for (const auto& e : std::filesystem::directory_iterator(store->tempDirectory())) {
    BOOST_TEST(readFile(e.path()) == bytes);
  }
  // The writer is spent.
  BOOST_TEST(!(*writer)->append("x").isOk());
  BOOST_TEST(!(*writer)->finish().isOk());

  BOOST_REQUIRE((*staged)->commit().isOk());
  BOOST_TEST(*store->exists(name));
  BOOST_TEST(readFile(store->pathOf(name)) == bytes);
  BOOST_TEST(temps() == 0u);
  staged->reset();  // destroying a committed blob keeps it
  BOOST_TEST(*store->exists(name));
}

BOOST_AUTO_TEST_CASE(abandoned_writers_and_staged_blobs_leave_nothing) {
  {
    auto writer = store->begin();
    BOOST_REQUIRE(writer.isOk());
    BOOST_REQUIRE((*writer)->append(bytesOf(100'000, 1)).isOk());
    BOOST_TEST(temps() == 1u);
  }
  BOOST_TEST(temps() == 0u);
  {
    auto writer = store->begin();
    BOOST_REQUIRE(writer.isOk());
    BOOST_REQUIRE((*writer)->append("staged, then dropped").isOk());
    auto staged = (*writer)->finish();
    BOOST_REQUIRE(staged.isOk());
    writer->reset();
    BOOST_TEST(temps() == 1u);
  }
  BOOST_TEST(temps() == 0u);
  BOOST_TEST(store->list()->empty());
  BOOST_TEST(countFiles(dir) == 0u);
}

BOOST_AUTO_TEST_CASE(appending_past_the_limit_fails_and_discards) {
  store = openStore({.maxBlobBytes = 10});
  BOOST_TEST(store->maxBlobBytes() == 10u);
  BOOST_TEST(store->put("0123456789").isOk());  // exactly the limit

  auto writer = store->begin();
  BOOST_REQUIRE(writer.isOk());
  BOOST_REQUIRE((*writer)->append("012345").isOk());
  Status over = (*writer)->append("67890");
  BOOST_REQUIRE(!over.isOk());
  BOOST_TEST((over.error().kind == ErrorKind::kTooLarge));
  BOOST_TEST(over.error().code() == "blob-too-large");
  BOOST_TEST(httpStatusOf(over.error().kind) == 413);
  BOOST_TEST(temps() == 0u);  // discarded at once, not at destruction
  BOOST_TEST(!(*writer)->append("x").isOk());
  BOOST_TEST(!(*writer)->finish().isOk());

  auto big = store->put("01234567890");
  BOOST_REQUIRE(!big.isOk());
  BOOST_TEST(big.error().code() == "blob-too-large");
  BOOST_TEST(store->list()->size() == 1u);
}

BOOST_AUTO_TEST_CASE(malformed_names_are_refused_before_any_lookup) {
  BOOST_REQUIRE(store->put("abc").isOk());
  const std::string upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  for (const std::string& name :
       {std::string(), std::string(kAbcSha256.substr(1)), std::string(kAbcSha256) + "0", upper,
        std::string("../") + std::string(kAbcSha256.substr(3)),
        std::string("ba/") + std::string(kAbcSha256.substr(3)),
        std::string(kAbcSha256.substr(0, 63)) + "g", std::string(63, '0') + '\0',
        std::string("tmp") + std::string(61, '0')}) {
    BOOST_TEST_CONTEXT("name '" << name << "'") {
      BOOST_TEST(!blob::isBlobName(name));
      BOOST_TEST(store->open(name).error().code() == "blob-name-invalid");
      BOOST_TEST((store->open(name).error().kind == ErrorKind::kInvalid));
      BOOST_TEST(store->readAll(name).error().code() == "blob-name-invalid");
      BOOST_TEST(store->size(name).error().code() == "blob-name-invalid");
      BOOST_TEST(store->exists(name).error().code() == "blob-name-invalid");
    }
  }
  BOOST_TEST(blob::isBlobName(kAbcSha256));
  const std::string unknown(64, 'a');
  BOOST_TEST((store->open(unknown).error().kind == ErrorKind::kNotFound));
  BOOST_TEST(store->open(unknown).error().code() == "blob-not-found");
  BOOST_TEST((store->readAll(unknown).error().kind == ErrorKind::kNotFound));
  BOOST_TEST((store->size(unknown).error().kind == ErrorKind::kNotFound));
  BOOST_TEST(!*store->exists(unknown));
}

BOOST_AUTO_TEST_CASE(reading_in_chunks) {
  const std::string bytes = bytesOf(100'003, 9);
  auto d = store->put(bytes);
  BOOST_REQUIRE(d.isOk());
  auto reader = store->open(d->sha256);
  BOOST_REQUIRE(reader.isOk());
  BOOST_TEST((*reader)->size() == bytes.size());
  std::string back;
  char buffer[4096];
  for (;;) {
    auto n = (*reader)->read(buffer, sizeof buffer);
    BOOST_REQUIRE(n.isOk());
    if (*n == 0) break;
    back.append(buffer, *n);
  }
  BOOST_TEST(back == bytes);

  auto tooBig = store->readAll(d->sha256, 100'002);
  BOOST_REQUIRE(!tooBig.isOk());
  BOOST_TEST((tooBig.error().kind == ErrorKind::kInternal));
  BOOST_TEST(store->readAll(d->sha256, 100'003)->size() == bytes.size());
}

BOOST_AUTO_TEST_CASE(list_gives_committed_blobs_only_sorted) {
  std::vector<std::string> expected;
  for (const char* text : {"one", "two", "three", "four"}) {
    expected.push_back(store->put(text)->sha256);
  }
  std::sort(expected.begin(), expected.end());
  // Things that are not blobs: ignored.
  std::ofstream(dir / "README") << "x";
  std::filesystem::create_directories(dir / "zz");
  std::ofstream(dir / "zz" / std::string(64, 'f')) << "x";  // valid name, wrong fan-out
  std::ofstream(dir / expected[0].substr(0, 2) / "notes.txt") << "x";
  std::ofstream(dir / expected[0].substr(0, 2) / (std::string(expected[0]) + ".tmp")) << "x";
  auto staged = (*store->begin())->finish();  // staged, not committed
  BOOST_REQUIRE(staged.isOk());

  auto names = store->list();
  BOOST_REQUIRE(names.isOk());
  BOOST_TEST(*names == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(files_are_private_to_the_gateway) {
  auto d = store->put("private");
  BOOST_REQUIRE(d.isOk());
  BOOST_TEST(modeOf(dir) == 0700u);
  BOOST_TEST(modeOf(store->tempDirectory()) == 0700u);
  BOOST_TEST(modeOf(dir / d->sha256.substr(0, 2)) == 0700u);
  BOOST_TEST(modeOf(store->pathOf(d->sha256)) == 0600u);
  BOOST_TEST(store->pathOf(d->sha256) == dir / d->sha256.substr(0, 2) / d->sha256);

  auto writer = store->begin();
  BOOST_REQUIRE(writer.isOk());
  for (const auto& e : std::filesystem::directory_iterator(store->tempDirectory())) {
    BOOST_TEST(modeOf(e.path()) == 0600u);
  }
}

BOOST_AUTO_TEST_CASE(stale_temporary_files_are_removed_live_ones_kept) {
  const int64_t realNowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  clock.set(realNowMs);
  // What a crash leaves: a temporary file last written two hours ago.
  const std::filesystem::path crashed = store->tempDirectory() / "crashed.tmp";
  std::ofstream(crashed) << "half a document";
  const struct timespec times[2] = {{realNowMs / 1000 - 7200, 0}, {realNowMs / 1000 - 7200, 0}};
  BOOST_REQUIRE(::utimensat(AT_FDCWD, crashed.c_str(), times, 0) == 0);
  // A live upload.
  auto writer = store->begin();
  BOOST_REQUIRE(writer.isOk());
  BOOST_REQUIRE((*writer)->append("live").isOk());

  auto removed = store->removeStaleTemps(3'600'000);
  BOOST_REQUIRE(removed.isOk());
  BOOST_TEST(*removed == 1u);
  BOOST_TEST(!std::filesystem::exists(crashed));
  BOOST_TEST(temps() == 1u);
  auto staged = (*writer)->finish();
  BOOST_REQUIRE(staged.isOk());
  BOOST_TEST((*staged)->commit().isOk());
  BOOST_TEST(*store->readAll((*staged)->digest().sha256) == "live");

  // Much later, nothing is left to clean.
  clock.advance(86'400'000);
  BOOST_TEST(*store->removeStaleTemps(3'600'000) == 0u);
}

BOOST_AUTO_TEST_CASE(concurrent_writers_of_the_same_content) {
  const std::string bytes = bytesOf(150'000, 42);
  constexpr int kThreads = 8;
  std::vector<std::string> names(kThreads);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        auto writer = store->begin();
        if (!writer) {
          failures[t] = writer.error().detail;
          return;
        }
        const size_t chunk = 1000 + 997 * static_cast<size_t>(t);
        for (size_t at = 0; at < bytes.size(); at += chunk) {
          Status s = (*writer)->append(std::string_view(bytes).substr(at, chunk));
          if (!s) {
            failures[t] = s.error().detail;
            return;
          }
        }
        auto staged = (*writer)->finish();
        if (!staged) {
          failures[t] = staged.error().detail;
          return;
        }
        Status s = (*staged)->commit();
        if (!s) {
          failures[t] = s.error().detail;
          return;
        }
        names[t] = (*staged)->digest().sha256;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    BOOST_TEST(failures[t] == "");
    BOOST_TEST(names[t] == names[0]);
  }
  BOOST_TEST(store->list()->size() == 1u);
  BOOST_TEST(*store->readAll(names[0]) == bytes);
  BOOST_TEST(temps() == 0u);
}

BOOST_AUTO_TEST_CASE(concurrent_writers_of_different_content) {
  constexpr int kThreads = 6;
  std::vector<std::string> names(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto d = store->put(bytesOf(20'000 + static_cast<size_t>(t), static_cast<uint32_t>(t)));
      if (d) names[t] = d->sha256;
    });
  }
  for (auto& th : threads) th.join();
  std::sort(names.begin(), names.end());
  auto listed = store->list();
  BOOST_REQUIRE(listed.isOk());
  BOOST_TEST(*listed == names, boost::test_tools::per_element());
  for (int t = 0; t < kThreads; ++t) {
    BOOST_TEST(*store->size(names[t]) >= 20'000u);
  }
}

BOOST_AUTO_TEST_CASE(reopening_finds_what_was_committed) {
  auto d = store->put("kept across restarts");
  BOOST_REQUIRE(d.isOk());
  store.reset();
  store = openStore();
  BOOST_TEST(*store->readAll(d->sha256) == "kept across restarts");
}

BOOST_AUTO_TEST_SUITE_END()
