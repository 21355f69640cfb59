/**
 * RELEASE of an emulated domain with watchers present. The rules (docs/misc/xenstore.txt, and C
 * xenstored's do_release / destroy_domain / domain_tree_remove): the domain's connections go
 * first, watches and all, so it hears nothing of its own end; the nodes it owns are removed with
 * their children, whoever owns those, and watchers hear it as for RM (a watch on or above a
 * removed subtree's root hears the root, a watch set on a node inside it hears that node), each
 * only where it may read; then @releaseDomain fires. Entries naming the domain elsewhere stay but
 * count for nothing, so a new domain with the same id gets no rights from them. With -K the
 * nodes stay, handed to dom0, and nobody hears of them.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Emulation } from './emulation.ts';
import { MessageType, type RawClient, strings, type WatchEvent } from './raw.ts';

const ev = (path: string, token: string): WatchEvent => ({ path, token });
const sorted = (events: WatchEvent[]) => [...events].sort((a, b) => a.path.localeCompare(b.path));

describe('releasing a domain', () => {
	let emu: Emulation;
	let watcher0: RawClient;
	let d6: RawClient;
	let d7: RawClient;
	let d8: RawClient;

	before(async () => {
		emu = await Emulation.start();
		for (const d of [6, 7, 8]) await emu.introduceWithHome(d);
		const { dom0 } = emu;
		d6 = await emu.connect(6);
		// Domain 6's own nodes: in its home, and below a dom0 node it may write.
		assert.equal((await d6.write('data/x', '1')).error, undefined);
		assert.equal((await d6.write('pub', 'p')).error, undefined);
		assert.equal((await d6.setPerms('pub', ['n6', 'r7'])).error, undefined);
		assert.equal((await dom0.write('/shared', '')).error, undefined);
		assert.equal((await dom0.setPerms('/shared', ['n0', 'w6'])).error, undefined);
		assert.equal((await d6.write('/shared/six/leaf', 'l')).error, undefined);
		// A node dom0 owns, inside domain 6's subtree: it goes with its parent.
		assert.equal((await dom0.write('/shared/six/dom0-child', 'c')).error, undefined);
		assert.equal((await dom0.setPerms('/shared/six/dom0-child', ['n0'])).error, undefined);
		// An entry naming domain 6 on a node dom0 owns.
		assert.equal((await dom0.write('/acl/child', 'a')).error, undefined);
		assert.equal((await dom0.setPerms('/acl', ['n0', 'r6'])).error, undefined);
		assert.equal((await dom0.setPerms('/acl/child', ['n0', 'r6'])).error, undefined);
		assert.equal((await d6.read('/acl')).error, undefined, 'the entry works while domain 6 lives');
		await dom0.ok(MessageType.SET_QUOTA, strings('6', 'nodes', '50'));

		watcher0 = await emu.connectDom0();
		for (const [p, t] of [
			['/local/domain/6', 'home'],
			['/shared', 'shared'],
			['/acl', 'acl'],
			['@releaseDomain', 'released'],
		])
			assert.equal(await watcher0.watch(p!, t!), 'OK');
		d7 = await emu.connect(7);
		assert.equal(await d7.watch('/local/domain/6/pub', 'pub'), 'OK');
		d8 = await emu.connect(8);
		assert.equal(await d8.watch('/local/domain/6/pub', 'pub'), 'OK');
		assert.equal(await d8.watch('/local/domain/6', 'home'), 'OK');
		assert.equal(await d6.watch('/shared', 'mine'), 'OK');
		assert.equal(await d6.watch('data', 'relative'), 'OK');
		for (const c of [watcher0, d6, d7, d8]) await c.events();

		await emu.release(6);
	});
	after(() => emu?.stop());

	it("closes the domain's connections and socket; it hears nothing of its own end", async () => {
		await d6.closed;
		assert.deepEqual(await d6.events(), []);
		assert.equal(existsSync(emu.socketOf(6)), false);
		const introduced = await emu.dom0.ok(MessageType.IS_DOMAIN_INTRODUCED, strings('6'));
		assert.equal(introduced.toString('latin1'), 'F\0');
	});

	it('removes what it owned with the children; watchers hear it where they may read', async () => {
		const events = await watcher0.events();
		assert.deepEqual(events.at(-1), ev('@releaseDomain', 'released'), '@releaseDomain comes last');
		assert.deepEqual(sorted(events.slice(0, -1)), [
			ev('/local/domain/6', 'home'),
			ev('/shared/six', 'shared'),
		]);
		assert.deepEqual(await d7.events(), [ev('/local/domain/6/pub', 'pub')], 'domain 7 may read pub');
		// Domain 8 may read neither the nodes nor their parents; it hears @releaseDomain only if watching it.
		assert.deepEqual(await d8.events(), []);
		for (const p of ['/local/domain/6', '/shared/six', '/shared/six/dom0-child']) {
			assert.equal((await emu.dom0.read(p)).error, 'ENOENT', p);
		}
		assert.equal((await emu.dom0.read('/shared')).error, undefined);
		assert.deepEqual(await emu.check(), []);
	});

	it("leaves entries naming it on others' nodes, granting nothing to a new domain 6", async () => {
		assert.deepEqual(await emu.dom0.getPerms('/acl'), ['n0', 'r6']);
		await emu.introduceWithHome(6);
		const again = await emu.connect(6);
		assert.equal((await again.read('/acl')).error, 'EACCES');
		assert.equal((await again.read('/acl/child')).error, 'EACCES');
		// A node created now below /acl copies the stale entry, still stale.
		assert.equal((await emu.dom0.write('/acl/later', 'x')).error, undefined);
		assert.equal((await again.read('/acl/later')).error, 'EACCES');
		// Rewriting the node's value does not revive it either; watches on it stay silent.
		assert.equal(await again.watch('/acl', 'acl'), 'OK');
		await again.events();
		assert.equal((await emu.dom0.write('/acl', 'new value')).error, undefined);
		assert.equal((await again.read('/acl')).error, 'EACCES');
		assert.deepEqual(await again.events(), []);
		// The domain's record is new too: the old domain's own quota values are gone.
		assert.deepEqual(await emu.dom0.ok(MessageType.GET_QUOTA, strings('6', 'nodes')), Buffer.from('1000\0'));
		// Written afresh by dom0, the entry counts for the new domain.
		assert.equal((await emu.dom0.setPerms('/acl', ['n0', 'r6'])).error, undefined);
		assert.equal((await again.read('/acl')).payload.toString(), 'new value');
		assert.deepEqual(await again.events(), [ev('/acl', 'acl')]);
		await watcher0.events();
	});

	it('refuses to release a domain twice or one never introduced', async () => {
		assert.equal(await emu.dom0.outcome(MessageType.RELEASE, strings('8')), 'OK');
		assert.equal(await emu.dom0.outcome(MessageType.RELEASE, strings('8')), 'ENOENT');
		assert.equal(await emu.dom0.outcome(MessageType.RELEASE, strings('99')), 'ENOENT');
		assert.equal(await emu.dom0.outcome(MessageType.RELEASE, strings('0')), 'EINVAL');
	});
});

describe('releasing a domain with -K (keep orphans)', () => {
	let emu: Emulation;
	let watcher0: RawClient;

	before(async () => {
		emu = await Emulation.start(['-K']);
		await emu.introduceWithHome(6);
		const d6 = await emu.connect(6);
		assert.equal((await d6.write('data', 'x')).error, undefined);
		assert.equal((await d6.setPerms('data', ['b6', 'r7'])).error, undefined);
		watcher0 = await emu.connectDom0();
		assert.equal(await watcher0.watch('/local/domain/6', 'home'), 'OK');
		assert.equal(await watcher0.watch('@releaseDomain', 'released'), 'OK');
		await watcher0.events();
		await emu.release(6);
	});
	after(() => emu?.stop());

	it('keeps the nodes, hands them to dom0 (other entries and the default letter stay), silently', async () => {
		assert.deepEqual(await watcher0.events(), [ev('@releaseDomain', 'released')]);
		assert.equal((await emu.dom0.read('/local/domain/6/data')).payload.toString(), 'x');
		assert.deepEqual(await emu.dom0.getPerms('/local/domain/6'), ['n0']);
		assert.deepEqual(await emu.dom0.getPerms('/local/domain/6/data'), ['b0', 'r7']);
		assert.deepEqual(await emu.check(), []);
	});

	it('a new domain 6 does not get them back', async () => {
		await emu.introduce(6);
		const again = await emu.connect(6);
		assert.equal(
			(await again.read('data')).payload.toString(),
			'x',
			'the default letter b still lets it read',
		);
		assert.equal((await again.setPerms('data', ['b6'])).error, 'EACCES', 'but it is not the owner');
		assert.equal((await again.write('new', 'y')).error, 'EACCES', 'nor may it write its old home');
	});
});
