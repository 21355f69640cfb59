import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Churn, EXPECTED_ERRORS } from '../../bench/churn.ts';
import { type SoakSample, summarizeSoak, unexpectedErrors } from '../../bench/soak.ts';
import { connect } from '../../src/client/index.ts';
import { type Daemon, startTsxenstored } from '../harness/daemons.ts';

function sample(t: number, anonBytes: number, extra: Partial<SoakSample> = {}): SoakSample {
	return {
		t,
		rssBytes: anonBytes + 1000,
		anonBytes,
		cpuSecs: 0.5,
		ops: 100,
		p99Secs: 0.001,
		maxSecs: 0.002,
		events: 0,
		errors: {},
		...extra,
	};
}

describe('summarizeSoak', () => {
	it('takes memory a quarter of the way and at the end, and the growth over the second half', () => {
		// 60 s apart; anonymous memory flat at 1,000 for the first half, then 600 bytes more a
		// minute.
		const samples = [0, 1, 2, 3, 4, 5, 6].map((m) =>
			sample(60 * (m + 1), m < 3 ? 1000 : 1000 + 600 * (m - 3)),
		);
		const s = summarizeSoak(samples);
		assert.equal(s.anonSettled, 1000, 'the first sample at or after 105 s is at 120 s');
		assert.equal(s.anonEnd, 2800);
		assert.equal(s.rssEnd, 3800);
		assert.ok(Math.abs(s.anonGrowthPerMinute - 600) < 1e-9, `growth ${s.anonGrowthPerMinute}`);
		assert.equal(s.cpuPerOperationSecs, 0.005, '3.5 CPU seconds over 700 requests');
	});

	it('keeps the worst p99 and the slowest request of all samples', () => {
		const s = summarizeSoak([
			sample(10, 1, { p99Secs: 0.004, maxSecs: 0.01 }),
			sample(20, 1, { maxSecs: 0.03 }),
		]);
		assert.equal(s.worstP99Secs, 0.004);
		assert.equal(s.maxSecs, 0.03);
	});
});

describe('unexpectedErrors', () => {
	it('counts every error answer the mix does not provoke itself', () => {
		const samples = [
			sample(10, 1, { errors: { ENOENT: 5, EIO: 1 } }),
			sample(20, 1, { errors: { EAGAIN: 2, EIO: 2, EACCES: 1 } }),
		];
		assert.deepEqual(unexpectedErrors(samples), ['EIO 3 times', 'EACCES 1 times']);
		assert.deepEqual(unexpectedErrors([sample(10, 1, { errors: { ENOENT: 5, EAGAIN: 1 } })]), []);
	});
});

describe('Churn against tsxenstored', () => {
	let daemon: Daemon;
	before(async () => {
		daemon = await startTsxenstored();
	});
	after(async () => {
		await daemon?.stop();
	});

	it('makes every kind of request, gets events, and leaves a store of bounded size', async () => {
		const churn = new Churn({ socket: daemon.socket, clients: 4, rate: 2000, seed: 3 });
		churn.start();
		await new Promise((r) => setTimeout(r, 2000));
		const w = churn.take();
		await churn.stop();
		assert.ok(
			w.ops > 0 && w.latencies.length === w.ops,
			`${w.ops} requests, ${w.latencies.length} latencies`,
		);
		assert.ok(w.events > 0, 'watch events reached the churn');
		for (const code of Object.keys(w.errors)) assert.ok(EXPECTED_ERRORS.includes(code), `unexpected ${code}`);
		assert.ok((w.errors.ENOENT ?? 0) > 0, 'reads of removed nodes answered ENOENT');

		await using client = await connect({ path: daemon.socket });
		const groups = await client.directory('/soak');
		assert.ok(groups.length > 0 && groups.length <= 20, `groups: ${groups.join(' ')}`);
		for (const g of groups) assert.ok((await client.directory(`/soak/${g}`)).length <= 300);
	});
});
