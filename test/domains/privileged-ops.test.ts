/**
 * Operations for dom0 only (docs/misc/xenstore.txt; C xenstored's XS_FLAG_PRIV): INTRODUCE,
 * RELEASE, RESUME, SET_TARGET, IS_DOMAIN_INTRODUCED, GET_QUOTA, SET_QUOTA, SET_FEATURE, CONTROL,
 * and GET_FEATURE naming a domain. A domain gets EACCES and changes nothing. Then what dom0 does
 * with them: quotas per domain, features set before INTRODUCE only, and what a domain's
 * features mean for its own requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { splitStrings } from '../../src/protocol/payload.ts';
import { Emulation } from './emulation.ts';
import { MessageType, type RawClient, strings } from './raw.ts';

/** Feature bits (docs/misc/xenstore-ring.txt). */
const ERROR = 2;
const WATCHDEPTH = 4;
const DOMID_ANY = 8;

describe('operations for dom0 only', () => {
	let emu: Emulation;
	let d: RawClient;

	before(async () => {
		emu = await Emulation.start();
		await emu.introduceWithHome(31);
		await emu.introduce(32);
		d = await emu.connect(31);
	});
	after(() => emu?.stop());

	const text = (b: Buffer) => splitStrings(b).join(' ');

	it('are refused to a domain with EACCES, and change nothing', async () => {
		const refused: Array<[string, number, Buffer]> = [
			['INTRODUCE', MessageType.INTRODUCE, strings('40', '4096', '1')],
			['RELEASE', MessageType.RELEASE, strings('32')],
			['RESUME', MessageType.RESUME, strings('32')],
			['SET_TARGET', MessageType.SET_TARGET, strings('31', '32')],
			['IS_DOMAIN_INTRODUCED', MessageType.IS_DOMAIN_INTRODUCED, strings('32')],
			['GET_QUOTA (names)', MessageType.GET_QUOTA, Buffer.alloc(0)],
			['GET_QUOTA (global)', MessageType.GET_QUOTA, strings('nodes')],
			['GET_QUOTA (own)', MessageType.GET_QUOTA, strings('31', 'nodes')],
			['SET_QUOTA (global)', MessageType.SET_QUOTA, strings('nodes', '1')],
			['SET_QUOTA (own)', MessageType.SET_QUOTA, strings('31', 'nodes', '100000')],
			['SET_FEATURE', MessageType.SET_FEATURE, strings('40', '0')],
			['GET_FEATURE of a domain', MessageType.GET_FEATURE, strings('32')],
			['CONTROL check', MessageType.CONTROL, strings('check')],
			['CONTROL quota', MessageType.CONTROL, strings('quota')],
			['CONTROL help', MessageType.CONTROL, strings('help')],
		];
		const got: string[] = [];
		for (const [name, type, payload] of refused) got.push(`${name}: ${await d.outcome(type, payload)}`);
		assert.deepEqual(
			got,
			refused.map(([name]) => `${name}: EACCES`),
		);
		const { dom0 } = emu;
		assert.equal(text(await dom0.ok(MessageType.IS_DOMAIN_INTRODUCED, strings('40'))), 'F');
		assert.equal(text(await dom0.ok(MessageType.IS_DOMAIN_INTRODUCED, strings('32'))), 'T');
		assert.equal(text(await dom0.ok(MessageType.GET_QUOTA, strings('nodes'))), '1000');
		assert.equal(text(await dom0.ok(MessageType.GET_QUOTA, strings('31', 'nodes'))), '1000');
		// The rest of the domain's conversation goes on.
		assert.equal((await d.write('still', 'here')).error, undefined);
	});

	it("are refused to a domain's own xenstore-control", async () => {
		const r = await emu.tool(31, '/usr/lib/xen-4.17/bin/xenstore-control', ['check']);
		assert.notEqual(r.code, 0);
		assert.match(r.stderr + r.stdout, /Error 13 /, 'errno 13 is EACCES');
		const ok = await emu.tool(0, '/usr/lib/xen-4.17/bin/xenstore-control', ['quota', '31']);
		assert.equal(ok.code, 0, ok.stderr);
		assert.match(ok.stdout, /^Domain 31:/);
	});

	it('GET_FEATURE without a domid tells a domain its own features', async () => {
		const all = Number(text(await emu.dom0.ok(MessageType.GET_FEATURE, Buffer.alloc(0))));
		assert.equal(all & (ERROR | WATCHDEPTH | DOMID_ANY), ERROR | WATCHDEPTH | DOMID_ANY);
		assert.equal(Number(text(await d.ok(MessageType.GET_FEATURE, Buffer.alloc(0)))), all);
	});

	it('GET_QUOTA and SET_QUOTA: per domain, or the global default', async () => {
		const { dom0 } = emu;
		assert.equal(await dom0.outcome(MessageType.SET_QUOTA, strings('32', 'watches', '7')), 'OK');
		assert.equal(text(await dom0.ok(MessageType.GET_QUOTA, strings('32', 'watches'))), '7');
		assert.equal(text(await dom0.ok(MessageType.GET_QUOTA, strings('31', 'watches'))), '128');
		assert.equal(text(await dom0.ok(MessageType.GET_QUOTA, strings('watches'))), '128');
		const names = text(await dom0.ok(MessageType.GET_QUOTA, Buffer.alloc(0))).split(' ');
		for (const q of ['nodes', 'watches', 'transactions', 'node-size', 'permissions'])
			assert.ok(names.includes(q), `the spec's quota ${q} is listed`);
		assert.equal(await dom0.outcome(MessageType.GET_QUOTA, strings('no-such-quota')), 'EINVAL');
		assert.equal(await dom0.outcome(MessageType.SET_QUOTA, strings('32', 'no-such-quota', '1')), 'EINVAL');
		// A global value set now is the default of a domain introduced afterwards.
		assert.equal(await dom0.outcome(MessageType.SET_QUOTA, strings('transactions', '3')), 'OK');
		await emu.introduce(33);
		assert.equal(text(await dom0.ok(MessageType.GET_QUOTA, strings('33', 'transactions'))), '3');
	});

	it('SET_FEATURE: only bits the daemon has, only before INTRODUCE', async () => {
		const { dom0 } = emu;
		assert.equal(await dom0.outcome(MessageType.SET_FEATURE, strings('34', String(ERROR))), 'OK');
		assert.equal(text(await dom0.ok(MessageType.GET_FEATURE, strings('34'))), String(ERROR));
		assert.equal(await dom0.outcome(MessageType.SET_FEATURE, strings('35', '16')), 'EINVAL');
		await emu.introduce(34);
		assert.equal(await dom0.outcome(MessageType.SET_FEATURE, strings('34', '0')), 'EBUSY');
		const d34 = await emu.connect(34);
		assert.equal(text(await d34.ok(MessageType.GET_FEATURE, Buffer.alloc(0))), String(ERROR));
	});

	it('a domain without WATCHDEPTH may not give a depth; without DOMID_ANY its DOMID_ANY entries count for nothing', async () => {
		// C xenstored checks the domain's own features (feature_available, domain_alloc_permrefs).
		const { dom0 } = emu;
		assert.equal(await dom0.outcome(MessageType.SET_FEATURE, strings('36', '0')), 'OK');
		await emu.introduceWithHome(36);
		const d36 = await emu.connect(36);
		assert.equal(await d36.watch('x', 'depth', 1), 'EINVAL');
		assert.equal(await d36.watch('x', 'nodepth'), 'OK');
		assert.equal((await d36.write('open', 'o')).error, undefined);
		assert.equal((await d36.setPerms('open', ['n36', 'r32756'])).error, undefined);
		assert.equal((await d.read('/local/domain/36/open')).error, 'EACCES');
		// The same entry written by dom0 counts.
		assert.equal((await dom0.setPerms('/local/domain/36/open', ['n36', 'r32756'])).error, undefined);
		assert.equal((await d.read('/local/domain/36/open')).payload.toString(), 'o');
		// A domain with the feature may use it.
		assert.equal((await d.write('any', 'a')).error, undefined);
		assert.equal((await d.setPerms('any', ['n31', 'r32756'])).error, undefined);
		assert.equal((await d36.read('/local/domain/31/any')).payload.toString(), 'a');
		assert.equal(await d.watch('x', 'depth', 1), 'OK');
	});
});
