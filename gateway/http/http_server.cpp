#include "gateway/http/http_server.h"

#include <cpprest/astreambuf.h>
#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace mes::http {

namespace wh = web::http;
namespace wl = web::http::experimental::listener;

namespace {

// A read-only cpprestsdk stream buffer over a BodySource: the listener pulls the response body
// through getn() as it writes it out, so nothing but one chunk is in memory at a time. Only the
// reads the listener makes are supported; the rest answers "unsupported" (eof, 0, false).
class PullBuffer final : public concurrency::streams::details::streambuf_state_manager<uint8_t> {
 public:
  using Base = concurrency::streams::details::streambuf_state_manager<uint8_t>;
  explicit PullBuffer(std::shared_ptr<BodySource> source)
      : Base(std::ios_base::in), source_(std::move(source)) {}

  bool can_seek() const override { return false; }
  bool has_size() const override { return true; }
  utility::size64_t size() const override { return source_->size(); }
  size_t buffer_size(std::ios_base::openmode) const override { return 0; }
  void set_buffer_size(size_t, std::ios_base::openmode) override {}
  size_t in_avail() const override { return 0; }
  pos_type getpos(std::ios_base::openmode) const override { return pos_type(static_cast<off_type>(position_)); }
  pos_type seekpos(pos_type, std::ios_base::openmode) override { return pos_type(traits::eof()); }
  pos_type seekoff(off_type, std::ios_base::seekdir, std::ios_base::openmode) override {
    return pos_type(traits::eof());
  }
  bool acquire(uint8_t*& ptr, size_t& count) override {
    ptr = nullptr;
    count = 0;
    return false;
  }
  void release(uint8_t*, size_t) override {}

 protected:
  pplx::task<int_type> _putc(uint8_t) override { return pplx::task_from_result<int_type>(traits::eof()); }
  pplx::task<size_t> _putn(const uint8_t*, size_t) override { return pplx::task_from_result<size_t>(0); }
  pplx::task<int_type> _bumpc() override { return pplx::task_from_result<int_type>(_sbumpc()); }
  int_type _sbumpc() override {
    uint8_t c = 0;
    return readInto(&c, 1) == 1 ? int_type(c) : traits::eof();
  }
  pplx::task<int_type> _getc() override { return pplx::task_from_result<int_type>(traits::eof()); }
  int_type _sgetc() override { return traits::requires_async(); }
  pplx::task<int_type> _nextc() override { return pplx::task_from_result<int_type>(traits::eof()); }
  pplx::task<int_type> _ungetc() override { return pplx::task_from_result<int_type>(traits::eof()); }
  pplx::task<size_t> _getn(uint8_t* ptr, size_t count) override {
    try {
      return pplx::task_from_result<size_t>(readInto(ptr, count));
    } catch (...) {
      return pplx::task_from_exception<size_t>(std::current_exception());
    }
  }
  size_t _scopy(uint8_t*, size_t) override { return 0; }
  pplx::task<bool> _sync() override { return pplx::task_from_result(true); }
  uint8_t* _alloc(size_t) override { return nullptr; }
  void _commit(size_t) override {}

 private:
  // Throws when the source fails, which makes the listener abort the response.
  size_t readInto(uint8_t* ptr, size_t count) {
    Result<size_t> n = source_->read(reinterpret_cast<char*>(ptr), count);
    if (!n) throw std::runtime_error("response body source failed");
    position_ += *n;
    return *n;
  }

  std::shared_ptr<BodySource> source_;
  uint64_t position_ = 0;
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  ServerOptions options;
  Handler handler;
  std::unique_ptr<wl::http_listener> listener;
  std::atomic<size_t> inFlight{0};
  std::atomic<bool> draining{false};
  std::mutex mutex;
  std::condition_variable idle;

  struct BodyState {
    std::optional<Request> head;  // when the stream opener already built it
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
      Response r;
      if (options.drainingResponse) {
        r = options.drainingResponse();
      } else {
        r.status = 503;
      }
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
    std::optional<Request> head;
    if (options.openStream) {
      head = headOf(request);
      head->declaredBodyBytes = hasLength ? declared : 0;
      if (std::unique_ptr<BodyStream> stream = options.openStream(*head)) {
        auto state = std::make_shared<StreamState>();
        state->stream = std::move(stream);
        state->chunkSize = hasLength ? static_cast<size_t>(std::min<uint64_t>(declared, kMaxChunk))
                                     : kMaxChunk;
        state->chunk.reset(new unsigned char[state->chunkSize]);
        if (hasLength && declared > state->stream->limit()) state->failure = tooLarge(*state);
        readStream(std::move(request), std::move(state));
        return;
      }
    }
    auto state = std::make_shared<BodyState>();
    state->head = std::move(head);  // not a streamed body: parsed once, reused by dispatch()
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

  struct StreamState {
    std::unique_ptr<BodyStream> stream;
    std::unique_ptr<unsigned char[]> chunk;
    size_t chunkSize = 0;
    uint64_t received = 0;
    std::optional<Error> failure;  // set: the rest of the body is dropped
  };

  static Error tooLarge(const StreamState& state) {
    return Error::make(ErrorKind::kTooLarge, "body-too-large",
                       "The request body is larger than the limit of " +
                           std::to_string(state.stream->limit()) + " bytes for this endpoint.");
  }

  // Reads the body of a streamed request chunk by chunk; the stream takes each chunk before the
  // next one is read.
  void readStream(wh::http_request request, std::shared_ptr<StreamState> state) {
    auto self = shared_from_this();
    auto buffer = request.body().streambuf();
    buffer.getn(state->chunk.get(), state->chunkSize)
        .then([self, request, state](pplx::task<size_t> task) mutable {
          size_t n = 0;
          try {
            n = task.get();
          } catch (...) {
            // The client went away mid-body: the stream drops what it staged; the response
            // (for the audit trail) goes nowhere.
            Response r = self->finishStream(*state, Error::make(ErrorKind::kInvalid, "body-incomplete",
                                                                "The request body was cut short."));
            r.closeConnection = true;
            self->send(request, std::move(r));
            return;
          }
          if (n == 0) {
            Response r = self->finishStream(*state, state->failure ? Status(*state->failure)
                                                                   : Status::ok());
            if (state->failure) r.closeConnection = true;
            self->send(request, std::move(r));
            return;
          }
          state->received += n;
          if (!state->failure) {
            if (state->received > state->stream->limit()) {
              state->failure = tooLarge(*state);
            } else {
              Status written = self->writeChunk(*state, n);
              if (!written) state->failure = written.takeError();
            }
          }
          self->readStream(std::move(request), std::move(state));
        });
  }

  static Status writeChunk(StreamState& state, size_t n) {
    try {
      return state.stream->write(
          std::string_view(reinterpret_cast<const char*>(state.chunk.get()), n));
    } catch (const std::exception& e) {
      return Error::internal(std::string("body stream threw: ") + e.what());
    }
  }

  static Response finishStream(StreamState& state, Status received) {
    Response response;
    try {
      response = state.stream->finish(std::move(received));
    } catch (...) {
      response = Response{};
      response.status = 500;
    }
    state.stream.reset();  // releases what the stream staged before the response is written
    return response;
  }

  static Request headOf(const wh::http_request& request) {
    Request req;
    req.method = request.method();
    const auto& uri = request.relative_uri();
    req.path = percentDecode(uri.path(), false);
    req.rawQuery = uri.query();
    req.query = parseQuery(req.rawQuery);
    for (const auto& [name, value] : request.headers()) req.headers.add(name, value);
    req.remoteAddress = request.remote_address();
    return req;
  }

  void dispatch(wh::http_request request, BodyState&& state) {
    Request req = state.head ? std::move(*state.head) : headOf(request);
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
    if (response.source) {
      const uint64_t length = response.source->size();
      concurrency::streams::streambuf<uint8_t> pull(
          std::make_shared<PullBuffer>(std::move(response.source)));
      out.set_body(pull.create_istream(), length,
                   contentType.empty() ? std::string("application/octet-stream") : contentType);
    } else if (!response.body.empty() || !contentType.empty()) {
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
