/**
 * `npm run soak`: each daemon in turn under the same churn (churn.ts) for minutes on end, its
 * memory and CPU sampled as it goes, to show whether its memory settles or keeps growing and
 * whether its answers slow down with time. docs/benchmarks.md says how to read it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { list, positiveInt } from './args.ts';
import { Churn, type ChurnWindow, EXPECTED_ERRORS } from './churn.ts';
import { describeMachine } from './machine.ts';
import { checkPrerequisites } from './prereqs.ts';
import { sampleProcess } from './procstat.ts';
import { formatBytes, formatCount, formatSeconds, percentile, slope } from './stats.ts';
import { checkTargetAvailable, startTarget, TARGET_LABELS, TARGETS, type TargetName } from './targets.ts';
import { cacheDir } from './xsload.ts';

const usage = `usage: npm run soak -- [options]

  --daemons LIST    among ${TARGETS.filter((t) => t !== 'floor').join(', ')}, each in turn (default: ts,c)
  --minutes N       how long each daemon is soaked (default 10)
  --rate N          operations of the mix per second, all clients together (default 2000)
  --clients N       connections making them (default 8)
  --every N         seconds between samples (default 15)
  --seed N          the mix's seed; the same for every daemon (default 1)
  --out FILE        the JSON of every sample (default: soak.json in ${cacheDir})
  --help`;

export interface SoakSample {
	/** Seconds since the churn began. */
	t: number;
	rssBytes: number;
	anonBytes: number;
	/** The daemon's CPU seconds (user + system) during this sample's window. */
	cpuSecs: number;
	ops: number;
	p99Secs: number;
	maxSecs: number;
	events: number;
	errors: Record<string, number>;
}

export interface SoakResult {
	target: TargetName;
	samples: SoakSample[];
	/** Set when the daemon died or the churn failed: the reason. */
	failure?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function soak(
	target: TargetName,
	minutes: number,
	churnOptions: { rate: number; clients: number; seed: number },
	every: number,
): Promise<SoakResult> {
	const daemon = await startTarget(target);
	const samples: SoakSample[] = [];
	const churn = new Churn({ socket: daemon.socket, ...churnOptions });
	let failure: string | undefined;
	try {
		let before = sampleProcess(daemon.pid);
		const began = performance.now();
		churn.start();
		while (performance.now() - began < minutes * 60_000) {
			await sleep(every * 1000);
			const gone = daemon.exitStatus();
			if (gone) throw new Error(gone);
			const now = sampleProcess(daemon.pid);
			const w: ChurnWindow = churn.take();
			const sorted = Float64Array.from(w.latencies).sort();
			const sample: SoakSample = {
				t: (performance.now() - began) / 1000,
				rssBytes: now.rssBytes,
				anonBytes: now.anonBytes,
				cpuSecs: now.cpuSecs - before.cpuSecs,
				ops: w.ops,
				p99Secs: sorted.length ? percentile(sorted, 99) : Number.NaN,
				maxSecs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
				events: w.events,
				errors: w.errors,
			};
			before = now;
			samples.push(sample);
			console.error(`${TARGET_LABELS[target]}: ${describeSample(sample)}`);
		}
		await churn.stop();
		const unexpected = unexpectedErrors(samples);
		if (unexpected.length > 0) failure = `the daemon answered ${unexpected.join(', ')}`;
	} catch (e) {
		failure = (e as Error).message;
		await churn.stop().catch(() => undefined);
	} finally {
		await daemon.stop();
	}
	return { target, samples, ...(failure ? { failure } : {}) };
}

/** Error answers over all samples, by name, in the order first seen. */
function errorTotals(samples: readonly SoakSample[]): Map<string, number> {
	const totals = new Map<string, number>();
	for (const s of samples) {
		for (const [code, n] of Object.entries(s.errors)) totals.set(code, (totals.get(code) ?? 0) + n);
	}
	return totals;
}

/** Errors the churn does not expect (it expects ENOENT and EAGAIN), with their counts. */
export function unexpectedErrors(samples: readonly SoakSample[]): string[] {
	return [...errorTotals(samples)]
		.filter(([code]) => !EXPECTED_ERRORS.includes(code))
		.map(([code, n]) => `${code} ${n} times`);
}

function describeSample(s: SoakSample): string {
	return (
		`${s.t.toFixed(0)} s: resident ${formatBytes(s.rssBytes)}, anonymous ${formatBytes(s.anonBytes)}, ` +
		`${formatCount(s.ops)} operations, p99 ${formatSeconds(s.p99Secs)}, max ${formatSeconds(s.maxSecs)}`
	);
}

/**
 * A daemon's memory once the churn has run a while (a quarter of the way, when every kind of
 * request has been seen many times), at the end, and how fast it grew over the second half.
 */
export function summarizeSoak(samples: readonly SoakSample[]): {
	anonSettled: number;
	anonEnd: number;
	rssEnd: number;
	anonGrowthPerMinute: number;
	cpuPerOperationSecs: number;
	worstP99Secs: number;
	maxSecs: number;
} {
	const last = samples.at(-1);
	if (!last) throw new Error('no samples');
	const settled = samples.find((s) => s.t >= last.t / 4) ?? last;
	const secondHalf = samples.filter((s) => s.t >= last.t / 2);
	const ops = samples.reduce((n, s) => n + s.ops, 0);
	return {
		anonSettled: settled.anonBytes,
		anonEnd: last.anonBytes,
		rssEnd: last.rssBytes,
		anonGrowthPerMinute: slope(secondHalf.map((s) => ({ x: s.t / 60, y: s.anonBytes }))),
		cpuPerOperationSecs: samples.reduce((n, s) => n + s.cpuSecs, 0) / ops,
		worstP99Secs: Math.max(...samples.map((s) => s.p99Secs)),
		maxSecs: Math.max(...samples.map((s) => s.maxSecs)),
	};
}

function report(results: readonly SoakResult[], minutes: number, rate: number): string {
	const rows = results.map((r) => {
		if (r.samples.length === 0) return `| ${TARGET_LABELS[r.target]} | failed: ${r.failure} |||||||`;
		const s = summarizeSoak(r.samples);
		const errors = errorTotals(r.samples);
		// NaN when the second half holds fewer than two samples (a run of a minute or so).
		const g = s.anonGrowthPerMinute;
		const growth = Number.isNaN(g) ? 'n/a' : `${g >= 0 ? '+' : '-'}${formatBytes(Math.abs(g))}`;
		return (
			`| ${TARGET_LABELS[r.target]}${r.failure ? ` (failed: ${r.failure})` : ''} | ` +
			`${formatBytes(s.anonSettled)} | ${formatBytes(s.anonEnd)} | ${growth} | ${formatBytes(s.rssEnd)} | ` +
			`${formatSeconds(s.cpuPerOperationSecs)} | ${formatSeconds(s.worstP99Secs)} | ${formatSeconds(s.maxSecs)} | ` +
			`${[...errors].map(([k, v]) => `${k} ${formatCount(v)}`).join(', ') || 'none'} |`
		);
	});
	return [
		`Soak: ${minutes} min per daemon at ${formatCount(rate)} operations/s (${new Date().toISOString()}).`,
		'',
		'| daemon | anonymous memory at 1/4 | at the end | growth per minute, 2nd half | resident at the end | CPU per operation | worst p99 of a sample | slowest operation | error answers |',
		'|---|---:|---:|---:|---:|---:|---:|---:|---|',
		...rows,
	].join('\n');
}

async function main(): Promise<number> {
	const { values } = parseArgs({
		options: {
			daemons: { type: 'string', default: 'ts,c' },
			minutes: { type: 'string', default: '10' },
			rate: { type: 'string', default: '2000' },
			clients: { type: 'string', default: '8' },
			every: { type: 'string', default: '15' },
			seed: { type: 'string', default: '1' },
			out: { type: 'string' },
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) {
		console.log(usage);
		return 0;
	}
	const targets = list(values.daemons);
	for (const t of targets) {
		if (!(TARGETS as readonly string[]).includes(t) || t === 'floor') {
			throw new Error(`--daemons: no daemon ${t} to soak\n${usage}`);
		}
	}
	const chosen = targets as TargetName[];
	const minutes = Number(values.minutes);
	if (!(minutes > 0)) throw new Error(`--minutes wants a positive number, not ${values.minutes}`);
	const churn = {
		rate: positiveInt('rate', values.rate),
		clients: positiveInt('clients', values.clients),
		seed: positiveInt('seed', values.seed),
	};
	const every = positiveInt('every', values.every);
	checkPrerequisites(chosen.includes('c') || chosen.includes('ocaml'));
	for (const t of chosen) checkTargetAvailable(t);

	const results: SoakResult[] = [];
	for (const t of chosen) results.push(await soak(t, minutes, churn, every));
	const out = values.out ?? join(cacheDir, 'soak.json');
	mkdirSync(dirname(out), { recursive: true });
	writeFileSync(
		out,
		`${JSON.stringify({ machine: describeMachine(), minutes, ...churn, every, results }, null, '\t')}\n`,
	);
	console.log(report(results, minutes, churn.rate));
	console.log(`\nEvery sample: ${out}`);
	return results.some((r) => r.failure) ? 1 : 0;
}

if (import.meta.main) {
	main().then(
		(code) => process.exit(code),
		(e: Error) => {
			console.error(e.message);
			process.exit(2);
		},
	);
}
