#include "gateway/http/http_server.h"

#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace mes::http {

namespace wh = web::http;
namespace wl = web::http::experimental::listener;

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  ServerOptions options;
  Handler handler;
  std::unique_ptr<wl::http_listener> listener;
  std::atomic<size_t> inFlight{0};
  std::atomic<bool> draining{false};
  std::mutex mutex;
  std::condition_variable idle;

  struct BodyState {
    // Not value-initialised: a read fills what it returns.
    std::unique_ptr<unsigned char[]> chunk;
    size_t chunkSize = 0;
    std::string body;
    uint64_t received = 0;
    bool tooLarge = false;
  };
  static constexpr size_t kMaxChunk = 64 * 1024;

  void onRequest(wh::http_request request) {
    inFlight.fetch_add(1);
    if (draining.load()) {
      Response r = options.drainingResponse ? options.drainingResponse() : Response{503, {}, {}};
      r.closeConnection = true;
      send(request, std::move(r));
      return;
    }
    uint64_t declared = 0;
    const bool hasLength = request.headers().match(wh::header_names::content_length, declared);
    // A request without a body (most GETs) is handled at once, on this thread: no read of an
    // empty stream, no continuation hop through the thread pool.
    if ((hasLength && declared == 0) ||
        (!hasLength && !request.headers().has(wh::header_names::transfer_encoding))) {
      dispatch(std::move(request), BodyState{});
      return;
    }
    auto state = std::make_shared<BodyState>();
    if (hasLength && declared <= options.maxBodyBytes) {
      state->body.reserve(static_cast<size_t>(declared));
    }
    state->chunkSize = hasLength ? static_cast<size_t>(std::min<uint64_t>(declared, kMaxChunk))
                                 : kMaxChunk;
    state->chunk.reset(new unsigned char[state->chunkSize]);
    readBody(std::move(request), std::move(state));
  }

  void readBody(wh::http_request request, std::shared_ptr<BodyState> state) {
    auto self = shared_from_this();
    auto buffer = request.body().streambuf();
    buffer.getn(state->chunk.get(), state->chunkSize)
        .then([self, request, state](pplx::task<size_t> task) mutable {
          size_t n = 0;
          try {
            n = task.get();
          } catch (...) {
            // The client went away or sent a broken body: nothing sensible can be answered.
            Response r;
            r.status = 400;
            r.closeConnection = true;
            self->send(request, std::move(r));
            return;
          }
          if (n == 0) {
            self->dispatch(std::move(request), std::move(*state));
            return;
          }
          state->received += n;
          if (!state->tooLarge) {
            if (state->body.size() + n > self->options.maxBodyBytes) {
              state->tooLarge = true;
              std::string().swap(state->body);
            } else {
              state->body.append(reinterpret_cast<const char*>(state->chunk.get()), n);
            }
          }
          self->readBody(std::move(request), std::move(state));
        });
  }

  void dispatch(wh::http_request request, BodyState&& state) {
    Request req;
    req.method = request.method();
    const auto& uri = request.relative_uri();
    req.path = percentDecode(uri.path(), false);
    req.rawQuery = uri.query();
    req.query = parseQuery(req.rawQuery);
    for (const auto& [name, value] : request.headers()) req.headers.add(name, value);
    req.remoteAddress = request.remote_address();
    req.declaredBodyBytes = state.received;
    req.bodyTooLarge = state.tooLarge;
    req.body = std::move(state.body);

    Response response;
    try {
      response = handler(req);
    } catch (...) {
      // The handler layer converts its own failures; this is the last line of defence.
      response = Response{};
      response.status = 500;
    }
    if (req.bodyTooLarge) response.closeConnection = true;
    send(request, std::move(response));
  }

  void send(const wh::http_request& request, Response&& response) {
    wh::http_response out(static_cast<wh::status_code>(response.status));
    std::string contentType;
    for (const auto& [name, value] : response.headers.all()) {
      if (equalsIgnoreCase(name, "Content-Type")) {
        contentType = value;
      } else {
        out.headers().add(name, value);
      }
    }
    if (response.closeConnection) out.headers().add(U("Connection"), U("close"));
    if (!response.body.empty() || !contentType.empty()) {
      out.set_body(std::move(response.body),
                   contentType.empty() ? std::string("application/octet-stream") : contentType);
    }
    auto self = shared_from_this();
    request.reply(out).then([self](pplx::task<void> done) {
      try {
        done.get();
      } catch (...) {
        // The client closed the connection before the response was written; nothing to do.
      }
      self->finished();
    });
  }

  void finished() {
    if (inFlight.fetch_sub(1) == 1) {
      std::lock_guard lock(mutex);
      idle.notify_all();
    }
  }
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_shared<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() {
  if (impl_->listener) shutdown(std::chrono::milliseconds(0));
}

Status Server::start() {
  static std::once_flag poolOnce;
  std::call_once(poolOnce, [&] {
    try {
      crossplat::threadpool::initialize_with_threads(impl_->options.threads);
    } catch (...) {
      // Already initialised by an earlier user of the library; keep its pool.
    }
  });
  try {
    wl::http_listener_config config;
    config.set_timeout(utility::seconds(impl_->options.idleTimeoutSeconds));
    web::uri uri(U("http://") + impl_->options.host + U(":") +
                 std::to_string(impl_->options.port) + U("/"));
    auto listener = std::make_unique<wl::http_listener>(uri, config);
    std::weak_ptr<Impl> weak = impl_;
    listener->support([weak](wh::http_request request) {
      if (auto self = weak.lock()) self->onRequest(std::move(request));
    });
    listener->open().wait();
    impl_->listener = std::move(listener);
  } catch (const std::exception& e) {
    return Error::make(ErrorKind::kUnavailable, "listen-failed",
                       "Cannot listen on " + impl_->options.host + ":" +
                           std::to_string(impl_->options.port) + ": " + e.what());
  }
  return Status::ok();
}

size_t Server::shutdown(std::chrono::milliseconds grace) {
  impl_->draining.store(true);
  {
    std::unique_lock lock(impl_->mutex);
    impl_->idle.wait_for(lock, grace, [&] { return impl_->inFlight.load() == 0; });
  }
  size_t left = impl_->inFlight.load();
  if (impl_->listener) {
    try {
      impl_->listener->close().wait();
    } catch (...) {
      // Closing a listener whose connections already failed: nothing more to release.
    }
    impl_->listener.reset();
  }
  return left;
}

size_t Server::inFlight() const { return impl_->inFlight.load(); }

}  // namespace mes::http
