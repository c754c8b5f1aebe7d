#include "reco/onnx_encoder.h"

#include <cstring>
#include <initializer_list>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "reco/error.h"

namespace reco {

namespace {

constexpr int kOpset = 13;  // per-axis DequantizeLinear, axes as inputs of ReduceSum/Unsqueeze

template <typename T>
void add_initializer(onnx::GraphProto& g, const std::string& name, onnx::TensorProto_DataType type,
                     std::initializer_list<std::int64_t> dims, const std::vector<T>& values) {
  onnx::TensorProto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (std::int64_t d : dims) t->add_dims(d);
  // raw_data is little-endian, as are x86-64 and WebAssembly.
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
}

onnx::NodeProto& add_node(onnx::GraphProto& g, const std::string& op, std::initializer_list<std::string> inputs,
                          const std::string& output) {
  onnx::NodeProto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(output);
  for (const auto& in : inputs) n->add_input(in);
  n->add_output(output);
  return *n;
}

void set_int_attribute(onnx::NodeProto& n, const std::string& name, std::int64_t value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void add_value(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list, const std::string& name,
               onnx::TensorProto_DataType type, std::initializer_list<const char*> dims, std::int64_t last_dim = 0) {
  onnx::ValueInfoProto* v = list->Add();
  v->set_name(name);
  auto* tensor = v->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(type);
  auto* shape = tensor->mutable_shape();
  for (const char* d : dims) shape->add_dim()->set_dim_param(d);
  if (last_dim > 0) shape->add_dim()->set_dim_value(last_dim);
}

const onnx::TensorProto& find_initializer(const onnx::GraphProto& g, const std::string& name, const std::string& source) {
  for (const auto& t : g.initializer())
    if (t.name() == name) return t;
  throw DataError(source, 0, name, "the model has no initializer of this name");
}

template <typename T>
std::vector<T> read_tensor(const onnx::GraphProto& g, const std::string& name, onnx::TensorProto_DataType type,
                           std::vector<std::int64_t> dims, const std::string& source) {
  const onnx::TensorProto& t = find_initializer(g, name, source);
  if (t.data_type() != type) throw DataError(source, 0, name, "unexpected element type " + std::to_string(t.data_type()));
  if (t.dims_size() != static_cast<int>(dims.size())) throw DataError(source, 0, name, "unexpected rank");
  std::size_t count = 1;
  for (std::size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] >= 0 && t.dims(static_cast<int>(k)) != dims[k])
      throw DataError(source, 0, name, "dimension " + std::to_string(k) + " is " + std::to_string(t.dims(static_cast<int>(k))) +
                                           ", expected " + std::to_string(dims[k]));
    count *= static_cast<std::size_t>(t.dims(static_cast<int>(k)));
  }
  if (t.raw_data().size() != count * sizeof(T))
    throw DataError(source, 0, name, "holds " + std::to_string(t.raw_data().size()) + " bytes, expected " +
                                         std::to_string(count * sizeof(T)));
  std::vector<T> out(count);
  std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
  return out;
}

}  // namespace

std::string encoder_to_onnx(const QuantizedEncoder& e) {
  const std::int64_t buckets = e.shape.buckets, hidden = e.shape.hidden, dim = e.shape.dim;
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("reco");
  model.set_doc_string("reco content encoder: hashed feature bag -> tanh -> projection -> L2 normalisation");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  auto* meta = model.add_metadata_props();
  meta->set_key("max_features");
  meta->set_value(std::to_string(e.shape.max_features));

  onnx::GraphProto& g = *model.mutable_graph();
  g.set_name("text_encoder");
  add_value(g.mutable_input(), "ids", onnx::TensorProto::INT64, {"batch", "length"});
  add_value(g.mutable_input(), "weights", onnx::TensorProto::FLOAT, {"batch", "length"});
  add_value(g.mutable_output(), "embedding", onnx::TensorProto::FLOAT, {"batch"}, dim);

  add_initializer(g, "table_q", onnx::TensorProto::INT8, {buckets, hidden}, e.table);
  add_initializer(g, "table_scale", onnx::TensorProto::FLOAT, {buckets}, e.table_scale);
  add_initializer(g, "projection_q", onnx::TensorProto::INT8, {hidden, dim}, e.projection);
  add_initializer(g, "projection_scale", onnx::TensorProto::FLOAT, {dim}, e.projection_scale);
  add_initializer(g, "projection_zero", onnx::TensorProto::INT8, {dim}, std::vector<std::int8_t>(static_cast<std::size_t>(dim), 0));
  add_initializer(g, "bias", onnx::TensorProto::FLOAT, {dim}, e.bias);
  add_initializer(g, "axis_1", onnx::TensorProto::INT64, {1}, std::vector<std::int64_t>{1});
  add_initializer(g, "axis_2", onnx::TensorProto::INT64, {1}, std::vector<std::int64_t>{2});
  add_initializer(g, "norm_floor", onnx::TensorProto::FLOAT, {}, std::vector<float>{1e-12f});

  // Pooling: rows of the int8 table times (weight * row scale), summed over the sequence.
  add_node(g, "Gather", {"table_q", "ids"}, "rows_q");
  add_node(g, "Gather", {"table_scale", "ids"}, "row_scale");
  add_node(g, "Mul", {"weights", "row_scale"}, "row_weight");
  set_int_attribute(add_node(g, "Cast", {"rows_q"}, "rows"), "to", onnx::TensorProto::FLOAT);
  add_node(g, "Unsqueeze", {"row_weight", "axis_2"}, "row_weight_3d");
  add_node(g, "Mul", {"rows", "row_weight_3d"}, "weighted_rows");
  set_int_attribute(add_node(g, "ReduceSum", {"weighted_rows", "axis_1"}, "pooled"), "keepdims", 0);
  add_node(g, "Tanh", {"pooled"}, "hidden");
  // Projection.
  set_int_attribute(add_node(g, "DequantizeLinear", {"projection_q", "projection_scale", "projection_zero"}, "projection"),
                    "axis", 1);
  add_node(g, "MatMul", {"hidden", "projection"}, "projected");
  add_node(g, "Add", {"projected", "bias"}, "z");
  // z / max(|z|, 1e-12).
  add_node(g, "Mul", {"z", "z"}, "z_squared");
  set_int_attribute(add_node(g, "ReduceSum", {"z_squared", "axis_1"}, "z_sum_squares"), "keepdims", 1);
  add_node(g, "Sqrt", {"z_sum_squares"}, "z_norm");
  add_node(g, "Max", {"z_norm", "norm_floor"}, "z_norm_floored");
  add_node(g, "Div", {"z", "z_norm_floored"}, "embedding");

  onnx::checker::check_model(model);
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw std::runtime_error("serialising the encoder's ONNX model failed");
  return bytes;
}

QuantizedEncoder encoder_from_onnx(const std::string& bytes, const std::string& source) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) throw DataError(source, 0, "", "not an ONNX model (protobuf parse failed)");
  const onnx::GraphProto& g = model.graph();
  QuantizedEncoder e;
  const onnx::TensorProto& table = find_initializer(g, "table_q", source);
  const onnx::TensorProto& projection = find_initializer(g, "projection_q", source);
  if (table.dims_size() != 2 || projection.dims_size() != 2) throw DataError(source, 0, "table_q", "expected rank 2");
  e.shape.buckets = static_cast<std::uint32_t>(table.dims(0));
  e.shape.hidden = static_cast<int>(table.dims(1));
  e.shape.dim = static_cast<int>(projection.dims(1));
  for (const auto& p : model.metadata_props())
    if (p.key() == "max_features") {
      try {
        e.shape.max_features = std::stoi(p.value());
      } catch (const std::exception&) {
        throw DataError(source, 0, "max_features", "not an integer: " + p.value());
      }
    }
  try {
    e.shape.validate();
  } catch (const ParamError& err) {
    throw DataError(source, 0, "shape", err.what());
  }
  const std::int64_t b = e.shape.buckets, h = e.shape.hidden, d = e.shape.dim;
  e.table = read_tensor<std::int8_t>(g, "table_q", onnx::TensorProto::INT8, {b, h}, source);
  e.table_scale = read_tensor<float>(g, "table_scale", onnx::TensorProto::FLOAT, {b}, source);
  e.projection = read_tensor<std::int8_t>(g, "projection_q", onnx::TensorProto::INT8, {h, d}, source);
  e.projection_scale = read_tensor<float>(g, "projection_scale", onnx::TensorProto::FLOAT, {d}, source);
  e.bias = read_tensor<float>(g, "bias", onnx::TensorProto::FLOAT, {d}, source);
  return e;
}

}  // namespace reco
