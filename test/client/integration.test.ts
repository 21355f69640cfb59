/**
 * The client library against a real tsxenstored: every kind of operation end to end, the
 * DIRECTORY_PART fallback on a real big directory, watches with depth, the retrying transaction
 * helper under real conflicts, and what the client does when the daemon goes away.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
	ConnectionClosedError,
	connect,
	type XenstoreClient,
	XenstoreError,
} from '../../src/client/index.ts';
import { Feature } from '../../src/protocol/limits.ts';
import { type Daemon, startTsxenstored } from '../harness/daemons.ts';

describe('client library against tsxenstored', () => {
	let daemon: Daemon;
	let client: XenstoreClient;
	before(async () => {
		daemon = await startTsxenstored();
		client = await connect({ path: daemon.socket });
	});
	after(async () => {
		client?.close();
		await daemon?.stop();
		if (daemon) rmSync(daemon.dir, { recursive: true, force: true });
	});

	it('reads, writes, lists, removes', async () => {
		await client.write('/it/a', Buffer.from([0, 1, 255]));
		assert.deepEqual(await client.read('/it/a'), Buffer.from([0, 1, 255]));
		await client.write('/it/b', 'text');
		assert.equal(await client.readString('/it/b'), 'text');
		await client.mkdir('/it/c/d');
		assert.deepEqual(await client.directory('/it'), ['a', 'b', 'c']);
		await client.rm('/it/c');
		assert.deepEqual(await client.directory('/it'), ['a', 'b']);
		await assert.rejects(
			client.read('/it/c/d'),
			(e: unknown) => e instanceof XenstoreError && e.code === 'ENOENT',
		);
		await assert.rejects(client.read('/it/bad path'), { code: 'EINVAL' });
	});

	it('lists a directory beyond one payload through DIRECTORY_PART', async () => {
		const names = Array.from({ length: 400 }, (_, i) => `entry-number-${String(i).padStart(6, '0')}`);
		await Promise.all(names.map((n) => client.mkdir(`/itbig/${n}`)));
		const raw = await client.request(1, '/itbig\0');
		assert.equal(raw.payload.toString(), 'E2BIG\0', 'a plain DIRECTORY cannot answer');
		assert.deepEqual(await client.directory('/itbig'), names);
	});

	it('sets and gets permissions', async () => {
		await client.mkdir('/itperm');
		await client.setPerms('/itperm', [
			{ domid: 0, access: 'read' },
			{ domid: 3, access: 'both' },
		]);
		assert.deepEqual(await client.getPerms('/itperm'), [
			{ domid: 0, access: 'read' },
			{ domid: 3, access: 'both' },
		]);
	});

	it('watches: the initial event, changes below, nothing beyond the depth', async () => {
		const deep = await client.watch('/itw', 'deep');
		const shallow = await client.watch('/itw', 'shallow', 1);
		const d = deep[Symbol.asyncIterator]();
		const s = shallow[Symbol.asyncIterator]();
		assert.equal((await d.next()).value?.path, '/itw');
		assert.equal((await s.next()).value?.path, '/itw');
		await client.write('/itw/a/b', 'v');
		await client.write('/itw/c', 'v');
		assert.equal((await d.next()).value?.path, '/itw/a/b');
		assert.equal((await d.next()).value?.path, '/itw/c');
		assert.equal((await s.next()).value?.path, '/itw/c', 'depth 1 skips /itw/a/b');
		await deep.close();
		await shallow.close();
	});

	it('transaction(): isolation, and a retry after a real conflict', async () => {
		const other = await connect({ path: daemon.socket });
		try {
			await client.write('/ittx/counter', '0');
			let runs = 0;
			const result = await client.transaction(async (tx) => {
				runs++;
				const n = Number(await tx.readString('/ittx/counter'));
				if (runs === 1) await other.write('/ittx/counter', '10');
				await tx.write('/ittx/counter', String(n + 1));
				return n + 1;
			});
			assert.equal(runs, 2, 'the first attempt conflicted and was run again');
			assert.equal(result, 11);
			assert.equal(await other.readString('/ittx/counter'), '11');
		} finally {
			other.close();
		}
	});

	it('domain and daemon requests', async () => {
		assert.equal(await client.getDomainPath(4), '/local/domain/4');
		assert.equal(await client.isDomainIntroduced(0), true);
		assert.ok((await client.getFeature()) & Feature.WATCHDEPTH, 'watch depth is offered');
		const names = await client.quotaNames();
		for (const n of ['nodes', 'watches', 'transactions', 'node-size', 'permissions'])
			assert.ok(names.includes(n), n);
		const before = await client.getQuota('nodes');
		await client.setQuota('nodes', before + 1);
		assert.equal(await client.getQuota('nodes'), before + 1);
		await client.setQuota('nodes', before);
		assert.equal(await client.control('check'), 'OK');
		await assert.rejects(client.release(0), { code: 'EINVAL' });
	});

	it('a daemon that goes away fails waiting requests and ends watches with ConnectionClosedError', async () => {
		const own = await startTsxenstored();
		const c = await connect({ path: own.socket });
		const w = await c.watch('/gone', 'tok');
		const it = w[Symbol.asyncIterator]();
		await it.next();
		const ended = assert.rejects(it.next(), ConnectionClosedError);
		await own.stop();
		rmSync(own.dir, { recursive: true, force: true });
		await ended;
		await assert.rejects(c.read('/'), ConnectionClosedError);
	});
});
