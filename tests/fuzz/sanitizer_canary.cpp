// Proves the sanitizer build is armed: each mode commits one bug that ASan, LeakSanitizer or UBSan must report
// (CTest `sanitizer_canary_*`, label fuzz_regression, passes only when the report appears). Guards against a
// CI stage that silently runs without its sanitizers.
#include <cstdlib>
#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  volatile int n = 8;
  if (std::strcmp(mode, "heap-overflow") == 0) {
    char* p = static_cast<char*>(std::malloc(static_cast<size_t>(n)));
    p[n] = 1;  // one past the end
    std::free(p);
  } else if (std::strcmp(mode, "leak") == 0) {
    void* volatile p = std::malloc(77);
    p = nullptr;
    (void)p;
  } else if (std::strcmp(mode, "signed-overflow") == 0) {
    volatile int big = 2147483647;
    std::cout << big + n << "\n";
  } else {
    std::cerr << "usage: sanitizer_canary heap-overflow|leak|signed-overflow\n";
    return 2;
  }
  return 0;
}
