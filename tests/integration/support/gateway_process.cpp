#include "integration/support/gateway_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace mes::itest {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kLoopback = "127.0.0.1";
constexpr int kDestructorGraceMs = 2000;
constexpr int kProbeTimeoutMs = 1000;
constexpr std::size_t kLogTailBytes = 8192;

std::string errnoText(int err) {
  return std::strerror(err);
}

bool keepTestData() {
  const char* keep = std::getenv("MES_KEEP_TEST_DATA");
  return keep != nullptr && *keep != '\0';
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
};

sockaddr_in loopbackAddress(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Whether a server could listen on 127.0.0.1:port now. SO_REUSEADDR as servers set it, so
// connections left in TIME_WAIT by a previous run do not count as "taken".
bool portIsFree(uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return false;
  }
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = loopbackAddress(port);
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
         ::listen(fd.get(), 1) == 0;
}

bool mentionsAddressInUse(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* needle : {"address already in use", "address in use", "eaddrinuse"}) {
    if (text.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::uintmax_t fileSize(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

std::string readFileFrom(const std::string& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {};
  }
  in.seekg(static_cast<std::streamoff>(offset));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int exitStatusOf(int waitStatus) {
  if (WIFEXITED(waitStatus)) {
    return WEXITSTATUS(waitStatus);
  }
  if (WIFSIGNALED(waitStatus)) {
    return 128 + WTERMSIG(waitStatus);
  }
  return -1;
}

std::string joinCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    out += arg;
  }
  return out;
}

}  // namespace

uint16_t pickFreePort() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    throw std::runtime_error("pickFreePort: socket: " + errnoText(errno));
  }
  sockaddr_in addr = loopbackAddress(0);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    throw std::runtime_error("pickFreePort: bind 127.0.0.1:0: " + errnoText(errno));
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("pickFreePort: getsockname: " + errnoText(errno));
  }
  return ntohs(addr.sin_port);
}

// ---- TempDir ---------------------------------------------------------------------------------

TempDir::TempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  const fs::path base = (tmp != nullptr && *tmp != '\0') ? fs::path(tmp) : fs::path("/tmp");
  const std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("TempDir: mkdtemp " + pattern + ": " + errnoText(errno));
  }
  path_ = buffer.data();
}

TempDir::~TempDir() {
  removeNow();
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    removeNow();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void TempDir::removeNow() noexcept {
  if (path_.empty()) {
    return;
  }
  if (keepTestData()) {
    std::cerr << "MES_KEEP_TEST_DATA: keeping " << path_.string() << '\n';
  } else {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  path_.clear();
}

// ---- GatewayProcess --------------------------------------------------------------------------

GatewayProcess::GatewayProcess(GatewayOptions options) : options_(std::move(options)) {
  if (options_.binary.empty()) {
    throw std::runtime_error(
        "GatewayProcess: no mes-gateway binary (MES_GATEWAY_BIN is empty: this build has no "
        "mes-gateway target)");
  }
  if (options_.dataDir.empty()) {
    ownedDir_.emplace("mes-itest");
    dataDir_ = ownedDir_->string();
  } else {
    dataDir_ = options_.dataDir;
    std::error_code ec;
    fs::create_directories(dataDir_, ec);
    if (ec) {
      throw std::runtime_error("GatewayProcess: cannot create data dir " + dataDir_ + ": " +
                               ec.message());
    }
  }
  launch(std::nullopt);
}

GatewayProcess::~GatewayProcess() {
  try {
    if (pid_ > 0) {
      terminate(kDestructorGraceMs);
    }
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

std::string GatewayProcess::baseUrl() const {
  return std::string("http://") + kLoopback + ":" + std::to_string(port_);
}

std::string GatewayProcess::logPath() const {
  return (fs::path(dataDir_) / "gateway.log").string();
}

HttpClient GatewayProcess::client() const {
  return {kLoopback, port_};
}

int GatewayProcess::stop(int timeoutMs) {
  if (pid_ <= 0) {
    return lastExitStatus_;
  }
  return terminate(timeoutMs);
}

void GatewayProcess::kill9() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  reap(true);
}

bool GatewayProcess::running() {
  return pid_ > 0 && !reap(false);
}

std::string GatewayProcess::log() const {
  return readFileFrom(logPath(), 0);
}

void GatewayProcess::start() {
  if (running()) {
    throw std::logic_error("GatewayProcess::start: " + describe() + " is already running");
  }
  launch(port_ != 0 ? std::optional<uint16_t>(port_) : std::nullopt);
}

void GatewayProcess::launch(std::optional<uint16_t> preferredPort) {
  try {
    for (int attempt = 0; attempt <= kPortRetries; ++attempt) {
      const uint16_t port = (attempt == 0 && preferredPort && portIsFree(*preferredPort))
                                ? *preferredPort
                                : pickFreePort();
      const auto logOffset = static_cast<std::size_t>(fileSize(logPath()));
      spawn(port);
      if (awaitHealthy(port, logOffset) == StartOutcome::kHealthy) {
        return;
      }
    }
  } catch (...) {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      reap(true);
    }
    throw;
  }
  throw std::runtime_error("GatewayProcess: " + describe() + " could not bind a free port in " +
                           std::to_string(kPortRetries + 1) + " attempts; log:\n" + logTail(0));
}

void GatewayProcess::spawn(uint16_t port) {
  port_ = port;
  argv_ = {options_.binary,      "serve",      "--listen", kLoopback, "--port",
           std::to_string(port), "--data-dir", dataDir_};
  argv_.insert(argv_.end(), options_.extraArgs.begin(), options_.extraArgs.end());

  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed (the test process may have other threads).
  std::vector<char*> argvPtrs;
  argvPtrs.reserve(argv_.size() + 1);
  for (auto& arg : argv_) {
    argvPtrs.push_back(arg.data());
  }
  argvPtrs.push_back(nullptr);

  std::vector<std::string> envStrings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    const bool overridden = std::any_of(options_.env.begin(), options_.env.end(),
                                        [name](const auto& kv) { return kv.first == name; });
    if (!overridden) {
      envStrings.emplace_back(entry);
    }
  }
  for (const auto& [name, value] : options_.env) {
    envStrings.push_back(name);
    envStrings.back().append("=").append(value);
  }
  std::vector<char*> envPtrs;
  envPtrs.reserve(envStrings.size() + 1);
  for (auto& entry : envStrings) {
    envPtrs.push_back(entry.data());
  }
  envPtrs.push_back(nullptr);

  const std::string logFile = logPath();
  Fd logFd(::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (logFd.get() < 0) {
    throw std::runtime_error("GatewayProcess: cannot open " + logFile + ": " + errnoText(errno));
  }
  Fd nullFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (nullFd.get() < 0) {
    throw std::runtime_error("GatewayProcess: cannot open /dev/null: " + errnoText(errno));
  }
  std::array<int, 2> pipeFds{};
  if (::pipe2(pipeFds.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error("GatewayProcess: pipe2: " + errnoText(errno));
  }
  Fd execErrorRead(pipeFds[0]);
  Fd execErrorWrite(pipeFds[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("GatewayProcess: fork: " + errnoText(errno));
  }
  if (pid == 0) {
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);
    }
#endif
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::dup2(nullFd.get(), STDIN_FILENO);
    ::dup2(logFd.get(), STDOUT_FILENO);
    ::dup2(logFd.get(), STDERR_FILENO);
#ifdef CLOSE_RANGE_CLOEXEC
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // no test sockets leak into the server
#endif
    ::execve(argvPtrs[0], argvPtrs.data(), envPtrs.data());
    const int err = errno;
    [[maybe_unused]] const ssize_t n = ::write(execErrorWrite.get(), &err, sizeof(err));
    ::_exit(127);
  }
  pid_ = pid;
  lastExitStatus_ = -1;

  // The write end closes on a successful exec (O_CLOEXEC): EOF means the binary is running.
  execErrorWrite.reset();
  int execErrno = 0;
  ssize_t n = 0;
  do {
    n = ::read(execErrorRead.get(), &execErrno, sizeof(execErrno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(execErrno))) {
    reap(true);
    throw std::runtime_error("GatewayProcess: cannot execute " + options_.binary + ": " +
                             errnoText(execErrno));
  }
}

GatewayProcess::StartOutcome GatewayProcess::awaitHealthy(uint16_t port, std::size_t logOffset) {
  HttpClient probe(kLoopback, port);
  probe.setTimeoutMs(kProbeTimeoutMs);
  const auto deadline = Clock::now() + std::chrono::milliseconds(kReadyTimeoutMs);
  std::string lastProbe = "no probe yet";
  for (;;) {
    if (!running()) {
      const std::string tail = logTail(logOffset);
      if (!portIsFree(port) || mentionsAddressInUse(tail)) {
        return StartOutcome::kPortTaken;
      }
      throw std::runtime_error("GatewayProcess: " + describe() + " exited with status " +
                               std::to_string(lastExitStatus_) +
                               " before /healthz answered 200; log:\n" + tail);
    }
    try {
      const HttpResponse r = probe.get("/healthz");
      if (r.status == 200 && running()) {
        return StartOutcome::kHealthy;
      }
      lastProbe = "GET /healthz answered " + std::to_string(r.status);
    } catch (const std::runtime_error& e) {
      lastProbe = e.what();
    }
    if (Clock::now() >= deadline) {
      const std::string tail = logTail(logOffset);
      ::kill(pid_, SIGKILL);
      reap(true);
      throw std::runtime_error("GatewayProcess: " + describe() + " not healthy within " +
                               std::to_string(kReadyTimeoutMs) + " ms (last probe: " + lastProbe +
                               "); log:\n" + tail);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kReadyPollMs));
  }
}

int GatewayProcess::terminate(int graceMs) {
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::milliseconds(graceMs);
  while (!reap(false)) {
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      reap(true);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return lastExitStatus_;
}

bool GatewayProcess::reap(bool block) {
  if (pid_ <= 0) {
    return true;
  }
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) {
    return false;
  }
  lastExitStatus_ = r == pid_ ? exitStatusOf(status) : -1;
  pid_ = -1;
  return true;
}

std::string GatewayProcess::logTail(std::size_t fromOffset) const {
  std::string text = readFileFrom(logPath(), fromOffset);
  if (text.size() > kLogTailBytes) {
    text = "[...]\n" + text.substr(text.size() - kLogTailBytes);
  }
  return text.empty() ? std::string("(gateway.log is empty)") : text;
}

std::string GatewayProcess::describe() const {
  std::ostringstream out;
  out << "mes-gateway (";
  if (pid_ > 0) {
    out << "pid " << pid_ << ", ";
  }
  out << "port " << port_ << ", data dir " << dataDir_ << ", command: " << joinCommand(argv_)
      << ")";
  return out.str();
}

}  // namespace mes::itest
