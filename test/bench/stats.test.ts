import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
	extrapolateSeconds,
	fitLinearQuadratic,
	formatBytes,
	formatCount,
	formatRatio,
	formatSeconds,
	median,
	percentile,
	spread,
	summarize,
} from '../../bench/stats.ts';

describe('median', () => {
	it('takes the middle value of an odd count and the mean of the two middle ones of an even count', () => {
		assert.equal(median([3, 1, 2]), 2);
		assert.equal(median([4, 1, 3, 2]), 2.5);
		assert.equal(median([7]), 7);
	});
	it('does not reorder its argument', () => {
		const values = [3, 1, 2];
		median(values);
		assert.deepEqual(values, [3, 1, 2]);
	});
	it('refuses an empty list', () => {
		assert.throws(() => median([]), /no values/);
	});
});

describe('percentile (nearest rank)', () => {
	// the textbook nearest-rank example: 15, 20, 35, 40, 50
	const sorted = [15, 20, 35, 40, 50];
	it('gives the smallest value with at least p% of the values at or below it', () => {
		assert.equal(percentile(sorted, 5), 15);
		assert.equal(percentile(sorted, 30), 20);
		assert.equal(percentile(sorted, 40), 20);
		assert.equal(percentile(sorted, 50), 35);
		assert.equal(percentile(sorted, 100), 50);
	});
	it('reads a typed array, as the latency samples are', () => {
		const samples = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
		assert.equal(percentile(samples, 50), 500);
		assert.equal(percentile(samples, 99), 990);
	});
	it('refuses p outside (0, 100] and empty input', () => {
		assert.throws(() => percentile(sorted, 0), /outside/);
		assert.throws(() => percentile(sorted, 101), /outside/);
		assert.throws(() => percentile([], 50), /no values/);
	});
});

describe('spread', () => {
	it('is (largest - smallest) / median, 0 for one value', () => {
		assert.equal(spread([90, 100, 110]), 0.2);
		assert.equal(spread([5]), 0);
	});
});

describe('summarize', () => {
	it('takes medians figure by figure and leaves out figures not measured (NaN)', () => {
		const s = summarize([
			{ ops: 10, est: Number.NaN },
			{ ops: 30, est: 5 },
			{ ops: 20, est: Number.NaN },
		]);
		assert.deepEqual(s.median, { ops: 20, est: 5 });
		assert.deepEqual(s.spread, { ops: 1, est: 0 });
	});
	it('omits a figure no round measured', () => {
		assert.deepEqual(summarize([{ est: Number.NaN }]).median, {});
	});
});

describe('formatting', () => {
	it('formats ratios with two decimals, two significant digits below 1, none from 10', () => {
		assert.equal(formatRatio(123.4, 100), '1.23×');
		assert.equal(formatRatio(4.41, 100), '0.044×');
		assert.equal(formatRatio(1320, 100), '13×');
		assert.equal(formatRatio(100, 100), '1.00×');
	});
	it('says n/a when a side is missing or the reference is zero', () => {
		assert.equal(formatRatio(undefined, 1), 'n/a');
		assert.equal(formatRatio(1, undefined), 'n/a');
		assert.equal(formatRatio(1, 0), 'n/a');
		assert.equal(formatRatio(Number.NaN, 1), 'n/a');
	});
	it('formats counts with thousands separators', () => {
		assert.equal(formatCount(40738.9), '40,739');
		assert.equal(formatCount(12), '12');
	});
	it('formats durations in the unit that reads best', () => {
		assert.equal(formatSeconds(8.5e-7), '850 ns');
		assert.equal(formatSeconds(1.234e-5), '12.3 µs');
		assert.equal(formatSeconds(0.0045), '4.50 ms');
		assert.equal(formatSeconds(2.5), '2.50 s');
		assert.equal(formatSeconds(604.6), '605 s');
	});
	it('formats sizes in binary units', () => {
		assert.equal(formatBytes(312), '312 B');
		assert.equal(formatBytes(1536), '1.50 KiB');
		assert.equal(formatBytes(19.7 * 1024 ** 2), '19.7 MiB');
		assert.equal(formatBytes(24 * 1024 ** 3), '24.0 GiB');
	});
});

describe('fitLinearQuadratic / extrapolateSeconds', () => {
	const a = 5e-5;
	const b = 1.5e-8;
	const exact = [2000, 4000, 6000, 8000, 10000].map((n) => ({ n, t: a * n + b * n * n }));
	it('recovers the coefficients of points that lie on t = a·n + b·n²', () => {
		const fit = fitLinearQuadratic(exact);
		assert.ok(Math.abs(fit.a - a) / a < 1e-9, `a = ${fit.a}`);
		assert.ok(Math.abs(fit.b - b) / b < 1e-9, `b = ${fit.b}`);
	});
	it('extrapolates to a count beyond the checkpoints', () => {
		const t = extrapolateSeconds(exact, 200_000);
		assert.ok(Math.abs(t - (a * 200_000 + b * 200_000 ** 2)) < 1e-6, `t = ${t}`);
	});
	it('stays exact at counts whose fourth powers are large (1,000,000 nodes)', () => {
		const big = [1e5, 2e5, 3e5].map((n) => ({ n, t: a * n + b * n * n }));
		const t = extrapolateSeconds(big, 1e6);
		assert.ok(Math.abs(t - (a * 1e6 + b * 1e12)) / t < 1e-9, `t = ${t}`);
	});
	it('refuses fewer than two distinct counts', () => {
		assert.throws(() => fitLinearQuadratic([{ n: 10, t: 1 }]), /two or more/);
		assert.throws(() => fitLinearQuadratic([]), /two or more/);
	});
});
