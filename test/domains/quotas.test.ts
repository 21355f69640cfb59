/**
 * Per-domain quotas, each driven to its limit by an emulated domain, refused with the right error,
 * then used again once back under it. Each quota gets its own domain with a small value set by
 * dom0 through SET_QUOTA. A quota of N allows N of a thing (nodes, watches, transactions, perm
 * entries, nodes touched by a transaction); node-size and path-max bound sizes as C xenstored
 * measures them (a node record of 16 header bytes, 8 per perm entry, the value and the child
 * names with their NULs; a path below /local/domain/<id>/), refusing a size equal to the quota.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { splitStrings } from '../../src/protocol/payload.ts';
import { Emulation } from './emulation.ts';
import { MessageType, type RawClient, strings } from './raw.ts';

describe('per-domain quotas', () => {
	let emu: Emulation;

	before(async () => {
		emu = await Emulation.start();
	});
	after(() => emu?.stop());

	/** Introduce `domid` with a home, set its own quota, and connect as it. */
	async function domainWithQuota(domid: number, name: string, value: number): Promise<RawClient> {
		await emu.introduceWithHome(domid);
		await emu.dom0.ok(MessageType.SET_QUOTA, strings(String(domid), name, String(value)));
		assert.deepEqual(splitStrings(await emu.dom0.ok(MessageType.GET_QUOTA, strings(String(domid), name))), [
			String(value),
		]);
		return emu.connect(domid);
	}

	const err = async (p: Promise<{ error: string | undefined }>) => (await p).error ?? 'OK';

	it('nodes: a domain owns at most its quota of nodes; removing one makes room', async () => {
		// The home (owned by the domain) is its first node: 4 more fit under a quota of 5.
		const d = await domainWithQuota(11, 'nodes', 5);
		for (const n of ['a1', 'a2', 'a3', 'a4']) assert.equal(await err(d.write(n, 'x')), 'OK', n);
		assert.equal(await err(d.write('a5', 'x')), 'ENOSPC');
		assert.equal(await d.outcome(MessageType.MKDIR, strings('m')), 'ENOSPC');
		assert.equal(await err(d.read('a5')), 'ENOENT');
		assert.equal(await d.outcome(MessageType.RM, strings('a4')), 'OK');
		// Two missing nodes where one fits: nothing is created.
		assert.equal(await err(d.write('x/y', 'v')), 'ENOSPC');
		assert.equal(await err(d.read('x')), 'ENOENT');
		assert.equal(await err(d.write('a4', 'again')), 'OK');
		// The global value is untouched, and dom0 is not bound by the domain's.
		assert.deepEqual(splitStrings(await emu.dom0.ok(MessageType.GET_QUOTA, strings('nodes'))), ['1000']);
		assert.equal(await err(emu.dom0.write('/local/domain/11/by-dom0/deep', 'x')), 'OK');
	});

	it('nodes: transactions are checked at commit against what others committed meanwhile', async () => {
		const d = await domainWithQuota(20, 'nodes', 3);
		const other = await emu.connect(20);
		// One slot left after the home and t0.
		assert.equal(await err(d.write('t0', 'x')), 'OK');
		const tx1 = await d.startTransaction();
		const tx2 = await other.startTransaction();
		assert.equal(await err(d.write('t1', 'x', tx1)), 'OK');
		assert.equal(await err(other.write('t2', 'x', tx2)), 'OK');
		assert.equal(await d.endTransaction(tx1, true), 'OK');
		assert.equal(await other.endTransaction(tx2, true), 'ENOSPC');
		assert.equal(await err(d.read('t2')), 'ENOENT');
		assert.equal(await d.outcome(MessageType.RM, strings('t1')), 'OK');
		assert.equal(await err(d.write('t2', 'x')), 'OK');
	});

	it('node-size: values, new nodes and a parent growing its child list are bounded', async () => {
		// One perm entry: 16 + 8 = 24 bytes of overhead, so values of up to 75 bytes fit under 100.
		const d = await domainWithQuota(12, 'node-size', 100);
		assert.equal(await err(d.write('v', 'x'.repeat(75))), 'OK', 'a new node just under the quota');
		assert.equal(await err(d.write('v', 'x'.repeat(76))), 'ENOSPC');
		assert.equal((await d.read('v')).payload.length, 75);
		assert.equal(await err(d.write('w', 'x'.repeat(76))), 'ENOSPC');
		assert.equal(await err(d.read('w')), 'ENOENT');
		assert.equal(await err(d.write('v', 'short')), 'OK');
		// Children names count in the parent's size: 18 names of 3 letters (4 bytes each) fit.
		assert.equal(await d.outcome(MessageType.MKDIR, strings('p')), 'OK');
		const names = Array.from({ length: 19 }, (_, i) => `c${String(i).padStart(2, '0')}`);
		for (const n of names.slice(0, 18)) assert.equal(await err(d.write(`p/${n}`, '')), 'OK', n);
		assert.equal(await err(d.write('p/c18', '')), 'ENOSPC');
		assert.equal(await d.outcome(MessageType.RM, strings('p/c00')), 'OK');
		assert.equal(await err(d.write('p/c18', '')), 'OK');
		// The same bounds inside a transaction.
		const tx = await d.startTransaction();
		assert.equal(await err(d.write('v', 'x'.repeat(76), tx)), 'ENOSPC');
		assert.equal(await err(d.write('p/c19', '', tx)), 'ENOSPC');
		assert.equal(await err(d.write('v', 'x'.repeat(75), tx)), 'OK');
		assert.equal(await d.endTransaction(tx, true), 'OK');
		// dom0 is not bound by it.
		assert.equal(await err(emu.dom0.write('/local/domain/12/big', 'x'.repeat(500))), 'OK');
	});

	it('watches: counted over all the connections of a domain', async () => {
		const d = await domainWithQuota(13, 'watches', 3);
		const d2 = await emu.connect(13);
		assert.equal(await d.watch('a', 'a'), 'OK');
		assert.equal(await d.watch('b', 'b'), 'OK');
		assert.equal(await d2.watch('c', 'c'), 'OK');
		assert.equal(await d2.watch('d', 'd'), 'ENOSPC');
		assert.equal(await d.outcome(MessageType.UNWATCH, strings('a', 'a')), 'OK');
		assert.equal(await d2.watch('d', 'd'), 'OK');
		assert.equal(await d2.watch('e', 'e'), 'ENOSPC');
		d.close();
		await d.closed;
		await d2.sync();
		assert.equal(await d2.watch('e', 'e'), 'OK', 'a closed connection frees its watches');
		assert.equal(await d2.outcome(MessageType.RESET_WATCHES, strings('')), 'OK');
		for (const t of ['f', 'g', 'h']) assert.equal(await d2.watch(t, t), 'OK', t);
	});

	it('transactions: counted over all the connections of a domain', async () => {
		const d = await domainWithQuota(14, 'transactions', 2);
		const d2 = await emu.connect(14);
		const t1 = await d.startTransaction();
		await d2.startTransaction();
		assert.equal(await d2.outcome(MessageType.TRANSACTION_START, strings('')), 'ENOSPC');
		assert.equal(await d.outcome(MessageType.TRANSACTION_START, strings('')), 'ENOSPC');
		assert.equal(await d.endTransaction(t1, false), 'OK');
		assert.equal(await d2.outcome(MessageType.TRANSACTION_START, strings('')), 'OK');
	});

	it('permissions: at most the quota of entries per node', async () => {
		const d = await domainWithQuota(15, 'permissions', 3);
		assert.equal(await err(d.write('n', '')), 'OK');
		assert.equal(await err(d.setPerms('n', ['n15', 'r1', 'w2'])), 'OK');
		assert.equal(await err(d.setPerms('n', ['n15', 'r1', 'w2', 'b3'])), 'ENOSPC');
		assert.deepEqual(await emu.dom0.getPerms('/local/domain/15/n'), ['n15', 'r1', 'w2']);
		assert.equal(await err(d.setPerms('n', ['n15', 'b3'])), 'OK');
		// The name C xenstored uses for it is accepted too.
		await emu.dom0.ok(MessageType.SET_QUOTA, strings('15', 'node-permissions', '4'));
		assert.equal(await err(d.setPerms('n', ['n15', 'r1', 'w2', 'b3'])), 'OK');
	});

	it('transaction-nodes: distinct nodes one transaction may touch', async () => {
		const d = await domainWithQuota(16, 'transaction-nodes', 4);
		for (let i = 1; i <= 5; i++) assert.equal(await err(d.write(`n${i}`, String(i))), 'OK');
		const tx = await d.startTransaction();
		for (let i = 1; i <= 4; i++) assert.equal(await err(d.read(`n${i}`, tx)), 'OK', `n${i}`);
		assert.equal(await err(d.read('n5', tx)), 'ENOSPC');
		assert.equal(await err(d.read('n1', tx)), 'OK', 'a node already touched costs nothing more');
		assert.equal(await d.endTransaction(tx, false), 'OK');
		const again = await d.startTransaction();
		assert.equal(await err(d.read('n5', again)), 'OK', 'each transaction counts afresh');
		assert.equal(await d.endTransaction(again, false), 'OK');
	});

	it('memory: ENOMEM once the nodes a domain owns would take more than its quota', async () => {
		const d = await domainWithQuota(17, 'memory', 2000);
		const value = 'm'.repeat(300);
		let written = 0;
		let refusal = 'OK';
		while (refusal === 'OK' && written < 20) {
			refusal = await err(d.write(`k${written}`, value));
			if (refusal === 'OK') written++;
		}
		assert.equal(refusal, 'ENOMEM');
		assert.ok(written >= 4 && written < 7, `${written} values of 300 bytes fit in 2000 bytes`);
		assert.equal(await err(d.read(`k${written}`)), 'ENOENT');
		assert.equal(await d.outcome(MessageType.RM, strings('k0')), 'OK');
		assert.equal(await err(d.write(`k${written}`, value)), 'OK');
		// Growing an existing value is refused the same way; shrinking is always allowed.
		assert.equal(await err(d.write('k1', 'm'.repeat(1000))), 'ENOMEM');
		assert.equal(await err(d.write('k1', '')), 'OK');
	});

	it('outstanding: requests beyond the quota wait their turn, none is refused', async () => {
		const d = await domainWithQuota(18, 'outstanding', 1);
		assert.equal(await err(d.write('o', 'value')), 'OK');
		const replies = await Promise.all(Array.from({ length: 50 }, () => d.read('o')));
		assert.deepEqual(
			replies.map((r) => r.error ?? r.payload.toString()),
			Array.from({ length: 50 }, () => 'value'),
		);
	});

	it('path-max: paths below the home are bounded, a length equal to the quota is EINVAL', async () => {
		const d = await domainWithQuota(19, 'path-max', 20);
		assert.equal(await err(d.write('x'.repeat(19), '')), 'OK');
		assert.equal(await err(d.write('x'.repeat(20), '')), 'EINVAL');
		assert.equal(await err(d.write(`/local/domain/19/${'y'.repeat(19)}`, '')), 'OK');
		assert.equal(await err(d.read(`/local/domain/19/${'y'.repeat(20)}`)), 'EINVAL');
		assert.equal(await err(emu.dom0.write(`/local/domain/19/${'z'.repeat(40)}`, '')), 'OK');
	});

	it('the accounts stay consistent (CONTROL check)', async () => {
		assert.deepEqual(await emu.check(), []);
	});
});
