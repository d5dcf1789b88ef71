#include "integration/support/nginx_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mes::itest {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

uint16_t NginxProcess::pickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

NginxProcess::NginxProcess(const std::vector<uint16_t>& upstreamPorts, uint16_t port) {
  if (::access(kNginx, X_OK) != 0) {
    throw std::runtime_error("nginx is not installed (scripts/setup nginx-light)");
  }
  for (int attempt = 0; attempt < (port == 0 ? 10 : 1); ++attempt) {
    if (tryStart(upstreamPorts, port)) return;
  }
  throw std::runtime_error("nginx did not start: " + readFile(dir_.string() + "/error.log"));
}

bool NginxProcess::tryStart(const std::vector<uint16_t>& upstreamPorts, uint16_t port) {
  port_ = port != 0 ? port : pickFreePort();
  const std::string dir = dir_.string();
  std::ostringstream conf;
  conf << "daemon off;\nmaster_process off;\npid " << dir << "/nginx.pid;\n"
       << "error_log " << dir << "/error.log warn;\nevents { worker_connections 512; }\n"
       << "http {\n  access_log off;\n"
       << "  client_body_temp_path " << dir << "/body;\n  proxy_temp_path " << dir << "/proxy;\n"
       << "  fastcgi_temp_path " << dir << "/fastcgi;\n  uwsgi_temp_path " << dir << "/uwsgi;\n"
       << "  scgi_temp_path " << dir << "/scgi;\n  client_max_body_size 64m;\n"
       << "  upstream gateways {\n";
  for (uint16_t upstream : upstreamPorts) conf << "    server 127.0.0.1:" << upstream << ";\n";
  conf << "    keepalive 16;\n  }\n  server {\n    listen 127.0.0.1:" << port_ << ";\n"
       << "    location / {\n      proxy_pass http://gateways;\n"
       << "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n"
       << "      proxy_set_header Host $http_host;\n    }\n  }\n}\n";
  {
    std::ofstream out(dir + "/nginx.conf");
    out << conf.str();
  }
  const std::string confPath = dir + "/nginx.conf";
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execl(kNginx, kNginx, "-p", dir.c_str(), "-c", confPath.c_str(), "-e",
            (dir + "/error.log").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;  // e.g. the port was taken: try another
    }
    try {
      HttpClient probe("127.0.0.1", port_);
      probe.get("/healthz");
      return true;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return false;
}

NginxProcess::~NginxProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
}

}  // namespace mes::itest
