// What `reco serve` needs to serve a folder of static files safely and cache-friendly,
// without HTTP library types: turning a request path into a file under a root (and
// refusing everything else), MIME types, the caching policy, ETags and the request
// headers that negotiate a representation (If-None-Match, Accept-Encoding, Range).
//
// Safety rests on two independent checks: the URL path is refused outright when it
// could climb (`..`, `.`, backslashes, NUL, encoded slashes), and the file it names is
// resolved to a canonical path (symlinks followed) that must still lie under the
// canonical root. Either alone would stop `/../`; together they also stop a symlink
// inside the root that points out of it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace reco::serve {

// The path of a request target, decoded and checked. `status` 0 means usable; otherwise
// it is the HTTP status to answer with (400 malformed or unsafe, 404 hidden) and `error`
// says why.
struct UrlPath {
  std::vector<std::string> segments;  // decoded; none empty, ".", ".." or holding '/', '\\', NUL
  bool trailing_slash = false;        // the URL names a folder ("/", "/docs/")
  int status = 0;
  std::string error;
};

// `target` is the request target as sent ("/a/b%20c.html?x=1"); the query is ignored.
// Encoded slashes and backslashes (%2F, %5C) are refused rather than decoded, so a
// segment can never turn into two.
UrlPath parse_url_path(std::string_view target);

// Where a URL path leads under one root.
struct ResolvedFile {
  enum class Kind { File, Redirect, NotFound } kind = Kind::NotFound;
  std::filesystem::path file;  // Kind::File: canonical path of a regular file under the root
};

// `canonical_root` must already be canonical. A folder URL (trailing slash) gives the
// folder's index.html; a folder named without the trailing slash gives Redirect (so that
// relative links in its index.html resolve against the folder). Anything that does not
// exist, is not a regular file, is hidden (a component starting with '.') or resolves
// outside the root (through symlinks too) is NotFound: the answer does not reveal which.
ResolvedFile resolve_under_root(const std::filesystem::path& canonical_root, const std::vector<std::string>& segments,
                                bool trailing_slash);

// Content-Type for a file name, by extension (case-insensitive); unknown types are
// application/octet-stream (with nosniff, a browser will not guess further).
std::string mime_type(std::string_view filename);

// Types worth gzipping: text formats and WebAssembly. Already-compressed formats
// (images, ONNX, binary sections) are not.
bool is_compressible(std::string_view filename);

// The 16 hex digits of a content-addressed bundle file name
// (`<section>.<first 16 hex of SHA-256>.<ext>`, models/BUNDLE.md), or nullopt when the
// name does not have that form.
std::optional<std::string_view> content_address(std::string_view filename);

// Cache-Control values: content-addressed files never change under their name, so a
// client may keep them for a year without asking again; everything else (manifest.json,
// the page, scripts, WebAssembly) must be revalidated on every use (ETag makes that a
// cheap 304).
inline constexpr const char* kCacheImmutable = "public, max-age=31536000, immutable";
inline constexpr const char* kCacheRevalidate = "no-cache";

// A strong ETag from a file's SHA-256 (hex): the first 32 hex digits in quotes, with a
// "-gz" suffix inside the quotes for the gzip representation (a strong ETag names exact
// bytes, and the gzip bytes differ).
std::string make_etag(std::string_view sha256_hex, bool gzip);

// True when an If-None-Match header value ("*", or a comma-separated list of entity tags,
// weak or strong) matches `etag` by the weak comparison RFC 9110 prescribes for it.
bool if_none_match_matches(std::string_view header, std::string_view etag);

// True when an Accept-Encoding header value accepts gzip: "gzip" or "x-gzip" with q > 0,
// or "*" with q > 0 when gzip is not listed.
bool accepts_gzip(std::string_view accept_encoding);

// A single byte range of a Range header against a representation of `size` bytes.
struct ByteRange {
  enum class Kind { Ignore, Satisfiable, Unsatisfiable } kind = Kind::Ignore;
  std::uint64_t first = 0;  // Satisfiable: inclusive byte offsets, first <= last < size
  std::uint64_t last = 0;
};

// Ignore (serve the whole file) for an absent header, anything but one `bytes=` range,
// and malformed values, as RFC 9110 allows; Unsatisfiable when the range starts at or
// after the end.
ByteRange parse_range(std::string_view header, std::uint64_t size);

// Identity of a file's content as far as stat tells: the same stamp means (short of
// someone restoring an mtime) the same bytes.
struct FileStamp {
  std::uint64_t device = 0, inode = 0, size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp& o) const {
    return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns;
  }
};

// SHA-256 (hex) of files by path and stamp, so that a revalidation (If-None-Match) of an
// unchanged file is answered without reading it, and a large file is hashed once. The
// bytes themselves are never cached: a changed or replaced file has a new stamp and is
// read and hashed again. Thread-safe.
class FileHashCache {
 public:
  std::optional<std::string> find(const std::string& path, const FileStamp& stamp) const;
  void store(const std::string& path, const FileStamp& stamp, std::string sha256_hex);

 private:
  struct Entry {
    FileStamp stamp;
    std::string sha256_hex;
  };
  static constexpr std::size_t kMaxEntries = 4096;  // served folders are small; a bound all the same
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace reco::serve
