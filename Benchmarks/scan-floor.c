/* The kernel floor of the process scan: the reads `hostaudit facts processes`
 * makes per process (stat, status, cmdline, exe, cwd, environ, the
 * PROCMAP_QUERY walk over executable mappings, the fd/ listing and every fd
 * link), in C, with no parsing and no output, on THREADS threads in shares of
 * 64 pids. WHAT limits it to one kind of read (with the /proc/PID directory
 * open), to price each; prints the wall time and µs per process.
 *   cc -O2 -pthread Benchmarks/scan-floor.c -o /tmp/scan-floor
 *   /tmp/scan-floor THREADS [all|dir|stat|status|cmdline|environ|links|maps|fds]
 * Needs root for environ, maps and fds of other users' processes; Linux 6.11+
 * for PROCMAP_QUERY (older kernels: the maps walk stops at once). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct procmap_query {
    uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
    uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
    uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY_IOCTL _IOWR('f', 17, struct procmap_query)

static int pids[1 << 22], count, procfd;
static atomic_int next_share;
static const char *what = "all";

static int want(const char *kind) { return !strcmp(what, "all") || !strcmp(what, kind); }

static void read_file(int dir, const char *name, char *buf) {
    int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return;
    while (read(fd, buf, 65536) == 65536) {}
    close(fd);
}

static void *worker(void *unused) {
    (void)unused;
    char *buf = malloc(65536), link[4097], name[32];
    for (;;) {
        int lo = atomic_fetch_add(&next_share, 64);
        if (lo >= count) break;
        int hi = lo + 64 < count ? lo + 64 : count;
        for (int i = lo; i < hi; i++) {
            snprintf(name, sizeof name, "%d", pids[i]);
            int dir = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dir < 0) continue;
            if (want("stat")) read_file(dir, "stat", buf);
            if (want("status")) read_file(dir, "status", buf);
            if (want("cmdline")) read_file(dir, "cmdline", buf);
            if (want("links")) { readlinkat(dir, "exe", link, sizeof link); readlinkat(dir, "cwd", link, sizeof link); }
            if (want("environ")) read_file(dir, "environ", buf);
            int maps = want("maps") ? openat(dir, "maps", O_RDONLY | O_CLOEXEC) : -1;
            if (maps >= 0) {
                for (uint64_t addr = 0;;) {
                    struct procmap_query q;
                    memset(&q, 0, sizeof q);
                    q.size = sizeof q;
                    q.query_flags = 0x04 | 0x10; /* executable, covering or next */
                    q.query_addr = addr;
                    q.vma_name_addr = (uintptr_t)buf;
                    q.vma_name_size = 65536;
                    if (ioctl(maps, PROCMAP_QUERY_IOCTL, &q) != 0) break;
                    addr = q.vma_end;
                }
                close(maps);
            }
            int fds = want("fds") ? openat(dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
            if (fds >= 0) {
                static __thread int numbers[4096];
                int n = 0, got;
                while ((got = syscall(SYS_getdents64, fds, buf, 65536)) > 0) {
                    for (int off = 0; off < got;) {
                        struct dirent64 *d = (void *)(buf + off);
                        if (d->d_name[0] != '.' && n < 4096) numbers[n++] = atoi(d->d_name);
                        off += d->d_reclen;
                    }
                }
                for (int k = 0; k < n; k++) {
                    snprintf(name, sizeof name, "%d", numbers[k]);
                    readlinkat(fds, name, link, sizeof link);
                }
                close(fds);
            }
            close(dir);
        }
    }
    free(buf);
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (argc > 2) what = argv[2];
    if (threads < 1 || threads > 64) threads = 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    static char listing[65536];
    int got;
    while ((got = syscall(SYS_getdents64, procfd, listing, sizeof listing)) > 0) {
        for (int off = 0; off < got;) {
            struct dirent64 *d = (void *)(listing + off);
            if (d->d_name[0] >= '0' && d->d_name[0] <= '9' && count < (1 << 22)) pids[count++] = atoi(d->d_name);
            off += d->d_reclen;
        }
    }
    pthread_t t[64];
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("%s, %d threads: %d processes, %.1f ms, %.2f us per process\n", what, threads, count, ms, ms * 1e3 / count);
    return 0;
}
