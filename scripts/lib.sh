# Shared by scripts/demo and scripts/test: install what is missing, pick compilers and ccache.
# shellcheck shell=bash

taskkit_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Packages the build needs, and ones that enable optional parts (benchmarks, time zones, fuzzing…).
taskkit_required_packages=(g++ cmake ninja-build git nlohmann-json3-dev libfmt-dev catch2)
taskkit_optional_packages=(ccache libbenchmark-dev libboost-dev libtbb-dev libhowardhinnant-date-dev
  libre2-dev json-schema-test-suite clang libclang-rt-dev libsqlite3-dev pkg-config libcpp-httplib-dev libssl-dev)

_taskkit_missing() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

# Installs the missing packages with apt-get; optional ones that the distribution lacks are skipped.
taskkit_ensure_packages() {
  local want=("$@")
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "taskkit: not a Debian/Ubuntu system; install these yourself: ${want[*]}" >&2
    return 0
  fi
  local missing
  mapfile -t missing < <(_taskkit_missing "${want[@]}")
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "taskkit: installing ${missing[*]}"
  $sudo apt-get update -qq
  local available=() pkg
  for pkg in "${missing[@]}"; do
    if apt-cache show "$pkg" >/dev/null 2>&1; then available+=("$pkg"); else echo "taskkit: package $pkg is not available here; skipping it"; fi
  done
  [ ${#available[@]} -gt 0 ] && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${available[@]}"
  return 0
}

# The dashboard's browser test (tests/browser): Debian's chromium, and node with npm to install
# playwright-core (pinned in tests/browser/package-lock.json) into tests/browser/node_modules.
# Without them the test reports itself skipped. A node installed otherwise (with its own npm) is
# used as it is: Debian's npm package would conflict with it.
taskkit_ensure_browser_test() {
  local want=()
  command -v node >/dev/null 2>&1 || want+=(nodejs)
  command -v npm >/dev/null 2>&1 || want+=(npm)
  [ -x /usr/bin/chromium ] || want+=(chromium)
  [ ${#want[@]} -gt 0 ] && taskkit_ensure_packages "${want[@]}"
  [ -d "$taskkit_root/tests/browser/node_modules/playwright-core" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "taskkit: npm is missing; the browser test will be skipped" >&2
    return 0
  fi
  echo "taskkit: installing playwright-core for the browser test (npm ci --prefix tests/browser)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$taskkit_root/tests/browser" --no-audit --no-fund --loglevel=error ||
    echo "taskkit: npm ci failed; the browser test will be skipped" >&2
  return 0
}

# The test trees precompile the headers their files share (tests/support/precompiled.hpp); ccache
# caches such compiles only when told that the precompiled header's macros and time stamps are safe
# to ignore (its documented setting for precompiled headers).
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:+$CCACHE_SLOPPINESS,}pch_defines,time_macros"

# Arguments for cmake that every build of ours shares.
taskkit_cmake_common() {
  local args=(-G Ninja)
  command -v ccache >/dev/null 2>&1 && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  echo "${args[@]}"
}
