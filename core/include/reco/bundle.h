// The model bundle: a manifest plus checksummed, content-addressed section files that
// together hold a HybridModel. The format is documented in models/BUNDLE.md.
//
// Writing and reading work on bytes (a browser has no files); the two directory
// helpers at the end are for native front ends. Reading trusts nothing: every section's
// presence, size, SHA-256, dtype and shape is checked against the manifest and against
// the other sections before any of it is used, and each failure is a DataError that
// names the section.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/hybrid_model.h"

namespace reco {

constexpr const char* kBundleFormat = "reco-bundle";
constexpr int kBundleFormatVersion = 1;

// How the per-item matrices (factors and content embeddings) are stored.
enum class MatrixDtype { Int8, Float16, Float32 };
MatrixDtype parse_matrix_dtype(const std::string& name);  // "int8" | "float16" | "float32"
std::string matrix_dtype_name(MatrixDtype d);

// What the manifest says about the model besides its sections.
struct BundleInfo {
  std::string model_version;  // empty: derived from the sections' checksums
  std::string created;        // ISO 8601 UTC; empty: left out
  nlohmann::json dataset = nlohmann::json::object();
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
};

struct BundleFile {
  std::string name;
  std::vector<std::uint8_t> bytes;
};

// `model` stored at `dtype` precision: the per-item matrices rounded through that
// format, the Gram matrix recomputed from the rounded factors, and both indexes rebuilt
// over the rounded vectors. This is exactly the model a bundle of `model` loads as.
HybridModel quantized_model(const HybridModel& model, MatrixDtype dtype);

// Serialises a model already passed through quantized_model (the manifest records the
// dtype). `encoder_onnx` is the encoder as ONNX bytes (may be empty when the model has no
// encoder). Returns manifest.json first, then the sections.
std::vector<BundleFile> encode_bundle(const HybridModel& quantized, MatrixDtype dtype,
                                      const std::vector<std::uint8_t>& encoder_onnx, const BundleInfo& info);

// Returns a file's bytes by name; throws DataError when it cannot.
using BundleSource = std::function<std::vector<std::uint8_t>(const std::string& name)>;
// Turns the encoder section (ONNX bytes) into the weights the core runs. Native front
// ends pass the ONNX reader; without one the model has no encoder (the browser encodes
// with ONNX Runtime Web and hands the core embeddings).
using EncoderDecoder = std::function<QuantizedEncoder(const std::vector<std::uint8_t>& onnx, const std::string& what)>;

struct LoadedBundle {
  HybridModel model;
  nlohmann::json manifest;
  MatrixDtype dtype = MatrixDtype::Int8;
  std::vector<std::uint8_t> encoder_onnx;
  // With an encoder section, whatever the decoder: the tokenizer and the encoder's shape,
  // so a runtime that runs encoder_onnx itself can make its inputs (encoder_input()).
  std::optional<Tokenizer> tokenizer;
  EncoderShape encoder_shape;
};

struct DecodeOptions {
  // false skips only the SHA-256 of each section: for a caller that has just checked the
  // same bytes against the same manifest itself (the browser does, with WebCrypto, at
  // native speed). Sizes, dtypes, shapes and every structural check still run.
  bool verify_checksums = true;
  // false leaves both HNSW sections unread: the model's factor_index and content_index
  // stay empty (and the model is checked in full only by restore_indexes). A ranker
  // scoring every item (!ranking_needs_indexes) ranks such a model exactly as the full
  // one; add_item and larger catalogs need restore_indexes first. The browser's warm
  // start uses this to skip reading and rebuilding indexes it does not search.
  bool restore_indexes = true;
  // false leaves the encoder section unread and LoadedBundle::encoder_onnx empty (for
  // a runtime that gets the ONNX bytes on its own, e.g. only when it first encodes a
  // text). Ignored when a decoder is given. The tokenizer is read either way.
  bool read_encoder = true;
};

LoadedBundle decode_bundle(const BundleSource& source, const EncoderDecoder& decode_encoder = {}, const DecodeOptions& options = {});

// Whether rank() searches the HNSW indexes of this model (catalogs above
// params.exact_below) rather than scoring every item, which needs neither index.
bool ranking_needs_indexes(const HybridModel& model);

// Reads, checks and puts in place both HNSW indexes that decode_bundle left out
// (DecodeOptions::restore_indexes = false), from the same bundle (`manifest` is
// LoadedBundle::manifest), then validates the whole model. Must run before any item is
// added (a ParamError otherwise). On failure (a DataError naming the section) the model
// is left without indexes, as before the call.
void restore_indexes(HybridModel& model, const nlohmann::json& manifest, const BundleSource& source, const DecodeOptions& options = {});

// Checks and parses manifest.json alone (format, version, section table); the bundle
// reader's first step, separate so it can be fuzzed and served on its own.
nlohmann::json parse_manifest(const std::vector<std::uint8_t>& bytes);

// Native helpers: write the files into `dir` (created if missing) / read files from it.
void write_bundle_files(const std::string& dir, const std::vector<BundleFile>& files);
BundleSource directory_source(const std::string& dir);

}  // namespace reco
