/** BENCHMARKS.md from a run's results: every figure, with ratios against the reference daemons. */
import type { BenchResults, WorkloadResult } from './runner.ts';
import { formatBytes, formatCount, formatRatio, formatSeconds } from './stats.ts';
import { TARGET_LABELS, TARGETS, type TargetName } from './targets.ts';
import type { Metrics, Workload } from './workloads.ts';

/** One line about a measurement, for the progress log. */
export function describe(_workload: Workload, m: Metrics): string {
	if (m.opsPerSec !== undefined) {
		return `${formatCount(m.opsPerSec)} ops/s, daemon CPU ${formatSeconds(m.cpuSecsPerOp!)}/op, p50 ${formatSeconds(m.p50Secs!)}, p99 ${formatSeconds(m.p99Secs!)}`;
	}
	if (m.commitsPerSec !== undefined) {
		return `${formatCount(m.commitsPerSec)} commits/s, ${formatCount(m.conflictsPerSec!)} conflicts/s, lost updates: ${m.lostUpdates}`;
	}
	if (m.allNotifiedSecs !== undefined) {
		return `all ${m.connections} watchers notified in ${formatSeconds(m.allNotifiedSecs)}, daemon CPU ${formatSeconds(m.cpuSecsPerWrite!)}/write`;
	}
	if (m.nodes !== undefined) {
		const capped = m.complete
			? ''
			: ` (capped; ${formatCount(m.count!)} estimated at ${formatSeconds(m.estimatedSecsForCount!)})`;
		return `${formatCount(m.nodes)} nodes in ${formatSeconds(m.secs!)}${capped}, ${formatBytes(m.rssPerNodeBytes!)}/node`;
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

	header(first: string): string[] {
		return [
			`| ${first} | ${this.columns.map((t) => TARGET_LABELS[t]).join(' | ')} |`,
			`|---|${this.columns.map(() => '---:').join('|')}|`,
		];
	}

	/** A table of one figure of several workloads, one row per workload. */
	figure(ids: string[], key: string, format: Format, label = (w: WorkloadResult) => w.title): string[] {
		const rows = ids.flatMap((id) => {
			const w = this.workload(id);
			if (!w || Object.keys(w.results).length === 0) return [];
			return [`| ${label(w)} | ${this.columns.map((t) => this.cell(id, t, key, format)).join(' | ')} |`];
		});
		return rows.length ? [...this.header('workload'), ...rows] : ['Not measured in this run.'];
	}

	/** A table of several figures of one workload, one row per figure. */
	rows(id: string, figures: [string, string, Format][]): string[] {
		const w = this.workload(id);
		if (!w || Object.keys(w.results).length === 0) return ['Not measured in this run.'];
		return [
			...this.header('figure'),
			...figures.map(
				([label, key, format]) =>
					`| ${label} | ${this.columns.map((t) => this.cell(id, t, key, format)).join(' | ')} |`,
			),
		];
	}
}

const OPS = ['read', 'write', 'dir', 'ta'];
const throughputIds = OPS.flatMap((op) => [`${op}-1`, `${op}-8`]);
const us: Format = (v) => formatSeconds(v);

function targets(t: Tables): string[] {
	const rows: string[] = [];
	const row = (what: string, id: string, key: string, ref: TargetName, format: Format, better: string) => {
		const ts = t.value(id, 'ts', key);
		const other = t.value(id, ref, key);
		if (ts === undefined && other === undefined) return;
		const show = (v: number | undefined) => (v === undefined ? 'n/a' : format(v));
		rows.push(
			`| ${what} | ${show(ts)} | ${TARGET_LABELS[ref]}: ${show(other)} | ${formatRatio(ts, other)} | ${better} |`,
		);
	};
	for (const op of OPS) row(`ops/s, ${op}, 8 clients`, `${op}-8`, 'opsPerSec', 'c', formatCount, 'higher');
	for (const op of OPS)
		row(`daemon CPU per op, ${op}, 8 clients`, `${op}-8`, 'cpuSecsPerOp', 'ocaml', us, 'lower');
	for (const op of OPS)
		row(
			`daemon CPU per op, ${op}, 8 clients`,
			`${op}-8`,
			'cpuSecsPerOp',
			'floor',
			us,
			'lower; 1× is the floor',
		);
	const flat = formatCount(t.results.sizes.flatCount);
	row(
		`time to write ${flat} children of one node`,
		'populate-flat',
		'estimatedSecsForCount',
		'c',
		us,
		'lower',
	);
	row(
		`resident memory per node, ${flat} children`,
		'populate-flat',
		'rssPerNodeBytes',
		'c',
		formatBytes,
		'lower',
	);
	const tree = formatCount(t.results.sizes.treeCount);
	row(
		`resident memory per node, ${tree}-node tree`,
		'populate-tree',
		'rssPerNodeBytes',
		'c',
		formatBytes,
		'lower',
	);
	if (rows.length === 0) return ['Not measured in this run.'];
	return ['| target | tsxenstored | reference | ratio | better |', '|---|---:|---:|---:|---|', ...rows];
}

function populateRows(t: Tables, id: string, count: number): string[] {
	const time = (target: TargetName): string => {
		const m = t.workload(id)?.results[target]?.median;
		if (!m || m.secs === undefined) return t.cell(id, target, 'secs', us);
		const c = t.value(id, 'c', 'estimatedSecsForCount');
		const ratio = target === 'c' ? '' : ` (${formatRatio(m.estimatedSecsForCount, c)})`;
		if (m.complete) return `${formatSeconds(m.secs)}${ratio}`;
		const estimate = Number.isFinite(m.estimatedSecsForCount)
			? formatSeconds(m.estimatedSecsForCount!)
			: 'unknown';
		return `≈ ${estimate} extrapolated${ratio}: stopped after ${formatSeconds(m.secs)} at ${formatCount(m.nodes!)}`;
	};
	const w = t.workload(id);
	if (!w || Object.keys(w.results).length === 0) return ['Not measured in this run.'];
	return [
		...t.header('figure'),
		`| time to write ${formatCount(count)} nodes | ${t.columns.map(time).join(' | ')} |`,
		...t
			.rows(id, [
				['inserts per second', 'insertsPerSec', formatCount],
				['daemon CPU per insert', 'cpuSecsPerNode', us],
				['resident memory per node (RSS after - before) / nodes', 'rssPerNodeBytes', formatBytes],
				['resident memory afterwards', 'rssAfterBytes', formatBytes],
			])
			.slice(2),
	];
}

function spreads(t: Tables): string[] {
	const rows = [...throughputIds, 'contend-8', 'watch-fanout'].flatMap((id) => {
		const w = t.workload(id);
		if (!w || Object.keys(w.results).length === 0) return [];
		const key =
			id === 'contend-8' ? 'commitsPerSec' : id === 'watch-fanout' ? 'allNotifiedSecs' : 'opsPerSec';
		const cells = t.columns.map((target) => {
			const r = w.results[target];
			const s = r?.spread[key];
			if (s === undefined || r!.rounds.length < 2) return '—';
			return `${(s * 100).toFixed(0)}% (${r!.rounds.length} rounds)`;
		});
		return [`| ${w.title} | ${cells.join(' | ')} |`];
	});
	return rows.length ? [...t.header('workload'), ...rows] : [];
}

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
	const live = r.workloads.find((w) => w.id === 'liveupdate');
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
		'',
		'## Targets: tsxenstored against the references',
		'',
		...targets(t),
		'',
		'## Throughput (operations per second; higher is better)',
		'',
		...t.figure(throughputIds, 'opsPerSec', formatCount),
		'',
		"## Daemon CPU time per operation (user + system, from the kernel's accounting; lower is better)",
		'',
		...t.figure(throughputIds, 'cpuSecsPerOp', us),
		'',
		'## Latency seen by a client, 8 clients (p50 / p99)',
		'',
		...t.figure(
			OPS.map((op) => `${op}-8`),
			'p50Secs',
			us,
			(w) => `${w.title}: p50`,
		),
		...t
			.figure(
				OPS.map((op) => `${op}-8`),
				'p99Secs',
				us,
				(w) => `${w.title}: p99`,
			)
			.slice(2),
		'',
		'## Contention: 8 clients incrementing one counter in transactions',
		'',
		...t.rows('contend-8', [
			['successful commits per second', 'commitsPerSec', formatCount],
			['conflicts (EAGAIN, retried) per second', 'conflictsPerSec', formatCount],
			['daemon CPU per successful commit', 'cpuSecsPerCommit', us],
		]),
		...(t.workload('contend-8') && Object.keys(t.workload('contend-8')!.results).length
			? [lostUpdates(t)]
			: []),
		'',
		`## Watch fan-out: ${formatCount(s.watchConns)} connections watching one path, one write`,
		'',
		...t.rows('watch-fanout', [
			['time until every watcher has its event', 'allNotifiedSecs', us],
			['time until half the watchers have it', 'halfNotifiedSecs', us],
			['daemon CPU per write (all events)', 'cpuSecsPerWrite', us],
		]),
		'',
		`## Populating: ${formatCount(s.flatCount)} children of one node, one client`,
		'',
		`Each run stops after ${formatSeconds(s.flatCapSecs)}; a daemon that has not finished by then gets an ` +
			'estimate **extrapolated** from its own progress (least-squares fit of t = a·n + b·n² through its ' +
			'checkpoints), marked as such, and its memory per node is taken at the count it reached.',
		'',
		...populateRows(t, 'populate-flat', s.flatCount),
		'',
		`## Populating: ${formatCount(s.treeCount)} nodes in a tree of fanout ${s.treeFanout}, one client`,
		'',
		...populateRows(t, 'populate-tree', s.treeCount),
		'',
		'## Live update downtime at 200,000 nodes',
		'',
		live?.placeholder ?? 'Not measured in this run.',
		'',
		'## Spread across rounds ((largest - smallest) / median)',
		'',
		...spreads(t),
		'',
		'## Failures',
		'',
		...(failed.length ? failed : ['None.']),
		'',
	].join('\n');
}
