import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ConnectionClosedError, connect, WatchOverflowError } from '../../src/client/index.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { splitStrings } from '../../src/protocol/payload.ts';
import { type FakeServer, type Peer, startFakeServer } from './fake-server.ts';

let server: FakeServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

/** A daemon that acknowledges WATCH with the initial event, as xenstored does, and remembers the peer. */
function watchingDaemon(peers: Peer[], onOther?: (p: Peer) => void) {
	return (p: Peer) => {
		peers.push(p);
		if (p.frame.type === MessageType.WATCH) {
			const [path, token] = splitStrings(p.frame.payload);
			p.reply('OK\0');
			p.event(path!, token!);
		} else if (onOther) onOther(p);
		else p.reply('OK\0');
	};
}

describe('watch', () => {
	it('iterates the initial event, then events routed by token', async () => {
		const peers: Peer[] = [];
		server = await startFakeServer(watchingDaemon(peers));
		const client = await connect({ path: server.path });
		const a = await client.watch('/a', 'ta');
		const b = await client.watch('/b', 'tb', 2);
		const peer = peers[0]!;
		peer.event('/b/x', 'tb');
		peer.event('/a/y', 'ta');
		peer.event('/z', 'unknown-token');
		const ia = a[Symbol.asyncIterator]();
		const ib = b[Symbol.asyncIterator]();
		assert.deepEqual((await ia.next()).value, { path: '/a', token: 'ta' });
		assert.deepEqual((await ia.next()).value, { path: '/a/y', token: 'ta' });
		assert.deepEqual((await ib.next()).value, { path: '/b', token: 'tb' });
		assert.deepEqual((await ib.next()).value, { path: '/b/x', token: 'tb' });
		assert.equal(
			server.received[1]!.payload.toString('latin1'),
			'/b\0tb\x002\0',
			'depth sent as a third string',
		);
		client.close();
	});

	it('makes up distinct tokens and refuses a token already in use', async () => {
		const peers: Peer[] = [];
		server = await startFakeServer(watchingDaemon(peers));
		const client = await connect({ path: server.path });
		const w1 = await client.watch('/a');
		const w2 = await client.watch('/a');
		assert.notEqual(w1.token, w2.token);
		await assert.rejects(client.watch('/b', w1.token), TypeError);
		client.close();
	});

	it('removes the watch from the daemon when a for-await loop is left', async () => {
		const peers: Peer[] = [];
		server = await startFakeServer(watchingDaemon(peers));
		const client = await connect({ path: server.path });
		const w = await client.watch('/a', 'tok');
		for await (const ev of w) {
			assert.equal(ev.path, '/a');
			break;
		}
		const last = server.received.at(-1)!;
		assert.equal(last.type, MessageType.UNWATCH);
		assert.equal(last.payload.toString('latin1'), '/a\0tok\0');
		// the token is free again
		await client.watch('/b', 'tok');
		client.close();
	});

	it('a failed WATCH rejects and leaves no watch behind', async () => {
		server = await startFakeServer((p) =>
			p.frame.type === MessageType.WATCH ? p.error('EINVAL') : p.reply('OK\0'),
		);
		const client = await connect({ path: server.path });
		await assert.rejects(client.watch('bad//path', 'tok'), { code: 'EINVAL' });
		await assert.rejects(
			client.watch('bad//path', 'tok'),
			{ code: 'EINVAL' },
			'token not held by the failed watch',
		);
		client.close();
	});

	it('overflow: keeps what was buffered, then fails with WatchOverflowError and unwatches', async () => {
		const peers: Peer[] = [];
		server = await startFakeServer(watchingDaemon(peers));
		const client = await connect({ path: server.path, watchBuffer: 3 });
		const w = await client.watch('/a', 'tok');
		const peer = peers[0]!;
		for (let i = 0; i < 5; i++) peer.event(`/a/${i}`, 'tok');
		// a round trip: everything sent before its reply has been received
		await client.mkdir('/sync');
		const seen: string[] = [];
		await assert.rejects(
			(async () => {
				for await (const ev of w) seen.push(ev.path);
			})(),
			WatchOverflowError,
		);
		assert.deepEqual(seen, ['/a', '/a/0', '/a/1'], 'the buffered events come first');
		assert.ok(server.received.some((f) => f.type === MessageType.UNWATCH));
		client.close();
	});

	it('unwatch() and resetWatches() end the iteration normally', async () => {
		const peers: Peer[] = [];
		server = await startFakeServer(watchingDaemon(peers));
		const client = await connect({ path: server.path });
		const w1 = await client.watch('/a', 't1');
		const w2 = await client.watch('/b', 't2');
		const w3 = await client.watch('/c', 't3');
		await client.unwatch('/a', 't1');
		await client.resetWatches();
		for (const w of [w1, w2, w3]) {
			const seen = [];
			for await (const ev of w) seen.push(ev);
			assert.ok(seen.length <= 1);
		}
		// RESET_WATCHES already removed them: no UNWATCH is sent for w2 and w3
		assert.equal(server.received.filter((f) => f.type === MessageType.UNWATCH).length, 1);
		client.close();
	});

	it('connection loss ends a waiting iteration with ConnectionClosedError', async () => {
		const peers: Peer[] = [];
		server = await startFakeServer(watchingDaemon(peers));
		const client = await connect({ path: server.path });
		const w = await client.watch('/a', 'tok');
		const it = w[Symbol.asyncIterator]();
		await it.next();
		const waiting = it.next();
		peers[0]!.hangUp();
		await assert.rejects(waiting, ConnectionClosedError);
	});

	it('close() by the client ends iterations normally', async () => {
		const peers: Peer[] = [];
		server = await startFakeServer(watchingDaemon(peers));
		const client = await connect({ path: server.path });
		const w = await client.watch('/a', 'tok');
		const it = w[Symbol.asyncIterator]();
		await it.next();
		const waiting = it.next();
		client.close();
		assert.deepEqual(await waiting, { value: undefined, done: true });
		await w.close();
	});
});
