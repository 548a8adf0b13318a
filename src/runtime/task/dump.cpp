#include "runtime/task/dump.hpp"

namespace weft::detail {

void append_task_dump(std::string& out, TaskHeader& task) {
    out += "task ";
    out += std::to_string(task.id());
    if (task.name()) {
        out += " '";
        out += task.name();
        out += '\'';
    }
    out += " spawned at ";
    out += task.location().file_name();
    out += ':';
    out += std::to_string(task.location().line());
    bool was_notified = false;
    if (!task.begin_inspection(was_notified)) {
        out += task.is_complete() ? ": complete\n" : ": running\n";
        return;
    }
    out += was_notified ? ": scheduled" : ": idle";
    if (const PendingLeaf* leaf = task.context.waiting_on()) {
        out += ", waiting on ";
        out += leaf->describe();
        leaf->describe_detail(out);
    } else if (!task.context.started()) {
        out += ", not started";
    }
    task.end_inspection(was_notified);
    out += '\n';
}

}  // namespace weft::detail
