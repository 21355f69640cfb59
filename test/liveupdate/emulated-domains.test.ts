import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Daemon, startTsxenstored, TSXENSTORED, tempDir } from '../harness/daemons.ts';
import { client, liveUpdate } from './helpers.ts';

/**
 * Emulated domains survive a live update: the domain stays introduced, its socket keeps serving,
 * and a guest connection keeps its identity, its relative watch and its transaction.
 */
describe('live update: emulated domains', () => {
	let daemon: Daemon;
	before(async () => {
		const dir = tempDir('lu-emu-');
		daemon = await startTsxenstored({ dir, args: ['--emulate-domains', '-F', join(dir, 'pid')] });
	});
	after(() => daemon.stop());

	it('keeps the guest connected, with its rights, watch and transaction', async () => {
		const dom0 = await client(daemon.socket);
		await dom0.introduce(5, 4096, 1);
		await dom0.mkdir('/local/domain/5');
		await dom0.setPerms('/local/domain/5', [{ domid: 5, access: 'none' }]);
		const guestSocket = join(daemon.dir, 'domain', '5', 'socket');
		const guest = await client(guestSocket);
		await guest.write('data', 'mine');
		const watch = await guest.watch('data', 'w');
		const events = watch[Symbol.asyncIterator]();
		assert.equal((await events.next()).value?.path, 'data', 'a relative watch reports relative paths');
		const tx = await guest.transactionStart();
		await tx.write('data/tx', 'pending');

		const result = await liveUpdate(daemon.clientEnv, TSXENSTORED);
		assert.equal(result.code, 0, result.output);

		assert.equal(await dom0.isDomainIntroduced(5), true);
		await tx.commit();
		assert.equal((await events.next()).value?.path, 'data/tx');
		await assert.rejects(guest.readString('/tool/xenstored'), { code: 'EACCES' });
		assert.equal(await guest.readString('data'), 'mine');
		const newcomer = await client(guestSocket);
		assert.equal(await newcomer.readString('data/tx'), 'pending');
		await dom0.release(5);
		guest.close();
		newcomer.close();
		dom0.close();
	});
});
