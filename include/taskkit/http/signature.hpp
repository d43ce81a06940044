/// @file http/signature.hpp
/// Webhook signature verifiers: what a webhook task checks before it believes a request. A
/// verifier takes the request and the current time (the runtime's clock, so a test can use a
/// virtual one) and answers ok or why not.
/// @code
/// .verify = taskkit::http::github_signature({.secret = std::getenv("GITHUB_WEBHOOK_SECRET")}),
/// .verify = taskkit::http::stripe_signature({.secret = stripe_secret, .tolerance = std::chrono::minutes(5)}),
/// .verify = taskkit::http::hmac_signature({.secret = s, .header = "X-Signature", .prefix = "sha256="}),
/// .verify = taskkit::http::unverified(),  // only when something in front of taskkit checks requests
/// @endcode
/// Every comparison of a signature is made in constant time. Part of the optional HTTP
/// integration: link the CMake target `taskkit::http`.
#pragma once

#include <chrono>
#include <concepts>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include <taskkit/http/webhook_delivery.hpp>

namespace taskkit::http {

/// What a verifier answers: `ok`, or the reason the request is refused (for the 401's message;
/// it never repeats a secret or the expected signature).
struct verification {
    bool ok = false;
    std::string reason;  ///< empty when ok

    /// The request is authentic.
    [[nodiscard]] static verification accept() { return {true, {}}; }
    /// The request is refused, for `why` (e.g. "no X-Hub-Signature-256 header").
    [[nodiscard]] static verification reject(std::string why) { return {false, std::move(why)}; }

    [[nodiscard]] explicit operator bool() const noexcept { return ok; }
};

/// Checks a webhook request: a small value (copyable, callable from any thread at once) made by
/// github_signature, stripe_signature, hmac_signature or unverified, or from any callable
/// `verification(const webhook_request&, std::chrono::system_clock::time_point now)`:
/// @code
/// .verify = [](const taskkit::http::webhook_request& req, std::chrono::system_clock::time_point) {
///     return req.header("X-Token") == std::optional<std::string_view>("let-me-in")
///                ? taskkit::http::verification::accept()
///                : taskkit::http::verification::reject("bad X-Token");
/// },
/// @endcode
/// A default-constructed verifier is empty, and a webhook task refuses it (options_error): say
/// `.verify = taskkit::http::unverified()` to take requests without a check.
class verifier {
public:
    using time_point = std::chrono::system_clock::time_point;
    using function = std::function<verification(const webhook_request&, time_point)>;

    verifier() = default;

    /// A verifier of a named scheme ("github", "stripe", "hmac", "unverified", or your own).
    verifier(std::string scheme, function check) : scheme_(std::move(scheme)), check_(std::move(check)) {}

    /// A verifier from your own callable (scheme "custom").
    template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, verifier> &&
             std::is_invocable_r_v<verification, F&, const webhook_request&, time_point>)
        verifier(F f)  // NOLINT(google-explicit-constructor): `.verify = [](...) {...}` needs this
        : scheme_("custom"), check_(std::move(f)) {}

    /// Checks `req` at time `now`. An empty verifier refuses everything.
    [[nodiscard]] verification operator()(const webhook_request& req, time_point now) const {
        if (!check_) return verification::reject("the webhook task has no verifier");
        return check_(req, now);
    }

    /// Whether the verifier was set.
    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(check_); }

    /// The scheme's name: "github", "stripe", "hmac", "unverified", "custom"…
    [[nodiscard]] const std::string& scheme() const noexcept { return scheme_; }

private:
    std::string scheme_;
    function check_;
};

/// GitHub's scheme: the `X-Hub-Signature-256` header holds `sha256=` and the lowercase hex
/// HMAC-SHA256 of the raw body, keyed with the webhook's secret.
struct github_signature_options {
    std::string secret;                          ///< the webhook's secret; required (not empty)
    std::string header = "X-Hub-Signature-256";  ///< where the signature is
};

/// Stripe's scheme: the `Stripe-Signature` header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`
/// (other entries, such as v0, are ignored), each v1 the HMAC-SHA256 of `<t>.<raw body>` keyed with
/// the endpoint's signing secret (the whole `whsec_…` string). The request is accepted when one v1
/// matches and `t` is within `tolerance` of now, either side: an old request replayed later is
/// refused even though its signature is good.
struct stripe_signature_options {
    std::string secret;                                        ///< the signing secret; required
    std::chrono::seconds tolerance = std::chrono::minutes(5);  ///< how far t may be from now (Stripe's default)
    std::string header = "Stripe-Signature";                   ///< where the signature is
};

/// How a generic HMAC signature is written in its header.
enum class signature_encoding {
    hex,     ///< 64 hex digits (either case)
    base64,  ///< 44 characters of standard base64, padded
};

/// A generic scheme: `header` holds `prefix` then the HMAC-SHA256 of the raw body (keyed with
/// `secret`) in `encoding`.
struct hmac_signature_options {
    std::string secret;  ///< required
    std::string header;  ///< required, e.g. "X-Signature"
    std::string prefix;  ///< written before the signature, e.g. "sha256="; may be empty
    signature_encoding encoding = signature_encoding::hex;
};

/// A verifier of GitHub's scheme. Throws options_error for an empty secret (a secret read from an
/// unset environment variable would otherwise let anyone in who signs with "").
[[nodiscard]] verifier github_signature(github_signature_options options);

/// A verifier of Stripe's scheme. Throws options_error for an empty secret or a negative tolerance.
[[nodiscard]] verifier stripe_signature(stripe_signature_options options);

/// A verifier of a generic HMAC-SHA256 scheme. Throws options_error for an empty secret or header.
[[nodiscard]] verifier hmac_signature(hmac_signature_options options);

/// Accepts every request: for a webhook that something in front of taskkit authenticates, or a
/// sender that signs nothing. A webhook task takes requests unverified only when told so.
[[nodiscard]] verifier unverified();

/// The lowercase hex HMAC-SHA256 of `message` keyed with `key`: what senders compute, for tests
/// and for programs that send webhooks themselves.
[[nodiscard]] std::string hmac_sha256_hex(std::string_view key, std::string_view message);

/// The same signature in standard base64 (padded).
[[nodiscard]] std::string hmac_sha256_base64(std::string_view key, std::string_view message);

}  // namespace taskkit::http
