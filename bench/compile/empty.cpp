// Compile-time fixture: an empty translation unit, the compiler's own start-up cost (timed by bench/run).
