import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureState, stopReading } from '../../src/liveupdate/capture.ts';
import { restoreStream } from '../../src/liveupdate/restore.ts';
import { UINT16_MAX } from '../../src/migration/constants.ts';
import { emptyState } from '../../src/migration/state.ts';
import { encodeFrame } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import type { Connection } from '../../src/server/connection.ts';
import type { SocketTransport } from '../../src/server/socket-transport.ts';
import { valueBytes, valueFromBytes } from '../../src/store/node.ts';
import type { Caller } from '../../src/store/perms.ts';
import { Store } from '../../src/store/store.ts';
import { daemonWithClients, listeningDaemon, openSocket } from '../harness/in-process-daemon.ts';

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

	it('leaves out the clients the successor already holds that have nothing to carry over', async (t) => {
		const { daemon, sockets } = await daemonWithClients(t, join(dir, 'prepared'), 5);
		const [, , watching, pending] = sockets as [Socket, Socket, Socket, Socket, Socket];
		watching.write(encodeFrame(MessageType.WATCH, 1, 0, '/w\0token\0'));
		await sleep(50);
		daemon.holdAll();
		pending.write(encodeFrame(MessageType.READ, 2, 0, '/x\0'));
		await sleep(50);
		const [requester, idle, watcher, waiting, unprepared] = [...daemon.connections.values()] as Connection[];
		// The successor holds a connection for every client but the last (which came too late).
		const placed = new Map<Connection, number>(
			[requester!, idle!, watcher!, waiting!].map((c, i) => [c, 100 + i]),
		);
		const fd = (c: Connection) => (c.transport as SocketTransport).fd;
		stopReading(daemon);
		const captured = captureState(daemon, 'tsxenstored', requester!, Buffer.from('OK'), 'little', (n) => n, {
			prepared: (c) => placed.get(c),
		});
		assert.deepEqual(captured.extras.quiet, [101]);
		const state = emptyState();
		restoreStream(new Store({ bare: true }), captured.stream, state);
		const inStream = state.connections.flatMap((c) => (c.spec.kind === 'socket' ? [c.spec.fd] : []));
		// The requester last, with its reply; a watch, unhandled input, or no connection waiting in
		// the successor each keeps a connection in the stream.
		assert.deepEqual(inStream.sort(), [watcher, waiting, unprepared, requester].map((c) => fd(c!)).sort());
		assert.equal(state.watches.length, 1);
		assert.equal(state.connections.at(-1)!.pendingOut.toString(), 'OK');
	});

	it('lists the quiet clients that sent something lately first: the successor reads them first', async (t) => {
		const { daemon, sockets } = await daemonWithClients(t, join(dir, 'recent'), 4);
		// The last client reads a node and takes its reply: quiet again, but lately active.
		const active = sockets[3]!;
		const replied = new Promise((resolve) => active.once('data', resolve));
		active.write(encodeFrame(MessageType.READ, 1, 0, '/\0'));
		await replied;
		const [requester, ...others] = [...daemon.connections.values()] as Connection[];
		const placed = new Map<Connection, number>(others.map((c, i) => [c, 200 + i]));
		daemon.holdAll();
		const captured = captureState(daemon, 'tsxenstored', requester!, Buffer.from('OK'), 'little', (n) => n, {
			prepared: (c) => placed.get(c),
		});
		assert.deepEqual(captured.extras.quiet, [202, 200, 201]);
	});
	it('rehearses without the nodes changed since the snapshot only when they are many', async (t) => {
		const { daemon } = await daemonWithClients(t, join(dir, 'rehearsal'), 1);
		await sleep(50);
		const [requester] = [...daemon.connections.values()] as [Connection];
		const { store } = daemon;
		const dom0: Caller = { domid: 0, privileged: true, target: undefined };
		const since = store.tree.generation;
		store.write(dom0, undefined, '/changed', valueFromBytes(Buffer.from('new')));
		const base = { file: 'snapshot', since };
		/** The nodes a capture wrote, read back into a store of its own. */
		const nodesOf = (rehearsal: boolean): string | undefined => {
			const { stream } = captureState(
				daemon,
				'tsxenstored',
				requester,
				Buffer.from('OK'),
				'little',
				(n) => n,
				{
					base,
					rehearsal,
					connections: daemon.connections.size,
				},
			);
			const read = new Store({ bare: true });
			restoreStream(read, stream, emptyState());
			const node = read.tree.lookup('/changed');
			return node === undefined ? undefined : valueBytes(node.value).toString();
		};
		assert.equal(nodesOf(true), 'new');
		// Thousands of changes since: only the real capture writes them.
		for (let i = 0; i < 2000; i++)
			store.write(dom0, undefined, '/changed', valueFromBytes(Buffer.from(`v${i}`)));
		assert.equal(nodesOf(true), undefined);
		assert.equal(nodesOf(false), 'v1999');
	});
});
