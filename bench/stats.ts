/** The arithmetic of the benchmark: pure functions, unit-tested in test/bench/. */

/** Median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
	if (values.length === 0) throw new Error('median of no values');
	const sorted = [...values].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The p-th percentile (0 < p <= 100) of values sorted ascending, by nearest rank: the smallest
 * value with at least p% of the values at or below it. Always one of the measured values.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
	if (sorted.length === 0) throw new Error('percentile of no values');
	if (!(p > 0 && p <= 100)) throw new Error(`percentile ${p} is outside (0, 100]`);
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[rank - 1]!;
}

/** (largest - smallest) / median: how far apart the rounds were, 0 for one round. */
export function spread(values: readonly number[]): number {
	const m = median(values);
	return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / m;
}

/**
 * The ratio of two daemons measured in the same rounds, round by round: `values[i] /
 * references[i]`. Daemons alternate within a round, so the machine's speed, which drifts from
 * round to round on a shared host, affects both sides of each ratio alike. Undefined unless both
 * lists hold the same rounds (same length, at least two) and no reference is 0.
 */
export function sameRoundRatios(
	values: readonly number[],
	references: readonly number[],
): { median: number; min: number; max: number } | undefined {
	if (values.length < 2 || values.length !== references.length) return undefined;
	if (references.some((r) => r === 0)) return undefined;
	const ratios = values.map((v, i) => v / references[i]!);
	return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/** `value / reference` as `1.23×`, or `n/a` when either is missing or the reference is 0. */
export function formatRatio(value: number | undefined, reference: number | undefined): string {
	if (value === undefined || reference === undefined || reference === 0 || !Number.isFinite(value)) {
		return 'n/a';
	}
	const r = value / reference;
	return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

/** A count or rate with thousands separators and no decimals: 40738.9 -> `40,739`. */
export function formatCount(value: number): string {
	return Math.round(value).toLocaleString('en-US');
}

/** A duration given in seconds, in the unit that reads best: `850 ns`, `12.3 µs`, `4.5 ms`, `605 s`. */
export function formatSeconds(secs: number): string {
	const abs = Math.abs(secs);
	if (abs < 1e-6) return `${(secs * 1e9).toPrecision(3)} ns`;
	if (abs < 1e-3) return `${(secs * 1e6).toPrecision(3)} µs`;
	if (abs < 1) return `${(secs * 1e3).toPrecision(3)} ms`;
	return `${secs >= 100 ? secs.toFixed(0) : secs.toPrecision(3)} s`;
}

/** A size in bytes: `312 B`, `1.50 KiB`, `19.7 MiB`, `23.5 GiB`. */
export function formatBytes(bytes: number): string {
	const abs = Math.abs(bytes);
	if (abs < 1024) return `${Math.round(bytes)} B`;
	if (abs < 1024 ** 2) return `${(bytes / 1024).toPrecision(3)} KiB`;
	if (abs < 1024 ** 3) return `${(bytes / 1024 ** 2).toPrecision(3)} MiB`;
	return `${(bytes / 1024 ** 3).toPrecision(3)} GiB`;
}

export interface Checkpoint {
	/** Inserts done so far. */
	n: number;
	/** Seconds since the first insert. */
	t: number;
}

/** Seconds at which `n` inserts were done, interpolated between checkpoints; NaN if never reached. */
export function secondsAt(points: readonly Checkpoint[], n: number): number {
	let previous: Checkpoint = { n: 0, t: 0 };
	for (const p of points) {
		if (p.n >= n) return previous.t + ((n - previous.n) / (p.n - previous.n)) * (p.t - previous.t);
		previous = p;
	}
	return Number.NaN;
}

/**
 * Seconds to reach `count` inserts had the run gone on at the rate of its last quarter (by time):
 * an estimate for a run stopped early, not a measurement. NaN without two checkpoints to go by.
 */
export function extrapolateAtFinalRate(points: readonly Checkpoint[], count: number): number {
	const last = points.at(-1);
	if (!last || points.length < 2) return Number.NaN;
	const from = points.findLast((p) => p.t <= last.t * 0.75) ?? points[0]!;
	if (from === last) return Number.NaN;
	const rate = (last.n - from.n) / (last.t - from.t);
	return last.t + (count - last.n) / rate;
}

export interface Summary {
	median: Record<string, number>;
	/** Per figure, (largest - smallest) / median over the rounds. */
	spread: Record<string, number>;
}

/** Medians and spreads, figure by figure, of several rounds' figures; NaN (not measured) is left out. */
export function summarize(rounds: readonly Record<string, number>[]): Summary {
	const out: Summary = { median: {}, spread: {} };
	const keys = new Set(rounds.flatMap((r) => Object.keys(r)));
	for (const key of keys) {
		const values = rounds.map((r) => r[key]).filter((v): v is number => v !== undefined && !Number.isNaN(v));
		if (values.length === 0) continue;
		out.median[key] = median(values);
		out.spread[key] = spread(values);
	}
	return out;
}

/**
 * The least-squares slope of `y` against `x` (units of y per unit of x): how fast a figure sampled
 * over time grows. NaN for fewer than two points or when every x is the same.
 */
export function slope(points: readonly { x: number; y: number }[]): number {
	if (points.length < 2) return Number.NaN;
	const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
	const my = points.reduce((s, p) => s + p.y, 0) / points.length;
	let num = 0;
	let den = 0;
	for (const p of points) {
		num += (p.x - mx) * (p.y - my);
		den += (p.x - mx) ** 2;
	}
	return den === 0 ? Number.NaN : num / den;
}
