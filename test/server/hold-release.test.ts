import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeFrame } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import type { Connection } from '../../src/server/connection.ts';
import { daemonWithClients, listeningDaemon, openSocket } from '../harness/in-process-daemon.ts';

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

describe('releasing connections a batch per turn (live update)', () => {
	const CLIENTS = 150;

	/** CLIENTS clients, held, each with a request read and not answered; `answered` counts replies per connection. */
	async function heldWithRequests(t: TestContext, name: string) {
		const { daemon, sockets: clients } = await daemonWithClients(t, join(dir, name), CLIENTS);
		await until(() => daemon.connections.size === CLIENTS);
		const conns = [...daemon.connections.values()];
		// Each held by itself, as a live-update successor prepares them: the daemon is not holding.
		for (const conn of conns) conn.hold();
		for (const c of clients) c.write(encodeFrame(MessageType.READ, 1, 0, '/\0'));
		await until(() => conns.every((c) => c.unprocessedInput().length > 0));
		const answered = new Set<Connection>();
		for (const conn of conns) {
			const write = conn.transport.write.bind(conn.transport);
			conn.transport.write = (chunk: Buffer) => {
				answered.add(conn);
				return write(chunk);
			};
		}
		return { daemon, conns, answered };
	}

	const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

	it('releases some at once and the rest over later turns, in the order given', async (t) => {
		const { daemon, conns, answered } = await heldWithRequests(t, 'turns');
		daemon.releaseInTurns(conns);
		const first = answered.size;
		assert.ok(first > 0 && first < CLIENTS, `${first} of ${CLIENTS} released in the first turn`);
		assert.deepEqual([...answered], conns.slice(0, first));
		let turns = 1;
		while (answered.size < CLIENTS && turns < 100) {
			await nextTurn();
			turns++;
		}
		assert.equal(answered.size, CLIENTS);
		assert.ok(turns > 2, `all released in ${turns} turns`);
	});

	it('stops when connections are held again, and leaves the rest to releaseAll', async (t) => {
		const { daemon, conns, answered } = await heldWithRequests(t, 'held-again');
		daemon.releaseInTurns(conns);
		const first = answered.size;
		daemon.holdAll();
		for (let i = 0; i < 5; i++) await nextTurn();
		assert.equal(answered.size, first);
		daemon.releaseAll();
		assert.equal(answered.size, CLIENTS);
	});
});
