// Approximate nearest-neighbour search over dense item vectors: a hierarchical navigable
// small-world graph (HNSW, built with hnswlib 0.6.2), serialised to and from byte buffers
// so that an index built natively loads unchanged in the browser.
//
// Basic usage:
//   reco::HnswIndex index = reco::HnswIndex::build(rows, n_items, dim, reco::HnswMetric::Cosine);
//   std::vector<reco::Neighbour> best = index.search(query, 10);   // best first
//   std::vector<std::uint8_t> bytes = index.serialize();
//   reco::HnswIndex again = reco::HnswIndex::deserialize(bytes.data(), bytes.size(), "hnsw.bin");
//
// Determinism: for the same index bytes and query, native and WebAssembly builds return
// bit-identical results (distances are summed in a fixed order and equal distances are
// ordered by item id inside the graph search; see hnsw_index.cpp). Building is
// single-threaded and depends only on the rows, the metric and the params.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace reco {

// How closeness is scored; a higher score is closer.
enum class HnswMetric : std::uint32_t {
  InnerProduct = 0,  // score = dot(query, item)
  Cosine = 1,        // vectors L2-normalised on add and on query; score = cosine (0 for a zero vector)
};

// Limits checked by HnswParams::validate, the constructor, add/search and deserialize.
constexpr int kHnswMaxDim = 1 << 16;             // vector length
constexpr int kHnswMaxM = 256;                   // HnswParams::M
constexpr int kHnswMaxEf = 1 << 16;              // ef_construction, ef_search
constexpr std::int32_t kHnswMaxItems = 1 << 30;  // items in one index
constexpr float kHnswMaxAbsCoordinate = 1e15f;   // |coordinate|: keeps every dot product finite

// Defaults, measured: recall@10 against exact search is 1.0 (cosine) and 0.9975 (inner
// product) for 5,000 clustered 64-dimensional vectors and 200 queries from the same
// clusters (hnsw_index_test.cpp), and 0.9987 / 0.9993 with 64 ALS factors of
// ml-latest-small's 9,742 items queried by its 610 users' factors. The hard case is
// queries far from every item (from other clusters): 0.98 cosine, 0.92 inner product;
// raise ef_search (set_ef_search) there: 400 gives 1.0 and 0.992.
struct HnswParams {
  int M = 16;                 // graph links kept per item on levels >= 1 (2*M on level 0); [2, 256]
  int ef_construction = 200;  // candidates examined while inserting an item; [1, 65536]
  int ef_search = 100;        // candidates examined per query (max(ef_search, k) is used); [1, 65536]
  std::uint64_t seed = 42;    // level draws: item i's level depends only on (seed, i)

  // Throws ParamError naming the first field out of range.
  void validate() const;
};

struct Neighbour {
  std::int32_t item = 0;  // item id (the order of add/build rows)
  float score = 0.0f;     // higher = closer (see HnswMetric)
};

class HnswIndex {
 public:
  // An empty index of `dim`-dimensional vectors. Throws ParamError for dim outside
  // [1, kHnswMaxDim] or invalid params.
  HnswIndex(int dim, HnswMetric metric, HnswParams params = {});

  // Adds rows 0..n-1 of a row-major n x dim float matrix as items 0..n-1.
  static HnswIndex build(const float* rows, std::int32_t n, int dim, HnswMetric metric, HnswParams params = {});

  HnswIndex(HnswIndex&&) noexcept;
  HnswIndex& operator=(HnswIndex&&) noexcept;
  HnswIndex(const HnswIndex& other);  // a deep copy (through serialize/deserialize)
  HnswIndex& operator=(const HnswIndex& other);
  ~HnswIndex();

  // Adds one vector of dim() floats; its item id is the returned size() before the call.
  // Capacity grows automatically. Throws ParamError for a coordinate that is not finite or
  // exceeds kHnswMaxAbsCoordinate in magnitude, or when the index holds kHnswMaxItems.
  std::int32_t add(const float* vec);

  // Up to k items, best first, ties by the smaller item id: exactly min(k, size()) items
  // (when k >= size(), or when the graph search reaches fewer than k items, the answer
  // is computed exactly by brute force). k <= 0 gives an empty result. Throws ParamError
  // for a query coordinate as add() does.
  std::vector<Neighbour> search(const float* query, int k) const;

  // Throws ParamError outside [1, kHnswMaxEf].
  void set_ef_search(int ef);

  std::int32_t size() const;
  int dim() const { return dim_; }
  HnswMetric metric() const { return metric_; }
  const HnswParams& params() const { return params_; }
  // Items the index holds room for before it next grows.
  std::int32_t capacity() const;

  // The index in the little-endian "RHNS" format described in hnsw_index.cpp. The
  // format is canonical: deserialize(serialize(x)).serialize() == serialize(x).
  std::vector<std::uint8_t> serialize() const;

  // Validates every field before trusting it (sizes, ranges, link targets, labels,
  // finiteness; the buffer must be exactly as long as its content). Throws DataError
  // whose file is `what` (e.g. "bundle section hnsw_factors.bin") and whose field and
  // message name what is wrong, with the element index and byte offset where relevant.
  static HnswIndex deserialize(const std::uint8_t* data, std::size_t size, const std::string& what);

 private:
  struct Impl;
  HnswIndex(int dim, HnswMetric metric, HnswParams params, std::unique_ptr<Impl> impl);

  int dim_;
  HnswMetric metric_;
  HnswParams params_;
  std::unique_ptr<Impl> impl_;
};

// Exact search by brute force over the same score as HnswIndex (bit-identical scores):
// the k best of rows 0..n-1, best first, ties by the smaller item id.
std::vector<Neighbour> exact_search(const float* rows, std::int32_t n, int dim, HnswMetric metric, const float* query,
                                    int k);

// Mean over the queries of |approximate top-k ∩ exact top-k| / min(k, n), where the
// approximate answer is index.search and the exact one exact_search over `rows` (the
// n x index.dim() matrix the index was built from).
double hnsw_recall(const HnswIndex& index, const float* rows, std::int32_t n, const float* queries,
                   std::int32_t n_queries, int k);

}  // namespace reco
