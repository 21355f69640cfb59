/**
 * Live update downtime: the longest a client waits for an answer while the daemon hands over to
 * its successor, from the moment the old process stops serving to the first reply from the new
 * one. A probe client reads one node in a tight loop through the update; the largest gap between
 * two of its replies is the downtime (it includes one round trip, a few tens of microseconds).
 * The probe is xsload, a process of its own: in this one, starting `xenstore-control` stops the
 * event loop for as long as the fork takes (10-20 ms here), and a probe in here would count that
 * against the daemon. Each daemon updates into a new copy of itself: C xenstored and oxenstored
 * into their own binaries (Debian's `xenstore-control live-update`), tsxenstored into
 * dist/cli/tsxenstored.js.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { connect, type XenstoreClient } from '../src/client/index.ts';
import { TSXENSTORED, XEN_BIN } from '../test/harness/daemons.ts';
import type { TargetName } from './targets.ts';
import type { Metrics, Workload } from './workloads.ts';
import { runXsload } from './xsload.ts';

const NEW_BINARY: Partial<Record<TargetName, string>> = {
	c: join(XEN_BIN, 'xenstored'),
	ocaml: join(XEN_BIN, 'oxenstored'),
	ts: TSXENSTORED,
};

/** Write `count` nodes in a tree of fanout 100, many requests in flight at once. */
async function populate(xs: XenstoreClient, count: number): Promise<void> {
	const inFlight = 256;
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const i = next++;
			await xs.write(`/lu/${Math.floor(i / 10_000)}/${Math.floor(i / 100) % 100}/n${i % 100}`, 'value');
		}
	};
	await Promise.all(Array.from({ length: inFlight }, worker));
}

function liveUpdate(socket: string, binary: string): Promise<number> {
	const started = process.hrtime.bigint();
	return new Promise((resolve, reject) => {
		execFile(
			join(XEN_BIN, 'xenstore-control'),
			['live-update', binary],
			{ env: { ...process.env, XENSTORED_PATH: socket }, timeout: 300_000 },
			(error, stdout, stderr) => {
				if (error) reject(new Error(`live update failed: ${stdout}${stderr}${error.message}`));
				else resolve(Number(process.hrtime.bigint() - started) / 1e9);
			},
		);
	});
}

/** What the probe saw, once stopped. */
export interface ProbeResult {
	/** The longest gap between two replies: the downtime. */
	maxGapSecs: number;
	reads: number;
}

export interface Probe {
	stop(): Promise<ProbeResult>;
}

/**
 * Start xsload reading /lu-probe in a loop; resolves once it has its first reply. `stop` ends it
 * and gives what it saw.
 */
export async function probe(xsload: string, socket: string): Promise<Probe> {
	const stopper = new AbortController();
	let reading!: () => void;
	const started = new Promise<void>((resolve) => {
		reading = resolve;
	});
	const run = runXsload({
		binary: xsload,
		socket,
		args: ['probe', '/lu-probe'],
		onMeasure: () => reading(),
		stop: stopper.signal,
		timeoutMs: 600_000,
	});
	// A probe that fails before its first reply fails the measurement here.
	await Promise.race([started, run]);
	return {
		async stop() {
			stopper.abort();
			const { result } = await run;
			return { maxGapSecs: Number(result.max_gap_us) / 1e6, reads: Number(result.reads) };
		},
	};
}

const FULL_TREE = 1_000_000;

function downtime(
	id: string,
	title: string,
	fullNodes: number,
	connections: number,
	targets: TargetName[],
	big: boolean,
): Workload {
	return {
		id,
		family: 'liveupdate',
		title,
		big,
		targets,
		async run(ctx): Promise<Metrics> {
			const { socket, name } = ctx.target;
			// Quick runs (smaller sizes) scale the store down with the populating workloads.
			const nodes = Math.max(1000, Math.round((fullNodes * ctx.sizes.treeCount) / FULL_TREE));
			const xs = await connect({ path: socket });
			const idle: XenstoreClient[] = [];
			let watcher: Probe | undefined;
			try {
				await xs.write('/lu-probe', 'p');
				await populate(xs, nodes);
				for (let i = 0; i < connections; i++) idle.push(await connect({ path: socket }));
				watcher = await probe(ctx.xsload, socket);
				await new Promise((r) => setTimeout(r, 200));
				const updateSecs = await liveUpdate(socket, NEW_BINARY[name]!);
				await new Promise((r) => setTimeout(r, 200));
				const downtimeSecs = (await watcher.stop()).maxGapSecs;
				watcher = undefined;
				// Every connection survived: each still answers.
				await Promise.all(idle.map((c) => c.read('/lu-probe')));
				return { downtimeSecs, updateSecs, nodes, connections };
			} finally {
				// After a failure: the probe's own result no longer matters.
				await watcher?.stop().catch(() => {});
				for (const c of idle) c.close();
				xs.close();
			}
		},
	};
}

/**
 * The 1,000-node updates take seconds, so they run every round like the throughput workloads:
 * one update's downtime is one sample of a gap that depends on where the machine's scheduler
 * happened to be, and a median over rounds is worth having. The larger ones take minutes to fill.
 */
export const liveUpdateWorkloads: Workload[] = [
	downtime('liveupdate-1k', 'live update, 1,000 nodes', 1_000, 0, ['c', 'ocaml', 'ts'], false),
	downtime(
		'liveupdate-conns',
		'live update, 1,000 nodes and 1,000 connections',
		1_000,
		1_000,
		['c', 'ocaml', 'ts'],
		false,
	),
	downtime('liveupdate-100k', 'live update, 100,000 nodes', 100_000, 0, ['c', 'ocaml', 'ts'], true),
	downtime('liveupdate-200k', 'live update, 200,000 nodes', 200_000, 0, ['c', 'ocaml', 'ts'], true),
	downtime('liveupdate-1m', 'live update, 1,000,000 nodes', 1_000_000, 0, ['ocaml', 'ts'], true),
];
