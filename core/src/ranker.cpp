#include "reco/ranker.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "reco/error.h"
#include "reco/int8_scoring.h"
#include "reco/portable_math.h"
#include "reco/top_k.h"

namespace reco {
namespace {

bool contains_sorted(const std::vector<std::int32_t>& v, std::int32_t x) { return std::binary_search(v.begin(), v.end(), x); }

std::vector<std::int32_t> sorted_unique(std::vector<std::int32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Appends, ascending, the item of every set bit (bit i of word w is item 64 w + i).
void append_set_bits(const std::vector<std::uint64_t>& bits, std::vector<std::int32_t>& out) {
  for (std::size_t w = 0; w < bits.size(); ++w)
    for (std::uint64_t word = bits[w]; word != 0; word &= word - 1)
      out.push_back(static_cast<std::int32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(word))));
}

// Repeated history items merge like training events (Merge::Max): the largest strength
// and the newest timestamp.
std::vector<HistoryEntry> merge_history(const std::vector<HistoryEntry>& history) {
  std::vector<HistoryEntry> h = history;
  std::sort(h.begin(), h.end(), [](const HistoryEntry& a, const HistoryEntry& b) { return a.item < b.item; });
  std::vector<HistoryEntry> out;
  for (const HistoryEntry& e : h) {
    if (!out.empty() && out.back().item == e.item) {
      out.back().strength = std::max(out.back().strength, e.strength);
      out.back().timestamp = std::max(out.back().timestamp, e.timestamp);
    } else {
      out.push_back(e);
    }
  }
  return out;
}

// Everything stage 2 and the explanations need about one request.
struct Signals {
  std::vector<HistoryEntry> history;  // merged, by item
  bool has_cf = false;
  FoldIn fold;
  bool has_content = false;
  Eigen::VectorXf content;  // unit profile or query
  float cf_weight = 0.0f;
  std::string source;
  // Learned fusion (model.params.fusion) applies: a history, no query, hybrid mode.
  bool learned = false;
  int bucket = 0;
  // EASE scores of every item for the history (empty without EASE or history), and the
  // items whose score any history row touched, ascending.
  std::vector<float> ease;
  std::vector<std::int32_t> ease_touched;
  // factor_map * [x_u] as d + 1 values, so that x_u . map(e_i) = e_i . v[0..d) + v[d].
  std::vector<float> mapped;
};

// The collaborative share of a row of learned weights, for display (RankResult::cf_weight).
float collaborative_share(const SignalWeights& w) {
  float cf = 0.0f, all = 0.0f;
  for (int k = 0; k < kSignalCount; ++k) {
    const float a = std::abs(w[static_cast<std::size_t>(k)]);
    all += a;
    if (k == kSignalCf || k == kSignalEase || k == kSignalContentFactor) cf += a;
  }
  return all > 0.0f ? cf / all : 0.0f;
}

// `all_signals` computes every signal of the learned fusion even when the model has no
// weights yet (the learner's view).
Signals prepare(const HybridModel& m, const RankRequest& r, bool all_signals = false) {
  Signals s;
  s.history = merge_history(r.history);
  if (!s.history.empty()) {
    std::vector<std::int32_t> items;
    std::vector<float> values;
    for (const HistoryEntry& e : s.history) {
      items.push_back(e.item);
      values.push_back(e.strength);
    }
    s.fold = fold_in(m.factors, m.gram, m.reg, m.alpha, items, values);
    s.has_cf = s.fold.user.allFinite();
  }
  const int d = m.content_dim();
  if (!r.query.empty()) {
    s.content = Eigen::Map<const Eigen::VectorXf>(r.query.data(), d);
  } else if (!s.history.empty()) {
    std::int64_t now = r.now;
    for (const HistoryEntry& e : s.history) now = r.now != 0 ? now : std::max(now, e.timestamp);
    // std::exp2 comes from each platform's libm (glibc natively, musl in WebAssembly), so
    // with recency weighting on, native and browser profiles may differ in the last bit;
    // the shipped parameters leave it off (0).
    const double half_life_s = static_cast<double>(m.params.recency_half_life_days) * 86400.0;
    s.content = Eigen::VectorXf::Zero(d);
    for (const HistoryEntry& e : s.history) {
      double w = e.strength;
      if (half_life_s > 0.0 && e.timestamp > 0) w *= std::exp2(-static_cast<double>(std::max<std::int64_t>(now - e.timestamp, 0)) / half_life_s);
      s.content += static_cast<float>(w) * m.embeddings.row(e.item).transpose();
    }
  }
  // Scaling by the largest magnitude first keeps the norm from overflowing for huge inputs.
  if (s.content.size()) {
    const float big = s.content.cwiseAbs().maxCoeff();
    if (big > 0.0f && std::isfinite(big)) s.content /= big;
  }
  const float norm = s.content.size() ? std::sqrt(portable_dot(s.content.data(), s.content.data(), static_cast<std::size_t>(d))) : 0.0f;
  s.has_content = norm > 0.0f && std::isfinite(norm);
  if (s.has_content) s.content /= norm;

  const FusionMode mode = r.mode.value_or(m.params.mode);
  if (mode == FusionMode::Content) s.has_cf = false;
  if (mode == FusionMode::Cf && !s.history.empty() && r.query.empty()) s.has_content = false;
  const float a = std::min(1.0f, static_cast<float>(s.history.size()) / m.params.fusion_t);
  if (!r.query.empty()) {
    s.cf_weight = s.has_cf ? std::min(a, m.params.query_cf_weight) : 0.0f;
    s.source = "query";
  } else if (s.has_cf || s.has_content) {
    s.cf_weight = !s.has_content ? 1.0f : (s.has_cf ? a : 0.0f);
    s.source = "hybrid";
  } else {
    s.source = "popular";
  }
  s.learned = mode == FusionMode::Hybrid && r.query.empty() && !s.history.empty() && (all_signals || !m.params.fusion.empty());
  if (s.learned) {
    if (!m.params.fusion.empty()) {
      s.bucket = m.params.fusion.bucket(s.history.size());
      s.cf_weight = collaborative_share(m.params.fusion.warm[static_cast<std::size_t>(s.bucket)]);
    }
    s.source = "hybrid";
    if (m.has_ease()) {
      // Rows in history order (ascending item), entries in row order: a fixed summation order.
      s.ease.assign(static_cast<std::size_t>(m.n_items()), 0.0f);
      std::vector<std::uint64_t> touched((static_cast<std::size_t>(m.n_items()) + 63) / 64, 0);  // one bit per item
      for (const HistoryEntry& e : s.history) {
        const float w = e.strength * m.ease.scales[static_cast<std::size_t>(e.item)];
        for (std::int64_t p = m.ease.indptr[static_cast<std::size_t>(e.item)]; p < m.ease.indptr[static_cast<std::size_t>(e.item) + 1]; ++p) {
          const auto col = static_cast<std::size_t>(m.ease.indices[static_cast<std::size_t>(p)]);
          s.ease[col] += w * static_cast<float>(m.ease.values[static_cast<std::size_t>(p)]);
          touched[col >> 6] |= std::uint64_t{1} << (col & 63);
        }
      }
      append_set_bits(touched, s.ease_touched);
    }
    if (s.has_cf && m.factor_map.size() != 0) {
      const Eigen::Index rows = m.factor_map.rows(), f = m.factor_map.cols();
      // Each v[k] = sum_j map(k, j) * x_u[j] in double, j ascending: the same bits natively
      // and in WebAssembly. Column by column, so the rows' sums advance together
      // (independent lanes) instead of one long add chain per row.
      std::vector<double> v(static_cast<std::size_t>(rows), 0.0);
      for (Eigen::Index j = 0; j < f; ++j) {
        const double x = static_cast<double>(s.fold.user[j]);
        const float* col = m.factor_map.col(j).data();
        for (Eigen::Index k = 0; k < rows; ++k) v[static_cast<std::size_t>(k)] += static_cast<double>(col[k]) * x;
      }
      s.mapped.assign(v.begin(), v.end());
    }
  }
  return s;
}

// Whether item i carries one of the tag ids `wanted` (sorted).
bool carries_tag(const HybridModel& m, std::int32_t i, const std::vector<std::int32_t>& wanted) {
  for (std::int32_t k = m.item_tag_offsets[static_cast<std::size_t>(i)]; k < m.item_tag_offsets[static_cast<std::size_t>(i) + 1]; ++k)
    if (std::binary_search(wanted.begin(), wanted.end(), m.item_tags[static_cast<std::size_t>(k)])) return true;
  return false;
}

// Stage 1: candidate items after filters, sorted and unique.
std::vector<std::int32_t> candidates(const HybridModel& m, const RankRequest& r, const Signals& s) {
  std::vector<std::int32_t> blocked = sorted_unique(r.deny);
  if (r.exclude_history) {
    for (const HistoryEntry& e : s.history) blocked.push_back(e.item);
    blocked = sorted_unique(std::move(blocked));
  }
  std::vector<std::int32_t> out;
  if (!r.allow.empty() || !r.tags.empty()) {
    // Filtered requests score every matching item: an index's top-N could hold too few.
    // Tags no item carries match nothing; an unknown tag alone leaves no candidates.
    std::vector<std::int32_t> wanted;
    for (const std::string& t : r.tags) {
      const auto it = m.tag_index.find(lower_ascii(t));
      if (it != m.tag_index.end()) wanted.push_back(it->second);
    }
    wanted = sorted_unique(std::move(wanted));
    const auto consider = [&](std::int32_t i) {
      if (!contains_sorted(blocked, i) && (r.tags.empty() || carries_tag(m, i, wanted))) out.push_back(i);
    };
    if (!r.allow.empty()) {
      for (std::int32_t i : sorted_unique(r.allow)) consider(i);
    } else {
      for (std::int32_t i = 0; i < m.n_items(); ++i) consider(i);
    }
    return out;
  }
  const int extra = static_cast<int>(r.exclude_history ? s.history.size() : 0) + static_cast<int>(r.deny.size());
  const auto take = [&](const std::vector<Neighbour>& found) {
    for (const Neighbour& n : found) out.push_back(n.item);
  };
  const bool exact = m.n_items() <= m.params.exact_below;
  // The best `n` rows of `rows` for the query by scoring all of them (ties: smaller item),
  // in integer arithmetic on their int8 codes when the model has them.
  const auto exact_top = [&](const FactorMatrix& rows, const Int8Rows& codes, const Eigen::VectorXf& q, int n) {
    // One buffer per thread, reused: a catalog-sized allocation per scan made glibc
    // consolidate its free lists on every request of a busy server. Every value is
    // written before it is read.
    thread_local std::vector<float> scores;
    scores.resize(static_cast<std::size_t>(rows.rows()));
    if (codes.rows == rows.rows() && codes.cols == rows.cols()) {
      const std::vector<std::int16_t> q16 = quantize_query_int16(q.data(), static_cast<std::size_t>(q.size()));
      int8_rows_scores(codes, q16.data(), scores.data());
    } else {
      portable_rows_dot(rows.data(), scores.size(), static_cast<std::size_t>(rows.cols()), q.data(), scores.data());
    }
    top_n_items(scores, static_cast<std::size_t>(n), out);
  };
  if (s.has_cf && m.params.cf_candidates > 0) {
    // A positive scale does not change an inner-product ranking; it keeps the query
    // within the index's coordinate bounds however large a degenerate fold-in gets.
    Eigen::VectorXf q = s.fold.user;
    const float big = q.cwiseAbs().maxCoeff();
    if (big > 0.0f) q /= big;
    if (exact) exact_top(m.factors, m.factor_codes, q, m.params.cf_candidates + extra);
    else take(m.factor_index->search(q.data(), m.params.cf_candidates + extra));
  }
  if (s.has_content && m.params.content_candidates > 0) {
    if (exact) exact_top(m.embeddings, m.embedding_codes, s.content, m.params.content_candidates + extra);
    else take(m.content_index->search(s.content.data(), m.params.content_candidates + extra));
  }
  if (!s.ease_touched.empty() && m.params.cf_candidates > 0) {
    // EASE's own top-N among the items its rows reach (the others score 0); ties go to
    // the smaller item, as positions in the ascending touched list.
    std::vector<float> touched_scores(s.ease_touched.size());
    for (std::size_t c = 0; c < touched_scores.size(); ++c) touched_scores[c] = s.ease[static_cast<std::size_t>(s.ease_touched[c])];
    std::vector<std::int32_t> positions;
    top_n_items(touched_scores, static_cast<std::size_t>(m.params.cf_candidates + extra), positions);
    for (std::int32_t p : positions) out.push_back(s.ease_touched[static_cast<std::size_t>(p)]);
  }
  int popular = m.params.popular_candidates + extra;
  if (s.source == "popular") popular = std::max(popular, r.k + extra);
  for (std::size_t p = 0; p < m.popular_order.size() && static_cast<int>(p) < popular; ++p) out.push_back(m.popular_order[p]);
  // Unique, ascending and without blocked items, through a bitset over the catalog
  // (cheaper than sorting the several hundred ids collected).
  std::vector<std::uint64_t> bits((static_cast<std::size_t>(m.n_items()) + 63) / 64, 0);
  for (std::int32_t i : out) bits[static_cast<std::size_t>(i) >> 6] |= std::uint64_t{1} << (i & 63);
  for (std::int32_t i : blocked) bits[static_cast<std::size_t>(i) >> 6] &= ~(std::uint64_t{1} << (i & 63));
  out.clear();
  append_set_bits(bits, out);
  return out;
}

// (x - mean) / std over the candidates; all zeros when the values are constant.
void z_normalise(std::vector<float>& v) {
  if (v.empty()) return;
  double mean = 0.0, sq = 0.0;
  for (float x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (float x : v) sq += (x - mean) * (x - mean);
  const double sd = std::sqrt(sq / static_cast<double>(v.size()));
  for (float& x : v) x = sd > 1e-12 ? static_cast<float>((x - mean) / sd) : 0.0f;
}

struct Scored {
  std::vector<std::int32_t> items;
  std::vector<float> fused, cf, content;
};

// Every signal's raw score of each candidate in `sc` (cf and content already filled in),
// z-scored over the candidates. A signal the request lacks is all zeros.
std::array<std::vector<float>, kSignalCount> signal_z_scores(const HybridModel& m, const Signals& s, const Scored& sc) {
  const std::size_t n = sc.items.size();
  std::array<std::vector<float>, kSignalCount> z;
  for (auto& v : z) v.assign(n, 0.0f);
  const auto d = static_cast<std::size_t>(m.content_dim());
  if (!s.mapped.empty()) {
    std::vector<const float*> rows(n);
    for (std::size_t c = 0; c < n; ++c) rows[c] = m.embeddings.row(sc.items[c]).data();
    portable_dots(rows.data(), n, s.mapped.data(), d, z[kSignalContentFactor].data());
    for (float& v : z[kSignalContentFactor]) v += s.mapped[d];
  }
  for (std::size_t c = 0; c < n; ++c) {
    const auto i = static_cast<std::size_t>(sc.items[c]);
    z[kSignalCf][c] = sc.cf[c];
    z[kSignalContent][c] = sc.content[c];
    if (!s.ease.empty()) z[kSignalEase][c] = s.ease[i];
    // sqrt tames the long tail and, unlike log, is correctly rounded on every platform.
    z[kSignalPopularity][c] = std::sqrt(m.popularity[i]);
  }
  for (auto& v : z) z_normalise(v);
  return z;
}

Scored score(const HybridModel& m, const Signals& s, std::vector<std::int32_t> items) {
  Scored out;
  out.items = std::move(items);
  const std::size_t n = out.items.size();
  out.cf.assign(n, 0.0f);
  out.content.assign(n, 0.0f);
  out.fused.assign(n, 0.0f);
  std::vector<const float*> rows(n);
  if (s.has_cf) {
    for (std::size_t c = 0; c < n; ++c) rows[c] = m.factors.row(out.items[c]).data();
    portable_dots(rows.data(), n, s.fold.user.data(), static_cast<std::size_t>(m.factor_dim()), out.cf.data());
  }
  if (s.has_content) {
    for (std::size_t c = 0; c < n; ++c) rows[c] = m.embeddings.row(out.items[c]).data();
    portable_dots(rows.data(), n, s.content.data(), static_cast<std::size_t>(m.content_dim()), out.content.data());
  }
  if (s.source == "popular") {
    for (std::size_t c = 0; c < n; ++c) out.fused[c] = m.popularity[static_cast<std::size_t>(out.items[c])];
    z_normalise(out.fused);
    return out;
  }
  if (s.learned && !m.params.fusion.empty()) {
    std::array<std::vector<float>, kSignalCount> z = signal_z_scores(m, s, out);
    const SignalWeights& warm = m.params.fusion.warm[static_cast<std::size_t>(s.bucket)];
    const SignalWeights& cold = m.params.fusion.cold[static_cast<std::size_t>(s.bucket)];
    for (std::size_t c = 0; c < n; ++c) {
      const SignalWeights& w = m.popularity[static_cast<std::size_t>(out.items[c])] > 0.0f ? warm : cold;
      float v = 0.0f;
      for (int k = 0; k < kSignalCount; ++k) v += w[static_cast<std::size_t>(k)] * z[static_cast<std::size_t>(k)][c];
      out.fused[c] = v;
    }
    return out;
  }
  std::vector<float> zc = out.cf, zt = out.content;
  z_normalise(zc);
  z_normalise(zt);
  const float a = s.cf_weight;
  for (std::size_t c = 0; c < n; ++c) out.fused[c] = (s.has_cf ? a * zc[c] : 0.0f) + (s.has_content ? (1.0f - a) * zt[c] : 0.0f);
  return out;
}

// Positions into `sc` of the best `k` by fused score, ties by the smaller item.
std::vector<std::size_t> best_positions(const Scored& sc, std::size_t k) {
  std::vector<std::size_t> pos(sc.items.size());
  for (std::size_t c = 0; c < pos.size(); ++c) pos[c] = c;
  const auto better = [&](std::size_t a, std::size_t b) {
    return sc.fused[a] != sc.fused[b] ? sc.fused[a] > sc.fused[b] : sc.items[a] < sc.items[b];
  };
  k = std::min(k, pos.size());
  std::partial_sort(pos.begin(), pos.begin() + static_cast<std::ptrdiff_t>(k), pos.end(), better);
  pos.resize(k);
  return pos;
}

// Maximal marginal relevance: picks k of `pool` (best first) greedily maximising
// lambda * relevance - (1 - lambda) * (largest cosine to an item already picked), with
// relevance the fused score scaled to [0, 1] over the pool.
std::vector<std::size_t> mmr(const HybridModel& m, const Scored& sc, const std::vector<std::size_t>& pool, std::size_t k,
                             float lambda) {
  if (pool.empty()) return {};
  const float hi = sc.fused[pool.front()], lo = sc.fused[pool.back()];
  const float span = hi > lo ? hi - lo : 1.0f;
  std::vector<std::size_t> picked;
  std::vector<char> used(pool.size(), 0);
  std::vector<float> max_sim(pool.size(), -1.0f);
  while (picked.size() < std::min(k, pool.size())) {
    std::size_t best = pool.size();
    float best_value = -std::numeric_limits<float>::infinity();
    for (std::size_t p = 0; p < pool.size(); ++p) {
      if (used[p]) continue;
      const float rel = (sc.fused[pool[p]] - lo) / span;
      const float value = lambda * rel - (1.0f - lambda) * (picked.empty() ? 0.0f : max_sim[p]);
      // strict: ties keep the better-ranked; the first unused one is taken even when every
      // value is -inf or NaN (an overflowing similarity), so `best` always names an item.
      if (best == pool.size() || value > best_value) best_value = value, best = p;
    }
    used[best] = 1;
    picked.push_back(pool[best]);
    const float* e = m.embeddings.row(sc.items[pool[best]]).data();
    const auto d = static_cast<std::size_t>(m.content_dim());
    for (std::size_t p = 0; p < pool.size(); ++p)
      if (!used[p]) max_sim[p] = std::max(max_sim[p], portable_dot(m.embeddings.row(sc.items[pool[p]]).data(), e, d));
  }
  return picked;
}

// The history's contributions to one item's collaborative score, from w = A^-1 y_item
// (A the fold-in's matrix): history item j contributes c_j * (y_j . w).
std::vector<Contribution> explain_cf(const HybridModel& m, const Signals& s, const float* w, int top) {
  const std::size_t h = s.history.size();
  std::vector<const float*> rows(h);
  for (std::size_t j = 0; j < h; ++j) rows[j] = m.factors.row(s.history[j].item).data();
  std::vector<float> dots(h);
  portable_dots(rows.data(), h, w, static_cast<std::size_t>(m.factor_dim()), dots.data());
  std::vector<Contribution> all;
  for (std::size_t j = 0; j < h; ++j) {
    const float c = s.fold.confidence[j] * dots[j];
    if (c > 0.0f) all.push_back({s.history[j].item, c});
  }
  std::sort(all.begin(), all.end(), [](const Contribution& a, const Contribution& b) {
    return a.score != b.score ? a.score > b.score : a.item < b.item;
  });
  if (all.size() > static_cast<std::size_t>(top)) all.resize(static_cast<std::size_t>(top));
  return all;
}

// A^-1 y_i for each item, as columns (solved together: PortableCholesky::solve_columns).
Eigen::MatrixXf explanation_solves(const HybridModel& m, const Signals& s, const std::vector<std::int32_t>& items) {
  Eigen::MatrixXf y(m.factor_dim(), static_cast<Eigen::Index>(items.size()));
  for (std::size_t c = 0; c < items.size(); ++c) y.col(static_cast<Eigen::Index>(c)) = m.factors.row(items[c]).transpose();
  return s.fold.solver.solve_columns(y);
}

// The item's genres and tags (as stored, first occurrence of each lower-case form) that
// are among the history's tag ids `history_tags` (sorted).
std::vector<std::string> shared_tags(const HybridModel& m, std::int32_t item, const std::vector<std::int32_t>& history_tags) {
  std::vector<std::string> out;
  for (std::int32_t k = m.item_tag_offsets[static_cast<std::size_t>(item)]; k < m.item_tag_offsets[static_cast<std::size_t>(item) + 1]; ++k)
    if (std::binary_search(history_tags.begin(), history_tags.end(), m.item_tags[static_cast<std::size_t>(k)]))
      out.push_back(m.item_tag_text(item, static_cast<std::size_t>(k)));
  return out;
}

// The tag ids of the history's genres and tags, sorted and unique.
std::vector<std::int32_t> history_tags_of(const HybridModel& m, const Signals& s) {
  std::vector<std::int32_t> tags;
  for (const HistoryEntry& e : s.history)
    for (std::int32_t k = m.item_tag_offsets[static_cast<std::size_t>(e.item)]; k < m.item_tag_offsets[static_cast<std::size_t>(e.item) + 1]; ++k)
      tags.push_back(m.item_tags[static_cast<std::size_t>(k)]);
  return sorted_unique(std::move(tags));
}

// The recommendation at position p of `sc`; `w` is A^-1 y_item (factor_dim values) for
// its explanation, read only when the request asks for explanations and has a
// collaborative signal.
Recommendation recommendation(const HybridModel& m, const RankRequest& r, const Signals& s, const Scored& sc, std::size_t p,
                              const std::vector<std::int32_t>& history_tags, const float* w) {
  Recommendation rec;
  rec.item = sc.items[p];
  rec.score = sc.fused[p];
  rec.cf = sc.cf[p];
  rec.content = sc.content[p];
  if (r.explain > 0) {
    if (s.has_cf) rec.because = explain_cf(m, s, w, r.explain);
    rec.shared_tags = shared_tags(m, rec.item, history_tags);
  }
  return rec;
}

}  // namespace

void RankRequest::validate(const HybridModel& m) const {
  const std::int32_t n = m.n_items();
  const auto check_item = [&](const char* field, std::size_t pos, std::int32_t i) {
    if (i < 0 || i >= n)
      throw ParamError(std::string(field) + "[" + std::to_string(pos) + "]",
                       "item index " + std::to_string(i) + " is outside the catalog of " + std::to_string(n) + " items");
  };
  for (std::size_t p = 0; p < history.size(); ++p) {
    check_item("history", p, history[p].item);
    if (!std::isfinite(history[p].strength) || history[p].strength < 0.0f || history[p].strength > 1e6f)
      throw ParamError("history[" + std::to_string(p) + "].strength", "must be finite and in [0, 1e6]");
    if (history[p].timestamp < 0) throw ParamError("history[" + std::to_string(p) + "].timestamp", "must be >= 0");
  }
  if (!query.empty()) {
    if (static_cast<int>(query.size()) != m.content_dim())
      throw ParamError("query", "embedding has " + std::to_string(query.size()) + " values; the model's content dimension is " +
                                    std::to_string(m.content_dim()));
    for (float v : query)
      if (!std::isfinite(v)) throw ParamError("query", "embedding holds a non-finite value");
  }
  if (k < 1 || k > 10000) throw ParamError("k", "must be in [1, 10000], got " + std::to_string(k));
  for (std::size_t p = 0; p < allow.size(); ++p) check_item("allow", p, allow[p]);
  for (std::size_t p = 0; p < deny.size(); ++p) check_item("deny", p, deny[p]);
  if (!(mmr_lambda >= 0.0f && mmr_lambda <= 1.0f)) throw ParamError("mmr_lambda", "must be in [0, 1]");
  if (explain < 0 || explain > 100) throw ParamError("explain", "must be in [0, 100]");
  if (now < 0) throw ParamError("now", "must be >= 0");
}

std::vector<ScoredItem> fused_scores(const HybridModel& m, const RankRequest& r) {
  r.validate(m);
  const Signals s = prepare(m, r);
  const Scored sc = score(m, s, candidates(m, r, s));
  std::vector<ScoredItem> out(sc.items.size());
  for (std::size_t c = 0; c < out.size(); ++c) out[c] = {sc.items[c], sc.fused[c]};
  return out;
}

CandidateSignals candidate_signals(const HybridModel& m, const RankRequest& r) {
  r.validate(m);
  if (r.history.empty() || !r.query.empty() || r.mode.value_or(m.params.mode) != FusionMode::Hybrid)
    throw ParamError("request", "candidate signals need a history, no query and hybrid mode");
  const Signals s = prepare(m, r, true);
  const Scored sc = score(m, s, candidates(m, r, s));
  const std::array<std::vector<float>, kSignalCount> z = signal_z_scores(m, s, sc);
  CandidateSignals out;
  out.history = static_cast<std::int32_t>(s.history.size());
  out.items = sc.items;
  out.z.resize(sc.items.size());
  out.warm.resize(sc.items.size());
  for (std::size_t c = 0; c < sc.items.size(); ++c) {
    for (int k = 0; k < kSignalCount; ++k) out.z[c][static_cast<std::size_t>(k)] = z[static_cast<std::size_t>(k)][c];
    out.warm[c] = m.popularity[static_cast<std::size_t>(sc.items[c])] > 0.0f;
  }
  return out;
}

RankResult rank(const HybridModel& m, const RankRequest& r) {
  r.validate(m);
  const Signals s = prepare(m, r);
  const Scored sc = score(m, s, candidates(m, r, s));
  const std::size_t k = static_cast<std::size_t>(r.k);
  std::vector<std::size_t> chosen;
  if (r.mmr_lambda < 1.0f) {
    // The pool MMR chooses from: enough better-ranked items to swap in, bounded cost.
    chosen = mmr(m, sc, best_positions(sc, std::max<std::size_t>(5 * k, 50)), k, r.mmr_lambda);
  } else {
    chosen = best_positions(sc, k);
  }
  const std::vector<std::int32_t> history_tags = r.explain > 0 ? history_tags_of(m, s) : std::vector<std::int32_t>{};
  RankResult out;
  out.cf_weight = s.cf_weight;
  out.source = s.source;
  out.candidates = static_cast<int>(sc.items.size());
  std::vector<std::int32_t> chosen_items;
  for (std::size_t p : chosen) chosen_items.push_back(sc.items[p]);
  const Eigen::MatrixXf w = r.explain > 0 && s.has_cf ? explanation_solves(m, s, chosen_items) : Eigen::MatrixXf(m.factor_dim(), 0);
  for (std::size_t c = 0; c < chosen.size(); ++c)
    out.items.push_back(recommendation(m, r, s, sc, chosen[c], history_tags, w.cols() ? w.col(static_cast<Eigen::Index>(c)).data() : nullptr));
  return out;
}

Recommendation explain_item(const HybridModel& m, const RankRequest& r, std::int32_t item) {
  r.validate(m);
  if (item < 0 || item >= m.n_items()) throw ParamError("item", "item index " + std::to_string(item) + " is outside the catalog");
  const Signals s = prepare(m, r);
  std::vector<std::int32_t> items = candidates(m, r, s);
  if (!std::binary_search(items.begin(), items.end(), item)) items.insert(std::lower_bound(items.begin(), items.end(), item), item);
  const Scored sc = score(m, s, std::move(items));
  const auto p = static_cast<std::size_t>(std::lower_bound(sc.items.begin(), sc.items.end(), item) - sc.items.begin());
  RankRequest with_reasons = r;
  if (with_reasons.explain == 0) with_reasons.explain = 3;
  const Eigen::MatrixXf w = s.has_cf ? explanation_solves(m, s, {item}) : Eigen::MatrixXf(m.factor_dim(), 0);
  return recommendation(m, with_reasons, s, sc, p, history_tags_of(m, s), w.cols() ? w.data() : nullptr);
}

std::int32_t add_item(HybridModel& m, const std::string& id, const ItemInfo& info) {
  if (!m.encoder) throw ParamError("item", "this model has no text encoder, so items cannot be added from text");
  return add_item(m, id, info, m.encoder->encode(item_text(info)));
}

std::int32_t add_item(HybridModel& m, const std::string& id, const ItemInfo& info, const std::vector<float>& e) {
  if (m.factor_map.size() == 0) throw ParamError("item", "this model has no content-to-factor map");
  if (id.empty()) throw ParamError("id", "must not be empty");
  if (m.find_item(id) >= 0) throw ParamError("id", "item '" + id + "' is already in the catalog");
  if (static_cast<int>(e.size()) != m.content_dim())
    throw ParamError("embedding", "has " + std::to_string(e.size()) + " values; the model's content dimension is " + std::to_string(m.content_dim()));
  for (float v : e)
    if (!std::isfinite(v)) throw ParamError("embedding", "holds a non-finite value");
  const Eigen::VectorXf f = map_to_factor(m.factor_map, e.data());
  const Eigen::Index n = m.n_items();
  // The Gram matrix is left as shipped: the new item has no interactions, and its
  // implicit-negative term y y' would change fold-ins by a single item's weight.
  m.factors.conservativeResize(n + 1, Eigen::NoChange);
  m.factors.row(n) = f.transpose();
  m.embeddings.conservativeResize(n + 1, Eigen::NoChange);
  m.embeddings.row(n) = Eigen::Map<const Eigen::RowVectorXf>(e.data(), static_cast<Eigen::Index>(e.size()));
  m.item_ids.push_back(id);
  m.item_index.emplace(id, static_cast<std::int32_t>(n));
  m.items.push_back(info);
  m.append_item_tags();
  m.popularity.push_back(0.0f);
  if (m.popular_order.size() < static_cast<std::size_t>(std::max(m.params.popular_candidates, 1000)))
    m.popular_order.push_back(static_cast<std::int32_t>(n));
  if (m.has_ease()) {
    // No interactions, so an empty EASE row (and no column entries in other rows).
    m.ease.rows += 1;
    m.ease.indptr.push_back(m.ease.indptr.back());
    m.ease.scales.push_back(0.0f);
  }
  // The new rows' codes, quantised like the others (quantize_rows_int8 works row by row).
  const auto append_codes = [](Int8Rows& codes, const float* row) {
    if (codes.cols == 0) return;
    const Int8Rows one = quantize_rows_int8(row, 1, codes.cols);
    codes.values.insert(codes.values.end(), one.values.begin(), one.values.end());
    codes.scales.push_back(one.scales[0]);
    codes.rows += 1;
  };
  append_codes(m.factor_codes, f.data());
  append_codes(m.embedding_codes, e.data());
  m.factor_index->add(f.data());
  m.content_index->add(e.data());
  return static_cast<std::int32_t>(n);
}

}  // namespace reco
