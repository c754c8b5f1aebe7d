#include "static_files.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace reco::serve {
namespace {

namespace fs = std::filesystem;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits on `sep`, keeping empty pieces.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    const std::size_t at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}
bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// True when `p` is `root` or lies below it, comparing whole components (so /srv/web2
// is not under /srv/web).
bool lies_under(const fs::path& root, const fs::path& p) {
  auto i = p.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++i)
    if (i == p.end() || *i != *r) return false;
  return true;
}

// A component of `p` below `root` starting with '.': a symlink may lead to a hidden file
// even when the URL named none.
bool has_hidden_component(const fs::path& root, const fs::path& p) {
  auto i = p.begin();
  for (auto r = root.begin(); r != root.end() && i != p.end(); ++r) ++i;
  for (; i != p.end(); ++i)
    if (!i->empty() && i->native().front() == '.') return true;
  return false;
}

std::optional<fs::path> canonical_file_under(const fs::path& root, const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::canonical(p, ec);
  if (ec || !lies_under(root, c) || has_hidden_component(root, c)) return std::nullopt;
  return c;
}

// Parses a non-negative decimal of at most 18 digits (so it cannot overflow).
std::optional<std::uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 18 || !all_of(s, is_digit)) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  return v;
}

// The q value of one Accept-Encoding element's parameters ("q=0.5"); 1 when absent.
// An unreadable q counts as 0: better not to compress than to send what was refused.
double quality(std::string_view params) {
  for (std::string_view p : split(params, ';')) {
    p = trim(p);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    const std::string value(trim(p.substr(2)));
    char* end = nullptr;
    const double q = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !(q >= 0.0 && q <= 1.0)) return 0.0;
    return q;
  }
  return 1.0;
}

}  // namespace

UrlPath parse_url_path(std::string_view target) {
  UrlPath out;
  const auto fail = [&out](int status, std::string message) {
    out.segments.clear();
    out.status = status;
    out.error = std::move(message);
    return out;
  };
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.empty() || path.front() != '/') return fail(400, "the request path must start with '/'");
  path.remove_prefix(1);
  const std::vector<std::string_view> raw = split(path, '/');
  bool hidden = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const std::string_view r = raw[i];
    if (r.empty()) {
      if (i + 1 == raw.size()) {  // "/" itself, or "/docs/"
        out.trailing_slash = true;
        break;
      }
      return fail(400, "empty segment ('//') in the request path");
    }
    std::string seg;
    for (std::size_t k = 0; k < r.size(); ++k) {
      char c = r[k];
      if (c == '%') {
        if (k + 2 >= r.size()) return fail(400, "malformed percent-encoding in the request path");
        const int h = hex_value(r[k + 1]), l = hex_value(r[k + 2]);
        if (h < 0 || l < 0) return fail(400, "malformed percent-encoding in the request path");
        c = static_cast<char>(h * 16 + l);
        k += 2;
        if (c == '/' || c == '\\') return fail(400, "encoded '/' or '\\' in the request path");
      }
      if (c == '\\') return fail(400, "backslash in the request path");
      if (c == '\0') return fail(400, "NUL byte in the request path");
      seg.push_back(c);
    }
    if (seg == "." || seg == "..") return fail(400, "'.' and '..' segments are not allowed in the request path");
    if (seg.front() == '.') hidden = true;
    out.segments.push_back(std::move(seg));
  }
  // Checked after the whole path, so that an unsafe path is always a 400 wherever its
  // hidden segment is.
  if (hidden) return fail(404, "not found");
  return out;
}

ResolvedFile resolve_under_root(const fs::path& canonical_root, const std::vector<std::string>& segments,
                                bool trailing_slash) {
  fs::path p = canonical_root;
  for (const std::string& s : segments) p /= s;  // plain names (parse_url_path): never absolute
  const std::optional<fs::path> c = canonical_file_under(canonical_root, p);
  if (!c) return {};
  std::error_code ec;
  const fs::file_status st = fs::status(*c, ec);
  if (ec) return {};
  if (fs::is_directory(st)) {
    if (!trailing_slash) return {ResolvedFile::Kind::Redirect, {}};
    const std::optional<fs::path> index = canonical_file_under(canonical_root, *c / "index.html");
    if (!index || !fs::is_regular_file(fs::status(*index, ec)) || ec) return {};
    return {ResolvedFile::Kind::File, *index};
  }
  if (!fs::is_regular_file(st) || trailing_slash) return {};
  return {ResolvedFile::Kind::File, *c};
}

std::string mime_type(std::string_view filename) {
  const std::size_t dot = filename.rfind('.');
  const std::string ext = dot == std::string_view::npos ? std::string() : lower(filename.substr(dot + 1));
  if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "wasm") return "application/wasm";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "txt" || ext == "md") return "text/plain; charset=utf-8";
  if (ext == "webmanifest") return "application/manifest+json";
  return "application/octet-stream";  // .onnx, .bin and anything unknown
}

bool is_compressible(std::string_view filename) {
  const std::string type = mime_type(filename);
  return type.rfind("text/", 0) == 0 || type == "application/json" || type == "application/wasm" ||
         type == "image/svg+xml" || type == "application/manifest+json";
}

std::optional<std::string_view> content_address(std::string_view filename) {
  const std::vector<std::string_view> parts = split(filename, '.');
  if (parts.size() != 3 || !all_of(parts[0], is_word_char) || parts[1].size() != 16 || !all_of(parts[1], is_lower_hex) ||
      !all_of(parts[2], is_alnum))
    return std::nullopt;
  return parts[1];
}

std::string make_etag(std::string_view sha256_hex, bool gzip) {
  return "\"" + std::string(sha256_hex.substr(0, 32)) + (gzip ? "-gz" : "") + "\"";
}

bool if_none_match_matches(std::string_view header, std::string_view etag) {
  header = trim(header);
  if (header == "*") return true;
  std::size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t' || header[i] == ',')) ++i;
    if (i >= header.size()) break;
    if (header.compare(i, 2, "W/") == 0) i += 2;  // weak comparison: the W/ prefix does not matter
    if (i >= header.size() || header[i] != '"') return false;  // malformed list: match nothing
    const std::size_t close = header.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    if (header.substr(i, close - i + 1) == etag) return true;
    i = close + 1;
  }
  return false;
}

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<double> gzip_q, star_q;
  for (std::string_view element : split(accept_encoding, ',')) {
    element = trim(element);
    const std::size_t semi = element.find(';');
    const std::string coding = lower(trim(element.substr(0, semi)));
    const double q = semi == std::string_view::npos ? 1.0 : quality(element.substr(semi + 1));
    if (coding == "gzip" || coding == "x-gzip") gzip_q = std::max(gzip_q.value_or(0.0), q);
    else if (coding == "*") star_q = q;
  }
  if (gzip_q) return *gzip_q > 0.0;
  return star_q && *star_q > 0.0;
}

ByteRange parse_range(std::string_view header, std::uint64_t size) {
  header = trim(header);
  if (header.size() < 6 || lower(header.substr(0, 6)) != "bytes=") return {};
  const std::string_view spec = trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return {};  // several ranges: the whole file instead
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  ByteRange unsatisfiable{ByteRange::Kind::Unsatisfiable, 0, 0};
  if (a.empty()) {  // "-N": the last N bytes
    const std::optional<std::uint64_t> n = parse_decimal(b);
    if (!n) return {};
    if (*n == 0 || size == 0) return unsatisfiable;
    return {ByteRange::Kind::Satisfiable, size > *n ? size - *n : 0, size - 1};
  }
  const std::optional<std::uint64_t> first = parse_decimal(a);
  if (!first) return {};
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    const std::optional<std::uint64_t> l = parse_decimal(b);
    if (!l || *l < *first) return {};
    last = std::min(last, *l);
  }
  if (*first >= size) return unsatisfiable;
  return {ByteRange::Kind::Satisfiable, *first, last};
}

std::optional<std::string> FileHashCache::find(const std::string& path, const FileStamp& stamp) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = entries_.find(path);
  if (it == entries_.end() || !(it->second.stamp == stamp)) return std::nullopt;
  return it->second.sha256_hex;
}

void FileHashCache::store(const std::string& path, const FileStamp& stamp, std::string sha256_hex) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.size() >= kMaxEntries && entries_.find(path) == entries_.end()) entries_.clear();
  entries_[path] = Entry{stamp, std::move(sha256_hex)};
}

}  // namespace reco::serve
