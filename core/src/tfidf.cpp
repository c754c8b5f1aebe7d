#include "reco/tfidf.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "reco/error.h"

namespace reco {

TfidfContent::TfidfContent(const std::vector<std::string>& item_texts, TokenizerParams tokenizer_params) {
  const Tokenizer tokenizer(tokenizer_params);
  // Term counts per item, then document frequencies over the catalog.
  std::vector<std::vector<std::pair<std::uint32_t, float>>> counts(item_texts.size());
  std::unordered_map<std::uint32_t, int> df;
  for (std::size_t i = 0; i < item_texts.size(); ++i) {
    auto f = tokenizer.features(item_texts[i]);
    std::sort(f.begin(), f.end());
    for (std::size_t k = 0; k < f.size();) {
      std::size_t j = k;
      while (j < f.size() && f[j] == f[k]) ++j;
      counts[i].push_back({f[k], static_cast<float>(j - k)});
      ++df[f[k]];
      k = j;
    }
  }
  // Weight = (1 + log tf) * log((1 + N) / (1 + df)) + 1 (smoothed idf), then unit length.
  const double n = static_cast<double>(item_texts.size());
  vectors_.resize(item_texts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    double norm = 0.0;
    for (auto& [id, w] : counts[i]) {
      const double idf = std::log((1.0 + n) / (1.0 + df[id])) + 1.0;
      w = static_cast<float>((1.0 + std::log(static_cast<double>(w))) * idf);
      norm += static_cast<double>(w) * w;
    }
    const float inv = norm > 0.0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
    for (auto& [id, w] : counts[i]) w *= inv;
    vectors_[i] = std::move(counts[i]);
  }
}

void TfidfContent::fit(const Interactions& train, const ProgressFn& progress) {
  if (train.n_items() != static_cast<std::int32_t>(vectors_.size()))
    throw ParamError("items", "the training matrix has " + std::to_string(train.n_items()) + " items but the catalog " +
                                  std::to_string(vectors_.size()) + " texts");
  user_items_ = train.user_items;
  if (progress) progress("tfidf", 1, 1);
}

void TfidfContent::score_history(const std::vector<std::int32_t>& items, const std::vector<float>& values,
                                 std::vector<float>& scores) const {
  if (items.size() != values.size()) throw ParamError("values", "history and values differ in length");
  std::unordered_map<std::uint32_t, float> profile;
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (items[k] < 0 || items[k] >= static_cast<std::int32_t>(vectors_.size()))
      throw ParamError("item", "index " + std::to_string(items[k]) + " is outside the catalog");
    for (const auto& [id, w] : vectors_[static_cast<std::size_t>(items[k])]) profile[id] += values[k] * w;
  }
  scores.assign(vectors_.size(), 0.0f);
  for (std::size_t i = 0; i < vectors_.size(); ++i) {
    float s = 0.0f;
    for (const auto& [id, w] : vectors_[i]) {
      const auto it = profile.find(id);
      if (it != profile.end()) s += w * it->second;
    }
    scores[i] = s;
  }
}

void TfidfContent::score_user(std::int32_t user, std::vector<float>& scores) const {
  if (user < 0 || user >= user_items_.rows) throw ParamError("user", "index " + std::to_string(user) + " is not a training user");
  score_history(user_items_.row_indices(user), user_items_.row_values(user), scores);
}

}  // namespace reco
