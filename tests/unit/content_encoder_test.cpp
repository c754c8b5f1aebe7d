#include <catch2/catch.hpp>

#include <cmath>

#include "reco/content_encoder.h"
#include "reco/content_model.h"
#include "reco/encoder_training.h"
#include "reco/error.h"
#include "reco/model_config.h"

using namespace reco;

namespace {

EncoderShape small_shape() {
  EncoderShape s;
  s.buckets = 1u << 10;
  s.hidden = 16;
  s.dim = 8;
  s.max_features = 64;
  return s;
}

Tokenizer small_tokenizer() {
  TokenizerParams p;
  p.buckets = 1u << 10;
  return Tokenizer(p);
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, na = 0, nb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    d += a[k] * b[k];
    na += a[k] * a[k];
    nb += b[k] * b[k];
  }
  return d / std::sqrt(na * nb);
}

// Two tastes: even items are space films, odd items romances; every text also has a
// word of its own. Users consume one taste only.
std::vector<std::string> two_taste_texts(int n) {
  std::vector<std::string> t;
  for (int i = 0; i < n; ++i)
    t.push_back((i % 2 == 0 ? "space robots galaxy Sci-Fi title" : "love wedding romance Comedy title") +
                std::to_string(i));
  return t;
}

Interactions two_taste_interactions(int users, int items, int cold_from) {
  std::vector<Event> events;
  for (int u = 0; u < users; ++u)
    for (int i = u % 2; i < cold_from; i += 2)
      if ((i / 2 + u) % 3 != 0) events.push_back({u, i, 1.0f, 0});
  (void)items;
  return make_interactions(events, users, items, Weighting::Binary);
}

ContentParams small_content_params() {
  ContentParams p;
  p.shape = small_shape();
  p.training.epochs = 40;
  p.training.batch = 16;
  p.training.learning_rate = 0.01f;
  p.neighbours = 5;
  p.als.factors = 4;
  p.als.reg = 1.0f;
  return p;
}

}  // namespace

TEST_CASE("encoder inputs: empty, punctuation-only, long and invalid UTF-8 texts", "[encoder]") {
  const Tokenizer tok = small_tokenizer();
  CHECK(encoder_input(tok, "", 64).ids.empty());
  CHECK(encoder_input(tok, "!!! ... ???", 64).ids.empty());
  const EncoderInput longer = encoder_input(tok, std::string(3000, 'x') + " y z", 64);
  CHECK(longer.ids.size() == 64);
  const EncoderInput broken = encoder_input(tok, "\xff\xfe caf\xc3 \xe9t\xc3\xa9", 64);
  REQUIRE_FALSE(broken.ids.empty());
  double sum = 0;
  for (std::size_t l = 0; l < broken.ids.size(); ++l) {
    CHECK(broken.ids[l] >= 0);
    CHECK(broken.ids[l] < 1024);
    sum += broken.weights[l];
  }
  CHECK(sum == Approx(1.0));
}

TEST_CASE("the int8 encoder stays within rounding of the float one", "[encoder]") {
  EncoderWeights w = EncoderWeights::initial(small_shape(), 0.5f, 7);
  for (std::size_t j = 0; j < w.bias.size(); ++j) w.bias[j] = 0.01f * static_cast<float>(j);
  const QuantizedEncoder q = QuantizedEncoder::quantize(w);
  // Every entry is within half a quantisation step.
  for (std::size_t r = 0; r < 1024; ++r)
    for (std::size_t k = 0; k < 16; ++k)
      REQUIRE(std::fabs(q.table[r * 16 + k] * q.table_scale[r] - w.table[r * 16 + k]) <= q.table_scale[r] * 0.5f + 1e-7f);
  CHECK(q.bytes() == 1024 * 16 + 16 * 8 + 4 * (1024 + 8 + 8));
  const Tokenizer tok = small_tokenizer();
  for (const char* text : {"Toy Story (1995) Animation|Children", "Heat", "", "a b c d e f g h"}) {
    const EncoderInput in = encoder_input(tok, text, 64);
    std::vector<float> f(8), g(8);
    encode(w, in, f.data());
    q.encode(in, g.data());
    CHECK(cosine(f, g) > 0.999);
    double n = 0;
    for (float x : g) n += x * x;
    CHECK(std::sqrt(n) == Approx(1.0).epsilon(1e-5));
  }
  EncoderInput bad;
  bad.ids = {5000};
  bad.weights = {1.0f};
  std::vector<float> out(8);
  CHECK_THROWS_WITH(q.encode(bad, out.data()), Catch::Contains("ids") && Catch::Contains("5000"));
  bad.weights.clear();
  CHECK_THROWS_WITH(q.encode(bad, out.data()), Catch::Contains("weights"));
}

TEST_CASE("encoder training is a function of its seed and lowers the loss", "[encoder]") {
  const auto texts_raw = two_taste_texts(40);
  const Tokenizer tok = small_tokenizer();
  std::vector<EncoderInput> texts;
  for (const auto& t : texts_raw) texts.push_back(encoder_input(tok, t, 64));
  std::vector<std::vector<std::int32_t>> positives(40);
  for (int i = 0; i < 40; ++i) positives[i] = {(i + 2) % 40, (i + 4) % 40};
  EncoderTraining tr;
  tr.epochs = 30;
  tr.batch = 8;
  tr.self_pairs = 0.0f;  // neighbour pairs only: their loss can fall well below the start
  std::vector<double> losses;
  const EncoderWeights a = train_encoder(texts, positives, small_shape(), tr, [&](int, double l) { losses.push_back(l); });
  const EncoderWeights b = train_encoder(texts, positives, small_shape(), tr);
  CHECK(a.table == b.table);
  CHECK(a.projection == b.projection);
  REQUIRE(losses.size() == 30);
  CHECK(losses.back() < 0.9 * losses.front());
  tr.seed = 43;
  const EncoderWeights c = train_encoder(texts, positives, small_shape(), tr);
  CHECK(a.table != c.table);
  // Self pairs (a random part of the item's own text) draw from the same seeded stream.
  tr.self_pairs = 0.5f;
  CHECK(train_encoder(texts, positives, small_shape(), tr).table == train_encoder(texts, positives, small_shape(), tr).table);
  CHECK(train_encoder(texts, positives, small_shape(), tr).table != c.table);
  tr.self_pairs = 1.5f;
  CHECK_THROWS_WITH(train_encoder(texts, positives, small_shape(), tr), Catch::Contains("self_pairs"));
  tr.self_pairs = 0.5f;

  CHECK_THROWS_WITH(train_encoder(texts, std::vector<std::vector<std::int32_t>>(40), small_shape(), tr),
                    Catch::Contains("positives"));
  positives[3] = {99};
  CHECK_THROWS_WITH(train_encoder(texts, positives, small_shape(), tr), Catch::Contains("outside the catalog"));
  tr.batch = 1;
  CHECK_THROWS_WITH(train_encoder(texts, positives, small_shape(), tr), Catch::Contains("batch"));
}

TEST_CASE("content models rank cold items of the user's taste first", "[encoder]") {
  const int items = 40, cold_from = 32, users = 30;
  const auto texts = two_taste_texts(items);
  const Interactions train = two_taste_interactions(users, items, cold_from);
  for (ContentScoring scoring : {ContentScoring::Profile, ContentScoring::Factor}) {
    ContentModel m(texts, small_content_params(), scoring);
    m.fit(train);
    CHECK(m.loss_history().size() == 40);
    std::vector<float> s;
    for (int u = 0; u < 2; ++u) {
      m.score_user(u, s);
      REQUIRE(s.size() == static_cast<std::size_t>(items));
      // Cold items (no interactions at all) of the user's taste outrank the other taste.
      double same = 0, other = 0;
      for (int i = cold_from; i < items; ++i) (i % 2 == u ? same : other) += s[static_cast<std::size_t>(i)];
      INFO(m.name() << " user " << u);
      CHECK(same > other);
    }
    CHECK(m.model_bytes() > 0);
    CHECK_THROWS_AS(m.score_user(users, s), ParamError);
    CHECK_THROWS_WITH(m.score_history({items}, {1.0f}, s), Catch::Contains("outside the catalog"));
  }
}

TEST_CASE("content parameters travel as JSON and bad ones are named", "[encoder]") {
  ModelConfig c;
  c.model = "content-factor";
  c.content.shape.dim = 32;
  c.content.training.temperature = 0.2f;
  c.content.als.factors = 8;
  const ModelConfig back = model_config_from_json(to_json(c), "p.json");
  CHECK(back.content.shape.dim == 32);
  CHECK(back.content.training.temperature == Approx(0.2f));
  CHECK(back.content.als.factors == 8);
  CHECK_THROWS_WITH(model_config_from_json({{"model", "content"}, {"params", {{"map_reg", 1.0}}}}, "p.json"),
                    Catch::Contains("params.map_reg"));
  CHECK_THROWS_WITH(model_config_from_json({{"model", "content"}, {"params", {{"dim", "big"}}}}, "p.json"),
                    Catch::Contains("params.dim"));
  ContentParams p;
  p.shape.dim = 0;
  CHECK_THROWS_WITH(p.validate(), Catch::Contains("dim"));
  c.model = "content";
  CHECK_THROWS_WITH(make_model(c), Catch::Contains("catalog"));
}
