// A content baseline: TF-IDF vectors of the items' text (title, genres, tags) and a
// user profile that is the value-weighted sum of the history items' vectors; an item's
// score is its cosine-like dot product with the profile. It needs no interactions with
// an item to score it, so it ranks cold items, and it is the yardstick the trained
// content encoder has to beat.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco/recommender.h"
#include "reco/tokenizer.h"

namespace reco {

// Words only by default: genre and tag labels are whole words, and character n-grams
// mostly add title noise to a genre/tag baseline.
inline TokenizerParams tfidf_tokenizer_defaults() {
  TokenizerParams p;
  p.max_n = 0;
  p.bigrams = true;
  return p;
}

class TfidfContent : public Recommender {
 public:
  // `item_texts[i]` is the text of item index i (see item_text()).
  TfidfContent(const std::vector<std::string>& item_texts, TokenizerParams tokenizer = tfidf_tokenizer_defaults());

  std::string name() const override { return "tfidf"; }
  // Keeps the training rows as user histories; the item vectors do not depend on them.
  void fit(const Interactions& train, const ProgressFn& progress = {}) override;
  void score_user(std::int32_t user, std::vector<float>& scores) const override;
  void score_history(const std::vector<std::int32_t>& items, const std::vector<float>& values,
                     std::vector<float>& scores) const;

  // Item i's L2-normalised sparse vector: (feature id, weight) sorted by feature id.
  const std::vector<std::pair<std::uint32_t, float>>& item_vector(std::int32_t i) const {
    return vectors_[static_cast<std::size_t>(i)];
  }

 private:
  std::vector<std::vector<std::pair<std::uint32_t, float>>> vectors_;
  CsrMatrix user_items_;
};

}  // namespace reco
