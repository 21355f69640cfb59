import { performance } from 'node:perf_hooks';
import { collector } from './collector.ts';
import type { Logger } from './log.ts';

export interface IdleCompactionOptions {
	/** How often to look, in milliseconds; the loop must have been idle for all of it. */
	intervalMs: number;
	/** Nodes added or removed since the last compaction that make one worth its pause. */
	minChange: number;
	/** The share of the interval the loop may have been busy and still count as idle. */
	maxUtilization: number;
}

export const DEFAULT_IDLE_COMPACTION: IdleCompactionOptions = {
	intervalMs: 1000,
	minChange: 20_000,
	maxUtilization: 0.01,
};

/**
 * Whether to compact now: the loop was idle over the last interval, and the node count moved since
 * the last compaction by at least `minChange` nodes and a tenth, so that a store that only ever
 * grows pays for ever rarer collections.
 */
export function compactionDue(
	utilization: number,
	count: number,
	countAtLast: number,
	options: IdleCompactionOptions,
): boolean {
	if (utilization > options.maxUtilization) return false;
	const change = Math.abs(count - countAtLast);
	return change >= options.minChange && change >= countAtLast / 10;
}

/**
 * Giving memory back after the store grew or shrank a lot (a host starting or stopping many
 * guests). V8 keeps the old generation it grew to, with the garbage of the growth and partly empty
 * pages, until it needs the room again; its own memory reducer never runs in a daemon that Node
 * does not report as idle. So when the event loop has been idle for a whole interval and the node
 * count moved by enough since the last time, the daemon runs one full, compacting collection. It
 * takes about 100 ms for a million nodes, at a moment when no request was waiting.
 */
export class IdleCompaction {
	private readonly options: IdleCompactionOptions;
	private readonly nodeCount: () => number;
	private readonly log: Logger;
	private timer: NodeJS.Timeout | undefined;
	private countAtLast: number;
	private lastLoop = performance.eventLoopUtilization();

	/** Counts from 0: a store restored by live update or grown since startup is worth a first look. */
	constructor(
		nodeCount: () => number,
		log: Logger,
		options: IdleCompactionOptions = DEFAULT_IDLE_COMPACTION,
	) {
		this.nodeCount = nodeCount;
		this.log = log;
		this.options = options;
		this.countAtLast = 0;
	}

	start(): void {
		this.timer = setInterval(() => this.check(), this.options.intervalMs);
		this.timer.unref();
	}

	stop(): void {
		if (this.timer !== undefined) clearInterval(this.timer);
		this.timer = undefined;
	}

	private check(): void {
		const loop = performance.eventLoopUtilization();
		const since = performance.eventLoopUtilization(loop, this.lastLoop);
		this.lastLoop = loop;
		if (compactionDue(since.utilization, this.nodeCount(), this.countAtLast, this.options)) this.compact();
	}

	/** One full, compacting collection now. */
	compact(): void {
		const count = this.nodeCount();
		const before = process.memoryUsage.rss();
		const started = performance.now();
		collector()({ type: 'major', execution: 'sync', flavor: 'last-resort' });
		const ms = performance.now() - started;
		this.countAtLast = count;
		// The collection itself kept the loop busy: the next interval starts from here.
		this.lastLoop = performance.eventLoopUtilization();
		const mib = (n: number) => (n / 1048576).toFixed(1);
		this.log.info(
			`idle with ${count} nodes: compacted the heap in ${ms.toFixed(0)} ms, resident ${mib(before)} -> ${mib(process.memoryUsage.rss())} MiB`,
		);
	}
}
