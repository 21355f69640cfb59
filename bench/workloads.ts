/**
 * The workloads: what each one asks of a daemon (through xsload) and which figures it takes.
 * Every run gets a freshly started daemon; figures are plain numbers, times in seconds and sizes
 * in bytes, so that the runner can take medians over rounds without knowing what they mean.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { liveUpdateWorkloads } from './liveupdate.ts';
import { type ProcessSample, sampleProcess } from './procstat.ts';
import { extrapolateAtFinalRate, median, percentile, secondsAt } from './stats.ts';
import type { RunningTarget, TargetName } from './targets.ts';
import { runXsload, type XsloadOutput } from './xsload.ts';

export type Metrics = Record<string, number>;

/** How big and how long; `quick` shrinks everything for a developer iterating. */
export interface Sizes {
	/** Counted seconds of each throughput run, after `warmup` uncounted seconds. */
	secs: number;
	warmup: number;
	flatCount: number;
	/** Populating stops after this many seconds: a daemon still going has a bound and an estimate. */
	flatCapSecs: number;
	treeCount: number;
	treeFanout: number;
	treeCapSecs: number;
	/** After populating, the store is left alone this long before memory is read again, at rest. */
	restSecs: number;
	watchConns: number;
	watchRepeats: number;
	/** Writes each watcher hears before the counted ones, uncounted, as `warmup` for throughput. */
	watchWarmupWrites: number;
}

export const FULL_SIZES: Sizes = {
	secs: 3,
	// Node.js daemons reach their steady speed after about 2 s (docs/benchmarks.md, "Warm-up").
	warmup: 2.5,
	flatCount: 200_000,
	flatCapSecs: 60,
	treeCount: 1_000_000,
	treeFanout: 100,
	treeCapSecs: 180,
	restSecs: 3,
	watchConns: 1000,
	watchRepeats: 20,
	watchWarmupWrites: 10,
};

export const QUICK_SIZES: Sizes = {
	secs: 1,
	warmup: 0.2,
	flatCount: 20_000,
	flatCapSecs: 10,
	treeCount: 100_000,
	treeFanout: 100,
	treeCapSecs: 60,
	restSecs: 3,
	watchConns: 200,
	watchRepeats: 5,
	watchWarmupWrites: 3,
};

export interface RunContext {
	target: RunningTarget;
	xsload: string;
	sizes: Sizes;
	/** A directory for files of this run (latency samples). */
	scratch: string;
}

export interface Workload {
	id: string;
	/** `--only` accepts a family (e.g. `read`) for all of its workloads. */
	family: string;
	title: string;
	/** Big workloads take minutes per daemon and run `--big-rounds` times, not `--rounds`. */
	big: boolean;
	/** The floor keeps no store: it only takes part where a fixed reply is a meaningful answer. */
	targets: readonly TargetName[];
	run(ctx: RunContext): Promise<Metrics>;
}

const STORES: readonly TargetName[] = ['c', 'ocaml', 'ts'];
const ALL: readonly TargetName[] = ['c', 'ocaml', 'ts', 'floor'];

interface Sampled {
	out: XsloadOutput;
	/** The daemon's CPU seconds during xsload's counted part. */
	cpuSecs: number;
	before: ProcessSample;
	after: ProcessSample;
}

/** Run xsload, sampling the daemon when the counted part starts and ends. */
async function sampled(ctx: RunContext, args: string[], timeoutSecs: number): Promise<Sampled> {
	const { pid, socket } = ctx.target;
	let before: ProcessSample | undefined;
	let after: ProcessSample | undefined;
	const out = await runXsload({
		binary: ctx.xsload,
		socket,
		args,
		onMeasure: () => {
			before = sampleProcess(pid);
		},
		onDone: () => {
			after = sampleProcess(pid);
		},
		timeoutMs: timeoutSecs * 1000,
	});
	if (!before || !after) throw new Error(`xsload ${args.join(' ')} never marked its counted part`);
	return { out, cpuSecs: after.cpuSecs - before.cpuSecs, before, after };
}

function num(out: XsloadOutput, key: string): number {
	const value = Number(out.result[key]);
	if (!Number.isFinite(value)) throw new Error(`xsload gave no number for ${key}`);
	return value;
}

/** Latency samples (uint32 nanoseconds each) as seconds, sorted. */
function readLatencies(file: string): Float64Array {
	const buf = readFileSync(file);
	const secs = new Float64Array(buf.length / 4);
	for (let i = 0; i < secs.length; i++) secs[i] = buf.readUInt32LE(i * 4) / 1e9;
	return secs.sort();
}

/** Watches set, on paths no client writes, while `write-8-watched` runs: a host always has some. */
export const BACKGROUND_WATCHES = 1000;

/**
 * Where the `-deep` workloads keep their nodes: beside a guest's vif state, so that each path is
 * seven elements deep (/local/domain/1/device/vif/0/n42), as most paths on a host are. The others
 * use /bench/nX, two elements deep, where a daemon that walks a path element by element pays least.
 */
export const DEEP_BASE = '/local/domain/1/device/vif/0';
/** Elements of such a path: the base's and the node's own. */
export const DEEP_ELEMENTS = DEEP_BASE.split('/').filter(Boolean).length + 1;

/**
 * The variants of a throughput workload: `watched`, with BACKGROUND_WATCHES set (the floor keeps
 * no watches, so it sits that one out); `deep`, with the nodes under DEEP_BASE.
 */
type Variant = 'plain' | 'watched' | 'deep';

function variantTitle(variant: Variant): string {
	if (variant === 'watched') return `, ${BACKGROUND_WATCHES.toLocaleString('en')} watches set`;
	if (variant === 'deep') return `, paths ${DEEP_ELEMENTS} elements deep`;
	return '';
}

/** Throughput of one operation, in one of its variants. */
function throughput(op: string, procs: number, variant: Variant = 'plain'): Workload {
	const clients = `${procs} client${procs > 1 ? 's' : ''}`;
	return {
		id: `${op}-${procs}${variant === 'plain' ? '' : `-${variant}`}`,
		family: op,
		title: `${op === 'ta' ? 'transaction (start, read, write, commit)' : op}, ${clients}${variantTitle(variant)}`,
		big: false,
		targets: variant === 'watched' ? STORES : ALL,
		async run(ctx) {
			const { secs, warmup } = ctx.sizes;
			const latFile = join(ctx.scratch, `latency-${op}-${procs}.bin`);
			const args = ['ops', op, String(procs), String(secs), '-w', String(warmup), '-l', latFile];
			if (variant === 'watched') args.push('-W', String(BACKGROUND_WATCHES));
			if (variant === 'deep') args.push('-b', DEEP_BASE);
			const { out, cpuSecs } = await sampled(ctx, args, secs + warmup + 60);
			const ops = num(out, 'ops');
			if (num(out, 'errors') > 0 || num(out, 'failed_procs') > 0 || ops === 0) {
				throw new Error(`${out.result.errors} failed operations, ${out.result.failed_procs} failed clients`);
			}
			const latencies = readLatencies(latFile);
			rmSync(latFile);
			return {
				opsPerSec: num(out, 'ops_per_s'),
				cpuSecsPerOp: cpuSecs / ops,
				p50Secs: percentile(latencies, 50),
				p99Secs: percentile(latencies, 99),
				conflictsPerSec: num(out, 'conflicts') / num(out, 'secs'),
			};
		},
	};
}

const contention: Workload = {
	id: 'contend-8',
	family: 'contend',
	title: '8 clients incrementing one counter in transactions',
	big: false,
	targets: STORES,
	async run(ctx) {
		const { secs, warmup } = ctx.sizes;
		const { out, cpuSecs } = await sampled(
			ctx,
			['contend', '8', String(secs), '-w', String(warmup)],
			secs + 60,
		);
		if (num(out, 'errors') > 0 || num(out, 'failed_procs') > 0) {
			throw new Error(`${out.result.errors} failed transactions, ${out.result.failed_procs} failed clients`);
		}
		const commits = num(out, 'ops');
		return {
			commitsPerSec: num(out, 'ops_per_s'),
			conflictsPerSec: num(out, 'conflicts') / num(out, 'secs'),
			cpuSecsPerCommit: commits > 0 ? cpuSecs / commits : Number.NaN,
			commitsTotal: num(out, 'commits_total'),
			finalCounter: num(out, 'final'),
			lostUpdates: num(out, 'lost'),
		};
	},
};

const watchFanout: Workload = {
	id: 'watch-fanout',
	family: 'watch',
	title: 'watch fan-out: one write, every watching connection notified',
	big: false,
	targets: STORES,
	async run(ctx) {
		const { watchConns, watchRepeats, watchWarmupWrites } = ctx.sizes;
		const { out, cpuSecs } = await sampled(
			ctx,
			['watch', String(watchConns), String(watchRepeats), String(watchWarmupWrites)],
			180,
		);
		const us = (key: string) => median(out.fanouts.map((f) => Number(f[key]))) / 1e6;
		return {
			connections: watchConns,
			allNotifiedSecs: us('all_us'),
			halfNotifiedSecs: us('median_us'),
			cpuSecsPerWrite: cpuSecs / watchRepeats,
		};
	},
};

/**
 * Every daemon is also timed to this many of `count` inserts, which even one stopped early reaches,
 * so that all are compared on a measurement.
 */
export function firstPart(count: number): number {
	return Math.round(count / 20);
}

/**
 * Seconds of transactions (start, read, write, commit, one client) every daemon serves before it
 * is populated, then a second left alone: a daemon on a running host has served requests before.
 * The first load a process serves reads pages of its own program in once (about 6 MB of Node.js's
 * code, where C xenstored's fits in a few pages) and sets up its compiled code; counted in the
 * populating, that one-time cost read as memory per node. It is reported on its own line instead.
 */
export const PRIME_SECS = 1;

/**
 * Populating a store: time, CPU and resident memory per node, read twice: as soon as the last
 * write is answered, and again after `restSecs` with nothing to do (what a host sees once a burst
 * of guest starts is over). Both are taken from the daemon as it was once primed (PRIME_SECS). The
 * figure at rest counts anonymous memory only (RssAnon): the pages of the daemon's own program
 * that get read in as more of its code runs are not memory per node.
 *
 * The floor populates the children too, for time and CPU only (it keeps no node, so it has no
 * memory per node): one client writes one node per round trip, so the floor's time is about the
 * least any daemon can take with this client on this machine, whatever its store costs.
 */
function populate(kind: 'flat' | 'tree'): Workload {
	return {
		id: kind === 'flat' ? 'populate-flat' : 'populate-tree',
		family: 'populate',
		title:
			kind === 'flat'
				? 'populate children of one node, one client'
				: 'populate a tree of fanout 100, one client',
		big: true,
		targets: kind === 'flat' ? ALL : STORES,
		async run(ctx) {
			const s = ctx.sizes;
			const count = kind === 'flat' ? s.flatCount : s.treeCount;
			const cap = kind === 'flat' ? s.flatCapSecs : s.treeCapSecs;
			const args =
				kind === 'flat'
					? ['populate-flat', String(count), String(cap)]
					: ['populate-tree', String(count), String(s.treeFanout), String(cap)];
			const cold = sampleProcess(ctx.target.pid);
			await runXsload({
				binary: ctx.xsload,
				socket: ctx.target.socket,
				args: ['ops', 'ta', '1', String(PRIME_SECS), '-w', '0'],
				timeoutMs: (PRIME_SECS + 60) * 1000,
			});
			await new Promise((r) => setTimeout(r, 1000));
			const { out, cpuSecs, before, after } = await sampled(ctx, args, cap + 120);
			const nodes = num(out, 'nodes');
			const secs = num(out, 'secs');
			const complete = num(out, 'complete') === 1;
			const timing = {
				count,
				nodes,
				secs,
				complete: complete ? 1 : 0,
				secsForFirstPart: secondsAt(out.checkpoints, firstPart(count)),
				estimatedSecsForCount: complete ? secs : extrapolateAtFinalRate(out.checkpoints, count),
				insertsPerSec: nodes / secs,
				cpuSecsPerNode: cpuSecs / nodes,
			};
			// The floor has no memory per node: no reason to wait for it at rest.
			if (ctx.target.name === 'floor') return timing;
			await new Promise((r) => setTimeout(r, s.restSecs * 1000));
			const rest = sampleProcess(ctx.target.pid);
			return {
				...timing,
				primingRssBytes: before.rssBytes - cold.rssBytes,
				rssPerNodeBytes: (after.rssBytes - before.rssBytes) / nodes,
				rssAfterBytes: after.rssBytes,
				anonPerNodeAtRestBytes: (rest.anonBytes - before.anonBytes) / nodes,
				rssAtRestBytes: rest.rssBytes,
			};
		},
	};
}

/** In the order they run within a round. */
export const WORKLOADS: readonly Workload[] = [
	...['read', 'write', 'dir', 'ta'].flatMap((op) => [throughput(op, 1), throughput(op, 8)]),
	throughput('write', 8, 'watched'),
	throughput('read', 8, 'deep'),
	throughput('write', 8, 'deep'),
	contention,
	watchFanout,
	populate('flat'),
	populate('tree'),
	...liveUpdateWorkloads,
];
