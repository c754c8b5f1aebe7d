#include "http_response.h"

#include <algorithm>
#include <memory>

namespace reco::serve {

void set_body(httplib::Response& res, std::string bytes, const std::string& content_type) {
  if (bytes.empty()) {
    // A zero-length provider would make httplib stream without a Content-Length and
    // close the connection; an empty set_content body is sent as "Content-Length: 0".
    res.set_content(std::string(), content_type);
    return;
  }
  auto body = std::make_shared<const std::string>(std::move(bytes));
  res.set_content_provider(body->size(), content_type,
                           [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             // httplib asks for [offset, offset + length) of the size given above.
                             if (offset >= body->size()) return false;
                             length = std::min(length, body->size() - offset);
                             return sink.write(body->data() + offset, length);
                           });
}

void replace_header(httplib::Response& res, const std::string& name, const std::string& value) {
  res.headers.erase(name);
  res.set_header(name, value);
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Invalid UTF-8 (from a request path, say) is replaced rather than thrown on.
  set_body(res, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "application/json");
}

void send_json_text(httplib::Response& res, int status, std::string text) {
  res.status = status;
  text += '\n';
  set_body(res, std::move(text), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

void send_method_not_allowed(httplib::Response& res, const std::string& method, const std::string& allow) {
  replace_header(res, "Allow", allow);
  send_error(res, 405, "method " + method + " is not allowed here; allowed: " + allow);
}

}  // namespace reco::serve
