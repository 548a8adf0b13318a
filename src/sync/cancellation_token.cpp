#include <cassert>
#include <mutex>
#include <vector>
#include <weft/sync/cancellation_token.hpp>

namespace weft::sync {

// The tree.
//
// All nodes descended from one root share a `CancelTree`: one mutex guarding every node's
// links and waiter list, so a cancel walks its subtree under a single lock. Invariant: the
// descendants of a cancelled node are cancelled, so a walk skips subtrees that already are,
// and moving children up to a grandparent (when their parent's last handle goes) cannot hide a
// cancellation from them. `cancelled` is also an atomic so `is_cancelled` needs no lock.

namespace detail {

struct CancelTree {
    std::mutex mutex;
    std::atomic<std::size_t> nodes{1};
    void release() noexcept {
        if (nodes.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
};

struct CancelNode {
    explicit CancelNode(CancelTree* t) noexcept : tree(t) {}
    CancelTree* tree;
    std::atomic<std::size_t> handles{1};
    std::atomic<bool> cancelled{false};
    // Under tree->mutex:
    CancelNode* parent = nullptr;
    CancelNode* first_child = nullptr;
    CancelNode* prev_sibling = nullptr;
    CancelNode* next_sibling = nullptr;
    IntrusiveList<CancelWaiter> waiters;
};

namespace {

void link_child(CancelNode* parent, CancelNode* child) noexcept {
    child->parent = parent;
    child->prev_sibling = nullptr;
    child->next_sibling = parent->first_child;
    if (parent->first_child) parent->first_child->prev_sibling = child;
    parent->first_child = child;
}

void unlink_from_parent(CancelNode* n) noexcept {
    if (!n->parent) return;
    if (n->prev_sibling)
        n->prev_sibling->next_sibling = n->next_sibling;
    else
        n->parent->first_child = n->next_sibling;
    if (n->next_sibling) n->next_sibling->prev_sibling = n->prev_sibling;
    n->parent = n->prev_sibling = n->next_sibling = nullptr;
}

/// The last handle is gone: hand the children to the parent and free the node.
void destroy_node(CancelNode* n) noexcept {
    CancelTree* tree = n->tree;
    {
        std::lock_guard lock(tree->mutex);
        assert(n->waiters.empty());
        while (CancelNode* c = n->first_child) {
            unlink_from_parent(c);
            if (n->parent) link_child(n->parent, c);  // else it becomes a root of its own
        }
        unlink_from_parent(n);
    }
    delete n;
    tree->release();
}

}  // namespace
}  // namespace detail

using detail::CancelNode;

CancellationToken::CancellationToken() : node_(new CancelNode(new detail::CancelTree)) {}

CancellationToken::CancellationToken(const CancellationToken& o) noexcept : node_(o.node_) {
    if (node_) node_->handles.fetch_add(1, std::memory_order_relaxed);
}

CancellationToken& CancellationToken::operator=(const CancellationToken& o) noexcept {
    CancellationToken copy(o);
    std::swap(node_, copy.node_);
    return *this;
}

CancellationToken& CancellationToken::operator=(CancellationToken&& o) noexcept {
    CancellationToken taken(std::move(o));
    std::swap(node_, taken.node_);
    return *this;
}

CancellationToken::~CancellationToken() {
    if (node_ && node_->handles.fetch_sub(1, std::memory_order_acq_rel) == 1) detail::destroy_node(node_);
}

CancellationToken CancellationToken::child_token() const {
    auto* child = new CancelNode(node_->tree);
    node_->tree->nodes.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(node_->tree->mutex);
    if (node_->cancelled.load(std::memory_order_relaxed))
        child->cancelled.store(true, std::memory_order_relaxed);
    detail::link_child(node_, child);
    return CancellationToken(child);
}

bool CancellationToken::is_cancelled() const noexcept {
    return node_->cancelled.load(std::memory_order_acquire);
}

void CancellationToken::cancel() const noexcept {
    if (is_cancelled()) return;
    detail::WakeList wakes;
    std::vector<Waker> more;  // only past WakeList::capacity waiters in the subtree
    {
        std::lock_guard lock(node_->tree->mutex);
        if (node_->cancelled.load(std::memory_order_relaxed)) return;
        // Depth-first over the subtree through the sibling links, skipping subtrees that
        // were cancelled before (their waiters were woken then).
        CancelNode* n = node_;
        for (;;) {
            bool fresh = !n->cancelled.load(std::memory_order_relaxed);
            if (fresh) {
                n->cancelled.store(true, std::memory_order_release);
                while (auto* w = n->waiters.pop_front()) {
                    w->linked = false;
                    if (wakes.full())
                        more.push_back(std::move(w->waker));
                    else
                        wakes.push(std::move(w->waker));
                }
            }
            if (fresh && n->first_child) {
                n = n->first_child;
                continue;
            }
            while (n != node_ && !n->next_sibling) n = n->parent;
            if (n == node_) break;
            n = n->next_sibling;
        }
    }
    for (auto& w : more) w.wake_and_reset();
}

bool CancellationToken::register_waiter(detail::CancelWaiter& w, Waker waker) const noexcept {
    std::lock_guard lock(node_->tree->mutex);
    if (node_->cancelled.load(std::memory_order_relaxed)) return false;
    w.waker = std::move(waker);
    // Still linked: a named `cancelled()` awaited again after an abandoned await.
    if (!w.linked) {
        w.linked = true;
        node_->waiters.push_back(&w);
    }
    return true;
}

void CancellationToken::unregister(detail::CancelWaiter& w) const noexcept {
    Waker old;
    std::lock_guard lock(node_->tree->mutex);
    if (w.linked) {
        node_->waiters.remove(&w);
        w.linked = false;
    }
    old = std::move(w.waker);
}

}  // namespace weft::sync
