// Time and identifiers are injected, never read from globals, so tests can fix them.
#pragma once

#include <cstdint>
#include <string>

namespace mes {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual int64_t nowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t nowMs() const override;
};

// A clock that tests set by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t nowMs) : now_(nowMs) {}
  int64_t nowMs() const override { return now_; }
  void set(int64_t nowMs) { now_ = nowMs; }
  void advance(int64_t ms) { now_ += ms; }

 private:
  int64_t now_;
};

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // A new logical id, valid as a FHIR id ([A-Za-z0-9\-\.]{1,64}).
  virtual std::string next() = 0;
};

// 128 random bits from the OS (getrandom), as 32 lowercase hex digits. Thread-safe.
class RandomIdGenerator final : public IdGenerator {
 public:
  std::string next() override;
};

}  // namespace mes
