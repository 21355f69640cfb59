import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connect, XenstoreError } from '../../src/client/index.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { type FakeServer, type Peer, startFakeServer } from './fake-server.ts';

let server: FakeServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

/** Hands out transaction ids 10, 11, ...; commits answer what `commits` says, in turn. */
function transactionalDaemon(commits: string[]) {
	let next = 10;
	return (p: Peer) => {
		if (p.frame.type === MessageType.TRANSACTION_START) p.reply(`${next++}\0`);
		else if (p.frame.type === MessageType.TRANSACTION_END && p.text === 'T\0') {
			const answer = commits.shift() ?? 'OK';
			if (answer === 'OK') p.reply('OK\0');
			else p.error(answer);
		} else if (p.frame.type === MessageType.READ) p.reply(`value-in-${p.frame.txId}`);
		else p.reply('OK\0');
	};
}

const ends = (s: FakeServer) =>
	s.received.filter((f) => f.type === MessageType.TRANSACTION_END).map((f) => [f.txId, f.payload.toString()]);

describe('transactions', () => {
	it('transactionStart gives operations that carry the transaction id', async () => {
		server = await startFakeServer(transactionalDaemon([]));
		const client = await connect({ path: server.path });
		const tx = await client.transactionStart();
		assert.equal(tx.txId, 10);
		assert.equal(await tx.readString('/a'), 'value-in-10');
		await tx.write('/a', 'x');
		await tx.commit();
		await client.transactionEnd(42, false);
		client.close();
		assert.equal(server.received[0]!.payload.toString(), '\0', 'TRANSACTION_START takes an empty string');
		assert.equal(server.received[0]!.txId, 0);
		assert.deepEqual(
			server.received.slice(1).map((f) => [f.type, f.txId]),
			[
				[MessageType.READ, 10],
				[MessageType.WRITE, 10],
				[MessageType.TRANSACTION_END, 10],
				[MessageType.TRANSACTION_END, 42],
			],
		);
		assert.deepEqual(ends(server), [
			[10, 'T\0'],
			[42, 'F\0'],
		]);
	});

	it('transaction() starts over on EAGAIN at commit and returns the body result', async () => {
		server = await startFakeServer(transactionalDaemon(['EAGAIN', 'EAGAIN']));
		const client = await connect({ path: server.path });
		const seen: number[] = [];
		const result = await client.transaction(async (tx) => {
			seen.push(tx.txId);
			return tx.readString('/a');
		});
		assert.deepEqual(seen, [10, 11, 12]);
		assert.equal(result, 'value-in-12');
		client.close();
	});

	it('gives up with EAGAIN after the retries', async () => {
		server = await startFakeServer(transactionalDaemon(['EAGAIN', 'EAGAIN', 'EAGAIN']));
		const client = await connect({ path: server.path });
		let runs = 0;
		await assert.rejects(
			client.transaction(
				async () => {
					runs++;
				},
				{ retries: 2 },
			),
			(err: unknown) => err instanceof XenstoreError && err.code === 'EAGAIN',
		);
		assert.equal(runs, 3);
		client.close();
	});

	it('aborts and rethrows when the body throws; retries when the body meets EAGAIN', async () => {
		server = await startFakeServer(transactionalDaemon([]));
		const client = await connect({ path: server.path });
		await assert.rejects(
			client.transaction(async () => {
				throw new Error('body failed');
			}),
			/body failed/,
		);
		assert.deepEqual(ends(server), [[10, 'F\0']]);
		let runs = 0;
		await client.transaction(async () => {
			if (++runs === 1) throw new XenstoreError('EAGAIN', 'inside');
		});
		assert.equal(runs, 2);
		assert.deepEqual(ends(server).slice(1), [
			[11, 'F\0'],
			[12, 'T\0'],
		]);
		client.close();
	});

	it('does not retry other commit errors', async () => {
		server = await startFakeServer(transactionalDaemon(['ENOSPC']));
		const client = await connect({ path: server.path });
		await assert.rejects(
			client.transaction(async () => undefined),
			(err: unknown) => err instanceof XenstoreError && err.code === 'ENOSPC',
		);
		client.close();
	});
});
