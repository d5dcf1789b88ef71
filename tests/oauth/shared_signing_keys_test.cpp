#include "oauth/shared_signing_keys.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/store/signing_key_table.h"
#include "core/clock.h"

namespace {

using mes::ManualClock;
using mes::Result;
using mes::Status;
using mes::oauth::SharedSigningKeyStore;
using mes::store::StoredSigningKey;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kRetainSeconds = 900;

// The table as a store keeps it, in memory: the rows every instance reads. Counts its reads.
class MemoryKeyTable final : public mes::store::SigningKeyTable {
 public:
  Result<std::vector<StoredSigningKey>> signingKeys() override {
    ++reads;
    std::vector<StoredSigningKey> sorted = rows;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      if (!a.retiredMs || !b.retiredMs) return !a.retiredMs && b.retiredMs;
      return *a.retiredMs > *b.retiredMs;
    });
    return sorted;
  }
  Result<bool> insertFirstSigningKey(const StoredSigningKey& first) override {
    if (std::any_of(rows.begin(), rows.end(), [](const auto& k) { return !k.retiredMs; })) {
      return false;
    }
    rows.push_back(first);
    return true;
  }
  Status rotateSigningKey(const StoredSigningKey& next, int64_t pruneRetiredBeforeMs) override {
    for (auto& k : rows) {
      if (!k.retiredMs) k.retiredMs = next.createdMs;
    }
    std::erase_if(rows, [&](const auto& k) { return *k.retiredMs < pruneRetiredBeforeMs; });
    rows.push_back(next);
    return Status::ok();
  }
  Status importSigningKeys(const std::vector<StoredSigningKey>& keys) override {
    rows = keys;
    return Status::ok();
  }
  std::vector<StoredSigningKey> rows;
  int reads = 0;
};

std::unique_ptr<SharedSigningKeyStore> open(MemoryKeyTable& table, const ManualClock& clock) {
  auto opened = SharedSigningKeyStore::open(table, clock, kRetainSeconds);
  if (!opened) throw std::runtime_error("cannot open the shared keys: " + opened.error().detail);
  return std::move(opened).value();
}

std::vector<std::string> jwksKids(const SharedSigningKeyStore& keys) {
  std::vector<std::string> kids;
  auto jwks = keys.jwks();
  BOOST_REQUIRE(jwks.isOk());
  for (const auto& jwk : jwks->find("keys")->items()) kids.push_back(*jwk.findString("kid"));
  return kids;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shared_signing_keys)

BOOST_AUTO_TEST_CASE(the_first_instance_creates_the_key_the_others_use_it) {
  ManualClock clock(kT0);
  MemoryKeyTable table;
  auto a = open(table, clock);
  auto b = open(table, clock);
  BOOST_REQUIRE_EQUAL(table.rows.size(), 1U);
  BOOST_TEST(a->current()->kid == table.rows[0].kid);
  BOOST_TEST(b->current()->kid == table.rows[0].kid);
  BOOST_TEST(b->verificationKey(a->current()->kid).isOk());
  BOOST_TEST(jwksKids(*a) == std::vector<std::string>{table.rows[0].kid});
}

BOOST_AUTO_TEST_CASE(a_rotation_on_one_instance_is_used_and_verified_by_the_other) {
  ManualClock clock(kT0);
  MemoryKeyTable table;
  auto a = open(table, clock);
  auto b = open(table, clock);
  const std::string oldKid = a->current()->kid;
  clock.advance(10);
  auto newKid = a->rotate();
  BOOST_REQUIRE(newKid.isOk());
  BOOST_TEST(*newKid != oldKid);
  BOOST_TEST(a->current()->kid == *newKid);
  // B verifies a token of the new key at once (an unknown kid reloads the keys)...
  BOOST_TEST(b->verificationKey(*newKid).isOk());
  // ...and signs with it, and publishes it first, from its next refresh on.
  clock.advance(1000);
  BOOST_TEST(b->current()->kid == *newKid);
  BOOST_TEST((jwksKids(*b) == std::vector<std::string>{*newKid, oldKid}));
  // The retired key verifies its tokens until the retention is over, then is gone everywhere.
  BOOST_TEST(b->verificationKey(oldKid).isOk());
  clock.advance(kRetainSeconds * 1000);
  BOOST_TEST(!b->verificationKey(oldKid).isOk());
  BOOST_TEST(b->verificationKey(oldKid).error().code() == "token-key-unknown");
  BOOST_TEST(jwksKids(*b) == std::vector<std::string>{*newKid});
  // The next rotation prunes it from the table.
  BOOST_REQUIRE(a->rotate().isOk());
  BOOST_TEST(std::none_of(table.rows.begin(), table.rows.end(),
                          [&](const auto& k) { return k.kid == oldKid; }));
}

BOOST_AUTO_TEST_CASE(unknown_kids_reload_the_keys_at_most_once_per_interval) {
  ManualClock clock(kT0);
  MemoryKeyTable table;
  auto a = open(table, clock);
  const int before = table.reads;
  for (int i = 0; i < 50; ++i) {
    BOOST_TEST(!a->verificationKey("forged-kid-" + std::to_string(i)).isOk());
  }
  BOOST_TEST(table.reads - before <= 1);
  BOOST_TEST(a->current().isOk());
  BOOST_TEST(table.reads - before <= 1);  // the keys are cached between refreshes
}

BOOST_AUTO_TEST_CASE(a_row_that_is_not_its_kids_key_is_refused) {
  ManualClock clock(kT0);
  MemoryKeyTable table;
  auto a = open(table, clock);
  MemoryKeyTable other;
  auto b = open(other, clock);
  // The current row names the key of another table: not the key its kid says.
  other.rows[0].kid = table.rows[0].kid;
  auto opened = SharedSigningKeyStore::open(other, clock, kRetainSeconds);
  BOOST_REQUIRE(!opened.isOk());
  BOOST_TEST(opened.error().code() == "signing-key-store-invalid");
}

BOOST_AUTO_TEST_SUITE_END()
