#include <weft/detail/frame_cache.hpp>

namespace weft::detail {

constinit thread_local FrameCache::Lists FrameCache::lists_{};

void FrameCache::trim() noexcept {
    Lists& l = lists_;
    for (auto*& head : l.head) {
        while (Block* b = head) {
            head = b->next;
            ::operator delete(b);
        }
    }
    l.cached_bytes = 0;
}

void FrameCache::adopt_thread() noexcept {
    // Drains the lists when the thread exits; frees after that go straight to the heap.
    struct ExitHook {
        ~ExitHook() {
            trim();
            lists_.state = State::dead;
        }
    };
    thread_local ExitHook hook;  // constructed on first use, which registers its destructor
    (void)hook;
    lists_.state = State::live;
}

}  // namespace weft::detail
