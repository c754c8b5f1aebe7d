#include "reco/fusion.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "reco/error.h"

namespace reco {
namespace {

constexpr const char* kNames[kSignalCount] = {"cf", "ease", "content", "content_factor", "popularity"};

// The values coordinate ascent tries for each weight. Fused scores are invariant to a
// common positive scale, so the CF weight's start at 1 fixes the scale and the grid
// only needs to span relative weights from -1 to 3 times that.
constexpr float kGrid[] = {-1.0f, -0.5f, -0.25f, -0.1f, 0.0f, 0.1f, 0.25f, 0.5f, 0.75f, 1.0f, 1.5f, 2.0f, 3.0f};

float fused(const SignalWeights& w, const SignalWeights& z) {
  float s = 0.0f;
  for (int k = 0; k < kSignalCount; ++k) s += w[static_cast<std::size_t>(k)] * z[static_cast<std::size_t>(k)];
  return s;
}

double ndcg_with(const FusionSample& sample, const SignalWeights& warm, const SignalWeights& cold, int k,
                 std::vector<std::pair<float, std::int32_t>>& scratch) {
  if (sample.relevant_total <= 0) return 0.0;
  const std::size_t n = sample.z.size();
  scratch.resize(n);
  for (std::size_t c = 0; c < n; ++c)
    scratch[c] = {fused(sample.warm[c] ? warm : cold, sample.z[c]), static_cast<std::int32_t>(c)};
  const std::size_t top = std::min(n, static_cast<std::size_t>(k));
  // Best first; equal scores keep candidate order (ascending item), as the ranker does.
  const auto better = [](const std::pair<float, std::int32_t>& a, const std::pair<float, std::int32_t>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::partial_sort(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(top), scratch.end(), better);
  double dcg = 0.0, ideal = 0.0;
  for (std::size_t r = 0; r < top; ++r)
    if (sample.relevant[static_cast<std::size_t>(scratch[r].second)]) dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  const int ideal_n = std::min(sample.relevant_total, k);
  for (int r = 0; r < ideal_n; ++r) ideal += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  return dcg / ideal;
}

struct Objective {
  const std::vector<const FusionSample*>& samples;
  int k;
  mutable std::vector<std::pair<float, std::int32_t>> scratch;

  double operator()(const SignalWeights& warm, const SignalWeights& cold) const {
    double sum = 0.0;
    for (const FusionSample* s : samples) sum += ndcg_with(*s, warm, cold, k, scratch);
    return samples.empty() ? 0.0 : sum / static_cast<double>(samples.size());
  }
};

// Coordinate ascent on one row (warm or cold) for `samples`, the other row held fixed.
// Each sweep tries every grid value of every enabled weight and keeps the best; a change
// must gain more than 1e-6 (so ties keep the current weights).
SignalWeights ascend(const std::vector<const FusionSample*>& samples, SignalWeights row, const SignalWeights& other, bool warm_row,
                     const FusionLearnOptions& o) {
  const Objective score{samples, o.k, {}};
  const auto eval = [&](const SignalWeights& w) { return warm_row ? score(w, other) : score(other, w); };
  double best = eval(row);
  for (int pass = 0; pass < o.passes; ++pass) {
    bool improved = false;
    for (int s = 0; s < kSignalCount; ++s) {
      if (o.disabled[static_cast<std::size_t>(s)]) continue;
      SignalWeights best_row = row;
      for (float v : kGrid) {
        if (v == row[static_cast<std::size_t>(s)]) continue;
        SignalWeights w = row;
        w[static_cast<std::size_t>(s)] = v;
        if (std::all_of(w.begin(), w.end(), [](float x) { return x == 0.0f; })) continue;
        const double value = eval(w);
        if (value > best + 1e-6) best = value, best_row = w, improved = true;
      }
      row = best_row;
    }
    if (!improved) break;
  }
  return row;
}

SignalWeights cf_row() {
  SignalWeights w{};
  w[kSignalCf] = 1.0f;
  return w;
}

}  // namespace

const char* signal_name(int signal) {
  return signal >= 0 && signal < kSignalCount ? kNames[signal] : "unknown";
}

int parse_signal(const std::string& name, const std::string& field) {
  for (int s = 0; s < kSignalCount; ++s)
    if (name == kNames[s]) return s;
  throw ParamError(field, "unknown signal '" + name + "'; expected cf, ease, content, content_factor or popularity");
}

std::vector<int> default_fusion_edges() { return {5, 10, 20, 50, 100, 200}; }

int FusionWeights::bucket(std::size_t history_size) const {
  int b = 0;
  while (b < static_cast<int>(edges.size()) && history_size >= static_cast<std::size_t>(edges[static_cast<std::size_t>(b)])) ++b;
  return b;
}

std::string bucket_label(const FusionWeights& w, int b) {
  const int lo = b == 0 ? 1 : w.edges[static_cast<std::size_t>(b) - 1];
  if (b >= static_cast<int>(w.edges.size())) return std::to_string(lo) + "+";
  return std::to_string(lo) + "-" + std::to_string(w.edges[static_cast<std::size_t>(b)] - 1);
}

void FusionWeights::validate() const {
  if (empty()) {
    if (!edges.empty() || !cold.empty()) throw ParamError("fusion.warm", "missing while edges or cold weights are given");
    return;
  }
  if (edges.size() > 64) throw ParamError("fusion.edges", "at most 64 bucket edges");
  for (std::size_t b = 0; b < edges.size(); ++b)
    if (edges[b] < 1 || (b > 0 && edges[b] <= edges[b - 1]) || edges[b] > 100000000)
      throw ParamError("fusion.edges", "must be increasing integers in [1, 1e8]");
  const auto rows = [&](const std::vector<SignalWeights>& r, const char* name) {
    if (static_cast<int>(r.size()) != buckets())
      throw ParamError(std::string("fusion.") + name, "expected " + std::to_string(buckets()) + " rows (one per bucket), got " +
                                                          std::to_string(r.size()));
    for (const SignalWeights& w : r)
      for (float x : w)
        if (!std::isfinite(x) || std::abs(x) > 1e6f) throw ParamError(std::string("fusion.") + name, "weights must be finite, |w| <= 1e6");
  };
  rows(warm, "warm");
  rows(cold, "cold");
}

double sample_ndcg(const FusionSample& sample, const FusionWeights& weights, int k) {
  std::vector<std::pair<float, std::int32_t>> scratch;
  const int b = weights.bucket(static_cast<std::size_t>(sample.history));
  return ndcg_with(sample, weights.warm[static_cast<std::size_t>(b)], weights.cold[static_cast<std::size_t>(b)], k, scratch);
}

FusionWeights cf_only_fusion() {
  FusionWeights w;
  w.edges = default_fusion_edges();
  w.warm.assign(static_cast<std::size_t>(w.buckets()), cf_row());
  w.cold = w.warm;
  return w;
}

FusionFit learn_fusion(const std::vector<FusionSample>& samples, const FusionWeights& start, const FusionLearnOptions& o) {
  if (samples.empty()) throw ParamError("fusion", "no validation users with held-out items to learn the fusion weights from");
  FusionFit fit;
  fit.weights = start.empty() ? cf_only_fusion() : start;
  FusionWeights& w = fit.weights;
  const auto mask = [&](SignalWeights r) {
    for (int s = 0; s < kSignalCount; ++s)
      if (o.disabled[static_cast<std::size_t>(s)]) r[static_cast<std::size_t>(s)] = 0.0f;
    // An all-zero row would rank by item index alone: fall back to the first enabled signal.
    if (std::all_of(r.begin(), r.end(), [](float x) { return x == 0.0f; }))
      for (int s = 0; s < kSignalCount; ++s)
        if (!o.disabled[static_cast<std::size_t>(s)]) {
          r[static_cast<std::size_t>(s)] = 1.0f;
          break;
        }
    return r;
  };
  for (auto& r : w.warm) r = mask(r);
  for (auto& r : w.cold) r = mask(r);

  std::vector<std::vector<const FusionSample*>> by_bucket(static_cast<std::size_t>(w.buckets()));
  std::vector<const FusionSample*> all;
  for (const FusionSample& s : samples) {
    if (s.relevant_total <= 0) continue;
    all.push_back(&s);
    by_bucket[static_cast<std::size_t>(w.bucket(static_cast<std::size_t>(s.history)))].push_back(&s);
  }
  if (all.empty()) throw ParamError("fusion", "no validation users with held-out items to learn the fusion weights from");

  // The global rows: fitted on every sample, starting from the first bucket's rows.
  for (bool warm_row : {true, false}) {
    if (warm_row ? !o.learn_warm : !o.learn_cold) continue;
    std::vector<SignalWeights>& rows = warm_row ? w.warm : w.cold;
    const std::vector<SignalWeights>& other = warm_row ? w.cold : w.warm;
    const SignalWeights global = ascend(all, rows.front(), other.front(), warm_row, o);
    for (std::size_t b = 0; b < rows.size(); ++b) {
      rows[b] = global;
      if (static_cast<int>(by_bucket[b].size()) >= o.min_users) rows[b] = ascend(by_bucket[b], global, other[b], warm_row, o);
    }
  }
  if (o.learn_warm && !o.learn_cold) {
    // Cold rows were shaped on cold-only rankings, where their scale does not matter; in
    // a list that mixes cold and warm items it does. One positive factor for every cold
    // row is chosen here, on these mixed validation lists (a factor keeps the cold-only
    // order unchanged).
    const auto total = [&](const FusionWeights& x) {
      double sum = 0.0;
      for (const FusionSample* s : all) sum += sample_ndcg(*s, x, o.k);
      return sum;
    };
    const FusionWeights base = w;
    double best = total(w);
    for (float f : {0.05f, 0.1f, 0.25f, 0.5f, 0.75f, 1.5f, 2.0f, 3.0f}) {
      FusionWeights x = base;
      for (auto& row : x.cold)
        for (float& v : row) v *= f;
      const double value = total(x);
      if (value > best + 1e-6) best = value, w = x;
    }
  }
  fit.users.assign(by_bucket.size(), 0);
  fit.ndcg.assign(by_bucket.size(), 0.0);
  double sum = 0.0;
  for (std::size_t b = 0; b < by_bucket.size(); ++b) {
    fit.users[b] = static_cast<int>(by_bucket[b].size());
    double bs = 0.0;
    for (const FusionSample* s : by_bucket[b]) bs += sample_ndcg(*s, w, o.k);
    sum += bs;
    fit.ndcg[b] = by_bucket[b].empty() ? 0.0 : bs / static_cast<double>(by_bucket[b].size());
  }
  fit.mean_ndcg = sum / static_cast<double>(all.size());
  return fit;
}

FusionAblation ablate_fusion(const std::vector<FusionSample>& validation, const std::vector<FusionSample>& test,
                             const FusionWeights& shipped, const FusionLearnOptions& o) {
  if (shipped.empty()) throw ParamError("fusion", "the ablation needs learned fusion weights");
  FusionAblation out;
  for (int b = 0; b < shipped.buckets(); ++b) out.buckets.push_back(bucket_label(shipped, b));
  out.users.assign(static_cast<std::size_t>(shipped.buckets()), 0);
  for (const FusionSample& s : test)
    if (s.relevant_total > 0) ++out.users[static_cast<std::size_t>(shipped.bucket(static_cast<std::size_t>(s.history)))];
  const auto score = [&](std::string name, FusionWeights w) {
    FusionAblation::Variant v;
    v.name = std::move(name);
    v.ndcg.assign(out.users.size(), 0.0);
    int n = 0;
    for (const FusionSample& s : test) {
      if (s.relevant_total <= 0) continue;
      const double x = sample_ndcg(s, w, o.k);
      v.ndcg[static_cast<std::size_t>(w.bucket(static_cast<std::size_t>(s.history)))] += x;
      v.mean += x;
      ++n;
    }
    for (std::size_t b = 0; b < v.ndcg.size(); ++b)
      if (out.users[b]) v.ndcg[b] /= out.users[b];
    if (n) v.mean /= n;
    v.weights = std::move(w);
    out.variants.push_back(std::move(v));
  };
  score("shipped", shipped);
  // Re-learned variants start from the shipped rows that are not searched here.
  score("all signals", learn_fusion(validation, shipped, o).weights);
  for (int s = 0; s < kSignalCount; ++s) {
    FusionLearnOptions without = o;
    without.disabled[static_cast<std::size_t>(s)] = true;
    score(std::string("without ") + signal_name(s), learn_fusion(validation, shipped, without).weights);
  }
  return out;
}

}  // namespace reco
