import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { probe } from '../../bench/liveupdate.ts';
import { buildXsload } from '../../bench/xsload.ts';
import { connect } from '../../src/client/index.ts';
import { listeningDaemon } from '../harness/in-process-daemon.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsxs-probe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const STALL_MS = 200;
/** How much later than it was sent the probe may read a reply on a busy machine. */
const READ_SLACK_MS = 20;

describe('the live-update benchmark downtime probe (xsload probe)', () => {
	it('reports the longest wait between two replies, and ends on the stop signal', {
		timeout: 60_000,
	}, async () => {
		const daemon = await listeningDaemon(dir);
		const socket = join(dir, 'socket');
		const client = await connect({ path: socket });
		await client.write('/lu-probe', 'p');
		const watcher = await probe(buildXsload(), socket);
		await new Promise((r) => setTimeout(r, 100));
		// The daemon runs in this process: blocking it here is a gap the probe must see in full.
		const until = performance.now() + STALL_MS;
		while (performance.now() < until) {
			// busy: no request is answered meanwhile
		}
		await new Promise((r) => setTimeout(r, 100));
		const seen = await watcher.stop();
		client.close();
		await daemon.shutdown();
		const gapMs = seen.maxGapSecs * 1000;
		// The probe times each reply as it reads it: one sent just before the stall and read a moment
		// later (the probe waiting for a core, with other tests running) shortens the gap it sees.
		assert.ok(
			gapMs >= STALL_MS - READ_SLACK_MS,
			`longest gap ${gapMs} ms, the daemon stalled ${STALL_MS} ms`,
		);
		assert.ok(gapMs < STALL_MS + 1000, `longest gap ${gapMs} ms is more than the stall explains`);
		assert.ok(seen.reads > 10, `only ${seen.reads} reads in 400 ms`);
	});
});
