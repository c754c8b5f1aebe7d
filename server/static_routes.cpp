#include "static_routes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "gzip.h"
#include "http_response.h"
#include "http_server.h"
#include "reco/sha256.h"
#include "static_files.h"

namespace reco::serve {
namespace {

// Bodies smaller than this are sent as they are: gzip's own header and trailer (18
// bytes) and block overhead would make them larger.
constexpr std::uint64_t kMinGzipBytes = 256;
// Bodies larger than this are sent as they are: compressing them on every request would
// cost more time than the transfer saves on a local network.
constexpr std::uint64_t kMaxGzipBytes = 64u << 20;

struct StaticState {
  StaticRoots roots;
  FileHashCache hashes;
};

// The request target's path without the query, as sent (still percent-encoded).
std::string raw_path(const httplib::Request& req) { return req.target.substr(0, req.target.find('?')); }

// Reads the whole file behind `fd`; nullopt on a read error.
std::optional<std::string> read_all(int fd, std::uint64_t size_hint) {
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(size_hint));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return bytes;
    bytes.append(buf, static_cast<std::size_t>(n));
  }
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void serve_file(StaticState& state, const httplib::Request& req, httplib::Response& res, const std::filesystem::path& file,
                const std::string& url_name, bool in_bundles) {
  // The path was canonical a moment ago; O_NOFOLLOW refuses a symlink swapped in since,
  // and O_NONBLOCK keeps a FIFO swapped in from blocking the thread (fstat refuses it).
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  struct stat sb {};
  if (fd.get() < 0 || ::fstat(fd.get(), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    send_error(res, 404, "not found: " + raw_path(req));
    return;
  }
  const FileStamp stamp{static_cast<std::uint64_t>(sb.st_dev), static_cast<std::uint64_t>(sb.st_ino),
                        static_cast<std::uint64_t>(sb.st_size),
                        static_cast<std::int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec};
  const std::string key = file.string();
  const std::string type = mime_type(url_name);
  const bool compressible = is_compressible(url_name);
  const std::string range_header = req.get_header_value("Range");
  // A range request gets ranges of the identity bytes: simpler for both sides, and range
  // requests are for large binary files that are not compressed anyway.
  const bool gzip = compressible && stamp.size >= kMinGzipBytes && stamp.size <= kMaxGzipBytes && range_header.empty() &&
                    accepts_gzip(req.get_header_value("Accept-Encoding"));
  const bool conditional = req.has_header("If-None-Match");

  const auto set_validators = [&](const std::string& sha) {
    replace_header(res, "ETag", make_etag(sha, gzip));
    const std::optional<std::string_view> address = in_bundles ? content_address(url_name) : std::nullopt;
    // The name promises the content's hash; it is checked, so a file misnamed by hand is
    // not cached for a year.
    const bool immutable = address && sha.compare(0, address->size(), *address) == 0;
    replace_header(res, "Cache-Control", immutable ? kCacheImmutable : kCacheRevalidate);
    if (compressible) replace_header(res, "Vary", "Accept-Encoding");
  };
  const auto not_modified = [&](const std::string& sha) {
    if (!conditional || !if_none_match_matches(req.get_header_value("If-None-Match"), make_etag(sha, gzip))) return false;
    set_validators(sha);
    res.status = 304;  // no body; httplib adds "Content-Length: 0"
    return true;
  };

  // An unchanged file whose hash is known is revalidated without reading it.
  const std::optional<std::string> known = state.hashes.find(key, stamp);
  if (known && not_modified(*known)) return;

  std::optional<std::string> content = read_all(fd.get(), stamp.size);
  if (!content) {
    send_error(res, 500, "cannot read " + raw_path(req));
    return;
  }
  std::string sha;
  if (content->size() == stamp.size && known) {
    sha = *known;
  } else {
    sha = sha256_hex(content->data(), content->size());
    // A file being written while read does not match its stamp: hash it, do not remember.
    if (content->size() == stamp.size) state.hashes.store(key, stamp, sha);
  }
  if (not_modified(sha)) return;
  set_validators(sha);
  replace_header(res, "Accept-Ranges", "bytes");

  if (!range_header.empty()) {
    // If-Range: the range is only wanted if the file is still the one the client has.
    const std::string if_range = req.get_header_value("If-Range");
    const ByteRange range = if_range.empty() || if_range == make_etag(sha, false)
                                ? parse_range(range_header, content->size())
                                : ByteRange{};
    if (range.kind == ByteRange::Kind::Unsatisfiable) {
      replace_header(res, "Content-Range", "bytes */" + std::to_string(content->size()));
      send_error(res, 416, "range '" + range_header + "' is outside the file's " + std::to_string(content->size()) + " bytes");
      return;
    }
    if (range.kind == ByteRange::Kind::Satisfiable) {
      replace_header(res, "Content-Range", "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
                                               std::to_string(content->size()));
      res.status = 206;
      set_body(res, content->substr(range.first, range.last - range.first + 1), type);
      return;
    }
  }
  res.status = 200;
  if (gzip) {
    replace_header(res, "Content-Encoding", "gzip");
    set_body(res, gzip_compress(*content), type);
  } else {
    set_body(res, std::move(*content), type);
  }
}

void handle(StaticState& state, const httplib::Request& req, httplib::Response& res) {
  const UrlPath url = parse_url_path(req.target);
  if (url.status != 0) {
    // A hidden file is "not found" like a missing one, not "forbidden".
    send_error(res, url.status, url.status == 404 ? "not found: " + raw_path(req) : url.error);
    return;
  }
  if (!url.segments.empty() && url.segments[0] == "api") {
    send_error(res, 404, "no such API route: " + req.method + " " + raw_path(req));
    return;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    send_method_not_allowed(res, req.method, "GET, HEAD");
    return;
  }
  const bool in_bundles = !url.segments.empty() && url.segments[0] == "bundles";
  const std::vector<std::string> segments(url.segments.begin() + (in_bundles ? 1 : 0), url.segments.end());
  const ResolvedFile found =
      resolve_under_root(in_bundles ? state.roots.bundles : state.roots.web, segments, url.trailing_slash);
  switch (found.kind) {
    case ResolvedFile::Kind::Redirect: {
      const std::size_t q = req.target.find('?');
      res.status = 301;
      replace_header(res, "Location", raw_path(req) + "/" + (q == std::string::npos ? "" : req.target.substr(q)));
      set_body(res, std::string(), "text/plain");
      return;
    }
    case ResolvedFile::Kind::NotFound:
      send_error(res, 404, "not found: " + raw_path(req));
      return;
    case ResolvedFile::Kind::File: {
      const std::string url_name = url.trailing_slash || segments.empty() ? "index.html" : segments.back();
      serve_file(state, req, res, found.file, url_name, in_bundles);
      return;
    }
  }
}

}  // namespace

void register_static_routes(httplib::Server& server, const StaticRoots& roots) {
  auto state = std::make_shared<StaticState>();
  state->roots = roots;
  const auto handler = [state](const httplib::Request& req, httplib::Response& res) { handle(*state, req, res); };
  // Methods with a body read it within the limit first (http_server.h says why).
  const auto with_body = [state](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (read_request_body(reader, res)) handle(*state, req, res);
  };
  // ".*" matches every path httplib routes (the server refuses long paths before
  // routing: std::regex matching recurses once per character).
  const std::string any = ".*";
  server.Get(any, handler);  // and HEAD: httplib routes HEAD to the GET handlers and sends no body
  server.Options(any, handler);
  server.Post(any, with_body);
  server.Put(any, with_body);
  server.Patch(any, with_body);
  server.Delete(any, with_body);
}

}  // namespace reco::serve
