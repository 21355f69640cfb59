/**
 * @introduceDomain and @releaseDomain as domains see them. The rules (docs/misc/xenstore.txt,
 * WATCH; C xenstored's fire_special_watches and watch_permitted): privileged connections hear
 * both; a domain hears one only if the special node's perms let it read (dom0 may SET_PERMS them;
 * @releaseDomain starts readable by every domain through a DOMID_ANY entry, @introduceDomain by
 * none). A watch on the bare name hears the bare name; a watch on `<name>/<domid>`, or on the name
 * with depth 1, hears `<name>/<domid>` for that domid; depth 0 hears nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Emulation } from './emulation.ts';
import { MessageType, type RawClient, strings, type WatchEvent } from './raw.ts';

const ANY = 32756;
const ev = (path: string, token: string): WatchEvent => ({ path, token });
const byToken = (events: WatchEvent[]) =>
	[...events].sort((a, b) => a.token.localeCompare(b.token) || a.path.localeCompare(b.path));

describe('special watches', () => {
	let emu: Emulation;
	let dom0w: RawClient;
	let d1: RawClient;
	let d5: RawClient;

	before(async () => {
		emu = await Emulation.start();
		for (const d of [1, 5]) await emu.introduce(d);
		dom0w = await emu.connectDom0();
		assert.equal(await dom0w.watch('@introduceDomain', 'i'), 'OK');
		assert.equal(await dom0w.watch('@releaseDomain', 'r'), 'OK');
		d1 = await emu.connect(1);
		for (const [path, token, depth] of [
			['@introduceDomain', 'i', undefined],
			['@introduceDomain', 'i-depth1', 1],
			['@releaseDomain', 'r', undefined],
			['@releaseDomain/2', 'r-of-2', undefined],
			['@releaseDomain', 'r-depth1', 1],
			['@releaseDomain', 'r-depth0', 0],
		] as const)
			assert.equal(await d1.watch(path, token, depth), 'OK', token);
		d5 = await emu.connect(5);
		assert.equal(await d5.watch('@introduceDomain', 'i'), 'OK');
		// Every watch fires once when set, whatever the perms.
		assert.equal((await d1.events()).length, 6);
		assert.deepEqual(await d5.events(), [ev('@introduceDomain', 'i')]);
		assert.equal((await dom0w.events()).length, 2);
	});
	after(() => emu?.stop());

	it('dom0 hears every introduction and release', async () => {
		await emu.introduce(2);
		await emu.introduce(3);
		assert.deepEqual(await dom0w.events(), [ev('@introduceDomain', 'i'), ev('@introduceDomain', 'i')]);
		await emu.release(3);
		assert.deepEqual(await dom0w.events(), [ev('@releaseDomain', 'r')]);
	});

	it('a domain hears @releaseDomain by default, with the domid where it asked for it', async () => {
		// Domain 3's release (previous test) was heard too; domain 2's is the one it watches by id.
		assert.deepEqual(
			byToken(await d1.events()),
			byToken([ev('@releaseDomain', 'r'), ev('@releaseDomain/3', 'r-depth1')]),
		);
		await emu.release(2);
		assert.deepEqual(
			byToken(await d1.events()),
			byToken([
				ev('@releaseDomain', 'r'),
				ev('@releaseDomain/2', 'r-of-2'),
				ev('@releaseDomain/2', 'r-depth1'),
			]),
		);
		assert.deepEqual(await d1.getPerms('@releaseDomain'), ['n0', `r${ANY}`]);
	});

	it('a domain hears nothing of @introduceDomain until dom0 lets it read the node', async () => {
		assert.deepEqual(await d1.events(), [], 'introductions so far were not heard');
		assert.equal((await d1.request(MessageType.GET_PERMS, strings('@introduceDomain'))).error, 'EACCES');
		assert.equal((await d1.setPerms('@introduceDomain', ['n0', 'r1'])).error, 'EACCES');
		assert.equal((await emu.dom0.setPerms('@introduceDomain', ['n0', 'r1'])).error, undefined);
		await emu.introduce(4);
		assert.deepEqual(
			byToken(await d1.events()),
			byToken([ev('@introduceDomain', 'i'), ev('@introduceDomain/4', 'i-depth1')]),
		);
		assert.deepEqual(await d5.events(), [], 'domain 5 has no entry');
		assert.deepEqual(await d1.getPerms('@introduceDomain'), ['n0', 'r1']);
		// Only the owner may change them, and reading is not owning.
		assert.equal((await d1.setPerms('@introduceDomain', ['n0', 'b1'])).error, 'EACCES');
		await dom0w.events();
	});

	it('introducing a domain again is not a new introduction', async () => {
		await emu.introduce(4);
		assert.deepEqual(await dom0w.events(), []);
		assert.deepEqual(await d1.events(), []);
	});

	it('dom0 can take @releaseDomain away from the domains', async () => {
		assert.equal((await emu.dom0.setPerms('@releaseDomain', ['n0'])).error, undefined);
		await emu.release(4);
		assert.deepEqual(await d1.events(), []);
		assert.deepEqual(await dom0w.events(), [ev('@releaseDomain', 'r')]);
		assert.equal((await d1.request(MessageType.GET_PERMS, strings('@releaseDomain'))).error, 'EACCES');
		assert.equal((await emu.dom0.setPerms('@releaseDomain', ['n0', `r${ANY}`])).error, undefined);
	});

	it('a new domain with the id of a released one inherits no entry on the special nodes', async () => {
		// @introduceDomain says r1; domain 1 goes, a new domain 1 comes.
		d1.close();
		await emu.release(1);
		await emu.introduce(1);
		const again = await emu.connect(1);
		assert.equal(await again.watch('@introduceDomain', 'i'), 'OK');
		await again.events();
		assert.equal((await again.request(MessageType.GET_PERMS, strings('@introduceDomain'))).error, 'EACCES');
		await emu.introduce(6);
		assert.deepEqual(await again.events(), []);
		// Written afresh, the same entry counts for the new domain.
		assert.equal((await emu.dom0.setPerms('@introduceDomain', ['n0', 'r1'])).error, undefined);
		await emu.introduce(7);
		assert.deepEqual(await again.events(), [ev('@introduceDomain', 'i')]);
	});
});
