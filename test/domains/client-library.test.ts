import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type XenstoreClient } from '../../src/client/index.ts';
import { Emulation } from './emulation.ts';

/**
 * The project's client library acting as a guest through an emulated domain's socket: the same
 * rules the matrix checks with raw frames and Debian's tools, seen through typed methods. Expected
 * answers come from docs/misc/xenstore.txt: a domain owns what it creates under a node it may
 * write, reads what its perms allow, and learns that a node is missing only where it may look.
 */
describe('client library as an emulated guest', () => {
	let emu: Emulation;
	let guest: XenstoreClient;
	let other: XenstoreClient;
	before(async () => {
		emu = await Emulation.start();
		await emu.introduceWithHome(11);
		await emu.introduceWithHome(12);
		guest = await connect({ path: emu.socketOf(11) });
		other = await connect({ path: emu.socketOf(12) });
	});
	after(async () => {
		guest.close();
		other.close();
		await emu.stop();
	});

	it('writes relative to its home and owns what it creates', async () => {
		await guest.write('data/x', 'v');
		assert.equal(await guest.readString('/local/domain/11/data/x'), 'v');
		assert.deepEqual(await guest.getPerms('data/x'), [{ domid: 11, access: 'none' }]);
	});

	it('is refused what another domain owns, without learning what exists there', async () => {
		await assert.rejects(other.readString('/local/domain/11/data/x'), { code: 'EACCES' });
		await assert.rejects(other.readString('/local/domain/11/missing'), { code: 'EACCES' });
		await assert.rejects(other.write('/local/domain/11/data/y', 'no'), { code: 'EACCES' });
	});

	it('reads what it is granted, and hears of changes to it through a relative watch', async () => {
		await guest.setPerms('data/x', [
			{ domid: 11, access: 'none' },
			{ domid: 12, access: 'read' },
		]);
		assert.equal(await other.readString('/local/domain/11/data/x'), 'v');
		const w = await other.watch('/local/domain/11/data/x', 'granted');
		const events = w[Symbol.asyncIterator]();
		assert.equal((await events.next()).value?.path, '/local/domain/11/data/x');
		await guest.write('data/x', 'changed');
		assert.equal((await events.next()).value?.path, '/local/domain/11/data/x');
		await w.return?.();
	});

	it('may not change the owner of its own node, nor manage domains', async () => {
		await assert.rejects(guest.setPerms('data/x', [{ domid: 12, access: 'none' }]), { code: 'EPERM' });
		await assert.rejects(guest.introduce(13, 1, 1), { code: 'EACCES' });
		await assert.rejects(guest.control('check'), { code: 'EACCES' });
	});

	it('commits transactions inside its home with the retrying helper', async () => {
		const result = await guest.transaction(async (tx) => {
			const n = Number((await tx.read('counter').catch(() => Buffer.from('0'))).toString());
			await tx.write('counter', String(n + 1));
			return n + 1;
		});
		assert.equal(result, 1);
		assert.equal(await guest.readString('counter'), '1');
	});
});
