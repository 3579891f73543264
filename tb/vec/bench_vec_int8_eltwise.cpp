// Throughput bench of the INT8 element-wise units: runs only the hidden
// "[bench]" test cases of the unit tests (long rows, no back-pressure) and
// prints elements, cycles, elements/cycle and elements/lane/cycle per unit.
// Extra Catch2 arguments are passed through (e.g. a single bench name).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (session.configData().testsOrTags.empty()) session.configData().testsOrTags = {"[bench]"};
  return session.run();
}
