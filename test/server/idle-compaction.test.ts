import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	compactionDue,
	DEFAULT_IDLE_COMPACTION,
	IdleCompaction,
	type IdleCompactionOptions,
} from '../../src/server/idle-compaction.ts';
import type { Logger } from '../../src/server/log.ts';

function recorder(): { log: Logger; lines: string[] } {
	const lines: string[] = [];
	const keep = (m: string) => {
		lines.push(m);
	};
	return { log: { error: keep, warn: keep, info: keep, debug: keep }, lines };
}

describe('compactionDue', () => {
	const o = DEFAULT_IDLE_COMPACTION;
	it('waits for a change of minChange nodes and a tenth of the store', () => {
		assert.equal(compactionDue(0, o.minChange - 1, 0, o), false);
		assert.equal(compactionDue(0, o.minChange, 0, o), true);
		// 1,000,000 nodes at the last compaction: 20,000 more is not a tenth.
		assert.equal(compactionDue(0, 1_020_000, 1_000_000, o), false);
		assert.equal(compactionDue(0, 1_100_000, 1_000_000, o), true);
	});
	it('counts removals as change too', () => {
		assert.equal(compactionDue(0, 100_000, 200_000, o), true);
	});
	it('never runs while the loop was busy', () => {
		assert.equal(compactionDue(o.maxUtilization * 2, 1_000_000, 0, o), false);
		assert.equal(compactionDue(o.maxUtilization, 1_000_000, 0, o), true);
	});
});

describe('IdleCompaction', () => {
	it('collects garbage the heap still holds, and says so', () => {
		const { log, lines } = recorder();
		const idle = new IdleCompaction(() => 123_456, log);
		let garbage: number[][] | undefined = Array.from({ length: 200_000 }, (_, i) => [i, i + 1]);
		const held = process.memoryUsage().heapUsed;
		assert.equal(garbage.length, 200_000);
		garbage = undefined;
		idle.compact();
		const after = process.memoryUsage().heapUsed;
		// 200,000 two-element arrays are well over 8 MB.
		assert.ok(after < held - 8 * 1024 * 1024, `heap ${held} -> ${after} bytes`);
		assert.equal(lines.length, 1);
		assert.match(lines[0]!, /^idle with 123456 nodes: compacted the heap in \d+ ms/);
	});

	it('compacts on its own when idle after the store changed, once per change', async () => {
		const { log, lines } = recorder();
		let count = 50;
		// A test process is never quite idle: accept a busier loop than the daemon does.
		const options: IdleCompactionOptions = { intervalMs: 20, minChange: 10, maxUtilization: 0.5 };
		const idle = new IdleCompaction(() => count, log, options);
		idle.start();
		try {
			await sleep(300);
			assert.equal(lines.length, 1, lines.join('\n'));
			count = 52; // under minChange: nothing to do
			await sleep(200);
			assert.equal(lines.length, 1, lines.join('\n'));
			count = 100;
			await sleep(300);
			assert.equal(lines.length, 2, lines.join('\n'));
			assert.match(lines[1]!, /^idle with 100 nodes/);
		} finally {
			idle.stop();
		}
	});
});
