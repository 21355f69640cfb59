/** BENCHMARKS.md from a run's results: every figure, with ratios against the reference daemons. */
import type { BenchResults, WorkloadResult } from './runner.ts';
import { formatBytes, formatCount, formatRatio, formatSeconds, sameRoundRatios } from './stats.ts';
import { TARGET_LABELS, TARGETS, type TargetName } from './targets.ts';
import {
	BACKGROUND_WATCHES,
	DEEP_ELEMENTS,
	firstPart,
	type Metrics,
	PRIME_SECS,
	WORKLOADS,
} from './workloads.ts';

/** One line about a measurement, for the progress log. */
export function describe(m: Metrics): string {
	if (m.opsPerSec !== undefined) {
		return `${formatCount(m.opsPerSec)} ops/s, daemon CPU ${formatSeconds(m.cpuSecsPerOp!)}/op, p50 ${formatSeconds(m.p50Secs!)}, p99 ${formatSeconds(m.p99Secs!)}`;
	}
	if (m.commitsPerSec !== undefined) {
		return `${formatCount(m.commitsPerSec)} commits/s, ${formatCount(m.conflictsPerSec!)} conflicts/s, lost updates: ${m.lostUpdates}`;
	}
	if (m.allNotifiedSecs !== undefined) {
		return `all ${m.connections} watchers notified in ${formatSeconds(m.allNotifiedSecs)}, daemon CPU ${formatSeconds(m.cpuSecsPerWrite!)}/write`;
	}
	if (m.downtimeSecs !== undefined) {
		return `${formatCount(m.nodes!)} nodes, ${formatCount(m.connections!)} extra connections: downtime ${formatSeconds(m.downtimeSecs)}, whole update ${formatSeconds(m.updateSecs!)}`;
	}
	if (m.nodes !== undefined) {
		const capped = m.complete
			? ''
			: ` (stopped early; all ${formatCount(m.count!)} would take ≈ ${formatSeconds(m.estimatedSecsForCount!)} at its final rate)`;
		const memory = m.rssPerNodeBytes === undefined ? '' : `, ${formatBytes(m.rssPerNodeBytes)}/node`;
		return `${formatCount(m.nodes)} nodes in ${formatSeconds(m.secs!)}${capped}${memory}`;
	}
	return JSON.stringify(m);
}

type Format = (value: number) => string;

class Tables {
	readonly results: BenchResults;
	readonly columns: TargetName[];

	constructor(results: BenchResults) {
		this.results = results;
		this.columns = TARGETS.filter((t) => results.targets.includes(t));
	}

	workload(id: string): WorkloadResult | undefined {
		return this.results.workloads.find((w) => w.id === id);
	}

	value(id: string, target: TargetName, key: string): number | undefined {
		return this.workload(id)?.results[target]?.median[key];
	}

	/** A figure, with its ratio to C xenstored's; `—` where the daemon takes no part. */
	cell(id: string, target: TargetName, key: string, format: Format): string {
		const result = this.workload(id)?.results[target];
		if (!result) return '—';
		const v = result.median[key];
		if (v === undefined) return result.errors.length ? 'failed' : 'n/a';
		const c = this.value(id, 'c', key);
		return target === 'c' || c === undefined ? format(v) : `${format(v)} (${formatRatio(v, c)})`;
	}

	/**
	 * tsxenstored's figure over `ref`'s round by round (stats.ts, sameRoundRatios), as
	 * `0.81× (0.70×-0.87×)`; `—` for a figure measured once, or when a round failed for either
	 * (the rounds kept would no longer pair up).
	 */
	sameRound(id: string, key: string, ref: TargetName): string {
		const results = this.workload(id)?.results;
		const mine = results?.ts;
		const theirs = results?.[ref];
		if (!mine || !theirs || mine.errors.length > 0 || theirs.errors.length > 0) return '—';
		const values = mine.rounds.map((r) => r[key]);
		const references = theirs.rounds.map((r) => r[key]);
		// A figure not measured in a round is NaN (stats.ts, summarize).
		const measured = (v: number | undefined) => v !== undefined && Number.isFinite(v);
		if (!values.every(measured) || !references.every(measured)) return '—';
		const r = sameRoundRatios(values as number[], references as number[]);
		if (r === undefined) return '—';
		return `${formatRatio(r.median, 1)} (${formatRatio(r.min, 1)}-${formatRatio(r.max, 1)})`;
	}

	header(first: string): string[] {
		return [
			`| ${first} | ${this.columns.map((t) => TARGET_LABELS[t]).join(' | ')} |`,
			`|---|${this.columns.map(() => '---:').join('|')}|`,
		];
	}

	measured(id: string): boolean {
		return Object.keys(this.workload(id)?.results ?? {}).length > 0;
	}

	/** One row: a label, then the figure `key` of workload `id` for each daemon. */
	row(label: string, id: string, key: string, format: Format): string {
		return `| ${label} | ${this.columns.map((t) => this.cell(id, t, key, format)).join(' | ')} |`;
	}

	/** Rows of one figure of several workloads, one row per workload measured. */
	figureRows(ids: string[], key: string, format: Format, label = (w: WorkloadResult) => w.title): string[] {
		return ids
			.filter((id) => this.measured(id))
			.map((id) => this.row(label(this.workload(id)!), id, key, format));
	}

	/** Rows of several figures of one workload, one row per figure. */
	workloadRows(id: string, figures: [string, string, Format][]): string[] {
		return this.measured(id) ? figures.map(([label, key, format]) => this.row(label, id, key, format)) : [];
	}

	/** A table under a header, or a sentence when there is nothing to show. */
	table(first: string, rows: string[]): string[] {
		return rows.length ? [...this.header(first), ...rows] : ['Not measured in this run.'];
	}
}

const OPS = ['read', 'write', 'dir', 'ta'];
/** Each operation's throughput workloads, variants included, grouped by operation. */
const throughputIds = OPS.flatMap((op) => WORKLOADS.filter((w) => w.family === op).map((w) => w.id));
const eightClients = OPS.map((op) => `${op}-8`);
const liveUpdateIds = [
	'liveupdate-1k',
	'liveupdate-conns',
	'liveupdate-100k',
	'liveupdate-200k',
	'liveupdate-1m',
];
const us: Format = (v) => formatSeconds(v);

/** A populating run's time for the whole count: measured, or a bound when it was stopped early. */
function populateTime(m: Metrics): string {
	return m.complete
		? formatSeconds(m.secs!)
		: `> ${formatSeconds(m.secs!)} (stopped at ${formatCount(m.nodes!)})`;
}

/**
 * `m`'s time for the whole count over `ref`'s: exact when both finished, a bound when one was
 * stopped early (its true time is longer than its run), unknown when both were.
 */
function populateRatio(m: Metrics, ref: Metrics): string {
	const r = formatRatio(m.secs, ref.secs);
	if (m.complete && ref.complete) return r;
	if (m.complete) return `< ${r}`;
	if (ref.complete) return `> ${r}`;
	return 'n/a';
}

function targets(t: Tables): string[] {
	const rows: string[] = [];
	const line = (
		what: string,
		ts: string,
		ref: TargetName,
		other: string,
		ratio: string,
		better: string,
		sameRound = '—',
	) =>
		rows.push(`| ${what} | ${ts} | ${TARGET_LABELS[ref]}: ${other} | ${ratio} | ${sameRound} | ${better} |`);
	const row = (what: string, id: string, key: string, ref: TargetName, format: Format, better: string) => {
		const ts = t.value(id, 'ts', key);
		const other = t.value(id, ref, key);
		if (ts === undefined && other === undefined) return;
		const show = (v: number | undefined) => (v === undefined ? 'n/a' : format(v));
		line(what, show(ts), ref, show(other), formatRatio(ts, other), better, t.sameRound(id, key, ref));
	};
	for (const op of OPS) row(`ops/s, ${op}, 8 clients`, `${op}-8`, 'opsPerSec', 'c', formatCount, 'higher');
	row(
		`ops/s, write, 8 clients, ${BACKGROUND_WATCHES.toLocaleString('en')} watches set`,
		'write-8-watched',
		'opsPerSec',
		'c',
		formatCount,
		'higher',
	);
	for (const op of ['read', 'write']) {
		row(
			`ops/s, ${op}, 8 clients, paths ${DEEP_ELEMENTS} elements deep`,
			`${op}-8-deep`,
			'opsPerSec',
			'c',
			formatCount,
			'higher',
		);
	}
	for (const op of OPS)
		row(`daemon CPU per op, ${op}, 8 clients`, `${op}-8`, 'cpuSecsPerOp', 'ocaml', us, 'lower');
	for (const op of OPS) {
		row(
			`daemon CPU per op, ${op}, 8 clients`,
			`${op}-8`,
			'cpuSecsPerOp',
			'floor',
			us,
			'lower; 1× is the floor',
		);
	}
	const { flatCount, treeCount } = t.results.sizes;
	const ts = t.workload('populate-flat')?.results.ts?.median;
	const c = t.workload('populate-flat')?.results.c?.median;
	const floor = t.workload('populate-flat')?.results.floor?.median;
	const what = `time to write ${formatCount(flatCount)} children of one node`;
	if (ts?.secs !== undefined && c?.secs !== undefined) {
		line(what, populateTime(ts), 'c', populateTime(c), populateRatio(ts, c), 'lower');
	}
	// The floor stores nothing: its time is what one client's round trips take alone.
	if (ts?.secs !== undefined && floor?.secs !== undefined) {
		line(
			what,
			populateTime(ts),
			'floor',
			populateTime(floor),
			populateRatio(ts, floor),
			'lower; 1× is the floor',
		);
	}
	const first = `time to write the first ${formatCount(firstPart(flatCount))} children of one node`;
	row(first, 'populate-flat', 'secsForFirstPart', 'c', us, 'lower');
	for (const [what, id] of [
		[`${formatCount(flatCount)} children`, 'populate-flat'],
		[`${formatCount(treeCount)}-node tree`, 'populate-tree'],
	] as const) {
		row(`resident memory per node, ${what}, at once`, id, 'rssPerNodeBytes', 'c', formatBytes, 'lower');
		row(
			`anonymous memory per node, ${what}, at rest`,
			id,
			'anonPerNodeAtRestBytes',
			'c',
			formatBytes,
			'lower',
		);
	}
	if (rows.length === 0) return ['Not measured in this run.'];
	return [
		'| target | tsxenstored | reference | ratio | same-round ratios: median (range) | better |',
		'|---|---:|---:|---:|---:|---|',
		...rows,
	];
}

function populateRows(t: Tables, id: string, count: number): string[] {
	if (!t.measured(id)) return [];
	const medians = t.columns.map((target) => t.workload(id)?.results[target]?.median);
	const c = t.workload(id)?.results.c?.median;
	const whole = t.columns.map((target, i) => {
		const m = medians[i];
		if (m?.secs === undefined) return t.cell(id, target, 'secs', us);
		return target === 'c' || c?.secs === undefined
			? populateTime(m)
			: `${populateTime(m)} (${populateRatio(m, c)})`;
	});
	const stoppedEarly = medians.some((m) => m?.complete === 0);
	const estimates = medians.map((m) => {
		if (m?.complete !== 0) return m ? 'finished' : '—';
		return Number.isFinite(m.estimatedSecsForCount)
			? `≈ ${formatSeconds(m.estimatedSecsForCount!)}`
			: 'unknown';
	});
	return [
		`| time to write all ${formatCount(count)} | ${whole.join(' | ')} |`,
		...(stoppedEarly
			? [
					`| estimate for all ${formatCount(count)} at the final rate (**extrapolated, not measured**) | ${estimates.join(' | ')} |`,
				]
			: []),
		...t.workloadRows(id, [
			[`time to write the first ${formatCount(firstPart(count))}`, 'secsForFirstPart', us],
			['inserts per second', 'insertsPerSec', formatCount],
			['daemon CPU per insert', 'cpuSecsPerNode', us],
			['resident memory the priming load added, before populating', 'primingRssBytes', formatBytes],
			['resident memory per node at once (VmRSS after - before) / nodes', 'rssPerNodeBytes', formatBytes],
			['resident memory afterwards', 'rssAfterBytes', formatBytes],
			[
				'anonymous memory per node at rest (RssAnon at rest - before) / nodes',
				'anonPerNodeAtRestBytes',
				formatBytes,
			],
			['resident memory at rest', 'rssAtRestBytes', formatBytes],
		]),
	];
}

/** The figure whose spread across rounds the table shows, by workload. */
function spreadKey(id: string): string {
	if (id === 'contend-8') return 'commitsPerSec';
	if (id === 'watch-fanout') return 'allNotifiedSecs';
	if (id.startsWith('liveupdate-')) return 'downtimeSecs';
	return 'opsPerSec';
}

function spreads(t: Tables): string[] {
	return [...throughputIds, 'contend-8', 'watch-fanout', ...liveUpdateIds]
		.filter((id) => t.measured(id))
		.flatMap((id) => {
			const w = t.workload(id)!;
			const key = spreadKey(id);
			const cells = t.columns.map((target) => {
				const r = w.results[target];
				const s = r?.spread[key];
				if (s === undefined || r!.rounds.length < 2) return '—';
				return `${(s * 100).toFixed(0)}% (${r!.rounds.length} rounds)`;
			});
			// Workloads measured once (the big live updates) have no spread to show.
			return cells.every((c) => c === '—') ? [] : [`| ${w.title} | ${cells.join(' | ')} |`];
		});
}

/** A warning when the rounds of the throughput runs disagree widely: the machine was busy. */
function noise(t: Tables): string[] {
	const spreads = throughputIds.flatMap((id) =>
		t.columns.flatMap((target) => {
			const r = t.workload(id)?.results[target];
			return r && r.rounds.length > 1 && r.spread.opsPerSec !== undefined ? [r.spread.opsPerSec] : [];
		}),
	);
	const wide = spreads.filter((s) => s > NOISY);
	if (wide.length === 0) return [];
	return [
		'',
		`**Noisy run:** the rounds of ${wide.length} of ${spreads.length} throughput figures disagree by more than ` +
			`${NOISY * 100}% (up to ${(Math.max(...wide) * 100).toFixed(0)}%, see "Spread across rounds"): other work ` +
			'was competing for the machine. A median sets one disturbed round aside, but differences between daemons ' +
			'smaller than these spreads are not to be trusted, and the CPU times per operation were disturbed too.',
	];
}

/** Spread across rounds above which a run is called noisy. */
const NOISY = 0.25;

function failures(results: BenchResults): string[] {
	return results.workloads.flatMap((w) =>
		Object.entries(w.results).flatMap(([target, r]) =>
			r.errors.map((e) => `- ${w.id} on ${TARGET_LABELS[target as TargetName]}: ${e.replaceAll('\n', ' ')}`),
		),
	);
}

function lostUpdates(t: Tables): string {
	const cells = t.columns.map((target) => {
		const r = t.workload('contend-8')?.results[target];
		if (!r || r.rounds.length === 0) return r?.errors.length ? 'failed' : '—';
		const lost = r.rounds.reduce((sum, m) => sum + (m.lostUpdates ?? 0), 0);
		const commits = r.rounds.reduce((sum, m) => sum + (m.commitsTotal ?? 0), 0);
		return lost === 0
			? `none (${formatCount(commits)} commits)`
			: `**${formatCount(lost)} LOST** of ${formatCount(commits)}`;
	});
	return `| updates lost (all rounds: commits - final counter) | ${cells.join(' | ')} |`;
}

export function renderMarkdown(r: BenchResults): string {
	const t = new Tables(r);
	const m = r.machine;
	const s = r.sizes;
	const failed = failures(r);
	return [
		'# Benchmarks',
		'',
		`Measured by \`${r.command}\` on ${r.date} (commit ${m.commit}), in ${formatSeconds(r.durationSecs)}.` +
			(r.partial
				? ' **A partial run** (fewer workloads or daemons, or quick sizes): not the full benchmark.'
				: ''),
		'',
		`Machine: ${m.cpuModel}, ${m.cores} cores, ${formatBytes(m.memoryBytes)} memory, ${m.kernel}; Node.js ${m.node}; ` +
			`Debian xen-utils-4.17 ${m.xenUtils}, libxenstore ${m.libxenstore}. Load average when the run started: ` +
			`${m.loadAverageAtStart.toFixed(2)} (a shared machine: others' work adds noise).`,
		'',
		`Method: every daemon is started afresh for every measurement and driven by the same load generator ` +
			`(bench/xsload.c, through libxenstore). Daemons alternate within each round, ${r.rounds} round(s) ` +
			`(${r.bigRounds} for populating); figures are medians over rounds, and \`(1.23×)\` is the ratio to ` +
			`C xenstored's figure in the same run. Throughput runs count ${s.secs} s after ${s.warmup} s of warm-up. ` +
			'docs/benchmarks.md explains every row. The JSON beside this file (bench/results.json) holds every round.',
		...noise(t),
		'',
		'## Targets: tsxenstored against the references',
		'',
		...targets(t),
		'',
		'## Throughput (operations per second; higher is better)',
		'',
		...t.table('workload', t.figureRows(throughputIds, 'opsPerSec', formatCount)),
		'',
		"## Daemon CPU time per operation (user + system, from the kernel's accounting; lower is better)",
		'',
		...t.table('workload', t.figureRows(throughputIds, 'cpuSecsPerOp', us)),
		'',
		'## Latency seen by a client, 8 clients (p50 / p99)',
		'',
		...t.table('workload', [
			...t.figureRows(eightClients, 'p50Secs', us, (w) => `${w.title}: p50`),
			...t.figureRows(eightClients, 'p99Secs', us, (w) => `${w.title}: p99`),
		]),
		'',
		'## Contention: 8 clients incrementing one counter in transactions',
		'',
		...t.table('figure', [
			...t.workloadRows('contend-8', [
				['successful commits per second', 'commitsPerSec', formatCount],
				['conflicts (EAGAIN, retried) per second', 'conflictsPerSec', formatCount],
				['daemon CPU per successful commit', 'cpuSecsPerCommit', us],
			]),
			...(t.measured('contend-8') ? [lostUpdates(t)] : []),
		]),
		'',
		`## Watch fan-out: ${formatCount(s.watchConns)} connections watching one path, one write`,
		'',
		`Medians over ${s.watchRepeats} writes, 50 ms apart, after ${s.watchWarmupWrites ?? 0} uncounted ` +
			'writes that warm the daemon up (as the seconds of warm-up before each throughput run do): a ' +
			'Node.js daemon compiles the code that delivers events while it first delivers them, and that ' +
			'one-time cost is not a cost per write.',
		'',
		...t.table(
			'figure',
			t.workloadRows('watch-fanout', [
				['time until every watcher has its event', 'allNotifiedSecs', us],
				['time until half the watchers have it', 'halfNotifiedSecs', us],
				['daemon CPU per write (all events)', 'cpuSecsPerWrite', us],
			]),
		),
		'',
		`## Populating: ${formatCount(s.flatCount)} children of one node, one client`,
		'',
		`A run stops after ${formatSeconds(s.flatCapSecs)} (the tree: ${formatSeconds(s.treeCapSecs)}). For a daemon ` +
			'stopped early the table gives its time as a bound (`> T`), the ratios to it as bounds, and an ' +
			'estimate **extrapolated** at the rate of its last quarter, which is not a measurement; its memory per ' +
			`node is taken at the count it reached. Every daemon is also timed to the first ${formatCount(firstPart(s.flatCount))} ` +
			'inserts, which all reach: a like-for-like measured comparison. Before populating, every daemon ' +
			`serves ${formatSeconds(PRIME_SECS)} of transactions from one client, as one on a running host has served ` +
			'requests: the first load a process serves reads pages of its own program in, once, and that is ' +
			'not memory per node (its own row shows it). Memory is read as soon as the ' +
			'last write is answered (VmRSS, all resident memory), and again after ' +
			`${s.restSecs ?? 'a few'} s with nothing to do, at rest (RssAnon: anonymous memory only, the daemon's ` +
			'data without the pages of its own program, which get read in as more of its code runs).',
		'',
		...t.table('figure', populateRows(t, 'populate-flat', s.flatCount)),
		'',
		`## Populating: ${formatCount(s.treeCount)} nodes in a tree of fanout ${s.treeFanout}, one client`,
		'',
		...t.table('figure', populateRows(t, 'populate-tree', s.treeCount)),
		'',
		'## Live update: downtime and whole update',
		'',
		'Each daemon updates into a new copy of itself while a client (xsload, a process of its own) ' +
			'reads in a loop. Downtime is the ' +
			'longest wait for a reply across the update (from the moment the old process stops serving to ' +
			'the first reply of the new one, plus one round trip); the whole update is how long ' +
			"`xenstore-control live-update` took, checks of the new binary included. C xenstored's " +
			'1,000,000-node run is left out: populating it takes longer than the benchmark allows. The ' +
			`1,000-node updates run every round (medians over ${r.rounds}); the larger ones ` +
			`${r.bigRounds === 1 ? 'once' : `${r.bigRounds} times`}, as populating does.`,
		'',
		...t.table('workload', [
			...t.figureRows(liveUpdateIds, 'downtimeSecs', us, (w) => `${w.title}: downtime`),
			...t.figureRows(liveUpdateIds, 'updateSecs', us, (w) => `${w.title}: whole update`),
		]),
		'',
		'## Spread across rounds ((largest - smallest) / median)',
		'',
		...t.table('workload', spreads(t)),
		'',
		'## Failures',
		'',
		...(failed.length ? failed : ['None.']),
		'',
	].join('\n');
}
