// taskkit's definitions, compiled once for the separate-compilation test binary.
#include <taskkit/src.hpp>
