import CHostAuditShims

/// The C allocator's settings for one short run of the tool.
package enum Allocator {
    /// glibc keeps its heaps between allocations instead of trimming and
    /// growing them again: a process scan builds thousands of small arrays on
    /// several threads, and the trim/grow cycles cost mprotect calls and
    /// fresh-page faults (docs/processes.md). Call once at start; memory goes
    /// back to the system at exit.
    package static func configureForShortRun() {
        CHostAuditShims_configure_malloc()
    }
}
