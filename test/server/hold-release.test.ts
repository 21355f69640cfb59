import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeFrame } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import type { Connection } from '../../src/server/connection.ts';
import { listeningDaemon, openSocket } from '../harness/in-process-daemon.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsxs-hold-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Wait until `done` holds (a loaded machine may take its time), for at most 5 s. */
async function until(done: () => boolean): Promise<void> {
	for (let waited = 0; !done(); waited += 10) {
		if (waited > 5000) throw new Error('timed out');
		await sleep(10);
	}
}

describe('holding and releasing connections (live update)', () => {
	it('answers a request that arrived while held as it is released, not at the end of the turn', async (t) => {
		const daemon = await listeningDaemon(dir);
		const client = await openSocket(join(dir, 'socket'));
		t.after(() => {
			client.destroy();
			daemon.listener?.close();
		});
		await until(() => daemon.connections.size === 1);
		const [conn] = [...daemon.connections.values()] as [Connection];
		daemon.holdAll();
		client.write(encodeFrame(MessageType.READ, 7, 0, '/\0'));
		await until(() => conn.unprocessedInput().length > 0);
		// Held: the request was read, and nothing was answered.
		const written: Buffer[] = [];
		const write = conn.transport.write.bind(conn.transport);
		conn.transport.write = (chunk: Buffer) => {
			written.push(Buffer.from(chunk));
			return write(chunk);
		};
		assert.equal(written.length, 0);
		daemon.releaseAll();
		// Within the same turn: after a live update's restore the end of the turn is far off.
		assert.equal(written.length, 1);
		assert.equal(written[0]!.readUInt32LE(0), MessageType.READ);
		assert.equal(written[0]!.readUInt32LE(4), 7);
		const reply = await new Promise<Buffer>((resolve) => client.once('data', resolve));
		assert.equal(reply.readUInt32LE(4), 7);
	});
});
