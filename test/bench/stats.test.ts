import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
	extrapolateAtFinalRate,
	formatBytes,
	formatCount,
	formatRatio,
	formatSeconds,
	median,
	percentile,
	sameRoundRatios,
	secondsAt,
	slope,
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

describe('sameRoundRatios', () => {
	it('divides round by round, so that drift common to both daemons cancels', () => {
		// The machine runs at full speed in rounds 1 and 3 and at half in the others; the daemon
		// measured does 0.8 of the reference's work in every round.
		const r = sameRoundRatios([80, 40, 80, 40, 40], [100, 50, 100, 50, 50]);
		assert.deepEqual(r, { median: 0.8, min: 0.8, max: 0.8 });
	});

	it('gives the median and range of the per-round ratios', () => {
		const r = sameRoundRatios([90, 60, 100], [100, 50, 100]);
		assert.deepEqual(r, { median: 1, min: 0.9, max: 1.2 });
	});

	it('is undefined unless both hold the same rounds, at least two, with no zero reference', () => {
		assert.equal(sameRoundRatios([1, 2, 3], [1, 2]), undefined);
		assert.equal(sameRoundRatios([1], [1]), undefined);
		assert.equal(sameRoundRatios([1, 2], [1, 0]), undefined);
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

describe('secondsAt', () => {
	const points = [
		{ n: 100, t: 1 },
		{ n: 200, t: 3 },
		{ n: 300, t: 7 },
	];
	it('reads a checkpoint exactly and interpolates between checkpoints, from 0 at 0', () => {
		assert.equal(secondsAt(points, 200), 3);
		assert.equal(secondsAt(points, 250), 5);
		assert.equal(secondsAt(points, 50), 0.5);
	});
	it('is NaN for a count never reached', () => {
		assert.ok(Number.isNaN(secondsAt(points, 301)));
		assert.ok(Number.isNaN(secondsAt([], 1)));
	});
});

describe('extrapolateAtFinalRate', () => {
	it('goes on from the last checkpoint at the rate of the last quarter of the run', () => {
		// 1,000 inserts/s at first, then 100/s: the last quarter (t >= 30 of 40) runs at 100/s
		const points = [
			{ n: 10_000, t: 10 },
			{ n: 11_000, t: 20 },
			{ n: 12_000, t: 30 },
			{ n: 13_000, t: 40 },
		];
		assert.equal(extrapolateAtFinalRate(points, 20_000), 40 + 7_000 / 100);
	});
	it('uses the first checkpoint when none falls before the last quarter', () => {
		assert.equal(
			extrapolateAtFinalRate(
				[
					{ n: 100, t: 9 },
					{ n: 200, t: 10 },
				],
				1000,
			),
			10 + 800 / 100,
		);
	});
	it('is NaN with fewer than two checkpoints', () => {
		assert.ok(Number.isNaN(extrapolateAtFinalRate([{ n: 5, t: 1 }], 10)));
		assert.ok(Number.isNaN(extrapolateAtFinalRate([], 10)));
	});
});

describe('slope', () => {
	it('is the growth per unit of x of points on a line', () => {
		assert.equal(slope([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x }))), 2);
		assert.equal(
			slope([
				{ x: 10, y: 4 },
				{ x: 20, y: 4 },
			]),
			0,
		);
	});
	it('fits the line that minimises squared errors through scattered points', () => {
		// y = 1, 3, 2 at x = 0, 1, 2: mean x 1, mean y 2, covariance (-1)(-1) + 0 + (1)(0) = 1
		// over variance 2.
		assert.equal(
			slope([
				{ x: 0, y: 1 },
				{ x: 1, y: 3 },
				{ x: 2, y: 2 },
			]),
			0.5,
		);
	});
	it('is NaN without two distinct x values', () => {
		assert.ok(Number.isNaN(slope([{ x: 1, y: 1 }])));
		assert.ok(
			Number.isNaN(
				slope([
					{ x: 1, y: 1 },
					{ x: 1, y: 2 },
				]),
			),
		);
	});
});
