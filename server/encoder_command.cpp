// `reco encoder`: train the content encoder on a whole catalog and export it (int8 ONNX
// plus tokenizer.json). `reco search`: rank a catalog's items against a typed query.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "cli_options.h"
#include "commands.h"
#include "progress.h"
#include "reco/content_model.h"
#include "reco/error.h"
#include "reco/onnx_encoder.h"
#include "reco/top_k.h"

namespace reco::cli {
namespace {

struct EncoderArgs {
  std::string data, format, out, encoder_dir, query;
  ModelFlags flags;
  int parity = 0;
  int top = 10;
  bool quiet = false;
};

std::vector<std::string> catalog_texts(const Dataset& ds) {
  std::vector<std::string> texts;
  texts.reserve(ds.item_info.size());
  for (const auto& info : ds.item_info) texts.push_back(item_text(info));
  return texts;
}

ContentParams content_params(const ModelFlags& flags) {
  ModelFlags f = flags;
  if (f.model.empty() && f.params_file.empty()) f.model = "content";
  const ModelConfig c = resolve_model(f);
  if (c.model != "content" && c.model != "content-factor")
    throw ParamError("model", "the encoder is trained by the content models, not '" + c.model + "'");
  return c.content;
}

// Trains the "content" model on every event of the data set.
ContentModel train_on_catalog(const Dataset& ds, const ContentParams& params, Progress& progress) {
  ContentModel model(catalog_texts(ds), params, ContentScoring::Profile);
  const Interactions all = make_interactions(ds.events, ds.users.size(), ds.items.size(), Weighting::Binary);
  model.fit(all, progress.callback("encoder"));
  return model;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, 0, "", "cannot open the file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw ParamError("out", "cannot write " + path);
}

// Texts the parity file covers besides the catalog's: the tokenizer's edge cases.
std::vector<std::string> edge_texts() {
  return {"", "!!! ... ???", "Café Crème (1999) Comédie|Drame", "\xff\xfe broken \xc3 utf-8",
          std::string(5000, 'a') + " " + std::string(3000, 'b'), "space adventure with robots"};
}

int run_encoder(const EncoderArgs& a) {
  const ContentParams params = content_params(a.flags);
  Progress progress(!a.quiet);
  progress.note("loading " + a.data + " (" + a.format + ")");
  const Dataset ds = load_dataset(a.data, parse_format(a.format));
  const ContentModel model = train_on_catalog(ds, params, progress);
  const TextEncoder& enc = model.encoder();

  mkdir(a.out.c_str(), 0755);
  const std::string onnx = encoder_to_onnx(enc.weights);
  write_file(a.out + "/encoder.onnx", onnx);
  write_json_file(a.out + "/tokenizer.json", enc.tokenizer.to_json(), "out");
  std::printf("encoder.onnx: %zu bytes (int8 table %u x %d, projection %d x %d, %d features per text at most)\n",
              onnx.size(), enc.weights.shape.buckets, enc.weights.shape.hidden, enc.weights.shape.hidden,
              enc.weights.shape.dim, enc.weights.shape.max_features);

  if (a.parity > 0) {
    // Inputs and reference outputs for checking another runtime against this one.
    std::vector<std::string> texts = edge_texts();
    const auto all = catalog_texts(ds);
    for (std::size_t i = 0; i < all.size() && texts.size() < static_cast<std::size_t>(a.parity); ++i) texts.push_back(all[i]);
    nlohmann::json cases = nlohmann::json::array();
    for (const auto& t : texts) {
      const EncoderInput in = enc.input(t);
      cases.push_back({{"ids", in.ids}, {"weights", in.weights}, {"embedding", enc.encode(t)}});
    }
    write_json_file(a.out + "/parity.json", {{"dim", enc.dim()}, {"cases", cases}}, "parity");
    std::printf("parity.json: %zu texts with reference embeddings\n", texts.size());
  }
  return 0;
}

int run_search(const EncoderArgs& a) {
  if (a.top < 1) throw ParamError("top", "must be >= 1");
  Progress progress(!a.quiet);
  progress.note("loading " + a.data + " (" + a.format + ")");
  const Dataset ds = load_dataset(a.data, parse_format(a.format));
  TextEncoder enc;
  if (!a.encoder_dir.empty()) {
    const std::string onnx_path = a.encoder_dir + "/encoder.onnx", tok_path = a.encoder_dir + "/tokenizer.json";
    nlohmann::json tj;
    try {
      tj = nlohmann::json::parse(read_file(tok_path));
    } catch (const nlohmann::json::exception& e) {
      throw DataError(tok_path, 0, "", std::string("not valid JSON: ") + e.what());
    }
    enc = TextEncoder{Tokenizer::from_json(tj, tok_path), encoder_from_onnx(read_file(onnx_path), onnx_path)};
    if (enc.tokenizer.params().buckets != enc.weights.shape.buckets)
      throw DataError(tok_path, 0, "buckets", "does not match the encoder's table rows");
  } else {
    enc = train_on_catalog(ds, content_params(a.flags), progress).encoder();
  }
  const std::vector<float> q = enc.encode(a.query);
  std::vector<float> scores(ds.item_info.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const std::vector<float> e = enc.encode(item_text(ds.item_info[i]));
    float s = 0.0f;
    for (int k = 0; k < enc.dim(); ++k) s += q[static_cast<std::size_t>(k)] * e[static_cast<std::size_t>(k)];
    scores[i] = s;
  }
  const auto top = top_k(scores, a.top, {});
  std::printf("query \"%s\": top %zu of %zu items by cosine similarity\n", a.query.c_str(), top.size(), scores.size());
  std::printf("%4s %8s  %-10s %s\n", "rank", "score", "item", "title");
  for (std::size_t r = 0; r < top.size(); ++r) {
    const auto& info = ds.item_info[static_cast<std::size_t>(top[r].item)];
    std::printf("%4zu %8.4f  %-10s %s\n", r + 1, top[r].score, ds.items.id(top[r].item).c_str(), info.title.c_str());
  }
  return 0;
}

}  // namespace

Action add_encoder_command(CLI::App& app) {
  auto args = std::make_shared<EncoderArgs>();
  CLI::App* cmd = app.add_subcommand("encoder", "Train the content encoder on a catalog and export it as int8 ONNX");
  cmd->add_option("--data", args->data, "Data set folder")->required();
  cmd->add_option("--format", args->format, "ml100k | ml1m | mllatest | csv")->required();
  cmd->add_option("--out", args->out, "Output folder (encoder.onnx, tokenizer.json)")->required();
  cmd->add_option("--parity", args->parity, "Also write parity.json with this many texts and reference embeddings");
  cmd->add_flag("--quiet", args->quiet, "No progress on stderr");
  add_model_flags(*cmd, args->flags);
  return [cmd, args]() { return cmd->parsed() ? run_encoder(*args) : -1; };
}

Action add_search_command(CLI::App& app) {
  auto args = std::make_shared<EncoderArgs>();
  CLI::App* cmd = app.add_subcommand("search", "Rank a catalog's items against a text query with the content encoder");
  cmd->add_option("query", args->query, "The query text")->required();
  cmd->add_option("--data", args->data, "Data set folder")->required();
  cmd->add_option("--format", args->format, "ml100k | ml1m | mllatest | csv")->required();
  cmd->add_option("--encoder", args->encoder_dir, "Folder written by `reco encoder` (default: train one now)");
  cmd->add_option("--top", args->top, "Number of items to print");
  cmd->add_flag("--quiet", args->quiet, "No progress on stderr");
  add_model_flags(*cmd, args->flags);
  return [cmd, args]() { return cmd->parsed() ? run_search(*args) : -1; };
}

}  // namespace reco::cli
