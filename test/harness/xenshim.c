/* xenshim: stand-ins for the Xen hypervisor interfaces (libxenctrl, libxenevtchn, libxengnttab)
 * so that Debian's reference xenstored (C) and oxenstored (OCaml), Xen 4.17, run socket-only on a
 * machine without Xen. Loaded with LD_PRELOAD by test/harness/daemons.ts. Not for production use.
 *
 * - every handle "opens"; the event channel fd is an eventfd that never fires; every domain is alive
 * - domain rings are anonymous zeroed pages, so no guest ever talks
 * - /proc/xen/xsd_port and xsd_kva are served from memfds (dom0 looks introduced)
 * - setrlimit always succeeds (oxenstored raises RLIMIT_NOFILE at start)
 * - with XS_KEEP_DUMP=PREFIX set, C xenstored's live-update state file ("state_dump") is kept
 *   as PREFIX.<pid> instead of deleted, so the stream it wrote can be read afterwards. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static int efd = -1;
static int dummy;
static int next_port = 10;

static void mkefd(void) { if (efd < 0) efd = eventfd(0, 0); }

void *xc_interface_open(void *a, void *b, unsigned c) { return &dummy; }
int xc_interface_close(void *x) { return 0; }
/* Every domain asked about is alive: domid at offset 0, the dying/crashed/shutdown bits (offset 8)
 * clear. Without this, a live-updated C xenstored takes dom0 for dead and tears its nodes down. */
int xc_domain_getinfo(void *x, unsigned first, unsigned max, void *info) {
	if (max < 1 || !info) return 0;
	*(unsigned *)info = first;
	*((unsigned *)info + 2) = 0;
	return 1;
}
int xc_domain_getinfolist(void *x, unsigned first, unsigned max, void *info) { return 0; }

void *xengnttab_open(void *l, unsigned f) { return &dummy; }
int xengnttab_close(void *x) { return 0; }
int xengnttab_set_max_grants(void *x, unsigned n) { return 0; }
void *xengnttab_map_grant_ref(void *x, unsigned d, unsigned r, int p) {
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}
int xengnttab_unmap(void *x, void *a, unsigned c) { return 0; }

void *xenevtchn_open(void *l, unsigned f) { mkefd(); return &dummy; }
void *xenevtchn_fdopen(void *l, int fd, unsigned f) { mkefd(); return &dummy; }
int xenevtchn_close(void *x) { return 0; }
int xenevtchn_fd(void *x) { return efd; }
int xenevtchn_bind_virq(void *x, unsigned v) { return 1; }
int xenevtchn_bind_interdomain(void *x, unsigned d, unsigned p) { return next_port++; }
int xenevtchn_pending(void *x) { return -1; }
int xenevtchn_unmask(void *x, unsigned p) { return 0; }
int xenevtchn_unbind(void *x, unsigned p) { return 0; }
int xenevtchn_notify(void *x, unsigned p) { return 0; }

int setrlimit(__rlimit_resource_t r, const struct rlimit *l) { return 0; }

int open(const char *path, int flags, ...) {
	static int (*real)(const char *, int, ...);
	va_list ap;
	va_start(ap, flags);
	int mode = va_arg(ap, int);
	va_end(ap);
	if (!real) real = dlsym(RTLD_NEXT, "open");
	if (strcmp(path, "/proc/xen/xsd_port") == 0) {
		int fd = memfd_create("xsd_port", 0);
		if (write(fd, "1", 1) != 1) return -1;
		lseek(fd, 0, SEEK_SET);
		return fd;
	}
	if (strcmp(path, "/proc/xen/xsd_kva") == 0 || strcmp(path, "/dev/xen/xsd_kva") == 0) {
		int fd = memfd_create("xsd_kva", 0);
		if (ftruncate(fd, 4096)) return -1;
		return fd;
	}
	return real(path, flags, mode);
}

int unlink(const char *path) {
	static int (*real)(const char *);
	if (!real) real = dlsym(RTLD_NEXT, "unlink");
	const char *keep = getenv("XS_KEEP_DUMP");
	size_t n = strlen(path);
	if (keep && n >= 10 && strcmp(path + n - 10, "state_dump") == 0) {
		char buf[4096];
		snprintf(buf, sizeof buf, "%s.%d", keep, (int)getpid());
		return rename(path, buf);
	}
	return real(path);
}
