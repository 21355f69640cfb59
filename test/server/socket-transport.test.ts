import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SocketTransport } from '../../src/server/socket-transport.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsxs-transport-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A connected pair: the daemon's side (not yet read from) and the peer's. */
async function pair(name: string): Promise<{ served: Socket; peer: Socket; close(): void }> {
	const server = createServer();
	const path = join(dir, name);
	const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
	await new Promise<void>((resolve) => server.listen(path, resolve));
	const peer = connect(path);
	const served = await accepted;
	return {
		served,
		peer,
		close() {
			peer.destroy();
			served.destroy();
			server.close();
		},
	};
}

describe('SocketTransport', () => {
	it('reads nothing after handing over what it held back, until resumed', async (t) => {
		const { served, peer, close } = await pair('held-back');
		t.after(close);
		const transport = new SocketTransport(served);
		const got: string[] = [];
		transport.attach({
			data: (chunk) => {
				got.push(chunk.toString());
				// A connection that must wait pauses from inside its data handler: nothing may be
				// read after it, by the handle or by the socket's stream.
				transport.pause();
			},
			drain() {},
			close() {},
			reset() {},
		});
		peer.write('first');
		await sleep(50);
		assert.deepEqual(got, ['first']);
		transport.deliverHeldBack();
		peer.write('second');
		await sleep(100);
		// Still in the kernel, where a live update's successor would find it.
		assert.deepEqual(got, ['first']);
		assert.equal(served.readableLength, 0);
		transport.resume();
		await sleep(50);
		assert.deepEqual(got, ['first', 'second']);
	});

	it('delivers first what the socket had read before it was attached, then what follows', async (t) => {
		const { served, peer, close } = await pair('read-before');
		t.after(close);
		// A socket Node has already read from (a live update's successor can receive such a one over
		// its channel): the bytes wait in the socket's stream, not in the kernel.
		peer.write('early');
		await sleep(50);
		assert.equal(served.readableLength, 'early'.length);
		const transport = new SocketTransport(served);
		const got: string[] = [];
		transport.attach({ data: (chunk) => got.push(chunk.toString()), drain() {}, close() {}, reset() {} });
		assert.deepEqual(got, ['early']);
		peer.write('later');
		await sleep(50);
		assert.deepEqual(got, ['early', 'later']);
	});

	it('names its descriptor while open, and none once closed', async (t) => {
		const { served, close } = await pair('descriptor');
		t.after(close);
		const handleFd = (served as unknown as { _handle: { fd: number } })._handle.fd;
		const transport = new SocketTransport(served);
		transport.attach({ data() {}, drain() {}, close() {}, reset() {} });
		assert.ok(handleFd > 2);
		assert.equal(transport.fd, handleFd);
		transport.close('test over');
		// A closed socket's number may be reused by the next one accepted: it must not be passed on.
		assert.equal(transport.fd, -1);
	});

	it('reports a socket closed before it was attached as closed', async (t) => {
		const { served, peer, close } = await pair('gone-before');
		t.after(close);
		peer.destroy();
		served.destroy();
		await new Promise((resolve) => served.once('close', resolve));
		const transport = new SocketTransport(served);
		const closed: string[] = [];
		transport.attach({ data() {}, drain() {}, close: (reason) => closed.push(reason), reset() {} });
		assert.deepEqual(closed, ['peer closed the connection before it was served']);
	});

	it('holds what the kernel does not take, and delivers everything in order once the peer reads', async (t) => {
		const { served, peer, close } = await pair('backlog');
		t.after(close);
		peer.pause();
		const transport = new SocketTransport(served);
		let drained = 0;
		transport.attach({ data() {}, drain: () => drained++, close() {}, reset() {} });
		// Far more than a Unix socket's buffers hold: the kernel takes part, the rest waits.
		const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i));
		const accepted = chunks.map((chunk) => transport.write(chunk));
		assert.equal(accepted.at(-1), false, 'back-pressure is reported past the high-water mark');
		assert.equal(transport.settled(), false);
		const expected = Buffer.concat(chunks);
		const got: Buffer[] = [];
		let length = 0;
		await new Promise<void>((resolve) => {
			peer.on('data', (chunk: Buffer) => {
				got.push(chunk);
				length += chunk.length;
				if (length >= expected.length) resolve();
			});
			peer.resume();
		});
		assert.ok(Buffer.concat(got).equals(expected), 'every byte arrives, in the order written');
		await sleep(20);
		assert.ok(drained > 0, 'the connection hears that it may write again');
		assert.equal(transport.settled(), true);
	});
});
