import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir, waitForSocket } from '../harness/daemons.ts';

const server = fileURLToPath(new URL('../../bench/noop-server.ts', import.meta.url));

// xs_wire.h: struct xsd_sockmsg { uint32 type, req_id, tx_id, len }, host (little-endian) order
function frame(type: number, reqId: number, txId: number, payload: string): Buffer {
	const body = Buffer.from(payload, 'latin1');
	const header = Buffer.alloc(16);
	header.writeUInt32LE(type, 0);
	header.writeUInt32LE(reqId, 4);
	header.writeUInt32LE(txId, 8);
	header.writeUInt32LE(body.length, 12);
	return Buffer.concat([header, body]);
}

function replies(data: Buffer): { type: number; reqId: number; txId: number; payload: string }[] {
	const out = [];
	for (let at = 0; at + 16 <= data.length; ) {
		const len = data.readUInt32LE(at + 12);
		out.push({
			type: data.readUInt32LE(at),
			reqId: data.readUInt32LE(at + 4),
			txId: data.readUInt32LE(at + 8),
			payload: data.toString('latin1', at + 16, at + 16 + len),
		});
		at += 16 + len;
	}
	return out;
}

/** Send `chunks` with a pause between them and collect the bytes that come back, until `bytes` have. */
function exchange(socket: string, chunks: Buffer[], bytes: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const s = connect(socket);
		let got = Buffer.alloc(0);
		s.on('error', reject);
		s.on('data', (d: Buffer) => {
			got = Buffer.concat([got, d]);
			if (got.length >= bytes) {
				s.destroy();
				resolve(got);
			}
		});
		s.on('connect', async () => {
			for (const c of chunks) {
				s.write(c);
				await new Promise((r) => setTimeout(r, 20));
			}
		});
	});
}

describe('the no-op server (floor)', { timeout: 10_000 }, () => {
	const dir = tempDir('noop-test-');
	const socket = join(dir, 'socket');
	const child = spawn(process.execPath, [server, socket], { stdio: 'inherit' });
	before(() => waitForSocket(socket, child));
	after(() => {
		child.kill();
		rmSync(dir, { recursive: true, force: true });
	});

	it('answers each request with its type, req_id and tx_id echoed and a fixed payload', async () => {
		const requests = Buffer.concat([
			frame(2, 7, 0, '/bench/n1\0'), // READ
			frame(6, 8, 0, '\0'), // TRANSACTION_START
			frame(11, 9, 3, '/bench/n1\0v'), // WRITE in transaction 3
			frame(1, 10, 0, '/bench\0'), // DIRECTORY
		]);
		// the whole batch in one chunk, then split in the middle of a header and of a payload
		const split = [requests.subarray(0, 5), requests.subarray(5, 40), requests.subarray(40)];
		for (const chunks of [[requests], split]) {
			const got = replies(await exchange(socket, chunks, 16 * 4 + 5 + 2 + 3 + 9));
			assert.deepEqual(got, [
				{ type: 2, reqId: 7, txId: 0, payload: 'value' },
				{ type: 6, reqId: 8, txId: 0, payload: '1\0' },
				{ type: 11, reqId: 9, txId: 3, payload: 'OK\0' },
				{ type: 1, reqId: 10, txId: 0, payload: 'n0\0n1\0n2\0' },
			]);
		}
	});

	it('drops a client announcing a payload over 4096 bytes', async () => {
		const closed = await new Promise<boolean>((resolve) => {
			const s = connect(socket);
			s.on('connect', () => s.write(frame(2, 1, 0, 'x'.repeat(4097))));
			s.on('close', () => resolve(true));
			s.on('error', () => {});
		});
		assert.equal(closed, true);
	});
});
