/**
 * The streams the real daemons wrote (test/fixtures/migration, made by generate.ts from
 * scenario.ts), checked field by field against what the script put into them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { describe, it } from 'node:test';
import { NO_TARGET } from '../../src/migration/constants.ts';
import type { ConnectionDataRecord, MigrationRecord, NodeDataRecord } from '../../src/migration/records.ts';
import { readTextDumpItems } from '../../src/migration/text-dump.ts';
import { encodeStreamToBuffer } from '../../src/migration/writer.ts';
import { C_FIXTURE, OX_FIXTURE } from '../fixtures/migration/generate.ts';
import {
	DOMAINS,
	HALF_SENT,
	INTRODUCE_PERMS,
	NODES,
	PARTIAL_HEADER_BYTES,
	STALE_IN_C,
	TARGET,
	UNREAD,
	WATCHES,
	XENSTORE_WATCH_PATH,
} from '../fixtures/migration/scenario.ts';
import { readAll } from './helpers.ts';

const LE = endianness() === 'LE';
const u32 = (b: Buffer, o: number) => (LE ? b.readUInt32LE(o) : b.readUInt32BE(o));

const permString = (n: NodeDataRecord) => n.perms.map((p) => `${p.access}${p.domid}`);
const nodes = (records: MigrationRecord[]) =>
	records.filter((r): r is NodeDataRecord => r.type === 'NODE_DATA');
const connections = (records: MigrationRecord[]) =>
	records.filter((r): r is ConnectionDataRecord => r.type === 'CONNECTION_DATA');

/** Split pending output into xenstore messages (header in host order, then payload). */
function messages(bytes: Buffer): { type: number; reqId: number; txId: number; payload: Buffer }[] {
	const out = [];
	for (let at = 0; at < bytes.length; ) {
		const len = u32(bytes, at + 12);
		out.push({
			type: u32(bytes, at),
			reqId: u32(bytes, at + 4),
			txId: u32(bytes, at + 8),
			payload: bytes.subarray(at + 16, at + 16 + len),
		});
		at += 16 + len;
	}
	return out;
}

/** The watches right after a connection, up to the next connection. */
function watchesAfter(records: MigrationRecord[], conn: ConnectionDataRecord) {
	const out = [];
	for (let i = records.indexOf(conn) + 1; i < records.length; i++) {
		const r = records[i]!;
		if (r.type !== 'WATCH_DATA') break;
		assert.equal(r.connId, conn.connId);
		out.push({ path: r.path, token: r.token });
	}
	return out;
}

function checkNodes(records: MigrationRecord[], staleDomain: number | undefined) {
	const byPath = new Map(nodes(records).map((n) => [n.path, n]));
	for (const expected of NODES) {
		const n = byPath.get(expected.path);
		assert.ok(n, `node ${expected.path} is in the stream`);
		assert.deepEqual(n.value, expected.value, `value of ${expected.path}`);
		assert.deepEqual(permString(n), expected.perms, `perms of ${expected.path}`);
		for (const p of n.perms) {
			const stale = staleDomain !== undefined && expected.path === STALE_IN_C.path && p.domid === staleDomain;
			assert.equal(p.stale, stale, `stale flag of ${p.access}${p.domid} on ${expected.path}`);
		}
	}
	assert.deepEqual(permString(byPath.get('@introduceDomain')!), INTRODUCE_PERMS);
	assert.deepEqual(permString(byPath.get('@releaseDomain')!), ['n0']);
	// Every committed node comes after its parent (the reader checks it too; this says it of the fixture).
	const seen = new Set<string>();
	for (const n of nodes(records)) {
		if (n.path !== '/' && !n.path.startsWith('@'))
			assert.ok(seen.has(n.path.slice(0, n.path.lastIndexOf('/')) || '/'), n.path);
		seen.add(n.path);
	}
}

describe('C xenstored 4.17 live-update stream', () => {
	const bytes = readFileSync(C_FIXTURE);

	it('is version 1 in the host byte order, with the records in C order', async () => {
		assert.equal(bytes.toString('latin1', 0, 8), 'xenstore');
		assert.equal(bytes.readUInt32BE(8), 1);
		assert.equal(bytes.readUInt32BE(12), LE ? 0 : 1);
		const records = await readAll(bytes);
		const kinds = records.map((r) => r.type).join(' ');
		assert.match(kinds, /^GLOBAL_DATA( CONNECTION_DATA( WATCH_DATA)*)+( NODE_DATA)+ END$/);
		const first = nodes(records)
			.slice(0, 3)
			.map((n) => n.path);
		assert.deepEqual(first, ['@releaseDomain', '@introduceDomain', '/']);
	});

	it('holds the rings of dom0 and of the introduced domains, with their target', async () => {
		const records = await readAll(bytes);
		const global = records[0]!;
		assert.ok(global.type === 'GLOBAL_DATA' && global.socketFd >= 0 && global.evtchnFd >= 0);
		const rings = connections(records).filter((c) => c.spec.kind === 'ring');
		assert.deepEqual(
			rings.map((c) => (c.spec.kind === 'ring' ? [c.spec.domid, c.spec.target] : [])),
			[
				[0, NO_TARGET],
				...DOMAINS.map((d) => [d.domid, d.domid === TARGET.domid ? TARGET.target : NO_TARGET]),
			],
		);
		for (const c of rings) {
			assert.ok(c.spec.kind === 'ring' && c.spec.evtchn > 0, 'each ring has its local event channel port');
			assert.equal(c.uniqueId, undefined, '4.17 writes no unique id');
		}
		const ids = connections(records).map((c) => c.connId);
		assert.deepEqual(
			ids,
			ids.map((_, i) => i + 1),
			'connections are numbered from 1 in order',
		);
	});

	it("holds the socket clients' watches, half-sent input and unsent replies", async () => {
		const records = await readAll(bytes);
		const sockets = connections(records).filter((c) => c.spec.kind === 'socket');
		const watcher = sockets.find((c) => watchesAfter(records, c).length === WATCHES.length)!;
		assert.deepEqual(watchesAfter(records, watcher), WATCHES);
		const xsWatch = sockets.find((c) => watchesAfter(records, c).length === 1)!;
		assert.deepEqual(watchesAfter(records, xsWatch), [
			{ path: XENSTORE_WATCH_PATH, token: XENSTORE_WATCH_PATH },
		]);

		const half = sockets.find((c) => c.pendingIn.length === 16 + HALF_SENT.sent)!;
		assert.deepEqual(half.pendingIn.subarray(16), HALF_SENT.payload.subarray(0, HALF_SENT.sent));
		assert.deepEqual(
			[u32(half.pendingIn, 0), u32(half.pendingIn, 4), u32(half.pendingIn, 12)],
			[HALF_SENT.type, HALF_SENT.reqId, HALF_SENT.payload.length],
		);
		assert.ok(
			sockets.some((c) => c.pendingIn.length === PARTIAL_HEADER_BYTES),
			'the partial header is kept',
		);

		const unread = sockets.find((c) => c.pendingOut.length > 100)!;
		const replies = messages(unread.pendingOut.subarray(unread.partialResponseLength));
		assert.ok(replies.length > 0);
		const last = replies.at(-1)!;
		assert.equal(last.reqId, UNREAD.firstReqId + UNREAD.count - 1, 'the last reply answers the last request');
		for (const [i, m] of replies.entries()) {
			assert.equal(m.type, 2);
			assert.equal(m.reqId, last.reqId - (replies.length - 1 - i), 'replies are in order, none missing');
			assert.deepEqual(m.payload, NODES.find((n) => n.path === UNREAD.path)!.value);
		}
	});

	it('ends the connections with the requester, whose pending output is the OK of live-update', async () => {
		const records = await readAll(bytes);
		const requester = connections(records).at(-1)!;
		assert.equal(requester.spec.kind, 'socket');
		const [reply, ...more] = messages(requester.pendingOut);
		assert.deepEqual(more, []);
		assert.equal(reply!.type, 0, 'a CONTROL reply');
		assert.deepEqual(reply!.payload, Buffer.from('OK\0'));
	});

	it('holds every node with its value, perms and stale flags, parents first', async () => {
		checkNodes(await readAll(bytes), STALE_IN_C.domid);
	});

	it('is written again byte for byte from what we read', async () => {
		const records = await readAll(bytes);
		assert.deepEqual(
			await encodeStreamToBuffer(records, { version: 1, endian: LE ? 'little' : 'big' }),
			bytes,
		);
	});
});

describe('oxenstored 4.17 text dump', () => {
	const read = async () => {
		const out: MigrationRecord[] = [];
		for await (const item of readTextDumpItems([readFileSync(OX_FIXTURE)]))
			if (item.kind === 'record') out.push(item.record);
		return out;
	};

	it("reads dom0's ring with oxenstored's extras, the sockets and their watches", async () => {
		const records = await read();
		const global = records[0]!;
		assert.ok(
			global.type === 'GLOBAL_DATA' &&
				global.socketFd >= 0 &&
				global.evtchnFd >= 0 &&
				global.domexcPort !== undefined,
		);
		const [dom0, ...sockets] = connections(records);
		assert.ok(
			dom0!.spec.kind === 'ring' &&
				dom0!.spec.domid === 0 &&
				dom0!.spec.mfn === 0n &&
				dom0!.spec.remotePort !== undefined,
		);
		assert.ok(sockets.every((c) => c.spec.kind === 'socket'));
		const watched = sockets.map((c) => watchesAfter(records, c)).filter((w) => w.length > 0);
		const sorted = (w: { path: string; token: string }[]) =>
			[...w].sort((a, b) => a.path.localeCompare(b.path));
		assert.deepEqual(
			watched.map(sorted).sort((a, b) => a.length - b.length),
			[[{ path: XENSTORE_WATCH_PATH, token: XENSTORE_WATCH_PATH }], sorted([...WATCHES])],
		);
	});

	it('holds every node with its value and perms, the special nodes as @ nodes', async () => {
		checkNodes(await read(), undefined);
	});

	it('converts to a binary stream that reads back the same', async () => {
		const records = await read();
		const bytes = await encodeStreamToBuffer(records, { version: 1, endian: 'big' });
		const back = await readAll(bytes);
		const strip = (r: MigrationRecord): MigrationRecord => {
			if (r.type === 'GLOBAL_DATA') return { type: r.type, socketFd: r.socketFd, evtchnFd: r.evtchnFd };
			if (r.type === 'CONNECTION_DATA' && r.spec.kind === 'ring') {
				return {
					...r,
					spec: { kind: 'ring', domid: r.spec.domid, target: r.spec.target, evtchn: r.spec.evtchn },
				};
			}
			return r;
		};
		assert.deepEqual(back, records.map(strip));
	});
});
