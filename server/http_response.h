// Filling in httplib responses the way every `reco serve` route does: JSON bodies and
// `{"error": "..."}` errors, and bodies handed to httplib as finished bytes.
#pragma once

#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace reco::serve {

// Sets the body. Non-empty bodies go through a content provider of known length rather
// than Response::set_content: httplib 0.11.4 compresses set_content bodies on its own
// (a second time, if we already did), and never touches provider bodies.
void set_body(httplib::Response& res, std::string bytes, const std::string& content_type);

// Replaces a response header (httplib's set_header adds another one).
void replace_header(httplib::Response& res, const std::string& name, const std::string& value);

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// The same for a document already written as JSON text (one line; the newline is added).
void send_json_text(httplib::Response& res, int status, std::string text);

// `{"error": message}` with `status`.
void send_error(httplib::Response& res, int status, const std::string& message);

// 405 with the Allow header listing the methods the resource supports.
void send_method_not_allowed(httplib::Response& res, const std::string& method, const std::string& allow);

}  // namespace reco::serve
