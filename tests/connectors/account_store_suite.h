// The patient portal stores test suite: what every implementation of
// connectors/store/account_store.h must do, written only against those interfaces.
//
// A store joins by providing a fixture type and including this file once in its test file:
//
//   struct MyAccountStores {
//     MyAccountStores();                        // fresh, empty stores
//     mes::store::AccountStore& accounts();
//     mes::store::PortalSessionStore& sessions();
//     mes::store::LoginThrottle& throttle();
//   };
//   #define MES_ACCOUNT_STORE_SUITE_NAME my_account_store_suite
//   #define MES_ACCOUNT_STORE_SUITE_STORES std::tuple<MyAccountStores>
//   #include "connectors/account_store_suite.h"
//
// Every case runs once per type in MES_ACCOUNT_STORE_SUITE_STORES, each on fresh stores. No
// include guard on purpose; the macros are consumed.
#if !defined(MES_ACCOUNT_STORE_SUITE_NAME) || !defined(MES_ACCOUNT_STORE_SUITE_STORES)
#error "define MES_ACCOUNT_STORE_SUITE_NAME and MES_ACCOUNT_STORE_SUITE_STORES before including"
#endif

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <latch>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "connectors/store/account_store.h"
#include "connectors/store_checks.h"
#include "core/status.h"

BOOST_AUTO_TEST_SUITE(MES_ACCOUNT_STORE_SUITE_NAME)

using mes::Error;
using mes::ErrorKind;
using mes::Status;
using mes::store::AccountRecord;
using mes::store::SessionRecord;
using mes::store::SessionState;

using AccountStores = MES_ACCOUNT_STORE_SUITE_STORES;

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kLockoutMs = 900'000;
constexpr int64_t kSessionMs = 1'800'000;
constexpr int kThreads = 8;
constexpr const char* kHash = "$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";

// --- helpers ------------------------------------------------------------------------------

using mes::test::checkError;
using mes::test::describe;
using mes::test::requireOk;

AccountRecord patientAccount(const std::string& accountId, const std::string& login,
                             const std::string& patientId = "demo") {
  AccountRecord account;
  account.accountId = accountId;
  account.login = login;
  account.role = "patient";
  account.patientId = patientId;
  account.passwordHash = kHash;
  return account;
}

void checkSameAccount(const AccountRecord& got, const AccountRecord& want) {
  BOOST_TEST(got.accountId == want.accountId);
  BOOST_TEST(got.login == want.login);
  BOOST_TEST(got.role == want.role);
  BOOST_TEST(got.patientId == want.patientId);
  BOOST_TEST(got.passwordHash == want.passwordHash);
  BOOST_TEST(got.failedLogins == want.failedLogins);
  BOOST_TEST(got.lockedUntilMs == want.lockedUntilMs);
  BOOST_TEST(got.createdMs == want.createdMs);
  BOOST_TEST(got.updatedMs == want.updatedMs);
}

SessionRecord anonymousSession(const std::string& handle, int64_t nowMs) {
  SessionRecord session;
  session.handle = handle;
  session.state = SessionState::kAnonymous;
  session.csrfToken = "csrf-" + handle;
  session.createdMs = nowMs;
  session.lastSeenMs = nowMs;
  session.expiresMs = nowMs + kSessionMs;
  return session;
}

SessionRecord pendingSession(const std::string& handle, const std::string& accountId,
                             int64_t nowMs) {
  SessionRecord session = anonymousSession(handle, nowMs);
  session.state = SessionState::kOtpPending;
  session.accountId = accountId;
  session.otpHash = "otp-hash-" + handle;
  session.otpExpiresMs = nowMs + 300'000;
  return session;
}

void checkSameSession(const SessionRecord& got, const SessionRecord& want) {
  BOOST_TEST(got.handle == want.handle);
  BOOST_TEST(std::string(sessionStateName(got.state)) == std::string(sessionStateName(want.state)));
  BOOST_TEST(got.accountId == want.accountId);
  BOOST_TEST(got.csrfToken == want.csrfToken);
  BOOST_TEST(got.otpHash == want.otpHash);
  BOOST_TEST(got.otpExpiresMs == want.otpExpiresMs);
  BOOST_TEST(got.otpAttempts == want.otpAttempts);
  BOOST_TEST(got.createdMs == want.createdMs);
  BOOST_TEST(got.lastSeenMs == want.lastSeenMs);
  BOOST_TEST(got.expiresMs == want.expiresMs);
}

// --- accounts -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(an_account_is_created_found_ignoring_case_and_listed, Store,
                              AccountStores) {
  Store store;
  auto& accounts = store.accounts();
  AccountRecord wanted = patientAccount("acct-camille", "Camille.Martin@Example.FR");
  wanted.failedLogins = 3;  // ignored: a new account starts clean
  wanted.lockedUntilMs = kT0 + 1;
  wanted.createdMs = 1;
  auto created = accounts.createAccount(wanted, kT0);
  requireOk(created);
  wanted.login = "camille.martin@example.fr";
  wanted.failedLogins = 0;
  wanted.lockedUntilMs = 0;
  wanted.createdMs = kT0;
  wanted.updatedMs = kT0;
  checkSameAccount(*created, wanted);
  checkSameAccount(*accounts.accountByLogin("CAMILLE.martin@example.fr"), wanted);
  checkSameAccount(*accounts.account("acct-camille"), wanted);

  checkError(accounts.createAccount(patientAccount("acct-other1", "camille.MARTIN@example.fr"),
                                    kT0),
             ErrorKind::kConflict, "already-exists");
  checkError(accounts.createAccount(patientAccount("acct-camille", "someone.else"), kT0),
             ErrorKind::kConflict, "already-exists");
  checkError(accounts.accountByLogin("nobody"), ErrorKind::kNotFound, "not-found");
  checkError(accounts.account("acct-nobody"), ErrorKind::kNotFound, "not-found");

  AccountRecord editor = patientAccount("acct-editor", "an.editor");
  editor.role = "editor";
  editor.patientId.clear();
  requireOk(accounts.createAccount(editor, kT0 + 1));
  auto listed = accounts.accounts();
  requireOk(listed);
  BOOST_REQUIRE(listed->size() == 2u);
  BOOST_TEST(listed->at(0).login == "an.editor");  // ordered by login
  BOOST_TEST(listed->at(0).role == "editor");
  BOOST_TEST(listed->at(0).patientId.empty());
  checkSameAccount(listed->at(1), wanted);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(malformed_accounts_are_refused_and_not_stored, Store,
                              AccountStores) {
  Store store;
  auto& accounts = store.accounts();
  struct Case {
    const char* what;
    void (*spoil)(AccountRecord&);
  };
  const Case cases[] = {
      {"account id too short", [](AccountRecord& a) { a.accountId = "short"; }},
      {"account id with a dot", [](AccountRecord& a) { a.accountId = "acct.camille"; }},
      {"account id too long", [](AccountRecord& a) { a.accountId = std::string(65, 'a'); }},
      {"login too short", [](AccountRecord& a) { a.login = "ab"; }},
      {"login too long", [](AccountRecord& a) { a.login = std::string(255, 'a'); }},
      {"login with a space", [](AccountRecord& a) { a.login = "camille martin"; }},
      {"login with a control character", [](AccountRecord& a) { a.login = "camille\n"; }},
      {"login not ASCII", [](AccountRecord& a) { a.login = "c\xc3\xa9line"; }},
      {"unknown role", [](AccountRecord& a) { a.role = "doctor"; }},
      {"patient without patient id", [](AccountRecord& a) { a.patientId.clear(); }},
      {"editor with a patient id", [](AccountRecord& a) { a.role = "editor"; }},
      {"no password hash", [](AccountRecord& a) { a.passwordHash.clear(); }},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      AccountRecord account = patientAccount("acct-valid", "valid.login");
      c.spoil(account);
      checkError(accounts.createAccount(account, kT0), ErrorKind::kInvalid, "invalid-account");
    }
  }
  BOOST_TEST(accounts.accounts()->empty());
  // The bounds themselves are valid.
  requireOk(accounts.createAccount(patientAccount("acct-1234", "abc"), kT0));
  requireOk(accounts.createAccount(
      patientAccount(std::string(64, 'z'), std::string(254, 'x'), "p2"), kT0));
  for (const char* role : {"editor", "evaluator", "commission", "admin"}) {
    AccountRecord account = patientAccount(std::string("acct-") + role, std::string("x-") + role);
    account.role = role;
    account.patientId.clear();
    requireOk(accounts.createAccount(account, kT0));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(failures_lock_the_account_and_a_lock_is_not_extended, Store,
                              AccountStores) {
  Store store;
  auto& accounts = store.accounts();
  requireOk(accounts.createAccount(patientAccount("acct-camille", "camille"), kT0));

  for (int i = 1; i <= 4; ++i) {
    auto failed = accounts.recordLoginFailure("acct-camille", 5, kLockoutMs, kT0 + i);
    requireOk(failed);
    BOOST_TEST(failed->failedLogins == i);
    BOOST_TEST(failed->lockedUntilMs == 0);
    BOOST_TEST(failed->updatedMs == kT0 + i);
  }
  auto locked = accounts.recordLoginFailure("acct-camille", 5, kLockoutMs, kT0 + 5);
  requireOk(locked);
  BOOST_TEST(locked->failedLogins == 0);
  BOOST_TEST(locked->lockedUntilMs == kT0 + 5 + kLockoutMs);

  // While locked, failures change nothing (the lock is not extended).
  auto still = accounts.recordLoginFailure("acct-camille", 5, kLockoutMs, kT0 + 100);
  requireOk(still);
  checkSameAccount(*still, *locked);
  checkSameAccount(*accounts.account("acct-camille"), *locked);

  // After the lock, counting starts again from zero.
  const int64_t after = kT0 + 5 + kLockoutMs;
  auto again = accounts.recordLoginFailure("acct-camille", 5, kLockoutMs, after);
  requireOk(again);
  BOOST_TEST(again->failedLogins == 1);
  BOOST_TEST(again->lockedUntilMs == locked->lockedUntilMs);  // in the past: not locked

  // A success clears the count.
  auto success = accounts.recordLoginSuccess("acct-camille", after + 1);
  requireOk(success);
  BOOST_TEST(success->failedLogins == 0);
  BOOST_TEST(success->updatedMs == after + 1);
  BOOST_TEST(accounts.account("acct-camille")->failedLogins == 0);

  // unlock lifts a lock at once.
  for (int i = 0; i < 5; ++i) {
    requireOk(accounts.recordLoginFailure("acct-camille", 5, kLockoutMs, after + 10));
  }
  BOOST_TEST(accounts.account("acct-camille")->lockedUntilMs == after + 10 + kLockoutMs);
  auto unlocked = accounts.unlock("acct-camille", after + 20);
  requireOk(unlocked);
  BOOST_TEST(unlocked->lockedUntilMs == 0);
  BOOST_TEST(unlocked->failedLogins == 0);
  BOOST_TEST(accounts.account("acct-camille")->lockedUntilMs == 0);

  // maxFailures 1 locks on the first failure.
  auto immediate = accounts.recordLoginFailure("acct-camille", 1, kLockoutMs, after + 30);
  requireOk(immediate);
  BOOST_TEST(immediate->lockedUntilMs == after + 30 + kLockoutMs);

  checkError(accounts.recordLoginFailure("acct-nobody", 5, kLockoutMs, kT0), ErrorKind::kNotFound,
             "not-found");
  checkError(accounts.recordLoginSuccess("acct-nobody", kT0), ErrorKind::kNotFound, "not-found");
  checkError(accounts.unlock("acct-nobody", kT0), ErrorKind::kNotFound, "not-found");
  checkError(accounts.recordLoginFailure("acct-camille", 0, kLockoutMs, kT0), ErrorKind::kInvalid,
             "invalid-argument");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(the_password_hash_is_replaced, Store, AccountStores) {
  Store store;
  auto& accounts = store.accounts();
  requireOk(accounts.createAccount(patientAccount("acct-camille", "camille"), kT0));
  requireOk(accounts.setPasswordHash("acct-camille", "$scrypt$new", kT0 + 7));
  auto read = accounts.account("acct-camille");
  requireOk(read);
  BOOST_TEST(read->passwordHash == "$scrypt$new");
  BOOST_TEST(read->updatedMs == kT0 + 7);
  BOOST_TEST(read->createdMs == kT0);
  checkError(accounts.setPasswordHash("acct-camille", "", kT0), ErrorKind::kInvalid,
             "invalid-account");
  checkError(accounts.setPasswordHash("acct-nobody", "$scrypt$x", kT0), ErrorKind::kNotFound,
             "not-found");
}

// Concurrent wrong passwords, from any thread or instance, are all counted.
BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_failures_lose_no_increment, Store, AccountStores) {
  Store store;
  auto& accounts = store.accounts();
  requireOk(accounts.createAccount(patientAccount("acct-camille", "camille"), kT0));
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        if (!accounts.recordLoginFailure("acct-camille", 1'000'000, kLockoutMs, kT0).isOk()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(accounts.account("acct-camille")->failedLogins == kThreads * kPerThread);

  // Racing to the limit: exactly one lock, set once, and the count reset by it.
  requireOk(accounts.createAccount(patientAccount("acct-racing", "racing"), kT0));
  std::atomic<int> lockedNow{0};
  std::latch race(kThreads);
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      race.arrive_and_wait();
      const int64_t now = kT0 + t;
      auto r = accounts.recordLoginFailure("acct-racing", 5, kLockoutMs, now);
      if (!r.isOk()) {
        ++failures;
      } else if (r->lockedUntilMs == now + kLockoutMs) {  // this call set the lock
        ++lockedNow;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(lockedNow.load() == 1);
  auto racing = accounts.account("acct-racing");
  BOOST_TEST(racing->failedLogins == 0);
  BOOST_TEST(racing->lockedUntilMs > kT0);
}

// --- sessions -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(a_session_is_created_read_updated_and_deleted, Store,
                              AccountStores) {
  Store store;
  requireOk(store.accounts().createAccount(patientAccount("acct-camille", "camille"), kT0));
  auto& sessions = store.sessions();

  const SessionRecord anonymous = anonymousSession("h-anon", kT0);
  requireOk(sessions.createSession(anonymous));
  checkError(sessions.createSession(anonymousSession("h-anon", kT0)), ErrorKind::kConflict,
             "already-exists");
  auto read = sessions.session("h-anon", kT0 + 1);
  requireOk(read);
  checkSameSession(*read, anonymous);
  checkError(sessions.session("h-unknown", kT0), ErrorKind::kNotFound, "not-found");

  SessionRecord pending = pendingSession("h-anon", "acct-camille", kT0);
  pending.createdMs = 42;  // ignored on update
  pending.lastSeenMs = kT0 + 10;
  pending.expiresMs = kT0 + 10 + kSessionMs;
  requireOk(sessions.updateSession(pending, kT0 + 10));
  pending.createdMs = kT0;
  checkSameSession(*sessions.session("h-anon", kT0 + 11), pending);
  checkError(sessions.updateSession(pendingSession("h-unknown", "acct-camille", kT0), kT0),
             ErrorKind::kNotFound, "not-found");

  requireOk(sessions.deleteSession("h-anon"));
  checkError(sessions.session("h-anon", kT0 + 12), ErrorKind::kNotFound, "not-found");
  requireOk(sessions.deleteSession("h-anon"));  // absent: still ok

  // What no store accepts.
  SessionRecord noCsrf = anonymousSession("h-bad", kT0);
  noCsrf.csrfToken.clear();
  checkError(sessions.createSession(noCsrf), ErrorKind::kInvalid, "invalid-session");
  checkError(sessions.createSession(anonymousSession("", kT0)), ErrorKind::kInvalid,
             "invalid-session");
  SessionRecord orphan = pendingSession("h-bad", "acct-camille", kT0);
  orphan.accountId.clear();
  checkError(sessions.createSession(orphan), ErrorKind::kInvalid, "invalid-session");
  SessionRecord anonymousWithAccount = anonymousSession("h-bad", kT0);
  anonymousWithAccount.accountId = "acct-camille";
  checkError(sessions.createSession(anonymousWithAccount), ErrorKind::kInvalid, "invalid-session");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_expired_session_is_not_found_and_purged, Store, AccountStores) {
  Store store;
  auto& sessions = store.sessions();
  const SessionRecord session = anonymousSession("h-old", kT0);
  requireOk(sessions.createSession(session));
  SessionRecord longer = anonymousSession("h-new", kT0);
  longer.expiresMs = kT0 + 2 * kSessionMs;
  requireOk(sessions.createSession(longer));
  requireOk(sessions.session("h-old", session.expiresMs - 1));
  checkError(sessions.session("h-old", session.expiresMs), ErrorKind::kNotFound, "not-found");
  SessionRecord renewed = session;
  renewed.expiresMs += kSessionMs;
  checkError(sessions.updateSession(renewed, session.expiresMs), ErrorKind::kNotFound,
             "not-found");
  checkError(sessions.replaceSession("h-old", anonymousSession("h-next", kT0), session.expiresMs),
             ErrorKind::kNotFound, "not-found");
  checkError(sessions.countOtpAttempt("h-old", session.expiresMs), ErrorKind::kNotFound,
             "not-found");

  auto purged = sessions.purgeExpiredSessions(session.expiresMs);
  requireOk(purged);
  BOOST_TEST(*purged == 1);
  BOOST_TEST(*sessions.purgeExpiredSessions(session.expiresMs) == 0);
  requireOk(sessions.session("h-new", session.expiresMs));
  // Purged, so not there even for a clock running behind.
  checkError(sessions.session("h-old", kT0), ErrorKind::kNotFound, "not-found");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_session_is_replaced_once_on_a_privilege_change, Store,
                              AccountStores) {
  Store store;
  requireOk(store.accounts().createAccount(patientAccount("acct-camille", "camille"), kT0));
  auto& sessions = store.sessions();
  requireOk(sessions.createSession(anonymousSession("h-anon", kT0)));
  requireOk(sessions.createSession(anonymousSession("h-taken", kT0)));

  // A clash with an existing handle writes nothing: the old session is still there.
  checkError(sessions.replaceSession("h-anon", pendingSession("h-taken", "acct-camille", kT0),
                                     kT0 + 1),
             ErrorKind::kConflict, "already-exists");
  requireOk(sessions.session("h-anon", kT0 + 1));

  const SessionRecord pending = pendingSession("h-pending", "acct-camille", kT0 + 1);
  requireOk(sessions.replaceSession("h-anon", pending, kT0 + 1));
  checkError(sessions.session("h-anon", kT0 + 2), ErrorKind::kNotFound, "not-found");
  checkSameSession(*sessions.session("h-pending", kT0 + 2), pending);

  // Concurrent upgrades of one session: exactly one wins.
  std::atomic<int> won{0};
  std::atomic<int> lost{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SessionRecord next = pendingSession("h-auth-" + std::to_string(t), "acct-camille", kT0 + 3);
      next.state = SessionState::kAuthenticated;
      start.arrive_and_wait();
      Status replaced = sessions.replaceSession("h-pending", next, kT0 + 3);
      if (replaced) {
        ++won;
      } else if (replaced.error().code() == "not-found") {
        ++lost;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(won.load() == 1);
  BOOST_TEST(lost.load() == kThreads - 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(otp_attempts_are_counted_atomically, Store, AccountStores) {
  Store store;
  requireOk(store.accounts().createAccount(patientAccount("acct-camille", "camille"), kT0));
  auto& sessions = store.sessions();
  requireOk(sessions.createSession(pendingSession("h-pending", "acct-camille", kT0)));
  auto first = sessions.countOtpAttempt("h-pending", kT0 + 1);
  requireOk(first);
  BOOST_TEST(first->otpAttempts == 1);
  BOOST_TEST(first->otpHash == "otp-hash-h-pending");

  std::atomic<int> failures{0};
  std::vector<int64_t> seen(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      auto counted = sessions.countOtpAttempt("h-pending", kT0 + 2);
      if (counted) {
        seen[static_cast<size_t>(t)] = counted->otpAttempts;
      } else {
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);
  // Each caller saw its own count: 2..kThreads+1, each once.
  std::sort(seen.begin(), seen.end());
  for (int t = 0; t < kThreads; ++t) BOOST_TEST(seen[static_cast<size_t>(t)] == t + 2);
  BOOST_TEST(sessions.session("h-pending", kT0 + 3)->otpAttempts == kThreads + 1);
  checkError(sessions.countOtpAttempt("h-unknown", kT0), ErrorKind::kNotFound, "not-found");
}

// --- failed logins per address --------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(failed_logins_are_counted_per_address_and_window, Store,
                              AccountStores) {
  Store store;
  auto& throttle = store.throttle();
  const int64_t w1 = kT0;
  const int64_t w2 = kT0 + kLockoutMs;
  BOOST_TEST(*throttle.addressFailures("192.0.2.1", w1) == 0);
  for (int i = 1; i <= 3; ++i) BOOST_TEST(*throttle.recordAddressFailure("192.0.2.1", w1) == i);
  BOOST_TEST(*throttle.recordAddressFailure("2001:db8::1", w1) == 1);
  BOOST_TEST(*throttle.addressFailures("192.0.2.1", w1) == 3);
  BOOST_TEST(*throttle.recordAddressFailure("192.0.2.1", w2) == 1);  // a new window
  BOOST_TEST(*throttle.addressFailures("192.0.2.1", w2) == 1);

  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < 10; ++i) (void)throttle.recordAddressFailure("198.51.100.7", w2);
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(*throttle.addressFailures("198.51.100.7", w2) == kThreads * 10);

  const int64_t w3 = w2 + kLockoutMs;
  auto purged = throttle.purgeAddressWindowsBefore(w2);
  requireOk(purged);
  BOOST_TEST(*purged <= 2);  // the first window's rows, unless recordAddressFailure took them
  BOOST_TEST(*throttle.addressFailures("192.0.2.1", w1) == 0);
  BOOST_TEST(*throttle.addressFailures("192.0.2.1", w2) == 1);
  BOOST_TEST(*throttle.purgeAddressWindowsBefore(w3) == 2);
  BOOST_TEST(*throttle.addressFailures("198.51.100.7", w2) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

#undef MES_ACCOUNT_STORE_SUITE_NAME
#undef MES_ACCOUNT_STORE_SUITE_STORES
