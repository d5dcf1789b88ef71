#include "conformance/client/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace mes::conformance::client {

namespace {

Error cannotStart(const std::string& program, const std::string& why) {
  return Error::make(ErrorKind::kUnavailable, "program-failed",
                     "Cannot run " + program + ": " + why + ".");
}

// The parent's environment without MES_* (see the header).
std::vector<std::string> childEnvironment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "MES_", 4) != 0) out.emplace_back(*e);
  }
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int statusOf(int waitStatus) {
  if (WIFEXITED(waitStatus)) return WEXITSTATUS(waitStatus);
  if (WIFSIGNALED(waitStatus)) return 128 + WTERMSIG(waitStatus);
  return -1;
}

}  // namespace

Result<ProgramOutput> runProgram(const std::vector<std::string>& argv) {
  if (argv.empty()) return cannotStart("(nothing)", "no program");
  std::vector<std::string> args = argv;
  std::vector<std::string> env = childEnvironment();
  std::vector<char*> argp = pointers(args);
  std::vector<char*> envp = pointers(env);
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return cannotStart(argv[0], std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) return cannotStart(argv[0], std::strerror(errno));
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execve(argp[0], argp.data(), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  ProgramOutput result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open = 2;
  char buffer[4096];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0) {
          (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open;
        }
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exitStatus = statusOf(status);
  if (result.exitStatus == 127 && result.out.empty() && result.err.empty()) {
    return cannotStart(argv[0], "it could not be executed (is the path right?)");
  }
  return result;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) stop(std::chrono::milliseconds(5000));
}

Status ChildProcess::start(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  if (argv.empty()) return cannotStart("(nothing)", "no program");
  if (pid_ > 0) return cannotStart(argv[0], "it already runs");
  std::vector<std::string> args = argv;
  std::vector<std::string> env = childEnvironment();
  std::vector<char*> argp = pointers(args);
  std::vector<char*> envp = pointers(env);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return cannotStart(argv[0], "cannot open " + log.string());
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    return cannotStart(argv[0], std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // Ctrl-C in the terminal reaches the parent only, which stops the child
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(argp[0], argp.data(), envp.data());
    ::_exit(127);
  }
  ::close(fd);
  pid_ = pid;
  exitStatus_ = -1;
  return Status::ok();
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    exitStatus_ = statusOf(status);
    pid_ = -1;
    return false;
  }
  return true;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return exitStatus_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return exitStatus_;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exitStatus_ = statusOf(status);
  pid_ = -1;
  return exitStatus_;
}

}  // namespace mes::conformance::client
