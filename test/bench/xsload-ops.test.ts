import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEEP_BASE, DEEP_ELEMENTS } from '../../bench/workloads.ts';
import { buildXsload, runXsload } from '../../bench/xsload.ts';
import { connect, type XenstoreError } from '../../src/client/index.ts';
import { listeningDaemon } from '../harness/in-process-daemon.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsxs-xsload-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NODES = 5;
const WATCHES = 3;

describe('the throughput load generator (xsload ops)', () => {
	it('with -b keeps its nodes and the watches of -W under the base, and nothing in /bench', {
		timeout: 60_000,
	}, async () => {
		const daemon = await listeningDaemon(dir);
		const socket = join(dir, 'socket');
		let watchesWhileCounting = 0;
		let heardAtBase = 0;
		const out = await runXsload({
			binary: buildXsload(),
			socket,
			args: ['ops', 'write', '2', '0.3', '-w', '0.1', '-n', String(NODES), '-W', String(WATCHES)].concat([
				'-b',
				DEEP_BASE,
			]),
			onMeasure: () => {
				watchesWhileCounting = daemon.store.watches.size;
				heardAtBase = daemon.store.watches.matching(`${DEEP_BASE}/w1`, true)?.length ?? 0;
			},
			timeoutMs: 30_000,
		});
		assert.ok(Number(out.result.ops) > 0, `no writes counted: ${JSON.stringify(out.result)}`);
		assert.equal(out.result.errors, '0');
		assert.equal(watchesWhileCounting, WATCHES);
		assert.equal(heardAtBase, 1, `no watch set on ${DEEP_BASE}/w1`);

		const client = await connect({ path: socket });
		try {
			const names = await client.directory(DEEP_BASE);
			assert.deepEqual(
				names.sort(),
				Array.from({ length: NODES }, (_, i) => `n${i}`).sort(),
				'the nodes written are the base’s children, and only they (watches make no node)',
			);
			// Each client writes `v<n>` over the `value` every node starts with; 2 clients for 0.4 s
			// write far more often than there are nodes.
			const values = await Promise.all(names.map((n) => client.read(`${DEEP_BASE}/${n}`)));
			assert.ok(
				values.some((v) => /^v\d+$/.test(v.toString())),
				'no node was written by the loop',
			);
			await assert.rejects(client.read('/bench'), (e: XenstoreError) => e.code === 'ENOENT');
		} finally {
			client.close();
			await daemon.shutdown();
		}
		assert.equal(`${DEEP_BASE}/n0`.split('/').length - 1, DEEP_ELEMENTS);
	});
});
