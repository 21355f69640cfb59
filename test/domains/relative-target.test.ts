/**
 * Relative paths of a domain (docs/misc/xenstore.txt: relative to /local/domain/<domid>), in
 * requests and in watches, whose events then come relative too (C xenstored strips the prefix it
 * added); and SET_TARGET, which gives a device model the rights of its guest on the connections it
 * already has and on new ones, the guest getting nothing in return.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { splitStrings } from '../../src/protocol/payload.ts';
import { Emulation } from './emulation.ts';
import { MessageType, type RawClient, strings, type WatchEvent } from './raw.ts';

const ev = (path: string, token: string): WatchEvent => ({ path, token });

describe('relative paths of a domain', () => {
	let emu: Emulation;
	let d: RawClient;

	before(async () => {
		emu = await Emulation.start();
		await emu.introduceWithHome(21);
		d = await emu.connect(21);
	});
	after(() => emu?.stop());

	it('resolve against the home in every request', async () => {
		assert.equal((await d.write('dev/vbd', 'disk')).error, undefined);
		assert.equal((await emu.dom0.read('/local/domain/21/dev/vbd')).payload.toString(), 'disk');
		assert.equal((await d.read('dev/vbd')).payload.toString(), 'disk');
		assert.deepEqual(splitStrings(await d.ok(MessageType.DIRECTORY, strings('dev'))), ['vbd']);
		assert.deepEqual(await d.getPerms('dev/vbd'), ['n21']);
		assert.equal((await d.setPerms('dev/vbd', ['n21', 'r0'])).error, undefined);
		assert.equal(await d.outcome(MessageType.RM, strings('dev/vbd')), 'OK');
		assert.equal((await emu.dom0.read('/local/domain/21/dev/vbd')).error, 'ENOENT');
		assert.equal((await d.write('dev//x', '')).error, 'EINVAL');
		assert.equal((await d.write('dev/', '')).error, 'EINVAL');
	});

	it('watches set relative hear relative paths, absolute ones absolute paths', async () => {
		assert.equal(await d.watch('dev', 'rel'), 'OK');
		assert.equal(await d.watch('/local/domain/21/dev', 'abs'), 'OK');
		assert.equal(await d.watch('dev', 'depth1', 1), 'OK');
		assert.deepEqual(await d.events(), [
			ev('dev', 'rel'),
			ev('/local/domain/21/dev', 'abs'),
			ev('dev', 'depth1'),
		]);
		assert.equal((await emu.dom0.write('/local/domain/21/dev/vif/0', 'x')).error, undefined);
		assert.deepEqual(await d.events(), [ev('dev/vif/0', 'rel'), ev('/local/domain/21/dev/vif/0', 'abs')]);
		assert.equal((await d.write('dev/vbd', 'y')).error, undefined);
		assert.deepEqual(await d.events(), [
			ev('dev/vbd', 'rel'),
			ev('/local/domain/21/dev/vbd', 'abs'),
			ev('dev/vbd', 'depth1'),
		]);
		// Removing the watched node: every watch on it hears it, relative or absolute as set.
		assert.equal(await emu.dom0.outcome(MessageType.RM, strings('/local/domain/21/dev')), 'OK');
		assert.deepEqual(await d.events(), [
			ev('dev', 'rel'),
			ev('/local/domain/21/dev', 'abs'),
			ev('dev', 'depth1'),
		]);
		// UNWATCH takes the path as given, relative or not.
		assert.equal(await d.outcome(MessageType.UNWATCH, strings('dev', 'rel')), 'OK');
		assert.equal(await d.outcome(MessageType.UNWATCH, strings('/local/domain/21/dev', 'depth1')), 'OK');
		assert.equal(await d.outcome(MessageType.UNWATCH, strings('dev', 'abs')), 'OK');
		assert.equal(await d.outcome(MessageType.UNWATCH, strings('dev', 'abs')), 'ENOENT');
	});

	it("Debian's tools in the domain use and print relative paths", async () => {
		assert.equal((await emu.tool(21, 'xenstore-write', ['name', 'guest21'])).code, 0);
		const read = await emu.tool(21, 'xenstore-read', ['name']);
		assert.deepEqual([read.code, read.stdout], [0, 'guest21\n']);
		// xenstore-watch prints each event's path; it exits after -n events.
		const watcher = spawn('xenstore-watch', ['-n', '2', 'name'], {
			env: { ...process.env, XENSTORED_PATH: emu.socketOf(21) },
		});
		let out = '';
		watcher.stdout.on('data', (b: Buffer) => {
			out += b.toString();
		});
		const exited = new Promise<number | null>((resolve) => watcher.once('exit', resolve));
		const deadline = Date.now() + 5000;
		while (!out.includes('name\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
		assert.equal((await emu.dom0.write('/local/domain/21/name/sub', 'x')).error, undefined);
		const timer = setTimeout(() => watcher.kill(), 5000);
		assert.equal(await exited, 0);
		clearTimeout(timer);
		assert.equal(out, 'name\nname/sub\n');
	});
});

describe('SET_TARGET', () => {
	let emu: Emulation;
	let dm: RawClient;
	let guest: RawClient;

	before(async () => {
		emu = await Emulation.start();
		await emu.introduceWithHome(22);
		await emu.introduceWithHome(23);
		assert.equal((await emu.dom0.write('/local/domain/22/secret', 's')).error, undefined);
		assert.equal((await emu.dom0.setPerms('/local/domain/22/secret', ['n22'])).error, undefined);
		guest = await emu.connect(22);
		dm = await emu.connect(23);
		assert.equal((await dm.read('/local/domain/22/secret')).error, 'EACCES', 'no rights before');
		assert.equal(await dm.watch('/local/domain/22', 'guest'), 'OK');
		await dm.events();
		await emu.dom0.ok(MessageType.SET_TARGET, strings('23', '22'));
	});
	after(() => emu?.stop());

	it("gives the device model its guest's rights, on the connection it already has and on new ones", async () => {
		assert.equal((await dm.read('/local/domain/22/secret')).payload.toString(), 's');
		const later = await emu.connect(23);
		assert.equal((await later.read('/local/domain/22/secret')).payload.toString(), 's');
		// The guest's nodes are its own as far as perms go: it may change them, not their owner.
		assert.equal((await dm.setPerms('/local/domain/22/secret', ['n22', 'r23'])).error, undefined);
		assert.equal((await dm.setPerms('/local/domain/22/secret', ['n23'])).error, 'EPERM');
		// What it creates there is its own.
		assert.equal((await dm.write('/local/domain/22/dm-state', 'running')).error, undefined);
		assert.deepEqual(await emu.dom0.getPerms('/local/domain/22/dm-state'), ['n23']);
	});

	it("lets the device model hear of its guest's nodes", async () => {
		await dm.events();
		assert.equal((await emu.dom0.write('/local/domain/22/secret', 'changed')).error, undefined);
		assert.equal((await emu.dom0.write('/local/domain/22/new', 'n')).error, undefined);
		assert.deepEqual(await dm.events(), [
			ev('/local/domain/22/secret', 'guest'),
			ev('/local/domain/22/new', 'guest'),
		]);
	});

	it('gives the guest nothing of the device model', async () => {
		assert.equal((await guest.read('/local/domain/23')).error, 'EACCES');
		assert.equal((await guest.write('/local/domain/23/x', '')).error, 'EACCES');
	});

	it('needs both domains introduced', async () => {
		assert.equal(await emu.dom0.outcome(MessageType.SET_TARGET, strings('23', '99')), 'ENOENT');
		assert.equal(await emu.dom0.outcome(MessageType.SET_TARGET, strings('99', '22')), 'ENOENT');
	});
});
