// weft-page-fault-cost: what first touching fresh memory costs on this machine, per 2 MiB, in
// 4 KiB pages and in one transparent huge page.
//
//   weft-page-fault-cost [--regions N]     # TSV: pages  region  microseconds
//
// Why: a spawn storm is bound by fresh memory (docs/benchmarks.md), and on a VM what fresh memory
// costs can change from one run to the next. The Firecracker VMs these benchmarks ran on have a
// virtio balloon with free page reporting: the guest hands free 2 MiB blocks back to the host,
// which drops them, and the next touch faults on the host too. A huge page comes from such
// blocks, so it costs either about 0.1 ms (still backed) or about 4 ms (reported); 4 KiB pages
// come mostly from recently freed, still backed memory. weft's block arena uses huge pages, the
// anchors' malloc does not: this tool shows which case a run met. bench/compare records it.

#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

constexpr std::size_t kRegion = std::size_t{2} << 20;
constexpr std::size_t kPage = 4096;

[[noreturn]] void die(const char* msg) {
    std::fprintf(stderr, "weft-page-fault-cost: %s\n", msg);
    std::exit(2);
}

/// `regions` fresh 2 MiB regions, 2 MiB aligned (huge pages need the alignment).
char* map_aligned(std::size_t regions) {
    void* raw =
        ::mmap(nullptr, (regions + 1) * kRegion, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) die("mmap failed");
    const auto a = (reinterpret_cast<std::uintptr_t>(raw) + kRegion - 1) & ~(kRegion - 1);
    return reinterpret_cast<char*>(a);
}

/// Touches every page of `regions` regions and prints the time each region took.
void measure(std::size_t regions, bool huge) {
    char* p = map_aligned(regions);
    if (huge && ::madvise(p, regions * kRegion, MADV_HUGEPAGE) != 0) die("madvise(MADV_HUGEPAGE) failed");
    for (std::size_t r = 0; r < regions; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        // With a huge page the first write faults the whole region in; the rest are hits.
        for (std::size_t off = 0; off < kRegion; off += kPage) p[r * kRegion + off] = 1;
        const auto us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
        std::printf("%s\t%zu\t%.0f\n", huge ? "2M" : "4K", r, us);
    }
    ::munmap(p, regions * kRegion);  // a margin of up to one region stays mapped; the process ends soon
}

std::size_t parse_count(const char* s, const char* what) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (!*s || *end || v == 0 || v > (1u << 20)) die(what);
    return static_cast<std::size_t>(v);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t regions = 8;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--regions" && i + 1 < argc) {
            regions = parse_count(argv[++i], "--regions needs a positive count");
        } else {
            std::fprintf(stderr, "usage: weft-page-fault-cost [--regions N]\n");
            return 2;
        }
    }
    std::printf("pages\tregion\tmicroseconds\n");
    measure(regions, false);
    measure(regions, true);
    return 0;
}
