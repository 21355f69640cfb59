import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeFrame, FrameReader } from '../../src/protocol/frame.ts';
import { HEADER_SIZE } from '../../src/protocol/header.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { type Daemon, startTsxenstored } from '../harness/daemons.ts';
import { openSocket as open } from '../harness/in-process-daemon.ts';

/** Send raw bytes and collect `n` reply frames. */
function exchange(sock: Socket, bytes: Buffer, n: number): Promise<Array<{ type: number; payload: string }>> {
	const reader = new FrameReader();
	const got: Array<{ type: number; payload: string }> = [];
	return new Promise((resolve, reject) => {
		const onData = (chunk: Buffer) => {
			reader.push(chunk);
			for (let f = reader.next(); f; f = reader.next())
				got.push({ type: f.type, payload: f.payload.toString('latin1') });
			if (got.length >= n) {
				sock.off('data', onData);
				resolve(got);
			}
		};
		sock.on('data', onData);
		sock.once('error', reject);
		sock.write(bytes);
	});
}

describe('tsxenstored daemon', () => {
	let daemon: Daemon;
	before(async () => {
		daemon = await startTsxenstored();
	});
	after(() => daemon.stop());

	it('creates its socket 0600 and serves the xenstore-* tools', () => {
		assert.equal(statSync(daemon.socket).mode & 0o777, 0o600);
		const env = daemon.clientEnv;
		execFileSync('xenstore-write', ['/smoke/key', 'value'], { env });
		assert.equal(execFileSync('xenstore-read', ['/smoke/key'], { env }).toString(), 'value\n');
	});

	it('answers pipelined requests in order, in one read', async () => {
		const sock = await open(daemon.socket);
		const batch = Buffer.concat([
			encodeFrame(MessageType.WRITE, 1, 0, '/order/a\0one'),
			encodeFrame(MessageType.READ, 2, 0, '/order/a\0'),
			encodeFrame(MessageType.READ, 3, 0, '/order/missing\0'),
			encodeFrame(999, 4, 0, ''),
		]);
		const replies = await exchange(sock, batch, 4);
		assert.deepEqual(replies, [
			{ type: MessageType.WRITE, payload: 'OK\0' },
			{ type: MessageType.READ, payload: 'one' },
			{ type: MessageType.ERROR, payload: 'ENOENT\0' },
			{ type: MessageType.ERROR, payload: 'ENOSYS\0' },
		]);
		sock.destroy();
	});

	it("keeps one client's partly received request while other clients' requests are read", {
		timeout: 10_000,
	}, async () => {
		const slow = await open(daemon.socket);
		const quick = await open(daemon.socket);
		const request = encodeFrame(MessageType.WRITE, 1, 0, '/interleaved/slow\0from the slow client');
		const cut = HEADER_SIZE + 10;
		slow.write(request.subarray(0, cut));
		// The daemon has read the first part before the other client's request arrives.
		await sleep(50);
		const quickWrite = encodeFrame(MessageType.WRITE, 2, 0, `/interleaved/quick\0${'x'.repeat(200)}`);
		assert.deepEqual(await exchange(quick, quickWrite, 1), [{ type: MessageType.WRITE, payload: 'OK\0' }]);
		assert.deepEqual(await exchange(slow, request.subarray(cut), 1), [
			{ type: MessageType.WRITE, payload: 'OK\0' },
		]);
		const [reply] = await exchange(quick, encodeFrame(MessageType.READ, 3, 0, '/interleaved/slow\0'), 1);
		assert.deepEqual(reply, { type: MessageType.READ, payload: 'from the slow client' });
		slow.destroy();
		quick.destroy();
	});

	it('closes only the connection that announces a payload over 4096 bytes', async () => {
		const bystander = await open(daemon.socket);
		const offender = await open(daemon.socket);
		const header = encodeFrame(MessageType.READ, 1, 0, '');
		header.writeUInt32LE(4097, 12);
		const closed = new Promise<void>((resolve) => offender.once('close', () => resolve()));
		offender.write(header);
		await closed;
		const [reply] = await exchange(bystander, encodeFrame(MessageType.READ, 9, 0, '/smoke/key\0'), 1);
		assert.deepEqual(reply, { type: MessageType.READ, payload: 'value' });
		bystander.destroy();
	});
});
