// The one file of the program that compiles taskkit's definitions (separate compilation).
#include <taskkit/src.hpp>
