// What the fragments of docs/realtime.md use: declared, never defined (the fragments are compiled,
// not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <string>
#include <vector>

extern taskkit::runtime rt;
extern taskkit::run_context& ctx;  // inside a run
extern const taskkit::run_handle<std::string> handle;
extern const std::string run_id;
extern const std::string prompt;

struct language_model {
    std::vector<std::string> generate(const std::string& prompt);
};
extern language_model model;

void show_progress(const nlohmann::json& done);
void print_token(const std::string& token);
void send_to_browser(const std::string& event, const nlohmann::json& data);
