// HNSW index on hnswlib 0.6.2, with its own byte-buffer format. This is the only file
// that includes hnswlib.
//
// Bit-identical results natively and in WebAssembly
// -------------------------------------------------
// 1. Distances. hnswlib's spaces (space_ip.h, space_l2.h) pick SSE/AVX kernels on x86
//    whose partial sums are added in another order than the scalar code WebAssembly runs,
//    so the same vectors would give distances differing in the last bits. Those spaces are
//    not used: ItemSpace below is our own SpaceInterface whose dot product is written for
//    one fixed summation order (8 interleaved partial sums combined pairwise, then the
//    tail). The build has no -ffast-math and passes -ffp-contract=off natively
//    (WebAssembly has no FMA), so the compiler may neither reassociate nor fuse these
//    operations; it may still run the 8 partial sums in SIMD lanes, which changes no bit.
//    NO_MANUAL_VECTORIZATION also keeps hnswlib's x86 intrinsics (prefetches, cpuid
//    helpers) out of this file, so the graph code compiled is the same on both targets.
// 2. Ties. hnswlib's priority queues compare distances only. When two candidates are at
//    the same distance (duplicate vectors are common, e.g. items never trained), which one
//    libstdc++'s heap pops first differs from libc++'s (Emscripten), and with it the graph
//    and the answers. The distance type here is therefore Distance{value, key}, the key
//    made of the two item ids involved: a strict total order within every queue hnswlib
//    fills, so each queue's pop order no longer depends on the heap implementation. Each
//    stored vector carries its item id in a 4-byte tail for this (queries carry kQueryTag).
// 3. Levels. hnswlib draws levels with std::default_random_engine and
//    uniform_real_distribution, which differ between libstdc++ and libc++. Levels are
//    drawn here from reco::Rng in integer arithmetic and passed to addPoint; hnswlib's own
//    multiplier mult_ is kept at 0 so that its draw, used when our level is 0, is 0.
// 4. Single-threaded: only addPoint and searchKnn are called (never hnswlib's ParallelFor).
//
// Serialised format "RHNS", version 1. Integers are little-endian; floats are IEEE-754
// binary32 (vectors) or binary64 (mult), little-endian.
//   offset  type  field
//   0       4 B   magic "RHNS"
//   4       u32   version           1
//   8       u32   metric            0 inner product, 1 cosine
//   12      u32   dim               [1, kHnswMaxDim]
//   16      u32   M                 [2, kHnswMaxM]: max links per element on levels >= 1
//   20      u32   maxM0             == 2*M: max links per element on level 0
//   24      u32   ef_construction   [1, kHnswMaxEf]
//   28      u32   ef_search         [1, kHnswMaxEf]
//   32      u64   seed
//   40      u32   count             elements, <= kHnswMaxItems
//   44      u32   capacity          count <= capacity <= max(16, 2*count), >= 1
//   48      i32   maxlevel          -1 when empty, else the entry point's level, <= 64
//   52      i32   enterpoint        -1 when empty, else an element index < count
//   56      f64   mult              1/ln(M) (informational; within 1e-9 relative)
//   64      count elements, e = 0..count-1 in hnswlib's internal order:
//             u32       label       item id; the labels are a permutation of 0..count-1
//             u32       level       <= maxlevel
//             f32 x dim vector      as stored (L2-normalised for cosine); finite, |x| <= kHnswMaxAbsCoordinate
//             for l = 0..level:
//               u32       n         links on level l: <= maxM0 on level 0, <= M above
//               u32 x n   links     element indices: < count, != e, distinct, of level >= l
//   The buffer ends exactly after the last element; trailing bytes are an error.
#include "reco/hnsw_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>  // hnswlib's saveIndex (compiled, never called) needs it
#include <limits>
#include <mutex>
#include <new>
#include <unordered_map>

#define NO_MANUAL_VECTORIZATION
#include <hnswlib.h>

#include "reco/error.h"
#include "reco/portable_math.h"
#include "reco/random.h"
#include "reco/top_k.h"

// The build passes -ffp-contract=off (what keeps g++ from fusing); clang also honours the
// standard pragma, so a clang build with other flags still never fuses a*b+c into an FMA.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace reco {
namespace {

constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHeaderBytes = 64;
constexpr int kMaxLevel = 64;  // levels drawn below never exceed 53 (M = 2, see draw_level)
constexpr std::int32_t kInitialCapacity = 16;
constexpr std::uint32_t kQueryTag = 0xFFFFFFFFu;  // the item id a query vector carries

// A graph distance (lower = closer) with a tie-breaking key; see point 2 at the top.
struct Distance {
  float value;
  std::uint64_t key;
};
bool operator<(const Distance& a, const Distance& b) {
  return a.value < b.value || (a.value == b.value && a.key < b.key);
}
bool operator>(const Distance& a, const Distance& b) { return b < a; }
// hnswlib keeps "-distance" in max-heaps to pop the closest first: negation must reverse
// the order, so the key is complemented too.
Distance operator-(const Distance& a) { return {-a.value, ~a.key}; }

// Every dot product here is portable_dot (portable_math.h): one fixed summation order
// (point 1 at the top), shared by the graph and exact search so their scores are
// bit-identical.
const auto dot = portable_dot;

std::uint32_t tag_of(const void* vec, std::size_t dim) {
  std::uint32_t tag;
  std::memcpy(&tag, static_cast<const char*>(vec) + dim * sizeof(float), sizeof(tag));
  return tag;
}

// Vectors as hnswlib stores them: dim floats, then the item id (4 bytes). The distance is
// -dot, so the score is exactly -distance.
class ItemSpace : public hnswlib::SpaceInterface<Distance> {
 public:
  explicit ItemSpace(int dim) : dim_(static_cast<std::size_t>(dim)) {}
  std::size_t get_data_size() override { return dim_ * sizeof(float) + sizeof(std::uint32_t); }
  hnswlib::DISTFUNC<Distance> get_dist_func() override { return &distance; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  static Distance distance(const void* a, const void* b, const void* param) {
    const std::size_t dim = *static_cast<const std::size_t*>(param);
    const std::uint32_t ta = tag_of(a, dim), tb = tag_of(b, dim);
    const std::uint64_t key = (static_cast<std::uint64_t>(std::min(ta, tb)) << 32) | std::max(ta, tb);
    return {-dot(static_cast<const float*>(a), static_cast<const float*>(b), dim), key};
  }
  std::size_t dim_;
};

using Graph = hnswlib::HierarchicalNSW<Distance>;

bool coordinate_ok(float x) { return std::fabs(x) <= kHnswMaxAbsCoordinate; }  // false for NaN

void check_vector(const float* vec, int dim, const std::string& param) {
  if (vec == nullptr) throw ParamError(param, "null pointer");
  for (int i = 0; i < dim; ++i)
    if (!coordinate_ok(vec[i]))
      throw ParamError(param, "coordinate " + std::to_string(i) + " is " + std::to_string(vec[i]) +
                                  ": must be finite and at most 1e15 in magnitude");
}

// out = in, L2-normalised for cosine (a zero vector stays zero). Double precision in a
// fixed order, correctly rounded sqrt and division: the same bits on every platform.
void prepare(const float* in, float* out, int dim, HnswMetric metric) {
  if (metric != HnswMetric::Cosine) {
    std::copy(in, in + dim, out);
    return;
  }
  double squares = 0.0;
  for (int i = 0; i < dim; ++i) squares += static_cast<double>(in[i]) * static_cast<double>(in[i]);
  if (squares == 0.0) {
    std::fill(out, out + dim, 0.0f);
    return;
  }
  const double inverse = 1.0 / std::sqrt(squares);
  for (int i = 0; i < dim; ++i) out[i] = static_cast<float>(static_cast<double>(in[i]) * inverse);
}

// The level of item `label`: hnswlib's rule level = floor(-ln(u) / ln(M)) for u uniform in
// (0, 1]; level >= l exactly when u <= M^-l. With u = k / 2^53 that is k * M^l <= 2^53,
// evaluated in integers so that every platform agrees. It depends on (seed, label) only,
// so adding after a serialisation round trip builds the same graph as adding before.
int draw_level(std::uint64_t seed, std::uint32_t label, int M) {
  Rng rng(seed ^ (0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(label) + 1)));
  std::uint64_t x = (rng.next_u64() >> 11) + 1;  // k in [1, 2^53]
  const std::uint64_t limit = (std::uint64_t{1} << 53) / static_cast<std::uint64_t>(M);
  int level = 0;
  while (x <= limit) {
    x *= static_cast<std::uint64_t>(M);
    ++level;
  }
  return level;
}

void check_dim(int dim) {
  if (dim < 1 || dim > kHnswMaxDim)
    throw ParamError("dim", "must be in [1, " + std::to_string(kHnswMaxDim) + "], got " + std::to_string(dim));
}

double level_multiplier(int M) { return 1.0 / std::log(static_cast<double>(M)); }

// ---- little-endian byte buffers ----

class Writer {
 public:
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void f32(float v) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    u32(bits);
  }
  void f64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    u64(bits);
  }
  void raw(const char* text, std::size_t n) { bytes_.insert(bytes_.end(), text, text + n); }
  void reserve(std::size_t n) { bytes_.reserve(n); }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

// Bounds-checked reads; every failure is a DataError naming the source, field and offset.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size, const std::string& what) : data_(data), size_(size), what_(what) {}

  [[noreturn]] void fail(const std::string& field, const std::string& message, std::size_t offset) const {
    throw DataError(what_, 0, field, "byte " + std::to_string(offset) + ": " + message);
  }
  // `context` (e.g. "element 3") prefixes the truncation message.
  void need(std::size_t n, const std::string& field, const std::string& context) const {
    if (size_ - pos_ < n)
      fail(field,
           (context.empty() ? std::string() : context + ": ") + "the buffer ends after " + std::to_string(size_) +
               " bytes, " + std::to_string(n - (size_ - pos_)) + " more needed (truncated?)",
           pos_);
  }
  std::uint32_t u32(const std::string& field, const std::string& context = {}) {
    need(4, field, context);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(data_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
    pos_ += 4;
    return v;
  }
  std::uint64_t u64(const std::string& field, const std::string& context = {}) {
    need(8, field, context);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(data_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
    pos_ += 8;
    return v;
  }
  float f32(const std::string& field, const std::string& context = {}) {
    const std::uint32_t bits = u32(field, context);
    float v;
    std::memcpy(&v, &bits, sizeof(v));
    return v;
  }
  double f64(const std::string& field, const std::string& context = {}) {
    const std::uint64_t bits = u64(field, context);
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    return v;
  }
  std::size_t pos() const { return pos_; }
  void seek(std::size_t pos) { pos_ = pos; }
  std::size_t size() const { return size_; }
  const std::uint8_t* data() const { return data_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

struct Header {
  HnswMetric metric;
  int dim;
  HnswParams params;
  std::uint32_t max_m0;
  std::uint32_t count;
  std::uint32_t capacity;
  int max_level;
  std::int64_t enterpoint;
  double mult;
};

std::string element(std::uint32_t e) { return "element " + std::to_string(e); }

// Reads and checks the 64-byte header, including that the buffer can hold `count`
// elements of the smallest possible size (before anything is allocated).
Header read_header(Reader& r) {
  Header h{};
  if (r.size() < kHeaderBytes)
    r.fail("header", "the buffer has " + std::to_string(r.size()) + " bytes, a header needs " +
                         std::to_string(kHeaderBytes) + " (truncated?)", 0);
  static const char kMagic[4] = {'R', 'H', 'N', 'S'};
  if (std::memcmp(r.data(), kMagic, 4) != 0) {
    std::string found;
    for (int i = 0; i < 4; ++i) {
      static const char* kHex = "0123456789abcdef";
      const std::uint8_t c = r.data()[i];
      found += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c))
                                       : std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
    }
    r.fail("magic", "expected \"RHNS\" (an HNSW index), found \"" + found + "\"", 0);
  }
  r.seek(4);
  auto in_range = [&](const char* field, std::uint32_t v, std::uint32_t lo, std::uint32_t hi) {
    if (v < lo || v > hi)
      r.fail(field, std::to_string(v) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
             r.pos() - 4);
    return v;
  };
  const std::uint32_t version = r.u32("version");
  if (version != kFormatVersion)
    r.fail("version", "format version " + std::to_string(version) + " is not supported (this build reads " +
                          std::to_string(kFormatVersion) + ")", 4);
  const std::uint32_t metric = r.u32("metric");
  if (metric > 1) r.fail("metric", std::to_string(metric) + " is not a metric (0 inner product, 1 cosine)", 8);
  h.metric = static_cast<HnswMetric>(metric);
  h.dim = static_cast<int>(in_range("dim", r.u32("dim"), 1, kHnswMaxDim));
  h.params.M = static_cast<int>(in_range("M", r.u32("M"), 2, kHnswMaxM));
  h.max_m0 = r.u32("maxM0");
  if (h.max_m0 != 2 * static_cast<std::uint32_t>(h.params.M))
    r.fail("maxM0", std::to_string(h.max_m0) + " is not 2*M = " + std::to_string(2 * h.params.M), 20);
  h.params.ef_construction = static_cast<int>(in_range("ef_construction", r.u32("ef_construction"), 1, kHnswMaxEf));
  h.params.ef_search = static_cast<int>(in_range("ef_search", r.u32("ef_search"), 1, kHnswMaxEf));
  h.params.seed = r.u64("seed");
  h.count = in_range("count", r.u32("count"), 0, kHnswMaxItems);
  // Every element takes at least label + level + vector + level-0 link count.
  const std::uint64_t min_element = 12 + 4 * static_cast<std::uint64_t>(h.dim);
  const std::uint64_t min_total = kHeaderBytes + min_element * h.count;
  if (min_total > r.size())
    r.fail("count",
           std::to_string(h.count) + " elements of dim " + std::to_string(h.dim) + " need at least " +
               std::to_string(min_total) + " bytes, the buffer has " + std::to_string(r.size()) + " (truncated?)",
           40);
  h.capacity = r.u32("capacity");
  const std::uint64_t max_capacity = std::max<std::uint64_t>(kInitialCapacity, 2 * std::uint64_t{h.count});
  if (h.capacity < std::max<std::uint32_t>(h.count, 1) || h.capacity > max_capacity ||
      h.capacity > static_cast<std::uint32_t>(kHnswMaxItems))
    r.fail("capacity",
           std::to_string(h.capacity) + " is outside [max(count, 1), max(16, 2*count)] for count " +
               std::to_string(h.count),
           44);
  const auto max_level = static_cast<std::int32_t>(r.u32("maxlevel"));
  const auto enterpoint = static_cast<std::int32_t>(r.u32("enterpoint"));
  if (h.count == 0) {
    if (max_level != -1) r.fail("maxlevel", std::to_string(max_level) + " in an empty index (must be -1)", 48);
    if (enterpoint != -1) r.fail("enterpoint", std::to_string(enterpoint) + " in an empty index (must be -1)", 52);
  } else {
    if (max_level < 0 || max_level > kMaxLevel)
      r.fail("maxlevel", std::to_string(max_level) + " is outside [0, " + std::to_string(kMaxLevel) + "]", 48);
    if (enterpoint < 0 || static_cast<std::uint32_t>(enterpoint) >= h.count)
      r.fail("enterpoint", std::to_string(enterpoint) + " is not an element index below count " +
                               std::to_string(h.count), 52);
  }
  h.max_level = max_level;
  h.enterpoint = enterpoint;
  h.mult = r.f64("mult");
  const double expected = level_multiplier(h.params.M);
  if (!(std::fabs(h.mult - expected) <= 1e-9 * expected))
    r.fail("mult", std::to_string(h.mult) + " is not 1/ln(M) = " + std::to_string(expected), 56);
  return h;
}

}  // namespace

// ---- HnswParams ----

void HnswParams::validate() const {
  if (M < 2 || M > kHnswMaxM)
    throw ParamError("M", "must be in [2, " + std::to_string(kHnswMaxM) + "], got " + std::to_string(M));
  if (ef_construction < 1 || ef_construction > kHnswMaxEf)
    throw ParamError("ef_construction",
                     "must be in [1, " + std::to_string(kHnswMaxEf) + "], got " + std::to_string(ef_construction));
  if (ef_search < 1 || ef_search > kHnswMaxEf)
    throw ParamError("ef_search", "must be in [1, " + std::to_string(kHnswMaxEf) + "], got " + std::to_string(ef_search));
}

// ---- HnswIndex ----

struct HnswIndex::Impl {
  // The graph keeps a pointer into `space` (dist_func_param_): Impl never moves.
  Impl(int dim, const HnswParams& params, std::size_t capacity)
      : space(dim),
        graph(new Graph(&space, capacity, static_cast<std::size_t>(params.M),
                        static_cast<std::size_t>(params.ef_construction), static_cast<std::size_t>(params.seed))),
        mult(level_multiplier(params.M)) {
    graph->mult_ = 0.0;  // hnswlib's own level draw then always gives 0 (point 3 at the top)
    graph->setEf(static_cast<std::size_t>(params.ef_search));
    graph->metric_distance_computations = 0;
    graph->metric_hops = 0;
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ItemSpace space;
  std::unique_ptr<Graph> graph;
  double mult;  // the format's informational field, written back as read
};

HnswIndex::HnswIndex(int dim, HnswMetric metric, HnswParams params)
    : dim_(dim), metric_(metric), params_(params) {
  check_dim(dim);
  if (metric != HnswMetric::InnerProduct && metric != HnswMetric::Cosine)
    throw ParamError("metric", "unknown metric " + std::to_string(static_cast<std::uint32_t>(metric)));
  params.validate();
  impl_ = std::make_unique<Impl>(dim, params, kInitialCapacity);
}

HnswIndex::HnswIndex(int dim, HnswMetric metric, HnswParams params, std::unique_ptr<Impl> impl)
    : dim_(dim), metric_(metric), params_(params), impl_(std::move(impl)) {}

HnswIndex::HnswIndex(HnswIndex&&) noexcept = default;
HnswIndex& HnswIndex::operator=(HnswIndex&&) noexcept = default;
HnswIndex::~HnswIndex() = default;

HnswIndex::HnswIndex(const HnswIndex& other)
    : HnswIndex([&other] {
        const std::vector<std::uint8_t> bytes = other.serialize();
        return deserialize(bytes.data(), bytes.size(), "copied HNSW index");
      }()) {}

HnswIndex& HnswIndex::operator=(const HnswIndex& other) {
  if (this != &other) *this = HnswIndex(other);
  return *this;
}

HnswIndex HnswIndex::build(const float* rows, std::int32_t n, int dim, HnswMetric metric, HnswParams params) {
  check_dim(dim);
  if (n < 0 || n > kHnswMaxItems)
    throw ParamError("n", "must be in [0, " + std::to_string(kHnswMaxItems) + "], got " + std::to_string(n));
  if (n > 0 && rows == nullptr) throw ParamError("rows", "null pointer");
  HnswIndex index(dim, metric, params);
  if (n > kInitialCapacity) index.impl_->graph->resizeIndex(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) index.add(rows + static_cast<std::size_t>(i) * static_cast<std::size_t>(dim));
  return index;
}

std::int32_t HnswIndex::size() const { return static_cast<std::int32_t>(impl_->graph->cur_element_count); }

std::int32_t HnswIndex::capacity() const { return static_cast<std::int32_t>(impl_->graph->max_elements_); }

std::int32_t HnswIndex::add(const float* vec) {
  check_vector(vec, dim_, "vector");
  Graph& g = *impl_->graph;
  const std::int32_t label = size();
  if (label >= kHnswMaxItems)
    throw ParamError("vector", "the index already holds the maximum of " + std::to_string(kHnswMaxItems) + " items");
  if (g.cur_element_count == g.max_elements_)
    g.resizeIndex(std::min<std::size_t>(kHnswMaxItems, std::max<std::size_t>(kInitialCapacity, 2 * g.max_elements_)));
  std::vector<float> stored(static_cast<std::size_t>(dim_) + 1);
  prepare(vec, stored.data(), dim_, metric_);
  const auto tag = static_cast<std::uint32_t>(label);
  std::memcpy(stored.data() + dim_, &tag, sizeof(tag));
  g.addPoint(stored.data(), static_cast<hnswlib::labeltype>(label), draw_level(params_.seed, tag, params_.M));
  return label;
}

std::vector<Neighbour> HnswIndex::search(const float* query, int k) const {
  const std::int32_t n = size();
  if (k <= 0 || n == 0) return {};
  check_vector(query, dim_, "query");
  const Graph& g = *impl_->graph;
  std::vector<float> q(static_cast<std::size_t>(dim_) + 1);
  prepare(query, q.data(), dim_, metric_);
  std::memcpy(q.data() + dim_, &kQueryTag, sizeof(kQueryTag));

  std::vector<Neighbour> out;
  if (k < n) {
    auto found = g.searchKnn(q.data(), static_cast<std::size_t>(k));
    if (found.size() == static_cast<std::size_t>(k)) {
      out.reserve(found.size());
      for (; !found.empty(); found.pop())
        out.push_back({static_cast<std::int32_t>(found.top().second), -found.top().first.value});
      std::sort(out.begin(), out.end(), [](const Neighbour& a, const Neighbour& b) {
        return a.score != b.score ? a.score > b.score : a.item < b.item;
      });
      return out;
    }
  }
  // Every item asked for, or the graph reached fewer than k items: score them all.
  std::vector<float> scores(static_cast<std::size_t>(n));
  for (std::int32_t e = 0; e < n; ++e) {
    const auto id = static_cast<hnswlib::tableint>(e);
    scores[g.getExternalLabel(id)] =
        dot(q.data(), reinterpret_cast<const float*>(g.getDataByInternalId(id)), static_cast<std::size_t>(dim_));
  }
  for (const ScoredItem& s : top_k(scores, k, {})) out.push_back({s.item, s.score});
  return out;
}

void HnswIndex::set_ef_search(int ef) {
  HnswParams p = params_;
  p.ef_search = ef;
  p.validate();
  params_ = p;
  impl_->graph->setEf(static_cast<std::size_t>(ef));
}

std::vector<std::uint8_t> HnswIndex::serialize() const {
  const Graph& g = *impl_->graph;
  const auto n = static_cast<std::uint32_t>(g.cur_element_count);
  Writer w;
  w.reserve(kHeaderBytes + static_cast<std::size_t>(n) * (12 + 4 * static_cast<std::size_t>(dim_) + 4 * g.maxM0_));
  w.raw("RHNS", 4);
  w.u32(kFormatVersion);
  w.u32(static_cast<std::uint32_t>(metric_));
  w.u32(static_cast<std::uint32_t>(dim_));
  w.u32(static_cast<std::uint32_t>(params_.M));
  w.u32(static_cast<std::uint32_t>(g.maxM0_));
  w.u32(static_cast<std::uint32_t>(params_.ef_construction));
  w.u32(static_cast<std::uint32_t>(params_.ef_search));
  w.u64(params_.seed);
  w.u32(n);
  w.u32(static_cast<std::uint32_t>(g.max_elements_));
  w.u32(static_cast<std::uint32_t>(n == 0 ? -1 : g.maxlevel_));
  w.u32(n == 0 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(g.enterpoint_node_));
  w.f64(impl_->mult);
  for (std::uint32_t e = 0; e < n; ++e) {
    w.u32(static_cast<std::uint32_t>(g.getExternalLabel(e)));
    const int level = g.element_levels_[e];
    w.u32(static_cast<std::uint32_t>(level));
    const char* vec = g.getDataByInternalId(e);
    for (int i = 0; i < dim_; ++i) {
      float x;
      std::memcpy(&x, vec + static_cast<std::size_t>(i) * sizeof(float), sizeof(x));
      w.f32(x);
    }
    for (int l = 0; l <= level; ++l) {
      hnswlib::linklistsizeint* list = g.get_linklist_at_level(e, l);
      const unsigned count = g.getListCount(list);
      w.u32(count);
      const auto* links = reinterpret_cast<const hnswlib::tableint*>(list + 1);
      for (unsigned j = 0; j < count; ++j) w.u32(links[j]);
    }
  }
  return std::move(w.bytes());
}

HnswIndex HnswIndex::deserialize(const std::uint8_t* data, std::size_t size, const std::string& what) {
  if (data == nullptr && size != 0) throw ParamError("data", "null pointer with a non-zero size");
  static const std::uint8_t kEmpty = 0;
  Reader r(data == nullptr ? &kEmpty : data, size, what);
  const Header h = read_header(r);
  const std::size_t dim = static_cast<std::size_t>(h.dim);

  // Pass 1: structure, ranges, labels, vectors, link lists (all but the levels of link
  // targets, which may come later in the buffer). Remembers where each element starts.
  std::vector<std::uint8_t> levels(h.count);
  std::vector<std::uint8_t> label_seen(h.count, 0);
  std::vector<std::size_t> starts(h.count);
  std::vector<std::uint32_t> scratch;
  for (std::uint32_t e = 0; e < h.count; ++e) {
    const std::string where = element(e);
    starts[e] = r.pos();
    const std::uint32_t label = r.u32("label", where);
    if (label >= h.count)
      r.fail("label", where + ": label " + std::to_string(label) + " is not below count " + std::to_string(h.count),
             r.pos() - 4);
    if (label_seen[label]) r.fail("label", where + ": label " + std::to_string(label) + " repeats", r.pos() - 4);
    label_seen[label] = 1;
    const std::uint32_t level = r.u32("level", where);
    if (level > static_cast<std::uint32_t>(h.max_level))
      r.fail("level", where + ": level " + std::to_string(level) + " exceeds maxlevel " + std::to_string(h.max_level),
             r.pos() - 4);
    levels[e] = static_cast<std::uint8_t>(level);
    r.need(4 * dim, "vector", where);
    for (std::size_t i = 0; i < dim; ++i) {
      const float x = r.f32("vector", where);
      if (!coordinate_ok(x))
        r.fail("vector", where + ", coordinate " + std::to_string(i) + ": " + std::to_string(x) +
                             " is not finite or exceeds 1e15 in magnitude", r.pos() - 4);
    }
    for (std::uint32_t l = 0; l <= level; ++l) {
      const std::string list = where + ", level " + std::to_string(l);
      const std::uint32_t n = r.u32("links", list);
      const std::uint32_t max_links = l == 0 ? h.max_m0 : static_cast<std::uint32_t>(h.params.M);
      if (n > max_links)
        r.fail("links", list + ": " + std::to_string(n) + " links exceed the maximum " + std::to_string(max_links),
               r.pos() - 4);
      r.need(4 * static_cast<std::size_t>(n), "links", list);
      scratch.clear();
      for (std::uint32_t j = 0; j < n; ++j) {
        const std::uint32_t id = r.u32("links", list);
        if (id >= h.count)
          r.fail("links", list + ": link " + std::to_string(id) + " is not below count " + std::to_string(h.count),
                 r.pos() - 4);
        if (id == e) r.fail("links", list + ": links to itself", r.pos() - 4);
        scratch.push_back(id);
      }
      std::sort(scratch.begin(), scratch.end());
      const auto repeat = std::adjacent_find(scratch.begin(), scratch.end());
      if (repeat != scratch.end())
        r.fail("links", list + ": link " + std::to_string(*repeat) + " repeats", r.pos() - 4 * std::size_t{n});
    }
  }
  if (r.pos() != size)
    r.fail("size", std::to_string(size - r.pos()) + " trailing bytes after the last element", r.pos());
  if (h.count > 0 && levels[static_cast<std::size_t>(h.enterpoint)] != h.max_level)
    r.fail("enterpoint",
           "element " + std::to_string(h.enterpoint) + " has level " +
               std::to_string(levels[static_cast<std::size_t>(h.enterpoint)]) + ", not maxlevel " +
               std::to_string(h.max_level),
           52);

  // Pass 2: a link on level l must point at an element that has level l.
  for (std::uint32_t e = 0; e < h.count; ++e) {
    if (levels[e] == 0) continue;  // every element has level 0
    r.seek(starts[e] + 8 + 4 * dim);
    for (std::uint32_t l = 0; l <= levels[e]; ++l) {
      const std::uint32_t n = r.u32("links");
      for (std::uint32_t j = 0; j < n; ++j) {
        const std::uint32_t id = r.u32("links");
        if (levels[id] < l)
          r.fail("links",
                 element(e) + ", level " + std::to_string(l) + ": link " + std::to_string(id) + " has only level " +
                     std::to_string(levels[id]),
                 r.pos() - 4);
      }
    }
  }

  // Everything checked: build the graph's memory as hnswlib's loadIndex would.
  auto impl = std::make_unique<Impl>(h.dim, h.params, h.capacity);
  impl->mult = h.mult;
  Graph& g = *impl->graph;
  g.label_lookup_.reserve(h.count);
  for (std::uint32_t e = 0; e < h.count; ++e) {
    r.seek(starts[e]);
    const std::uint32_t label = r.u32("label");
    const std::uint32_t level = r.u32("level");
    char* block = g.data_level0_memory_ + static_cast<std::size_t>(e) * g.size_data_per_element_;
    std::memset(block, 0, g.size_data_per_element_);  // also clears hnswlib's "deleted" mark
    char* vec = g.getDataByInternalId(e);
    for (std::size_t i = 0; i < dim; ++i) {
      const float x = r.f32("vector");
      std::memcpy(vec + i * sizeof(float), &x, sizeof(x));
    }
    std::memcpy(vec + dim * sizeof(float), &label, sizeof(label));
    g.setExternalLabel(e, label);
    g.label_lookup_[label] = e;
    g.linkLists_[e] = nullptr;
    if (level > 0) {
      const std::size_t bytes = g.size_links_per_element_ * level + 1;  // as addPoint allocates
      g.linkLists_[e] = static_cast<char*>(std::malloc(bytes));
      if (g.linkLists_[e] == nullptr) throw std::bad_alloc();
      std::memset(g.linkLists_[e], 0, bytes);
    }
    g.element_levels_[e] = static_cast<int>(level);
    g.cur_element_count = e + 1;  // from here the destructor frees linkLists_[e]
    for (std::uint32_t l = 0; l <= level; ++l) {
      hnswlib::linklistsizeint* list = g.get_linklist_at_level(e, static_cast<int>(l));
      const std::uint32_t n = r.u32("links");
      g.setListCount(list, static_cast<unsigned short>(n));
      auto* links = reinterpret_cast<hnswlib::tableint*>(list + 1);
      for (std::uint32_t j = 0; j < n; ++j) links[j] = r.u32("links");
    }
  }
  if (h.count > 0) {
    g.maxlevel_ = h.max_level;
    g.enterpoint_node_ = static_cast<hnswlib::tableint>(h.enterpoint);
  }
  return HnswIndex(h.dim, h.metric, h.params, std::move(impl));
}

// ---- exact search and recall ----

std::vector<Neighbour> exact_search(const float* rows, std::int32_t n, int dim, HnswMetric metric, const float* query,
                                    int k) {
  check_dim(dim);
  if (n < 0) throw ParamError("n", "must be >= 0, got " + std::to_string(n));
  if (k <= 0 || n == 0) return {};
  if (rows == nullptr) throw ParamError("rows", "null pointer");
  check_vector(query, dim, "query");
  const auto d = static_cast<std::size_t>(dim);
  std::vector<float> q(d), row(d);
  prepare(query, q.data(), dim, metric);
  std::vector<float> scores(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    const float* r = rows + static_cast<std::size_t>(i) * d;
    check_vector(r, dim, "rows");
    prepare(r, row.data(), dim, metric);
    scores[static_cast<std::size_t>(i)] = dot(q.data(), row.data(), d);
  }
  std::vector<Neighbour> out;
  for (const ScoredItem& s : top_k(scores, k, {})) out.push_back({s.item, s.score});
  return out;
}

double hnsw_recall(const HnswIndex& index, const float* rows, std::int32_t n, const float* queries,
                   std::int32_t n_queries, int k) {
  if (n != index.size())
    throw ParamError("n", std::to_string(n) + " rows for an index of " + std::to_string(index.size()) + " items");
  if (n_queries <= 0) throw ParamError("n_queries", "must be >= 1, got " + std::to_string(n_queries));
  if (k <= 0) throw ParamError("k", "must be >= 1, got " + std::to_string(k));
  if (n == 0) return 1.0;
  if (queries == nullptr) throw ParamError("queries", "null pointer");
  const auto d = static_cast<std::size_t>(index.dim());
  double total = 0.0;
  std::vector<char> in_exact(static_cast<std::size_t>(n), 0);
  for (std::int32_t qi = 0; qi < n_queries; ++qi) {
    const float* q = queries + static_cast<std::size_t>(qi) * d;
    const std::vector<Neighbour> exact = exact_search(rows, n, index.dim(), index.metric(), q, k);
    for (const Neighbour& x : exact) in_exact[static_cast<std::size_t>(x.item)] = 1;
    std::size_t hits = 0;
    for (const Neighbour& x : index.search(q, k))
      if (x.item >= 0 && x.item < n) hits += static_cast<std::size_t>(in_exact[static_cast<std::size_t>(x.item)]);
    for (const Neighbour& x : exact) in_exact[static_cast<std::size_t>(x.item)] = 0;
    total += static_cast<double>(hits) / static_cast<double>(exact.size());
  }
  return total / n_queries;
}

}  // namespace reco
