#include "reco/hybrid_recommender.h"

#include <algorithm>
#include <limits>

#include "reco/error.h"
#include "reco/ranker.h"

namespace reco {

void HybridConfig::validate() const {
  als.validate();
  content.validate();
  hybrid.validate();
  if (ease) ease->validate();
}

HybridModel train_hybrid(const Interactions& train, const Dataset& catalog, const HybridConfig& config,
                         const ProgressFn& progress) {
  config.validate();
  const std::int32_t n = train.n_items();
  if (n != catalog.items.size())
    throw ParamError("items", "the training matrix has " + std::to_string(n) + " items but the catalog " +
                                  std::to_string(catalog.items.size()));
  std::vector<std::string> texts;
  texts.reserve(catalog.item_info.size());
  for (const ItemInfo& info : catalog.item_info) texts.push_back(item_text(info));
  ContentParams cp = config.content;
  cp.als = config.als;
  ContentModel content(std::move(texts), cp, ContentScoring::Factor);
  content.fit(train, progress);

  HybridModel m;
  m.params = config.hybrid;
  m.reg = config.als.reg;
  m.alpha = config.als.alpha;
  m.item_ids.reserve(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) m.item_ids.push_back(catalog.items.id(i));
  m.items = catalog.item_info;
  m.embeddings = content.item_embeddings();
  m.factor_map = content.factor_map();
  m.encoder = content.encoder();
  m.factors = content.als().item_factors();
  m.popularity.assign(static_cast<std::size_t>(n), 0.0f);
  for (std::int32_t i = 0; i < n; ++i) {
    const std::int32_t users = train.item_users.row_size(i);
    m.popularity[static_cast<std::size_t>(i)] = static_cast<float>(users);
    // ALS leaves an item nobody interacted with at (nearly) zero; its content predicts better.
    if (users == 0) m.factors.row(i) = map_to_factor(m.factor_map, m.embeddings.row(i).data()).transpose();
  }
  if (config.ease) {
    EaseParams ep = *config.ease;
    if (ep.top_n == 0) ep.top_n = bundle_ease_top_n(n);
    Ease ease(ep);
    ease.fit(train, progress);
    m.ease = ease.sparse_weights();
  }
  if (progress) progress("hnsw indexes", 0, 1);
  m.rebuild_derived();
  if (progress) progress("hnsw indexes", 1, 1);
  return m;
}

std::vector<FusionSample> fusion_samples(const HybridModel& model, const Interactions& train, const Split& split) {
  const std::int32_t n_users = train.n_users();
  std::vector<std::vector<std::int32_t>> relevant(static_cast<std::size_t>(n_users));
  for (const Event& e : split.test)
    if (e.user >= 0 && e.user < n_users) relevant[static_cast<std::size_t>(e.user)].push_back(e.item);
  std::vector<FusionSample> out;
  const CsrMatrix& ui = train.user_items;
  for (std::int32_t u = 0; u < n_users; ++u) {
    auto& rel = relevant[static_cast<std::size_t>(u)];
    if (rel.empty() || ui.row_size(u) == 0) continue;
    const std::vector<std::int32_t> history = ui.row_indices(u);
    const std::vector<float> values = ui.row_values(u);
    std::sort(rel.begin(), rel.end());
    rel.erase(std::unique(rel.begin(), rel.end()), rel.end());
    rel.erase(std::remove_if(rel.begin(), rel.end(), [&](std::int32_t i) { return std::binary_search(history.begin(), history.end(), i); }),
              rel.end());
    if (rel.empty()) continue;
    RankRequest r;
    for (std::size_t j = 0; j < history.size(); ++j) r.history.push_back({history[j], values[j], 0});
    r.allow = split.candidates;
    r.explain = 0;
    r.mode = FusionMode::Hybrid;
    CandidateSignals c = candidate_signals(model, r);
    FusionSample s;
    s.history = c.history;
    s.relevant_total = static_cast<std::int32_t>(rel.size());
    s.relevant.resize(c.items.size());
    for (std::size_t k = 0; k < c.items.size(); ++k) s.relevant[k] = std::binary_search(rel.begin(), rel.end(), c.items[k]);
    s.z = std::move(c.z);
    s.warm = std::move(c.warm);
    out.push_back(std::move(s));
  }
  return out;
}

HybridRecommender::HybridRecommender(const Dataset& catalog, HybridConfig config)
    : catalog_(&catalog), config_(std::move(config)) {
  config_.validate();
}

HybridRecommender::HybridRecommender(HybridModel model, std::string name)
    : name_(std::move(name)), trained_(true), model_(std::move(model)) {}

void HybridRecommender::fit(const Interactions& train, const ProgressFn& progress) {
  if (!trained_) model_ = train_hybrid(train, *catalog_, config_, progress);
  if (train.n_items() != model_->n_items())
    throw ParamError("items", "the model has " + std::to_string(model_->n_items()) + " items but the data " +
                                  std::to_string(train.n_items()));
  user_items_ = train.user_items;
  allow_.clear();
}

void HybridRecommender::score_user(std::int32_t user, std::vector<float>& scores) const {
  if (user < 0 || user >= user_items_.rows) throw ParamError("user", "index " + std::to_string(user) + " is not a training user");
  RankRequest r;
  for (std::int64_t k = user_items_.row_begin(user); k < user_items_.row_end(user); ++k)
    r.history.push_back({user_items_.indices[static_cast<std::size_t>(k)], user_items_.values[static_cast<std::size_t>(k)], 0});
  r.allow = allow_;
  r.explain = 0;
  scores.assign(static_cast<std::size_t>(model_->n_items()), -std::numeric_limits<float>::infinity());
  for (const ScoredItem& s : fused_scores(*model_, r)) scores[static_cast<std::size_t>(s.item)] = s.score;
}

std::int64_t HybridRecommender::model_bytes() const {
  if (!model_) return 0;
  const HybridModel& m = *model_;
  std::int64_t b = 4LL * (m.factors.size() + m.gram.size() + m.embeddings.size() + m.factor_map.size() +
                          static_cast<std::int64_t>(m.popularity.size()));
  if (m.encoder) b += m.encoder->weights.bytes();
  if (m.has_ease()) b += m.ease.bytes();
  return b;
}

void HybridRecommender::set_fusion_t(float t) {
  HybridParams p = model_ ? model_->params : config_.hybrid;
  p.fusion_t = t;
  p.validate();
  config_.hybrid.fusion_t = t;
  if (model_) model_->params.fusion_t = t;
}

}  // namespace reco
