// What the fragments of docs/waits.md use: declared, never defined (the fragments are compiled,
// not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <string>

void send_welcome(const std::string& user);
void send_tips(const std::string& user);

struct image {
    int size = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(image, size)
extern const taskkit::task<image> thumbnail;
extern const taskkit::task<image, int> resize;  // returns the size it wrote

struct source {
    std::string mirror;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(source, mirror)
extern const taskkit::task<source, std::string> fetch_from;

std::string http_get(const std::string& url);
extern const std::string url;
