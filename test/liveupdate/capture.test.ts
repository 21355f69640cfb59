import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureState, stopReading } from '../../src/liveupdate/capture.ts';
import { UINT16_MAX } from '../../src/migration/constants.ts';
import { encodeFrame } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import type { Connection } from '../../src/server/connection.ts';
import { listeningDaemon, openSocket } from '../harness/in-process-daemon.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsxs-capture-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('capturing the state for a live update', () => {
	it('closes a connection with more unhandled input than a record holds, instead of failing the update', async (t) => {
		const daemon = await listeningDaemon(dir);
		const quiet = await openSocket(join(dir, 'socket'));
		const flooding = await openSocket(join(dir, 'socket'));
		t.after(() => {
			quiet.destroy();
			flooding.destroy();
			daemon.listener?.close();
		});
		await sleep(50);
		const [requester, victim] = [...daemon.connections.values()] as [Connection, Connection];
		daemon.holdAll();
		// Requests pipelined while requests are held: none is handled, all wait in the connection.
		const request = encodeFrame(MessageType.READ, 1, 0, '/x\0');
		flooding.write(
			Buffer.concat(Array.from({ length: Math.ceil((UINT16_MAX + 1) / request.length) }, () => request)),
		);
		await sleep(200);
		stopReading(daemon);
		const captured = captureState(daemon, 'tsxenstored', requester, Buffer.alloc(0), 'little', (fd) => fd);
		assert.equal(victim.closed, true);
		assert.match(captured.losses.join('\n'), /unhandled input/);
		assert.equal(requester.closed, false);
	});
});
