// `reco bench-ranker`: latency of the hybrid ranker (reco::rank) as percentiles over many
// requests, on a synthetic catalog of any size. Timings belong here, never in unit tests.
//
//   reco bench-ranker                                        10,000 items, 200 requests per row
//   reco bench-ranker --items 1000000 --runs 100 --recall    also HNSW recall@10 of both indexes
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
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
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
  int warmup = 20;     // untimed requests before each row
  std::uint64_t seed = 1;
  std::string histories = "1,10,50,100,1000";
  HnswParams hnsw;
  bool recall = false;
  int recall_queries = 200;
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

std::vector<int> parse_histories(const std::string& text) {
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
      throw ParamError("--histories", "expected positive integers separated by commas, found '" + part + "'");
    out.push_back(h);
  }
  if (out.empty()) throw ParamError("--histories", "no history size given");
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

std::vector<RankRequest> make_requests(const SyntheticCatalog& cat, int history, int explain, int count, Rng& rng) {
  std::vector<RankRequest> out(static_cast<std::size_t>(count));
  for (RankRequest& r : out) {
    r.history = sample_history(cat, history, rng);
    r.k = 10;
    r.explain = explain;
  }
  return out;
}

struct Latency {
  double p50_ms = 0, p99_ms = 0, mean_ms = 0;
  double candidates = 0;  // median
};

Latency summarise(std::vector<double> ms, std::vector<double> candidates) {
  std::sort(ms.begin(), ms.end());
  Latency l;
  l.p50_ms = median(ms);
  l.p99_ms = percentile(ms, 0.99);
  double sum = 0;
  for (double t : ms) sum += t;
  l.mean_ms = sum / static_cast<double>(ms.size());
  l.candidates = median(std::move(candidates));
  return l;
}

// The first `warmup` requests run untimed.
Latency time_rank(const HybridModel& m, const std::vector<RankRequest>& requests, int warmup) {
  std::vector<double> ms, candidates;
  std::size_t checksum = 0;  // keeps the results observable
  for (std::size_t q = 0; q < requests.size(); ++q) {
    const auto start = Clock::now();
    const RankResult r = rank(m, requests[q]);
    const double t = seconds_since(start) * 1e3;
    checksum += r.items.size();
    if (static_cast<int>(q) < warmup) continue;
    ms.push_back(t);
    candidates.push_back(r.candidates);
  }
  if (checksum == 0) std::printf("(no recommendations)\n");
  return summarise(std::move(ms), std::move(candidates));
}

// (x - mean) / sd over all items, as the ranker normalises over its candidates.
void z_normalise(Eigen::VectorXf& v) {
  const double mean = v.cast<double>().mean();
  const double sd = std::sqrt((v.cast<double>().array() - mean).square().mean());
  if (sd > 1e-12) v = ((v.cast<double>().array() - mean) / sd).cast<float>().matrix();
  else v.setZero();
}

// The alternative without indexes: fold-in and content profile as rank() computes them,
// then both signals for every item, fused as rank() fuses them, and the top 10.
Latency time_exact(const HybridModel& m, const std::vector<RankRequest>& requests, int warmup) {
  std::vector<double> ms, candidates;
  std::vector<float> fused(static_cast<std::size_t>(m.n_items()));
  float checksum = 0;
  for (std::size_t q = 0; q < requests.size(); ++q) {
    const RankRequest& r = requests[q];
    const auto start = Clock::now();
    std::vector<std::int32_t> items;
    std::vector<float> values;
    Eigen::VectorXf profile = Eigen::VectorXf::Zero(m.content_dim());
    for (const HistoryEntry& e : r.history) {
      items.push_back(e.item);
      values.push_back(e.strength);
      profile += e.strength * m.embeddings.row(e.item).transpose();
    }
    profile.normalize();
    const FoldIn fold = fold_in(m.factors, m.gram, m.reg, m.alpha, items, values);
    Eigen::VectorXf cf = m.factors * fold.user;
    Eigen::VectorXf content = m.embeddings * profile;
    z_normalise(cf);
    z_normalise(content);
    const float a = std::min(1.0f, static_cast<float>(r.history.size()) / m.params.fusion_t);
    Eigen::Map<Eigen::VectorXf>(fused.data(), m.n_items()) = a * cf + (1.0f - a) * content;
    const std::vector<ScoredItem> best = top_k(fused, r.k, items);
    const double t = seconds_since(start) * 1e3;
    if (!best.empty()) checksum += best.front().score;
    if (static_cast<int>(q) < warmup) continue;
    ms.push_back(t);
    candidates.push_back(static_cast<double>(m.n_items()) - static_cast<double>(items.size()));
  }
  if (!std::isfinite(checksum)) std::printf("(non-finite scores)\n");
  return summarise(std::move(ms), std::move(candidates));
}

// Where rank()'s time goes for `requests`: the user factor and content profile, then each
// index's search for as many candidates as rank() asks it for.
void report_breakdown(const HybridModel& m, const std::vector<RankRequest>& requests, int warmup) {
  std::vector<double> prepare_ms, factor_ms, content_ms;
  std::size_t found = 0;
  for (std::size_t q = 0; q < requests.size(); ++q) {
    const RankRequest& r = requests[q];
    auto start = Clock::now();
    std::vector<std::int32_t> items;
    std::vector<float> values;
    Eigen::VectorXf profile = Eigen::VectorXf::Zero(m.content_dim());
    for (const HistoryEntry& e : r.history) {
      items.push_back(e.item);
      values.push_back(e.strength);
      profile += e.strength * m.embeddings.row(e.item).transpose();
    }
    profile.normalize();
    const Eigen::VectorXf user = fold_in(m.factors, m.gram, m.reg, m.alpha, items, values).user;
    const double t_prepare = seconds_since(start) * 1e3;
    const int extra = static_cast<int>(r.history.size());
    start = Clock::now();
    found += m.factor_index->search(user.data(), m.params.cf_candidates + extra).size();
    const double t_factor = seconds_since(start) * 1e3;
    start = Clock::now();
    found += m.content_index->search(profile.data(), m.params.content_candidates + extra).size();
    const double t_content = seconds_since(start) * 1e3;
    if (static_cast<int>(q) < warmup) continue;
    prepare_ms.push_back(t_prepare);
    factor_ms.push_back(t_factor);
    content_ms.push_back(t_content);
  }
  const int h = requests.empty() ? 0 : static_cast<int>(requests.front().history.size());
  std::printf("  rank() parts at history %d, p50 ms: fold-in + profile %.3f, factor index top-%d %.3f, content index top-%d %.3f%s\n",
              h, median(prepare_ms), m.params.cf_candidates + h, median(factor_ms), m.params.content_candidates + h,
              median(content_ms), found ? "" : " (nothing found)");
}

void print_row(const std::string& what, const std::string& explain, int runs, const Latency& l) {
  std::printf("  %-22s %7s %6d %9.3f %9.3f %9.3f %11.0f\n", what.c_str(), explain.c_str(), runs, l.p50_ms, l.p99_ms,
              l.mean_ms, l.candidates);
}

// Recall@k of both indexes against exact search, the queries being what rank() would
// search with for random histories: fold-in user factors and unit content profiles.
void report_recall(const SyntheticCatalog& cat, int queries, Rng& rng) {
  const HybridModel& m = cat.model;
  const int h = std::min<std::int32_t>(kRecallHistory, m.n_items());
  std::vector<float> user_queries, profile_queries;
  for (int q = 0; q < queries; ++q) {
    const std::vector<HistoryEntry> history = sample_history(cat, h, rng);
    std::vector<std::int32_t> items;
    std::vector<float> values;
    Eigen::VectorXf profile = Eigen::VectorXf::Zero(m.content_dim());
    for (const HistoryEntry& e : history) {
      items.push_back(e.item);
      values.push_back(e.strength);
      profile += m.embeddings.row(e.item).transpose();
    }
    profile.normalize();
    const Eigen::VectorXf user = fold_in(m.factors, m.gram, m.reg, m.alpha, items, values).user;
    user_queries.insert(user_queries.end(), user.data(), user.data() + user.size());
    profile_queries.insert(profile_queries.end(), profile.data(), profile.data() + profile.size());
  }
  std::printf("\nHNSW recall against exact search (%d queries from random %d-item histories; ef_search %d)\n", queries, h,
              m.params.hnsw.ef_search);
  const int candidates_k = m.params.cf_candidates;
  const auto line = [&](const char* what, const HnswIndex& index, const FactorMatrix& rows, const std::vector<float>& qs) {
    const auto start = Clock::now();
    const double r10 = hnsw_recall(index, rows.data(), m.n_items(), qs.data(), queries, 10);
    const double rn = hnsw_recall(index, rows.data(), m.n_items(), qs.data(), queries, candidates_k);
    std::printf("  %-30s recall@10 %.4f   recall@%d %.4f   (%.1f s)\n", what, r10, candidates_k, rn, seconds_since(start));
  };
  line("factor index (inner product)", *m.factor_index, m.factors, user_queries);
  line("content index (cosine)", *m.content_index, m.embeddings, profile_queries);
}

int run_bench_ranker(const BenchRankerArgs& a) {
  a.hnsw.validate();
  const std::vector<int> histories = parse_histories(a.histories);
  Rng rng(a.seed);

  auto start = Clock::now();
  SyntheticCatalog cat = make_catalog(a, rng);
  HybridModel& m = cat.model;
  std::printf("synthetic catalog: %d items, %d factors, %d content dims, %d clusters, %d genres (made in %.1f s)\n",
              m.n_items(), m.factor_dim(), m.content_dim(), kClusters, kGenres, seconds_since(start));
  std::printf("HNSW M %d, ef_construction %d, ef_search %d; candidates cf %d + content %d + popular %d; fusion_t %.0f\n",
              m.params.hnsw.M, m.params.hnsw.ef_construction, m.params.hnsw.ef_search, m.params.cf_candidates,
              m.params.content_candidates, m.params.popular_candidates, static_cast<double>(m.params.fusion_t));
  std::fflush(stdout);

  // The steps of HybridModel::rebuild_derived, one index at a time so each is timed.
  // Y'Y as a sum of outer products: the same matrix as rebuild_derived's product, without
  // the blocked matrix-product kernel whose AVX-512 code trips -Wmaybe-uninitialized in g++ 12.
  m.gram = Eigen::MatrixXf::Zero(m.factor_dim(), m.factor_dim());
  for (std::int32_t i = 0; i < m.n_items(); ++i) m.gram.noalias() += m.factors.row(i).transpose() * m.factors.row(i);
  m.refresh_popular_order();
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

  std::printf("\nrank() latency, k 10, one random history per request (%d untimed warm-up requests per row)\n", a.warmup);
  std::printf("  %-22s %7s %6s %9s %9s %9s %11s\n", "history", "explain", "runs", "p50 ms", "p99 ms", "mean ms",
              "candidates");
  std::fflush(stdout);
  std::vector<RankRequest> at50;  // history 50, explain 0: the requests the exact path repeats
  double rank50_p50 = 0, rank50_explain_p50 = 0;
  const int h50 = std::min<std::int32_t>(50, m.n_items());
  for (int h : histories) {
    h = std::min<std::int32_t>(h, m.n_items());
    const std::vector<RankRequest> requests = make_requests(cat, h, 3, a.warmup + a.runs, rng);
    const Latency l = time_rank(m, requests, a.warmup);
    print_row(std::to_string(h), "3", a.runs, l);
    if (h == h50) {
      rank50_explain_p50 = l.p50_ms;
      at50 = requests;
      for (RankRequest& r : at50) r.explain = 0;
      const Latency l0 = time_rank(m, at50, a.warmup);
      print_row(std::to_string(h), "0", a.runs, l0);
      rank50_p50 = l0.p50_ms;
    }
    std::fflush(stdout);
  }
  if (at50.empty()) {
    at50 = make_requests(cat, h50, 0, a.warmup + a.runs, rng);
    rank50_p50 = time_rank(m, at50, a.warmup).p50_ms;
  }
  const Latency exact = time_exact(m, at50, a.warmup);
  print_row("exact, " + std::to_string(h50) + " (no index)", "0", a.runs, exact);
  std::printf("  speed-up of rank() over exact scoring at history %d (exact p50 / rank() p50): %.2fx (explain 0)", h50,
              exact.p50_ms / rank50_p50);
  if (rank50_explain_p50 > 0) std::printf(", %.2fx (explain 3)", exact.p50_ms / rank50_explain_p50);
  std::printf("\n");
  report_breakdown(m, at50, a.warmup);
  std::fflush(stdout);

  if (a.recall) report_recall(cat, a.recall_queries, rng);

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
  cmd->add_option("--warmup", args->warmup, "Untimed requests before each row")->check(CLI::Range(0, 1000000));
  cmd->add_option("--seed", args->seed, "Seed of the catalog and the histories");
  cmd->add_option("--histories", args->histories, "History sizes, comma-separated (clipped to the catalog)");
  cmd->add_option("--M", args->hnsw.M, "HNSW links per item");
  cmd->add_option("--ef-construction", args->hnsw.ef_construction, "HNSW candidates examined per insertion");
  cmd->add_option("--ef-search", args->hnsw.ef_search, "HNSW candidates examined per query");
  cmd->add_flag("--recall", args->recall, "Also measure both indexes' recall@10 against exact search");
  cmd->add_option("--recall-queries", args->recall_queries, "Queries for --recall")->check(CLI::Range(1, 100000));
  return [cmd, args]() { return cmd->parsed() ? run_bench_ranker(*args) : -1; };
}

}  // namespace reco::cli
