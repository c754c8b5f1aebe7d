// `reco bench-ranker`: latency of the hybrid ranker (reco::rank) as percentiles over many
// requests, on a synthetic catalog of any size. Timings belong here, never in unit tests.
//
//   reco bench-ranker                                        10,000 items, 200 requests per row
//   reco bench-ranker --items 1000000 --runs 100 --recall    also HNSW recall@10 of both indexes
//   reco bench-ranker --recall --recall-ef 100,400,800       recall and latency per ef_search
//
// The model is made up rather than trained, so that a 1,000,000-item catalog costs no
// data set and no training:
//   factors     100 cluster centres plus per-item noise, norms about 0.5-1 (the scale of
//               ALS item factors, so fold-in's regularisation weighs as it does in practice)
//   embeddings  the same clusters in content space plus noise, L2-normalised per row
//   popularity  Zipf-like counts over a random permutation of the items
//   items       1-3 of 20 genres each (the first follows the cluster), so explanations'
//               shared-tag code has work to do
// A history draws 80% of its items from 1-3 clusters the "user" likes and the rest from
// the whole catalog: the folded-in factor then points somewhere, as a real user's does,
// instead of at the mean of the catalog.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "reco/bundle.h"
#include "reco/error.h"
#include "reco/hybrid_model.h"
#include "reco/random.h"
#include "reco/ranker.h"
#include "reco/top_k.h"

namespace reco::cli {
namespace {

constexpr int kClusters = 100;
constexpr int kGenres = 20;
constexpr int kRecallHistory = 50;  // history size of the --recall queries

struct BenchRankerArgs {
  std::int32_t items = 10000;
  int factors = 64;
  int dim = 64;
  int runs = 200;      // timed requests per row
  int warmup = 20;     // untimed rounds before the timed ones
  std::uint64_t seed = 1;
  std::string histories = "1,10,50,100,1000";
  HnswParams hnsw;
  std::optional<int> exact_below;  // unset: the ranker's default
  bool recall = false;
  int recall_queries = 200;
  std::string recall_ef;  // ef_search values --recall measures (empty: the built one)
  std::string export_dir;  // also write the catalog as a float32 bundle here
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Nearest-rank percentile of an already sorted sample (p in (0, 1]).
double percentile(const std::vector<double>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// "1,10,50" -> {1, 10, 50}; ParamError naming `option` for anything else.
std::vector<int> parse_positive_list(const std::string& text, const std::string& option) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    std::size_t used = 0;
    int h = 0;
    try {
      h = std::stoi(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != part.size() || h < 1)
      throw ParamError(option, "expected positive integers separated by commas, found '" + part + "'");
    out.push_back(h);
  }
  if (out.empty()) throw ParamError(option, "no value given");
  return out;
}

// VmHWM of /proc/self/status (peak resident set) in MiB; -1 where unavailable.
double peak_rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // the value is in kB
  return -1.0;
}

struct SyntheticCatalog {
  HybridModel model;
  std::vector<std::vector<std::int32_t>> members;  // items of each cluster
};

// The model without its derived parts (gram, popular order, indexes).
SyntheticCatalog make_catalog(const BenchRankerArgs& a, Rng& rng) {
  static const char* const kGenreNames[kGenres] = {
      "Action",  "Adventure", "Animation", "Children", "Comedy",  "Crime",    "Documentary",
      "Drama",   "Fantasy",   "Film-Noir", "Horror",   "Musical", "Mystery",  "Romance",
      "Sci-Fi",  "Thriller",  "War",       "Western",  "IMAX",    "Biography"};
  const std::int32_t n = a.items;
  const int f = a.factors, d = a.dim;
  const auto normal = [&rng]() { return static_cast<float>(rng.normal()); };

  // Centre norm ~0.6 and noise norm ~0.4 in factor space, so item norms are ~0.5-1.
  const float centre_sd = 0.6f / std::sqrt(static_cast<float>(f)), noise_sd = 0.4f / std::sqrt(static_cast<float>(f));
  FactorMatrix factor_centres(kClusters, f), content_centres(kClusters, d);
  for (int c = 0; c < kClusters; ++c) {
    for (int k = 0; k < f; ++k) factor_centres(c, k) = centre_sd * normal();
    for (int k = 0; k < d; ++k) content_centres(c, k) = normal();
  }

  SyntheticCatalog cat;
  HybridModel& m = cat.model;
  cat.members.resize(kClusters);
  m.reg = 10.0f;
  m.alpha = 1.0f;
  m.params.hnsw = a.hnsw;
  if (a.exact_below) m.params.exact_below = *a.exact_below;
  m.factors.resize(n, f);
  m.embeddings.resize(n, d);
  m.item_ids.reserve(static_cast<std::size_t>(n));
  m.items.resize(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng.below(kClusters));
    cat.members[static_cast<std::size_t>(c)].push_back(i);
    for (int k = 0; k < f; ++k) m.factors(i, k) = factor_centres(c, k) + noise_sd * normal();
    for (int k = 0; k < d; ++k) m.embeddings(i, k) = content_centres(c, k) + 0.8f * normal();
    m.embeddings.row(i).normalize();
    m.item_ids.push_back("i" + std::to_string(i));
    std::vector<std::string>& genres = m.items[static_cast<std::size_t>(i)].genres;
    genres.push_back(kGenreNames[c % kGenres]);
    const int extra = static_cast<int>(rng.below(3));
    for (int g = 0; g < extra; ++g) {
      const char* name = kGenreNames[rng.below(kGenres)];
      if (std::find(genres.begin(), genres.end(), name) == genres.end()) genres.push_back(name);
    }
  }
  // Zipf-like popularity: the item at popularity rank r (a random permutation) has
  // about 10000 / (r + 1) training users, so the long tail ties at 0 as real data does.
  std::vector<std::int32_t> order(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  for (std::int32_t i = n - 1; i > 0; --i)
    std::swap(order[static_cast<std::size_t>(i)], order[rng.below(static_cast<std::uint64_t>(i) + 1)]);
  m.popularity.assign(static_cast<std::size_t>(n), 0.0f);
  for (std::int32_t r = 0; r < n; ++r)
    m.popularity[static_cast<std::size_t>(order[static_cast<std::size_t>(r)])] = std::floor(10000.0f / static_cast<float>(r + 1));
  return cat;
}

// Distinct items: 80% from 1-3 clusters the user likes, the rest from the whole catalog.
std::vector<HistoryEntry> sample_history(const SyntheticCatalog& cat, int size, Rng& rng) {
  const std::int32_t n = cat.model.n_items();
  size = std::min(size, n);
  std::vector<int> liked(1 + rng.below(3));
  for (int& c : liked) c = static_cast<int>(rng.below(kClusters));
  std::vector<std::int32_t> chosen;
  std::vector<char> taken(static_cast<std::size_t>(n), 0);
  int misses = 0;  // after many collisions (small clusters, long histories) draw uniformly
  while (static_cast<int>(chosen.size()) < size) {
    std::int32_t item;
    const auto& pool = cat.members[static_cast<std::size_t>(liked[rng.below(liked.size())])];
    if (rng.uniform() < 0.8 && !pool.empty() && misses < 20 * size)
      item = pool[rng.below(pool.size())];
    else
      item = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(n)));
    if (taken[static_cast<std::size_t>(item)]) {
      ++misses;
      continue;
    }
    taken[static_cast<std::size_t>(item)] = 1;
    chosen.push_back(item);
  }
  std::vector<HistoryEntry> h;
  for (std::int32_t i : chosen) h.push_back({i, 1.0f, 0});
  return h;
}


// What rank() derives from a history before searching: the folded-in user factor and the
// unit content profile (strengths 1, timestamps 0, so no recency weighting).
struct UserQuery {
  std::vector<std::int32_t> items;
  Eigen::VectorXf user, profile;
};

UserQuery user_query(const HybridModel& m, const std::vector<HistoryEntry>& history) {
  UserQuery q;
  std::vector<float> values;
  q.profile = Eigen::VectorXf::Zero(m.content_dim());
  for (const HistoryEntry& e : history) {
    q.items.push_back(e.item);
    values.push_back(e.strength);
    q.profile += e.strength * m.embeddings.row(e.item).transpose();
  }
  q.profile.normalize();
  q.user = fold_in(m.factors, m.gram, m.reg, m.alpha, q.items, values).user;
  return q;
}

// (x - mean) / sd over all items, as the ranker normalises over its candidates.
void z_normalise(Eigen::VectorXf& v) {
  const double mean = v.cast<double>().mean();
  const double sd = std::sqrt((v.cast<double>().array() - mean).square().mean());
  if (sd > 1e-12)
    v = ((v.cast<double>().array() - mean) / sd).cast<float>().matrix();
  else
    v.setZero();
}

// How a row's requests are served.
enum class Path {
  Rank,   // reco::rank
  Exact,  // no index: both signals for every item, fused as rank() fuses them, top 10
  Parts,  // rank()'s first steps timed one by one: user query, factor search, content search
};

// One row of the latency table: its own requests (a fresh random history each) and times.
struct Row {
  Path path = Path::Rank;
  int history = 0;
  int explain = 0;
  std::vector<RankRequest> requests;
  std::vector<double> ms, candidates;            // per timed request
  std::vector<double> query_ms, factor_ms, content_ms;  // Path::Parts only
};

Row make_row(const SyntheticCatalog& cat, Path path, int history, int explain, int count, Rng& rng) {
  Row row;
  row.path = path;
  row.history = std::min(history, cat.model.n_items());
  row.explain = explain;
  row.requests.resize(static_cast<std::size_t>(count));
  for (RankRequest& r : row.requests) {
    r.history = sample_history(cat, row.history, rng);
    r.k = 10;
    r.explain = explain;
  }
  return row;
}

// Serves request q of `row`; keeps its times when `keep`. `fused` is scratch for Exact.
void serve(const HybridModel& m, Row& row, std::size_t q, bool keep, std::vector<float>& fused) {
  const RankRequest& r = row.requests[q];
  auto start = Clock::now();
  if (row.path == Path::Rank) {
    const RankResult result = rank(m, r);
    const double t = seconds_since(start) * 1e3;
    if (result.items.empty()) std::printf("(request without recommendations)\n");
    if (keep) row.ms.push_back(t), row.candidates.push_back(result.candidates);
  } else if (row.path == Path::Exact) {
    const UserQuery uq = user_query(m, r.history);
    Eigen::VectorXf cf = m.factors * uq.user;
    Eigen::VectorXf content = m.embeddings * uq.profile;
    z_normalise(cf);
    z_normalise(content);
    const float a = std::min(1.0f, static_cast<float>(r.history.size()) / m.params.fusion_t);
    fused.resize(static_cast<std::size_t>(m.n_items()));
    Eigen::Map<Eigen::VectorXf>(fused.data(), m.n_items()) = a * cf + (1.0f - a) * content;
    const std::vector<ScoredItem> best = top_k(fused, r.k, uq.items);
    const double t = seconds_since(start) * 1e3;
    if (best.empty() && m.n_items() > static_cast<std::int32_t>(uq.items.size())) std::printf("(no exact result)\n");
    if (keep) row.ms.push_back(t), row.candidates.push_back(static_cast<double>(m.n_items() - static_cast<std::int32_t>(uq.items.size())));
  } else {
    const UserQuery uq = user_query(m, r.history);
    const double t_query = seconds_since(start) * 1e3;
    const int extra = static_cast<int>(r.history.size());  // rank() asks for the excluded history on top
    start = Clock::now();
    const std::size_t from_factors = m.factor_index->search(uq.user.data(), m.params.cf_candidates + extra).size();
    const double t_factor = seconds_since(start) * 1e3;
    start = Clock::now();
    const std::size_t from_content = m.content_index->search(uq.profile.data(), m.params.content_candidates + extra).size();
    const double t_content = seconds_since(start) * 1e3;
    if (keep) {
      row.query_ms.push_back(t_query);
      row.factor_ms.push_back(t_factor);
      row.content_ms.push_back(t_content);
      row.ms.push_back(t_query + t_factor + t_content);
      row.candidates.push_back(static_cast<double>(from_factors + from_content));
    }
  }
}

// Request q of every row in turn, so that load from other processes, cache state and
// clock changes fall on all rows alike; the first `warmup` rounds are not kept.
void serve_interleaved(const HybridModel& m, std::vector<Row>& rows, int warmup) {
  std::vector<float> fused;
  const std::size_t rounds = rows.empty() ? 0 : rows.front().requests.size();
  for (std::size_t q = 0; q < rounds; ++q)
    for (Row& row : rows) serve(m, row, q, static_cast<int>(q) >= warmup, fused);
}

struct Latency {
  double p50_ms = 0, p99_ms = 0, mean_ms = 0;
};

Latency summarise(std::vector<double> ms) {
  Latency l;
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  l.p50_ms = median(ms);
  l.p99_ms = percentile(ms, 0.99);
  double sum = 0;
  for (double t : ms) sum += t;
  l.mean_ms = sum / static_cast<double>(ms.size());
  return l;
}

void print_rows(const std::vector<Row>& rows) {
  std::printf("  %-24s %7s %6s %9s %9s %9s %11s\n", "history", "explain", "runs", "p50 ms", "p99 ms", "mean ms",
              "candidates");
  for (const Row& row : rows) {
    if (row.path == Path::Parts) continue;
    const Latency l = summarise(row.ms);
    std::string label = std::to_string(row.history);
    if (row.path == Path::Exact) label += " exact (no index)";
    std::printf("  %-24s %7d %6zu %9.3f %9.3f %9.3f %11.0f\n", label.c_str(), row.explain, row.ms.size(), l.p50_ms,
                l.p99_ms, l.mean_ms, median(row.candidates));
  }
}

// The last row matching, or null.
const Row* find_row(const std::vector<Row>& rows, Path path, int history, int explain) {
  const Row* found = nullptr;
  for (const Row& row : rows)
    if (row.path == path && row.history == history && row.explain == explain) found = &row;
  return found;
}

std::vector<int> parse_efs(const std::string& text, int fallback) {
  if (text.empty()) return {fallback};
  std::vector<int> efs = parse_positive_list(text, "--recall-ef");
  for (int ef : efs)
    if (ef > kHnswMaxEf) throw ParamError("--recall-ef", "values must be at most " + std::to_string(kHnswMaxEf));
  return efs;
}

// Per ef_search: recall@10 of both indexes (reco::hnsw_recall), the share of the exact
// top 10 that the candidate search rank() makes (top cf_candidates + h) finds, and
// rank()'s latency at that ef. Queries are what rank() searches with for random
// histories: fold-in user factors and unit content profiles.
void report_recall(const BenchRankerArgs& a, SyntheticCatalog& cat, const std::vector<int>& efs, Rng& rng) {
  HybridModel& m = cat.model;
  const int h = std::min<std::int32_t>(kRecallHistory, m.n_items());
  const int queries = a.recall_queries;
  std::vector<float> users, profiles;
  for (int q = 0; q < queries; ++q) {
    const UserQuery uq = user_query(m, sample_history(cat, h, rng));
    users.insert(users.end(), uq.user.data(), uq.user.data() + uq.user.size());
    profiles.insert(profiles.end(), uq.profile.data(), uq.profile.data() + uq.profile.size());
  }
  // The exact top 10 of each query, computed once for every ef.
  const auto exact_top10 = [&](const FactorMatrix& rows, HnswMetric metric, const std::vector<float>& qs) {
    std::vector<std::vector<Neighbour>> out;
    for (int q = 0; q < queries; ++q)
      out.push_back(exact_search(rows.data(), m.n_items(), static_cast<int>(rows.cols()), metric,
                                 qs.data() + static_cast<std::size_t>(q) * static_cast<std::size_t>(rows.cols()), 10));
    return out;
  };
  auto start = Clock::now();
  const auto factor_truth = exact_top10(m.factors, HnswMetric::InnerProduct, users);
  const auto content_truth = exact_top10(m.embeddings, HnswMetric::Cosine, profiles);
  const auto coverage = [&](const HnswIndex& index, const std::vector<float>& qs, const std::vector<std::vector<Neighbour>>& truth,
                            int n_candidates) {
    double found = 0, wanted = 0;
    for (int q = 0; q < queries; ++q) {
      const auto got = index.search(qs.data() + static_cast<std::size_t>(q) * static_cast<std::size_t>(index.dim()), n_candidates);
      for (const Neighbour& t : truth[static_cast<std::size_t>(q)]) {
        wanted += 1;
        found += std::any_of(got.begin(), got.end(), [&](const Neighbour& g) { return g.item == t.item; });
      }
    }
    return wanted > 0 ? found / wanted : 1.0;
  };
  const int factor_n = m.params.cf_candidates + h, content_n = m.params.content_candidates + h;
  std::printf("\nHNSW recall against exact search (%d queries from random %d-item histories; exact top 10 in %.1f s)\n",
              queries, h, seconds_since(start));
  std::printf("  recall@10: index.search(q, 10) (reco::hnsw_recall); in-cand: exact top 10 found by the search rank()\n"
              "  makes (top %d factor, top %d content); rank() at history %d, explain 3, %d requests per ef\n",
              factor_n, content_n, h, a.runs);
  std::printf("  %9s %12s %12s %14s %15s %9s %9s\n", "ef_search", "factor r@10", "content r@10", "factor in-cand",
              "content in-cand", "p50 ms", "p99 ms");
  const int ef_built = m.params.hnsw.ef_search;
  for (int ef : efs) {
    m.factor_index->set_ef_search(ef);
    m.content_index->set_ef_search(ef);
    const double fr = hnsw_recall(*m.factor_index, m.factors.data(), m.n_items(), users.data(), queries, 10);
    const double cr = hnsw_recall(*m.content_index, m.embeddings.data(), m.n_items(), profiles.data(), queries, 10);
    const double fc = coverage(*m.factor_index, users, factor_truth, factor_n);
    const double cc = coverage(*m.content_index, profiles, content_truth, content_n);
    std::vector<Row> rows;
    rows.push_back(make_row(cat, Path::Rank, h, 3, a.warmup + a.runs, rng));
    serve_interleaved(m, rows, a.warmup);
    const Latency l = summarise(rows.front().ms);
    std::printf("  %9d %12.4f %12.4f %14.4f %15.4f %9.3f %9.3f\n", ef, fr, cr, fc, cc, l.p50_ms, l.p99_ms);
    std::fflush(stdout);
  }
  m.factor_index->set_ef_search(ef_built);
  m.content_index->set_ef_search(ef_built);
}

int run_bench_ranker(const BenchRankerArgs& a) {
  a.hnsw.validate();
  const std::vector<int> histories = parse_positive_list(a.histories, "--histories");
  const std::vector<int> efs = parse_efs(a.recall_ef, a.hnsw.ef_search);
  Rng rng(a.seed);

  auto start = Clock::now();
  SyntheticCatalog cat = make_catalog(a, rng);
  HybridModel& m = cat.model;
  std::printf("synthetic catalog: %d items, %d factors, %d content dims, %d clusters, %d genres (made in %.1f s)\n",
              m.n_items(), m.factor_dim(), m.content_dim(), kClusters, kGenres, seconds_since(start));
  std::printf("HNSW M %d, ef_construction %d, ef_search %d; candidates cf %d + content %d + popular %d; fusion_t %.0f\n",
              m.params.hnsw.M, m.params.hnsw.ef_construction, m.params.hnsw.ef_search, m.params.cf_candidates,
              m.params.content_candidates, m.params.popular_candidates, static_cast<double>(m.params.fusion_t));
  std::printf("candidate top-N: %s (exact_below %d)\n",
              m.n_items() <= m.params.exact_below ? "every item scored (catalog <= exact_below)" : "HNSW indexes",
              m.params.exact_below);
  std::fflush(stdout);

  // The steps of HybridModel::rebuild_derived, one index at a time so each is timed.
  // Y'Y as a sum of outer products: the same matrix as rebuild_derived's product, without
  // the blocked matrix-product kernel whose AVX-512 code trips -Wmaybe-uninitialized in g++ 12.
  m.gram = Eigen::MatrixXf::Zero(m.factor_dim(), m.factor_dim());
  for (std::int32_t i = 0; i < m.n_items(); ++i) m.gram.noalias() += m.factors.row(i).transpose() * m.factors.row(i);
  m.refresh_lookups();
  start = Clock::now();
  m.factor_index = HnswIndex::build(m.factors.data(), m.n_items(), m.factor_dim(), HnswMetric::InnerProduct, m.params.hnsw);
  const double factor_s = seconds_since(start);
  std::printf("factor index build (inner product):  %9.1f s  %9.0f items/s\n", factor_s, m.n_items() / factor_s);
  std::fflush(stdout);
  start = Clock::now();
  m.content_index = HnswIndex::build(m.embeddings.data(), m.n_items(), m.content_dim(), HnswMetric::Cosine, m.params.hnsw);
  const double content_s = seconds_since(start);
  std::printf("content index build (cosine):        %9.1f s  %9.0f items/s\n", content_s, m.n_items() / content_s);
  m.validate("synthetic model");
  if (!a.export_dir.empty()) {
    // float32 storage is lossless, so the bundle loads as exactly this model (the
    // browser benchmark ranks the same catalog as this program).
    BundleInfo info;
    info.dataset = {{"name", "synthetic"}, {"items", m.n_items()}, {"seed", a.seed}};
    write_bundle_files(a.export_dir, encode_bundle(m, MatrixDtype::Float32, {}, info));
    std::printf("bundle written to %s\n", a.export_dir.c_str());
  }

  // Every row has its own random histories. History 50 also without explanations, by
  // exact scoring, and split into rank()'s first steps.
  const int count = a.warmup + a.runs;
  const int h50 = std::min<std::int32_t>(50, m.n_items());
  std::vector<Row> rows;
  for (int h : histories) rows.push_back(make_row(cat, Path::Rank, h, 3, count, rng));
  rows.push_back(make_row(cat, Path::Rank, h50, 0, count, rng));
  rows.push_back(make_row(cat, Path::Exact, h50, 0, count, rng));
  rows.push_back(make_row(cat, Path::Parts, h50, 0, count, rng));
  start = Clock::now();
  serve_interleaved(m, rows, a.warmup);
  std::printf("\nrank() latency, k 10; each row %d requests with fresh random histories, served interleaved with the\n"
              "other rows' (request q of every row, then q+1), after %d untimed rounds (%.1f s in all)\n",
              a.runs, a.warmup, seconds_since(start));
  print_rows(rows);
  const Row& parts = *find_row(rows, Path::Parts, h50, 0);
  const double exact_p50 = summarise(find_row(rows, Path::Exact, h50, 0)->ms).p50_ms;
  std::printf("  speed-up of rank() over exact scoring at history %d (exact p50 / rank() p50): %.2fx (explain 0)", h50,
              exact_p50 / summarise(find_row(rows, Path::Rank, h50, 0)->ms).p50_ms);
  if (const Row* with_explain = find_row(rows, Path::Rank, h50, 3))
    std::printf(", %.2fx (explain 3)", exact_p50 / summarise(with_explain->ms).p50_ms);
  std::printf("\n  rank()'s first steps at history %d, p50 ms: fold-in + profile %.3f, factor index top-%d %.3f, "
              "content index top-%d %.3f\n",
              h50, median(parts.query_ms), m.params.cf_candidates + h50, median(parts.factor_ms),
              m.params.content_candidates + h50, median(parts.content_ms));
  std::fflush(stdout);

  if (a.recall) report_recall(a, cat, efs, rng);

  const double rss_before = peak_rss_mib();
  const std::size_t factor_bytes = m.factor_index->serialize().size();
  const std::size_t content_bytes = m.content_index->serialize().size();
  std::printf("\nindex bytes: factor %.1f MiB, content %.1f MiB (serialize().size())\n", factor_bytes / 1048576.0,
              content_bytes / 1048576.0);
  std::printf("peak RSS (VmHWM): %.0f MiB before serialising the indexes, %.0f MiB after\n", rss_before, peak_rss_mib());
  return 0;
}

}  // namespace

Action add_bench_ranker_command(CLI::App& app) {
  auto args = std::make_shared<BenchRankerArgs>();
  CLI::App* cmd = app.add_subcommand("bench-ranker", "Time the hybrid ranker on a synthetic catalog (p50/p99 per history size)");
  cmd->add_option("--items", args->items, "Catalog size")->check(CLI::Range(1, kHnswMaxItems));
  cmd->add_option("--factors", args->factors, "Collaborative factor dimension")->check(CLI::Range(1, 4096));
  cmd->add_option("--dim", args->dim, "Content embedding dimension")->check(CLI::Range(1, 4096));
  cmd->add_option("--runs", args->runs, "Timed requests per row")->check(CLI::Range(1, 1000000));
  cmd->add_option("--warmup", args->warmup, "Untimed requests per row before the timed ones")->check(CLI::Range(0, 1000000));
  cmd->add_option("--seed", args->seed, "Seed of the catalog and the histories");
  cmd->add_option("--histories", args->histories, "History sizes, comma-separated (clipped to the catalog)");
  cmd->add_option("--exact-below", args->exact_below,
                  "Catalogs up to this size score every item instead of searching the indexes (default: the ranker's)");
  cmd->add_option("--M", args->hnsw.M, "HNSW links per item");
  cmd->add_option("--ef-construction", args->hnsw.ef_construction, "HNSW candidates examined per insertion");
  cmd->add_option("--ef-search", args->hnsw.ef_search, "HNSW candidates examined per query");
  cmd->add_option("--export", args->export_dir, "Also write the synthetic catalog as a (float32) bundle folder");
  cmd->add_flag("--recall", args->recall, "Also measure both indexes' recall@10 against exact search");
  cmd->add_option("--recall-ef", args->recall_ef, "ef_search values for --recall, comma-separated (default: --ef-search)");
  cmd->add_option("--recall-queries", args->recall_queries, "Queries for --recall")->check(CLI::Range(1, 100000));
  return [cmd, args]() { return cmd->parsed() ? run_bench_ranker(*args) : -1; };
}

}  // namespace reco::cli
