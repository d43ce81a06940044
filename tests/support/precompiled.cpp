// The target that owns the test areas' shared precompiled header (tests/support/precompiled.hpp);
// a target needs a source of its own to compile one.
