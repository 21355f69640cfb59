import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LAST_OF_PASS, warmUpPass, warmUpRequests } from '../../src/liveupdate/warm-up-requests.ts';
import { FrameReader } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { type Daemon, startTsxenstored } from '../harness/daemons.ts';

interface Reply {
	type: number;
	txId: number;
	payload: string;
}

/** Send one warm-up pass to `socket` and collect every frame up to the reply that ends it. */
function exchangePass(socket: string, txIds: number[]): Promise<Reply[][]> {
	return new Promise((resolve, reject) => {
		const client = connect(socket);
		const reader = new FrameReader();
		const passes: Reply[][] = [];
		let current: Reply[] = [];
		const sendNext = () => client.write(warmUpPass(txIds[passes.length]!));
		client.on('data', (chunk: Buffer) => {
			reader.push(chunk);
			for (let f = reader.next(); f !== undefined; f = reader.next()) {
				current.push({ type: f.type, txId: f.txId, payload: f.payload.toString('latin1') });
				if (f.reqId === LAST_OF_PASS && f.type === MessageType.READ) {
					passes.push(current);
					current = [];
					if (passes.length === txIds.length) {
						client.destroy();
						resolve(passes);
						return;
					}
					sendNext();
				}
			}
		});
		client.once('error', reject);
		client.once('connect', sendNext);
	});
}

describe('live update: the successor warms up its request handling', () => {
	let daemon: Daemon;
	before(async () => {
		daemon = await startTsxenstored();
	});
	after(() => daemon.stop());

	it('sends requests a daemon answers as the protocol says, on the transaction it started', async () => {
		const passes = await exchangePass(daemon.socket, [1, 2]);
		for (const [i, replies] of passes.entries()) {
			const errors = replies.filter((r) => r.type === MessageType.ERROR).map((r) => r.payload);
			// Only the read of a missing node fails, as meant; everything else is served.
			assert.deepEqual(errors, ['ENOENT\0']);
			const txId = i + 1;
			const started = replies.find((r) => r.type === MessageType.TRANSACTION_START);
			assert.equal(started?.payload, `${txId}\0`);
			const inTx = replies.filter((r) => r.txId === txId).map((r) => [r.type, r.payload]);
			assert.deepEqual(inTx, [
				[MessageType.READ, 'value'],
				[MessageType.WRITE, 'OK\0'],
				[MessageType.TRANSACTION_END, 'OK\0'],
			]);
			// The watch fired: its own event, then the write's.
			const events = replies.filter((r) => r.type === MessageType.WATCH_EVENT).map((r) => r.payload);
			assert.deepEqual(events, ['/warm-up\0token\0', '/warm-up/node\0token\0']);
		}
	});

	it('fails, rather than hangs, where it cannot make its socket (a path too long for one)', async () => {
		const dir = mkdtempSync(join(tmpdir(), `tsxs-warm-up-${'x'.repeat(120)}-`));
		try {
			await assert.rejects(warmUpRequests(dir));
			assert.deepEqual(readdirSync(dir), []);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('runs on a throwaway daemon and leaves nothing in its directory', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'tsxs-warm-up-'));
		try {
			await warmUpRequests(dir);
			assert.deepEqual(readdirSync(dir), []);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
