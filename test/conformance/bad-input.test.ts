/**
 * Hostile input against tsxenstored: a client that floods requests and never reads its replies
 * must not make the daemon's memory grow without bound (C xenstored 4.17 does: it keeps every
 * reply queued), and garbage, oversized headers and half-sent requests cost only the connection
 * that sent them.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { connect as connectSocket, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, type XenstoreClient } from '../../src/client/index.ts';
import { encodeFrame } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { type Daemon, startCXenstored, startTsxenstored } from '../harness/daemons.ts';

/** Growth of the daemon's resident memory a flood may cause; C 4.17 passes it within a second or two. */
const RSS_GROWTH_BOUND_MB = 64;
const FLOOD_MS = 3000;

function rssMb(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function openSocket(path: string): Promise<Socket> {
	return new Promise((resolve, reject) => {
		const s = connectSocket(path);
		s.once('error', reject);
		s.once('connect', () => resolve(s));
	});
}

const bigValue = Buffer.alloc(4000, 0x61);
/** Small requests with big replies: reads of a 4000-byte value. */
const readBatch = Buffer.concat(
	Array.from({ length: 200 }, (_, i) => encodeFrame(MessageType.READ, i + 1, 0, '/flood/big\0')),
);
/** Big requests with small replies: writes of 4000-byte values. */
const writeBatch = Buffer.concat(
	Array.from({ length: 50 }, (_, i) =>
		encodeFrame(MessageType.WRITE, i + 1, 0, Buffer.concat([Buffer.from('/flood/w\0'), bigValue])),
	),
);

/**
 * Small requests a daemon may take from a client that reads none of their big replies: once its
 * output waits, a daemon must stop reading, so only socket buffers' worth gets in.
 */
const ACCEPTED_INPUT_BOUND_MB = 4;

interface FloodResult {
	/** Largest growth of the daemon's RSS seen, in MB. */
	growth: number;
	/** Bytes the daemon took from the flooding client (written and not left in our buffers), in MB. */
	accepted: number;
}

/**
 * Write `batch` again and again for `ms` on a connection that never reads, sampling the daemon's
 * RSS; stops early once growth passes `stopAbove` MB.
 */
async function flood(
	daemon: Daemon,
	batch: Buffer,
	ms: number,
	stopAbove = Number.POSITIVE_INFINITY,
): Promise<FloodResult> {
	const pid = daemon.process.pid!;
	const baseline = rssMb(pid);
	let growth = 0;
	const s = await openSocket(daemon.socket);
	s.on('error', () => undefined);
	const sampler = setInterval(() => {
		growth = Math.max(growth, rssMb(pid) - baseline);
	}, 50);
	const end = Date.now() + ms;
	const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
	try {
		while (Date.now() < end && growth <= stopAbove && !s.destroyed) {
			// Once the daemon stops reading, our own buffer stops draining: wait for it, or the end.
			if (!s.write(batch)) while (s.writableLength > 0 && Date.now() < end && !s.destroyed) await sleep(10);
			else await new Promise((r) => setImmediate(r));
		}
	} finally {
		clearInterval(sampler);
		growth = Math.max(growth, rssMb(pid) - baseline);
		s.destroy();
	}
	return { growth, accepted: (s.bytesWritten - s.writableLength) / 2 ** 20 };
}

function report(t: { diagnostic(m: string): void }, what: string, r: FloodResult): void {
	t.diagnostic(
		`tsxenstored during a ${FLOOD_MS} ms ${what} flood: RSS grew ${r.growth.toFixed(1)} MB, took ${r.accepted.toFixed(1)} MB of requests`,
	);
}

describe('bad input', () => {
	let ts: Daemon;
	let client: XenstoreClient;
	before(async () => {
		ts = await startTsxenstored();
		client = await connect({ path: ts.socket });
		await client.write('/flood/big', bigValue);
	});
	after(async () => {
		client?.close();
		await ts?.stop();
		if (ts) rmSync(ts.dir, { recursive: true, force: true });
	});

	it(`a client flooding reads without reading replies: tsxenstored stops reading it, grows less than ${RSS_GROWTH_BOUND_MB} MB`, async (t) => {
		const others = otherClientKeepsWorking(ts);
		let result: FloodResult;
		try {
			result = await flood(ts, readBatch, FLOOD_MS);
		} finally {
			t.diagnostic(await others.stop());
		}
		report(t, 'read', result);
		assert.ok(
			result.accepted < ACCEPTED_INPUT_BOUND_MB,
			`kept reading: took ${result.accepted.toFixed(1)} MB`,
		);
		assert.ok(result.growth < RSS_GROWTH_BOUND_MB, `RSS grew ${result.growth.toFixed(1)} MB`);
	});

	it(`a client flooding big writes without reading replies grows tsxenstored by less than ${RSS_GROWTH_BOUND_MB} MB`, async (t) => {
		const others = otherClientKeepsWorking(ts);
		let result: FloodResult;
		try {
			result = await flood(ts, writeBatch, FLOOD_MS);
		} finally {
			t.diagnostic(await others.stop());
		}
		report(t, 'write', result);
		// Writes are consumed as they come (their small replies fill no buffer quickly): only memory counts.
		assert.ok(result.growth < RSS_GROWTH_BOUND_MB, `RSS grew ${result.growth.toFixed(1)} MB`);
	});

	it('the bound is one C xenstored 4.17 fails: its memory grows past it under the same flood', async (t) => {
		const c = await startCXenstored();
		try {
			const cc = await connect({ path: c.socket });
			await cc.write('/flood/big', bigValue);
			cc.close();
			const { growth } = await flood(c, readBatch, 10_000, RSS_GROWTH_BOUND_MB);
			t.diagnostic(`C xenstored 4.17 RSS growth: ${growth.toFixed(1)} MB (the flood stops there)`);
			assert.ok(
				growth > RSS_GROWTH_BOUND_MB,
				`C grew only ${growth.toFixed(1)} MB: the flood is too weak to prove anything`,
			);
		} finally {
			await c.stop();
			rmSync(c.dir, { recursive: true, force: true });
		}
	});

	it('garbage, oversized headers and half-sent requests close only their own connection', async () => {
		const watch = await client.watch('/bad/watched', 'bad-input');
		const events = watch[Symbol.asyncIterator]();
		assert.equal((await events.next()).value?.path, '/bad/watched');
		const tx = await client.transactionStart();
		await tx.write('/badtx/node', 'in transaction');
		const attacks: Buffer[] = [
			Buffer.from('GET / HTTP/1.1\r\nHost: xenstore\r\n\r\n'),
			(() => {
				const h = encodeFrame(MessageType.WRITE, 1, 0, '');
				h.writeUInt32LE(4097, 12);
				return h;
			})(),
			Buffer.alloc(64, 0xff),
			encodeFrame(MessageType.WRITE, 1, 0, '/bad/half\0value').subarray(0, 20),
			Buffer.concat([encodeFrame(MessageType.READ, 1, 0, '/\0'), Buffer.from([1, 2, 3])]),
		];
		for (const bytes of attacks) {
			const s = await openSocket(ts.socket);
			s.on('error', () => undefined);
			s.write(bytes);
			await new Promise((r) => setTimeout(r, 20));
			s.destroy();
		}
		await client.write('/bad/watched/after', 'v');
		assert.equal((await events.next()).value?.path, '/bad/watched/after');
		assert.equal(await tx.readString('/badtx/node'), 'in transaction');
		await tx.commit();
		assert.equal(await client.readString('/badtx/node'), 'in transaction');
		await assert.rejects(client.read('/bad/half'), { code: 'ENOENT' });
		await watch.close();
	});
});

/**
 * Another client doing ordinary work during a flood: it must keep being served. Its slowest
 * round trip is reported (not asserted: speed belongs to benchmarks).
 */
function otherClientKeepsWorking(daemon: Daemon): { stop(): Promise<string> } {
	let running = true;
	let rounds = 0;
	let slowest = 0;
	const work = (async () => {
		const other = await connect({ path: daemon.socket });
		try {
			while (running) {
				const t0 = performance.now();
				await other.write('/flood/other', String(rounds));
				assert.equal(await other.readString('/flood/other'), String(rounds));
				slowest = Math.max(slowest, performance.now() - t0);
				rounds++;
				await new Promise((r) => setTimeout(r, 20));
			}
		} finally {
			other.close();
		}
	})();
	return {
		async stop() {
			running = false;
			await work;
			assert.ok(rounds > 0, 'the other client was served during the flood');
			return `other client: ${rounds} write+read rounds during the flood, slowest ${slowest.toFixed(0)} ms`;
		},
	};
}
