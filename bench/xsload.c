/* xsload: load generator for any xenstore daemon that speaks the socket protocol. It goes through
 * Debian's libxenstore (the client library every Xen tool uses), so every daemon is measured with
 * the same stick. Reach a daemon with XENSTORED_PATH=<socket>.
 *
 *   xsload ops read|write|dir|ta PROCS SECONDS [-n NODES] [-w WARMUP] [-l LATFILE] [-W WATCHES] [-b BASE]
 *   xsload contend PROCS SECONDS [-w WARMUP] [-l LATFILE]
 *   xsload populate-flat COUNT CAP_SECONDS
 *   xsload populate-tree COUNT FANOUT CAP_SECONDS
 *   xsload watch CONNS REPEATS [WARMUP_WRITES]
 *   xsload probe PATH
 *
 * ops: PROCS processes, one connection each, loop on one operation against NODES nodes under
 *   /bench (ta = transaction start, read, write, commit, retried on EAGAIN) for WARMUP seconds
 *   uncounted, then SECONDS counted. With -l, every counted operation's latency goes to LATFILE
 *   as little-endian uint32 nanoseconds.
 *   With -b, the nodes (and the watched siblings of -W) are under BASE instead of /bench: a guest's
 *   paths on a host are seven or eight elements deep (/local/domain/5/device/vif/0/state), and a
 *   daemon that walks a path element by element pays for each.
 *   With -W, one more connection first sets WATCHES watches on BASE/w0, BASE/w1, ..., siblings
 *   of the nodes the clients use that nothing writes: a host always has watches set, and a daemon
 *   pays for them on every write even when none is heard.
 * contend: PROCS processes increment /bench/counter in transactions; at the end the counter must
 *   equal the number of successful commits (lost = commits_total - final).
 * populate-flat: one connection writes COUNT children of /bench/flat, stopping after CAP_SECONDS.
 * populate-tree: one connection writes COUNT nodes of a FANOUT-ary tree under /bench/tree in
 *   breadth-first order (parents before children), stopping after CAP_SECONDS.
 * watch: CONNS connections watch /bench/watched; REPEATS times, one more connection writes it and
 *   the time until every watcher has its event is taken, after WARMUP_WRITES writes uncounted.
 * probe: one connection reads PATH in a loop until SIGTERM, and reports the longest wait between
 *   two replies (a live update's downtime). It is a process of its own so that nothing the runner
 *   does meanwhile (such as starting xenstore-control, whose fork stops the runner for
 *   milliseconds) counts as the daemon's.
 *
 * Output, one line each, for the runner: `phase measure` when the counted part starts, `phase done`
 * when it ends (the runner samples the daemon's CPU time and memory there), `checkpoint n=N t=SECS`
 * while populating, `fanout all_us=.. first_us=.. median_us=..` per watch repeat, and last
 * `result key=value ...`. Errors go to stderr with a non-zero exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <xenstore.h>

enum phase { WARMUP, MEASURE, STOP };

/* Per-process counters and latency samples live in shared memory so the parent can sum them. */
struct child_stats {
	long ops, commits_total, conflicts, errors, samples;
};

#define MAX_PROCS 256
#define MAX_SAMPLES_PER_PROC (4L << 20)

static volatile int *phase;
static struct child_stats *stats;
static uint32_t *samples;
/* Where `ops` keeps its nodes (-b). */
static const char *base = "/bench";

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void say(const char *line)
{
	puts(line);
	fflush(stdout);
}

static void sleep_for(double secs)
{
	struct timespec t = { (time_t)secs, (long)((secs - (long)secs) * 1e9) };
	while (nanosleep(&t, &t) == -1 && errno == EINTR)
		;
}

static struct xs_handle *open_or_die(void)
{
	struct xs_handle *h = xs_open(0);
	if (!h)
		die("xs_open (is XENSTORED_PATH set and a daemon listening?)");
	return h;
}

static void write_or_die(struct xs_handle *h, const char *path, const char *value)
{
	if (!xs_write(h, XBT_NULL, path, value, strlen(value))) {
		fprintf(stderr, "xsload: write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void *shared(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void record(int proc, double started, double ended)
{
	struct child_stats *s = &stats[proc];
	if (!samples || s->samples >= MAX_SAMPLES_PER_PROC)
		return;
	double ns = (ended - started) * 1e9;
	samples[proc * MAX_SAMPLES_PER_PROC + s->samples++] = ns > 4e9 ? 4000000000u : (uint32_t)ns;
}

/* One transaction: read + write + commit, retried while the daemon answers EAGAIN. `value` is
 * computed from what the transaction read when `increment` is set. Returns false on an error. */
static bool transact(struct xs_handle *h, const char *path, long n, bool increment, struct child_stats *s)
{
	char val[32];
	for (;;) {
		xs_transaction_t t = xs_transaction_start(h);
		if (t == XBT_NULL)
			return false;
		unsigned len;
		char *old = xs_read(h, t, path, &len);
		if (!old) {
			xs_transaction_end(h, t, true);
			return false;
		}
		snprintf(val, sizeof val, increment ? "%ld" : "t%ld", increment ? atol(old) + 1 : n);
		free(old);
		if (!xs_write(h, t, path, val, strlen(val))) {
			xs_transaction_end(h, t, true);
			return false;
		}
		if (xs_transaction_end(h, t, false)) {
			s->commits_total++;
			return true;
		}
		if (errno != EAGAIN)
			return false;
		s->conflicts++;
	}
}

static bool one_op(struct xs_handle *h, const char *op, int nodes, long n, unsigned *seed, struct child_stats *s)
{
	char path[256], val[32];
	unsigned len;
	void *reply;
	snprintf(path, sizeof path, "%s/n%d", base, rand_r(seed) % nodes);
	if (!strcmp(op, "read"))
		reply = xs_read(h, XBT_NULL, path, &len);
	else if (!strcmp(op, "dir"))
		reply = xs_directory(h, XBT_NULL, base, &len);
	else if (!strcmp(op, "write")) {
		snprintf(val, sizeof val, "v%ld", n);
		return xs_write(h, XBT_NULL, path, val, strlen(val));
	} else if (!strcmp(op, "ta"))
		return transact(h, path, n, false, s);
	else
		return transact(h, "/bench/counter", n, true, s);
	free(reply);
	return reply != NULL;
}

static void child_loop(int proc, const char *op, int nodes, int ready_fd)
{
	struct xs_handle *h = open_or_die();
	struct child_stats *s = &stats[proc];
	unsigned seed = proc * 7919 + 1;
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd); /* so the parent sees end-of-file, not a hang, if a client dies before this */
	for (long n = 0;; n++) {
		int at_start = __atomic_load_n(phase, __ATOMIC_RELAXED);
		if (at_start == STOP)
			break;
		double t0 = now();
		bool ok = one_op(h, op, nodes, n, &seed, s);
		if (!ok)
			s->errors++;
		if (at_start == MEASURE && ok) {
			s->ops++;
			record(proc, t0, now());
		}
	}
	xs_close(h);
	_exit(0);
}

static void write_samples(const char *file, int procs)
{
	FILE *f = fopen(file, "wb");
	if (!f)
		die(file);
	for (int p = 0; p < procs; p++)
		if (fwrite(samples + p * MAX_SAMPLES_PER_PROC, sizeof *samples, stats[p].samples, f) !=
		    (size_t)stats[p].samples)
			die(file);
	if (fclose(f))
		die(file);
}

/* ops and contend: fork the clients, let them warm up, count SECONDS, sum up. */
static int run_clients(const char *op, int procs, double secs, int nodes, double warmup, const char *latfile,
		       int watches)
{
	if (procs < 1 || procs > MAX_PROCS) {
		fprintf(stderr, "xsload: PROCS must be 1..%d\n", MAX_PROCS);
		return 2;
	}
	bool contend = !strcmp(op, "contend");
	struct xs_handle *h0 = open_or_die();
	char path[256];
	if (contend)
		write_or_die(h0, "/bench/counter", "0");
	else
		for (int i = 0; i < nodes; i++) {
			snprintf(path, sizeof path, "%s/n%d", base, i);
			write_or_die(h0, path, "value");
		}
	for (int i = 0; i < watches; i++) {
		snprintf(path, sizeof path, "%s/w%d", base, i);
		if (!xs_watch(h0, path, "w"))
			die(path);
	}

	phase = shared(sizeof *phase);
	stats = shared(sizeof *stats * procs);
	if (latfile)
		samples = shared(sizeof *samples * MAX_SAMPLES_PER_PROC * procs);
	int ready[2];
	if (pipe(ready))
		die("pipe");
	for (int p = 0; p < procs; p++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a killed parent, looping on */
			close(ready[0]);
			child_loop(p, op, nodes, ready[1]);
		}
	}
	close(ready[1]);
	char c;
	for (int p = 0; p < procs; p++)
		if (read(ready[0], &c, 1) != 1) {
			fprintf(stderr, "xsload: a client could not connect\n");
			__atomic_store_n(phase, STOP, __ATOMIC_RELAXED);
			while (wait(NULL) > 0)
				;
			return 1;
		}
	sleep_for(warmup);
	double t0 = now();
	__atomic_store_n(phase, MEASURE, __ATOMIC_RELAXED);
	say("phase measure");
	sleep_for(secs);
	__atomic_store_n(phase, STOP, __ATOMIC_RELAXED);
	double t1 = now();
	say("phase done");

	int failed = 0, status;
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	struct child_stats sum = { 0 };
	for (int p = 0; p < procs; p++) {
		sum.ops += stats[p].ops;
		sum.commits_total += stats[p].commits_total;
		sum.conflicts += stats[p].conflicts;
		sum.errors += stats[p].errors;
		sum.samples += stats[p].samples;
	}
	if (latfile)
		write_samples(latfile, procs);
	double el = t1 - t0;
	printf("result op=%s procs=%d secs=%.4f ops=%ld ops_per_s=%.1f errors=%ld failed_procs=%d samples=%ld "
	       "conflicts=%ld",
	       op, procs, el, sum.ops, sum.ops / el, sum.errors, failed, sum.samples, sum.conflicts);
	if (contend) {
		unsigned len;
		char *v = xs_read(h0, XBT_NULL, "/bench/counter", &len);
		if (!v)
			die("read /bench/counter");
		long final = atol(v);
		free(v);
		printf(" commits_total=%ld final=%ld lost=%ld", sum.commits_total, final, sum.commits_total - final);
	} else
		printf(" nodes=%d", nodes);
	printf("\n");
	xs_close(h0);
	return failed ? 1 : 0;
}

/* Path of node `i` (0-based, breadth-first) of a FANOUT-ary tree under /bench/tree. */
static void tree_path(char *out, size_t size, long i, long fanout)
{
	long level_size = fanout, depth = 1;
	while (i >= level_size) {
		i -= level_size;
		level_size *= fanout;
		depth++;
	}
	long digits[32];
	for (long d = depth - 1; d >= 0; d--) {
		digits[d] = i % fanout;
		i /= fanout;
	}
	int at = snprintf(out, size, "/bench/tree");
	for (long d = 0; d < depth; d++)
		at += snprintf(out + at, size - at, "/c%ld", digits[d]);
}

static int populate(long count, long fanout, double cap)
{
	struct xs_handle *h = open_or_die();
	const char *top = fanout ? "/bench/tree" : "/bench/flat";
	write_or_die(h, top, "");
	long every = count / 100 > 0 ? count / 100 : 1;
	char path[512], line[96];
	say("phase measure");
	double t0 = now(), t = t0;
	long done = 0;
	while (done < count && t - t0 < cap) {
		if (fanout)
			tree_path(path, sizeof path, done, fanout);
		else
			snprintf(path, sizeof path, "/bench/flat/c%ld", done);
		write_or_die(h, path, "v");
		done++;
		t = now();
		if (done % every == 0) {
			snprintf(line, sizeof line, "checkpoint n=%ld t=%.6f", done, t - t0);
			say(line);
		}
	}
	say("phase done");
	printf("result nodes=%ld secs=%.4f complete=%d count=%ld\n", done, t - t0, done == count, count);
	xs_close(h);
	return 0;
}

static volatile sig_atomic_t probe_stop;

static void on_probe_stop(int sig)
{
	(void)sig;
	probe_stop = 1;
}

static int probe(const char *path)
{
	struct sigaction sa = { .sa_handler = on_probe_stop };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1)
		die("sigaction");
	struct xs_handle *h = open_or_die();
	unsigned int len;
	long reads = 0;
	double worst = 0, last = 0;
	while (!probe_stop) {
		char *v = xs_read(h, XBT_NULL, path, &len);
		if (!v) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "xsload: probe read %s: %s\n", path, strerror(errno));
			return 1;
		}
		free(v);
		double t = now();
		if (reads++ == 0)
			say("phase measure");
		else if (t - last > worst)
			worst = t - last;
		last = t;
	}
	say("phase done");
	printf("result reads=%ld max_gap_us=%.1f\n", reads, worst * 1e6);
	xs_close(h);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Wait until every watcher has at least one event for `path`, noting when each got its first. */
static bool collect(int epfd, struct xs_handle **hs, int conns, const char *path, double *got, double deadline)
{
	int missing = conns;
	for (int i = 0; i < conns; i++)
		got[i] = 0;
	struct epoll_event evs[256];
	while (missing > 0) {
		int ms = (int)((deadline - now()) * 1000);
		if (ms <= 0)
			return false;
		int n = epoll_wait(epfd, evs, 256, ms);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		double t = now();
		for (int k = 0; k < n; k++) {
			int i = evs[k].data.u32;
			char **ev;
			while ((ev = xs_check_watch(hs[i]))) {
				if (!strcmp(ev[XS_WATCH_PATH], path) && got[i] == 0) {
					got[i] = t;
					missing--;
				}
				free(ev);
			}
			if (errno != EAGAIN) {
				fprintf(stderr, "xsload: watcher %d lost its connection: %s\n", i, strerror(errno));
				return false;
			}
		}
	}
	return true;
}

static int watch_fanout(int conns, int repeats, int warmup)
{
	const char *path = "/bench/watched";
	struct rlimit rl;
	/* each watcher holds a socket and a pipe: lift the soft descriptor limit to the hard one */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct xs_handle *writer = open_or_die();
	write_or_die(writer, path, "0");
	struct xs_handle **hs = calloc(conns, sizeof *hs);
	double *got = calloc(conns, sizeof *got);
	int epfd = epoll_create1(0);
	if (!hs || !got || epfd < 0)
		die("watch setup");
	char token[32];
	for (int i = 0; i < conns; i++) {
		hs[i] = open_or_die();
		snprintf(token, sizeof token, "w%d", i);
		if (!xs_watch(hs[i], path, token)) {
			fprintf(stderr, "xsload: watch %d of %d: %s\n", i + 1, conns, strerror(errno));
			return 1;
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, xs_fileno(hs[i]), &ev))
			die("epoll_ctl");
	}
	/* every watch fires once when set: drain those first, which also proves the path works */
	if (!collect(epfd, hs, conns, path, got, now() + 60)) {
		fprintf(stderr, "xsload: not every watcher got the event of setting its watch\n");
		return 1;
	}
	char line[160], val[32];
	/* writes before r = 0 warm the daemon up, as the ops' warm-up seconds do, and are not counted */
	for (int r = -warmup; r < repeats; r++) {
		if (r == 0)
			say("phase measure");
		sleep_for(0.05);
		snprintf(val, sizeof val, "r%d", r);
		double t0 = now();
		write_or_die(writer, path, val);
		if (!collect(epfd, hs, conns, path, got, t0 + 60)) {
			fprintf(stderr, "xsload: write %d: not every watcher got its event within 60 s\n", r);
			return 1;
		}
		if (r < 0)
			continue;
		for (int i = 0; i < conns; i++)
			got[i] -= t0;
		qsort(got, conns, sizeof *got, cmp_double);
		snprintf(line, sizeof line, "fanout all_us=%.1f first_us=%.1f median_us=%.1f", got[conns - 1] * 1e6,
			 got[0] * 1e6, got[conns / 2] * 1e6);
		say(line);
	}
	say("phase done");
	printf("result conns=%d repeats=%d\n", conns, repeats);
	for (int i = 0; i < conns; i++)
		xs_close(hs[i]);
	xs_close(writer);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: xsload ops read|write|dir|ta PROCS SECONDS [-n NODES] [-w WARMUP] [-l LATFILE] "
			"[-W WATCHES] [-b BASE]\n"
			"       xsload contend PROCS SECONDS [-w WARMUP] [-l LATFILE]\n"
			"       xsload populate-flat COUNT CAP_SECONDS\n"
			"       xsload populate-tree COUNT FANOUT CAP_SECONDS\n"
			"       xsload watch CONNS REPEATS [WARMUP_WRITES]\n"
			"       xsload probe PATH\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *mode = argv[1];
	if (!strcmp(mode, "ops") || !strcmp(mode, "contend")) {
		bool ops = !strcmp(mode, "ops");
		int at = ops ? 3 : 2;
		if (argc < at + 2)
			return usage();
		const char *op = ops ? argv[2] : "contend";
		if (ops && strcmp(op, "read") && strcmp(op, "write") && strcmp(op, "dir") && strcmp(op, "ta"))
			return usage();
		int procs = atoi(argv[at]), nodes = 100, watches = 0;
		double secs = atof(argv[at + 1]), warmup = 0.5;
		const char *latfile = NULL;
		optind = at + 2;
		int c;
		while ((c = getopt(argc, argv, "n:w:l:W:b:")) != -1) {
			if (c == 'n')
				nodes = atoi(optarg);
			else if (c == 'w')
				warmup = atof(optarg);
			else if (c == 'l')
				latfile = optarg;
			else if (c == 'W')
				watches = atoi(optarg);
			else if (c == 'b' && optarg[0] == '/' && strlen(optarg) < 200)
				base = optarg;
			else
				return usage();
		}
		if (nodes < 1 || watches < 0)
			return usage();
		return run_clients(op, procs, secs, nodes, warmup, latfile, watches);
	}
	if (!strcmp(mode, "populate-flat") && argc == 4)
		return populate(atol(argv[2]), 0, atof(argv[3]));
	if (!strcmp(mode, "populate-tree") && argc == 5 && atol(argv[3]) >= 2)
		return populate(atol(argv[2]), atol(argv[3]), atof(argv[4]));
	if (!strcmp(mode, "watch") && (argc == 4 || argc == 5) && atoi(argv[2]) > 0)
		return watch_fanout(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 0);
	if (!strcmp(mode, "probe") && argc == 3)
		return probe(argv[2]);
	return usage();
}
