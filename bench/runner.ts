/**
 * Runs the plan: for each round, each workload, each daemon in turn (the order rotating from round
 * to round, so that no daemon always goes first after a pause), on a freshly started daemon. Then
 * takes the medians.
 */
import { rmSync } from 'node:fs';
import { tempDir } from '../test/harness/daemons.ts';
import type { Machine } from './machine.ts';
import { summarize } from './stats.ts';
import { type RunningTarget, startTarget, TARGET_LABELS, type TargetName } from './targets.ts';
import type { Metrics, Sizes, Workload } from './workloads.ts';

export interface Step {
	workload: Workload;
	target: TargetName;
	/** 1-based, out of `rounds` for this workload. */
	round: number;
	rounds: number;
}

/** `items` rotated left by `by`: [a, b, c] by 1 -> [b, c, a]. */
export function rotate<T>(items: readonly T[], by: number): T[] {
	const k = items.length ? by % items.length : 0;
	return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * Every measurement to make, in order: `rounds` rounds of the ordinary workloads, then `bigRounds`
 * rounds of the big ones. Within a round every daemon meets a workload
 * before the next workload starts.
 */
export function plan(
	workloads: readonly Workload[],
	targets: readonly TargetName[],
	rounds: number,
	bigRounds: number,
): Step[] {
	const steps: Step[] = [];
	for (const big of [false, true]) {
		const n = big ? bigRounds : rounds;
		const group = workloads.filter((w) => w.big === big);
		for (let round = 1; round <= n; round++) {
			for (const workload of group) {
				for (const target of rotate(targets, round - 1)) {
					if (workload.targets.includes(target)) steps.push({ workload, target, round, rounds: n });
				}
			}
		}
	}
	return steps;
}

export interface CellResult {
	rounds: Metrics[];
	median: Metrics;
	spread: Metrics;
	errors: string[];
}

export interface WorkloadResult {
	id: string;
	title: string;
	results: Partial<Record<TargetName, CellResult>>;
}

export interface BenchResults {
	date: string;
	durationSecs: number;
	/** A run of fewer workloads, daemons or smaller sizes than the full benchmark. */
	partial: boolean;
	command: string;
	machine: Machine;
	rounds: number;
	bigRounds: number;
	sizes: Sizes;
	targets: TargetName[];
	workloads: WorkloadResult[];
}

export interface RunOptions {
	workloads: readonly Workload[];
	targets: readonly TargetName[];
	rounds: number;
	bigRounds: number;
	sizes: Sizes;
	xsload: string;
	log(line: string): void;
	/** One line about a measurement's figures, for the progress log. */
	describe(metrics: Metrics): string;
}

let running: RunningTarget | undefined;
let scratch: string | undefined;

async function stopRunning(): Promise<void> {
	const target = running;
	running = undefined;
	await target?.stop();
}

/** Stop the daemon under test and remove the run's files (for Ctrl-C: C xenstored runs detached). */
export async function abort(): Promise<void> {
	await stopRunning();
	if (scratch) rmSync(scratch, { recursive: true, force: true });
}

export async function runAll(options: RunOptions): Promise<Pick<BenchResults, 'workloads' | 'durationSecs'>> {
	const started = Date.now();
	const steps = plan(options.workloads, options.targets, options.rounds, options.bigRounds);
	const cells = new Map<string, { rounds: Metrics[]; errors: string[] }>();
	const dir = tempDir('xsbench-');
	scratch = dir;
	try {
		for (const [i, step] of steps.entries()) {
			const { workload, target, round, rounds } = step;
			const key = `${workload.id}/${target}`;
			const cell = cells.get(key) ?? { rounds: [], errors: [] };
			cells.set(key, cell);
			const head = `[${i + 1}/${steps.length}] round ${round}/${rounds} ${workload.id} on ${TARGET_LABELS[target]}`;
			const t0 = Date.now();
			try {
				running = await startTarget(target);
				const metrics = await workload.run({
					target: running,
					xsload: options.xsload,
					sizes: options.sizes,
					scratch: dir,
				});
				cell.rounds.push(metrics);
				options.log(`${head}: ${options.describe(metrics)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
			} catch (e) {
				const gone = running?.exitStatus();
				const message = `round ${round}: ${(e as Error).message}${gone ? `; ${gone}` : ''}`;
				cell.errors.push(message);
				options.log(`${head}: FAILED: ${message}`);
			} finally {
				await stopRunning();
			}
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
		scratch = undefined;
	}
	const workloads = options.workloads.map((w): WorkloadResult => {
		const results: WorkloadResult['results'] = {};
		for (const target of options.targets) {
			const cell = cells.get(`${w.id}/${target}`);
			if (cell) results[target] = { ...cell, ...summarize(cell.rounds) };
		}
		return { id: w.id, title: w.title, results };
	});
	return { workloads, durationSecs: (Date.now() - started) / 1000 };
}
