// The webhook signature verifiers: HMAC-SHA256 with OpenSSL, compared with CRYPTO_memcmp.
#include <taskkit/http/signature.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include <taskkit/error.hpp>

namespace taskkit::http {

namespace {

using digest = std::array<unsigned char, 32>;

digest hmac_sha256(std::string_view key, std::string_view message) {
    digest out{};
    unsigned int length = 0;
    // An empty key or message is legal; OpenSSL wants non-null pointers all the same.
    static const unsigned char nothing = 0;
    const auto* key_bytes = key.empty() ? &nothing : reinterpret_cast<const unsigned char*>(key.data());
    const auto* message_bytes = message.empty() ? &nothing : reinterpret_cast<const unsigned char*>(message.data());
    if (key.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), message_bytes, message.size(), out.data(),
             &length) == nullptr ||
        length != out.size())
        throw error(error_code::invalid_options, "HMAC-SHA256 could not be computed");
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// The bytes of a hex string, or nullopt when it is not hex of an even length.
std::optional<std::vector<unsigned char>> decode_hex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::vector<unsigned char> out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int high = hex_value(text[i]);
        const int low = hex_value(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        out.push_back(static_cast<unsigned char>(high * 16 + low));
    }
    return out;
}

constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
    const auto at = base64_alphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

/// The bytes of standard, padded base64, or nullopt when it is not that.
std::optional<std::vector<unsigned char>> decode_base64(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::vector<unsigned char> out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int v[4];
        int padding = 0;
        for (int j = 0; j < 4; ++j) {
            const char c = text[i + static_cast<std::size_t>(j)];
            if (c == '=' && last && j >= 2) {
                v[j] = 0;
                ++padding;
                continue;
            }
            if (padding > 0) return std::nullopt;  // a character after '='
            v[j] = base64_value(c);
            if (v[j] < 0) return std::nullopt;
        }
        // Canonical only: the bits a padded quantum drops must be zero, so that one signature has
        // one spelling (otherwise "...c=" and "...d=" would both match).
        if ((padding == 1 && (v[2] & 0x3) != 0) || (padding == 2 && (v[1] & 0xF) != 0)) return std::nullopt;
        const std::uint32_t bits = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                                   (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
        out.push_back(static_cast<unsigned char>(bits >> 16));
        if (padding < 2) out.push_back(static_cast<unsigned char>((bits >> 8) & 0xFF));
        if (padding < 1) out.push_back(static_cast<unsigned char>(bits & 0xFF));
    }
    return out;
}

std::string encode_hex(const digest& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const unsigned char b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0F]);
    }
    return out;
}

std::string encode_base64(const digest& bytes) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t bits = static_cast<std::uint32_t>(bytes[i]) << 16;
        if (n > 1) bits |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
        if (n > 2) bits |= static_cast<std::uint32_t>(bytes[i + 2]);
        out.push_back(base64_alphabet[(bits >> 18) & 0x3F]);
        out.push_back(base64_alphabet[(bits >> 12) & 0x3F]);
        out.push_back(n > 1 ? base64_alphabet[(bits >> 6) & 0x3F] : '=');
        out.push_back(n > 2 ? base64_alphabet[bits & 0x3F] : '=');
    }
    return out;
}

/// Whether `given` (already decoded) is `expected`, in time that depends only on the lengths.
bool same_digest(const std::optional<std::vector<unsigned char>>& given, const digest& expected) {
    return given && given->size() == expected.size() &&
           CRYPTO_memcmp(given->data(), expected.data(), expected.size()) == 0;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

void require_secret(const std::string& secret, std::string_view who) {
    if (secret.empty())
        throw options_error(std::string(who) +
                            ": the secret is empty (is the environment variable or setting it comes from unset?)");
}

void require_header(const std::string& header, std::string_view who) {
    if (header.empty()) throw options_error(std::string(who) + ": .header is required");
}

/// A verifier of `prefix` + encoded HMAC of the raw body in `header`.
verifier body_hmac(std::string scheme, std::string secret, std::string header, std::string prefix,
                   signature_encoding encoding) {
    return verifier(std::move(scheme), [secret = std::move(secret), header = std::move(header),
                                        prefix = std::move(prefix),
                                        encoding](const webhook_request& req, verifier::time_point) {
        const auto value = req.header(header);
        if (!value) return verification::reject("no " + header + " header");
        std::string_view given = trim(*value);
        if (given.substr(0, prefix.size()) != prefix)
            return verification::reject(header + " does not start with \"" + prefix + "\"");
        given.remove_prefix(prefix.size());
        const auto decoded = encoding == signature_encoding::hex ? decode_hex(given) : decode_base64(given);
        if (!decoded)
            return verification::reject(header + " is not " + (encoding == signature_encoding::hex ? "hex" : "base64"));
        if (!same_digest(decoded, hmac_sha256(secret, req.body)))
            return verification::reject(header + " does not match the body's signature");
        return verification::accept();
    });
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    return encode_hex(hmac_sha256(key, message));
}

std::string hmac_sha256_base64(std::string_view key, std::string_view message) {
    return encode_base64(hmac_sha256(key, message));
}

verifier github_signature(github_signature_options options) {
    require_secret(options.secret, "github_signature");
    require_header(options.header, "github_signature");
    return body_hmac("github", std::move(options.secret), std::move(options.header),
                     "sha256=", signature_encoding::hex);
}

verifier hmac_signature(hmac_signature_options options) {
    require_secret(options.secret, "hmac_signature");
    require_header(options.header, "hmac_signature");
    return body_hmac("hmac", std::move(options.secret), std::move(options.header), std::move(options.prefix),
                     options.encoding);
}

verifier stripe_signature(stripe_signature_options options) {
    require_secret(options.secret, "stripe_signature");
    require_header(options.header, "stripe_signature");
    if (options.tolerance < std::chrono::seconds::zero())
        throw options_error("stripe_signature: .tolerance must not be negative");
    return verifier("stripe", [secret = std::move(options.secret), header = std::move(options.header),
                               tolerance = options.tolerance](const webhook_request& req, verifier::time_point now) {
        const auto value = req.header(header);
        if (!value) return verification::reject("no " + header + " header");
        // t=<seconds>,v1=<hex>,v1=<hex>,v0=<hex>…: one t, any number of v1; the rest is ignored.
        std::optional<std::string_view> timestamp;
        std::vector<std::string_view> signatures;
        std::string_view rest = *value;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view item = trim(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            const auto equals = item.find('=');
            if (equals == std::string_view::npos) continue;
            const std::string_view key = item.substr(0, equals);
            const std::string_view entry = item.substr(equals + 1);
            if (key == "t") {
                if (timestamp) return verification::reject(header + " has more than one timestamp");
                timestamp = entry;
            } else if (key == "v1") {
                signatures.push_back(entry);
            }
        }
        if (!timestamp) return verification::reject(header + " has no timestamp (t=)");
        if (signatures.empty()) return verification::reject(header + " has no v1 signature");
        // The timestamp: decimal seconds since the epoch, no sign, at most 12 digits.
        if (timestamp->empty() || timestamp->size() > 12 ||
            timestamp->find_first_not_of("0123456789") != std::string_view::npos)
            return verification::reject(header + "'s timestamp is not a number of seconds");
        std::int64_t seconds = 0;
        for (const char c : *timestamp) seconds = seconds * 10 + (c - '0');
        // In whole seconds: 12 digits of seconds would overflow the clock's nanoseconds.
        const std::int64_t now_seconds = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
        const auto skew = std::chrono::seconds(now_seconds - seconds);
        if (skew > tolerance || -skew > tolerance)
            return verification::reject(header + "'s timestamp is outside the tolerance of " +
                                        std::to_string(tolerance.count()) + " s (" + std::to_string(skew.count()) +
                                        " s from now)");
        std::string signed_payload;
        signed_payload.reserve(timestamp->size() + 1 + req.body.size());
        signed_payload.append(*timestamp).append(1, '.').append(req.body);
        const digest expected = hmac_sha256(secret, signed_payload);
        bool match = false;
        for (const auto candidate : signatures) match = same_digest(decode_hex(candidate), expected) || match;
        if (!match) return verification::reject(header + " has no v1 signature that matches the body");
        return verification::accept();
    });
}

verifier unverified() {
    return verifier("unverified", [](const webhook_request&, verifier::time_point) { return verification::accept(); });
}

}  // namespace taskkit::http
