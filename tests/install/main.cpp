// Smallest program against an installed weft: exits 0 iff the runtime produced 42.
#include <weft/weft.hpp>

namespace {

weft::Task<int> answer() { co_return 42; }

}  // namespace

int main() {
    weft::Runtime rt;
    int v = rt.block_on(answer());
    return v == 42 ? 0 : 1;
}
