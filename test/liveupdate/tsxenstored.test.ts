import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { XenstoreClient } from '../../src/client/index.ts';
import { SUCCESSOR_MARKER } from '../../src/liveupdate/target.ts';
import { encodeFrame } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { RawConnection } from '../conformance/raw-connection.ts';
import { type Daemon, startTsxenstored, TSXENSTORED, tempDir, XEN_BIN } from '../harness/daemons.ts';
import {
	arrivalsDuring,
	client,
	eventually,
	listing,
	liveUpdate,
	watchProcess,
	writeExecutable,
} from './helpers.ts';

function pidIn(dir: string): number {
	return Number(readFileSync(join(dir, 'pid'), 'utf8'));
}

function run(
	file: string,
	args: string[],
	env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
	return new Promise((resolve) => {
		execFile(file, args, { env, timeout: 120_000 }, (error, stdout, stderr) => {
			resolve({
				code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
				output: `${stdout}${stderr}`,
			});
		});
	});
}

describe('live update: tsxenstored to tsxenstored', () => {
	let daemon: Daemon;
	let dir: string;
	before(async () => {
		dir = tempDir('lu-ts-');
		daemon = await startTsxenstored({ dir, args: ['-F', join(dir, 'pid')] });
	});
	after(() => daemon.stop());

	it('keeps the store, watches, open transactions and half-sent requests; the pid file follows', async (t) => {
		const env = daemon.clientEnv;
		const xs = await client(daemon.socket);
		await xs.write('/lu/a', 'one');
		await xs.write('/lu/bin', Buffer.from([0, 1, 2, 255]));
		await xs.setPerms('/lu/a', [
			{ domid: 0, access: 'none' },
			{ domid: 5, access: 'read' },
		]);
		const watcher = watchProcess(env, '/lu');
		t.after(() => watcher.process.kill());
		await watcher.waitFor('/lu');
		const tx = await xs.transactionStart();
		await tx.write('/lu/in-tx', 'pending');
		await tx.readString('/lu/a');
		const half = await RawConnection.open(daemon.socket);
		const request = encodeFrame(MessageType.WRITE, 77, 0, '/lu/half\0sent across');
		half.write(request.subarray(0, 20));
		const before = await listing(env);
		const oldPid = pidIn(dir);
		// The daemon's one child: the shell it forked at start, which the successor starts in.
		const standby = Number(readFileSync(`/proc/${oldPid}/task/${oldPid}/children`, 'latin1'));

		const result = await liveUpdate(env, TSXENSTORED);
		assert.equal(result.code, 0, result.output);

		assert.notEqual(pidIn(dir), oldPid, 'the pid file names the successor');
		assert.equal(pidIn(dir), standby, 'the successor runs in the process forked at start');
		assert.equal(await listing(env), before);
		half.write(request.subarray(20));
		assert.ok(await half.waitFor((f) => f.length === 1, 5000), 'the half-sent request is answered');
		assert.deepEqual([half.frames[0]!.type, half.frames[0]!.reqId], [MessageType.WRITE, 77]);
		assert.equal(await xs.readString('/lu/half'), 'sent across');
		assert.equal(await xs.readString('/lu/a'), 'one');
		await tx.commit();
		assert.equal(await xs.readString('/lu/in-tx'), 'pending');
		await xs.write('/lu/after', 'x');
		await watcher.waitFor('/lu/after');
		assert.deepEqual([...(await xs.read('/lu/bin'))], [0, 1, 2, 255]);
		half.close();
		xs.close();
	});

	it('passes a hundred sockets at spawn: idle, watching, or halfway through a request, all served after', async () => {
		const env = daemon.clientEnv;
		const clients = [];
		for (let i = 0; i < 100; i++) clients.push(await client(daemon.socket));
		const [writer, watching] = clients as [XenstoreClient, XenstoreClient];
		await writer.write('/many/value', 'before');
		const watch = await watching.watch('/many', 'token');
		assert.equal((await watch.next()).value?.path, '/many', 'the watch fires once when set');
		const half = await RawConnection.open(daemon.socket);
		const request = encodeFrame(MessageType.READ, 9, 0, '/many/value\0');
		half.write(request.subarray(0, 18));
		const oldPid = pidIn(dir);
		const standby = Number(readFileSync(`/proc/${oldPid}/task/${oldPid}/children`, 'latin1'));

		const result = await liveUpdate(env, TSXENSTORED);
		assert.equal(result.code, 0, result.output);

		const successor = pidIn(dir);
		assert.notEqual(successor, oldPid);
		assert.notEqual(successor, standby, 'the successor was started at the update, with the sockets');
		half.write(request.subarray(18));
		assert.ok(await half.waitFor((f) => f.length === 1, 5000), 'the half-sent request is answered');
		assert.equal(half.frames[0]!.payload.toString(), 'before');
		await writer.write('/many/value', 'after');
		assert.equal((await watch.next()).value?.path, '/many/value', 'the watch carried over');
		const values = await Promise.all(clients.map((c) => c.readString('/many/value')));
		assert.deepEqual(new Set(values), new Set(['after']), 'every client is served');
		half.close();
		for (const c of clients) c.close();
		// The next update goes through the shell this successor forked at its start: the
		// description of the sockets it was started with must not reach the next successor, which
		// would take descriptors of its own for them.
		await eventually(() => readdirSync(`/proc/${successor}/fd`).length < 50, 'the clients to be gone');
		const next = await liveUpdate(env, TSXENSTORED);
		assert.equal(next.code, 0, next.output);
		const environment = readFileSync(`/proc/${pidIn(dir)}/environ`, 'latin1');
		assert.ok(!environment.includes('TSXENSTORED_INHERITED='), 'the next successor is told of no sockets');
		const after = await client(daemon.socket);
		assert.equal(await after.readString('/many/value'), 'after');
		after.close();
	});

	// Clients that connect as the successor takes over are accepted by the old process and handed
	// over to the new one: each must reach it whole, its first request included.
	it('serves every client that connects while the update happens, its first request at once', async () => {
		const xs = await client(daemon.socket);
		await xs.write('/lu/arrivals', 'here');
		xs.close();
		const values = await arrivalsDuring(daemon.socket, '/lu/arrivals', async () => {
			for (let i = 0; i < 3; i++) {
				const result = await liveUpdate(daemon.clientEnv, TSXENSTORED);
				assert.equal(result.code, 0, result.output);
			}
		});
		assert.ok(values.length > 30, `only ${values.length} clients connected during three updates`);
		assert.deepEqual(
			values.filter((v) => v !== 'here'),
			[],
			`of ${values.length} clients, these were not answered`,
		);
	});

	it('carries a transaction that already conflicted: it still answers EAGAIN', async () => {
		const xs = await client(daemon.socket);
		const other = await client(daemon.socket);
		await xs.write('/lu/c', '0');
		const tx = await xs.transactionStart();
		await tx.readString('/lu/c');
		await tx.write('/lu/c', '1');
		await other.write('/lu/c', '2');
		const result = await liveUpdate(daemon.clientEnv, TSXENSTORED);
		assert.equal(result.code, 0, result.output);
		await assert.rejects(tx.commit(), { code: 'EAGAIN' });
		assert.equal(await xs.readString('/lu/c'), '2');
		xs.close();
		other.close();
	});

	it('answers requests sent while the update happens, each once and in order', async () => {
		const xs = await client(daemon.socket);
		let stop = false;
		let written = 0;
		const writer = (async () => {
			while (!stop) {
				await xs.write('/lu/counter', String(written + 1));
				written++;
			}
		})();
		await eventually(() => written > 20, 'the writer to get going');
		const result = await liveUpdate(daemon.clientEnv, TSXENSTORED);
		const at = written;
		await eventually(() => written > at + 20, 'writes to go on after the update');
		stop = true;
		await writer;
		assert.equal(result.code, 0, result.output);
		assert.equal(await xs.readString('/lu/counter'), String(written));
		xs.close();
	});

	it('carries a long child list in order, with children added and removed while it is handed over', async () => {
		const xs = await client(daemon.socket);
		// Long enough for the store's table form of a child list (store/children.ts), with holes.
		const expected: string[] = [];
		for (let start = 0; start < 3000; start += 500) {
			const batch = Array.from({ length: 500 }, (_, i) => `c${start + i}`);
			await Promise.all(batch.map((name) => xs.write(`/lu/long/${name}`, name)));
			expected.push(...batch);
		}
		for (let i = 1; i < 3000; i += 3) await xs.rm(`/lu/long/c${i}`);
		const kept = expected.filter((name) => Number(name.slice(1)) % 3 !== 1);
		expected.splice(0, expected.length, ...kept);
		let stop = false;
		let step = 0;
		// Changes go on through the snapshot walk and up to the handover.
		const changer = (async () => {
			while (!stop) {
				const added = `n${step}`;
				await xs.write(`/lu/long/${added}`, added);
				expected.push(added);
				// c0, c3, c6, ...: there until removed here (removing what is gone already is no error).
				const gone = `c${step * 3}`;
				await xs.rm(`/lu/long/${gone}`);
				if (expected.includes(gone)) expected.splice(expected.indexOf(gone), 1);
				step++;
			}
		})();
		await eventually(() => step > 10, 'changes to get going');
		const result = await liveUpdate(daemon.clientEnv, TSXENSTORED);
		stop = true;
		await changer;
		assert.equal(result.code, 0, result.output);
		assert.deepEqual(await xs.directory('/lu/long'), expected);
		assert.equal(await xs.readString(`/lu/long/${expected.at(-1)}`), expected.at(-1));
		await xs.rm('/lu/long');
		xs.close();
	});

	it('passes test-xenstore after updates', async () => {
		const r = await run(join(XEN_BIN, 'test-xenstore'), [], daemon.clientEnv);
		assert.equal(r.code, 0, r.output);
		assert.doesNotMatch(r.output, /failed/);
	});
});

describe('live update: a successor that cannot take over', () => {
	let daemon: Daemon;
	let dir: string;
	before(async () => {
		dir = tempDir('lu-fail-');
		daemon = await startTsxenstored({ dir, args: ['-F', join(dir, 'pid')] });
	});
	after(() => daemon.stop());

	function script(name: string, body: string): string {
		return writeExecutable(join(dir, name), `#!/bin/sh\n${body}\n`);
	}

	/**
	 * A Node.js script that passes for a tsxenstored successor (it answers `--help` as one), says
	 * `ready` and answers each predecessor message with `lines` (message `m`).
	 */
	function fakeSuccessor(name: string, lines: string[]): string {
		return writeExecutable(
			join(dir, name),
			[
				`if (process.argv.includes('--help')) { console.log(${JSON.stringify(SUCCESSOR_MARKER)}); process.exit(0); }`,
				"process.on('message', (m) => {",
				...lines,
				'});',
				"process.send({ kind: 'ready' });",
			].join('\n'),
		);
	}

	it('refuses a binary that does not start, and serves on', async () => {
		const xs = await client(daemon.socket);
		await xs.write('/fail/a', 'kept');
		const result = await liveUpdate(daemon.clientEnv, script('broken', 'exit 1'));
		assert.notEqual(result.code, 0);
		assert.match(result.output, /New binary cannot start/);
		assert.equal(await xs.readString('/fail/a'), 'kept');
		assert.equal(pidIn(dir), daemon.process.pid);
		xs.close();
	});

	it('goes on serving every client when the successor dies before taking over', async () => {
		const xs = await client(daemon.socket);
		const watch = await xs.watch('/fail', 'w');
		const events = watch[Symbol.asyncIterator]();
		assert.equal((await events.next()).value?.path, '/fail');
		const tx = await xs.transactionStart();
		await tx.write('/fail/tx', 'yes');
		// Answers --help as tsxenstored does, then fails at once when started for real.
		const dies = script(
			'dies',
			`for a in "$@"; do [ "$a" = --help ] && echo '${SUCCESSOR_MARKER}' && exit 0; done; exit 3`,
		);
		const result = await liveUpdate(daemon.clientEnv, dies);
		assert.notEqual(result.code, 0);
		assert.match(result.output, /New binary did not start/);
		await tx.commit();
		assert.equal(await xs.readString('/fail/tx'), 'yes');
		assert.equal((await events.next()).value?.path, '/fail/tx');
		assert.equal(pidIn(dir), daemon.process.pid);
		xs.close();
	});

	it('serves on when the successor fails after requests were held and the state written', async () => {
		const xs = await client(daemon.socket);
		await xs.write('/fail/late', 'before');
		const tx = await xs.transactionStart();
		await tx.write('/fail/late-tx', 'yes');
		// A successor that says it is ready, then dies when told to take over.
		const late = fakeSuccessor('late.mjs', [
			"if (m.kind === 'snapshot') process.send({ kind: 'loaded', file: m.file });",
			"if (m.kind === 'go') process.exit(3);",
		]);
		const result = await liveUpdate(daemon.clientEnv, late);
		assert.notEqual(result.code, 0);
		assert.match(result.output, /exited or stalled before taking over/);
		await tx.commit();
		await xs.write('/fail/late', 'after');
		assert.equal(await xs.readString('/fail/late'), 'after');
		assert.equal(await xs.readString('/fail/late-tx'), 'yes');
		assert.equal(pidIn(dir), daemon.process.pid);
		xs.close();
	});

	// Clients accepted once the state is written are forwarded to the successor; when it fails,
	// the old process takes them back, first requests included.
	it('serves the clients it had forwarded when the successor fails after the state was written', async () => {
		const xs = await client(daemon.socket);
		await xs.write('/fail/arrivals', 'here');
		const late = fakeSuccessor('late-arrivals.mjs', [
			"if (m.kind === 'snapshot') process.send({ kind: 'loaded', file: m.file });",
			"if (m.kind === 'go') setTimeout(() => process.exit(3), 200);",
		]);
		const values = await arrivalsDuring(daemon.socket, '/fail/arrivals', async () => {
			const result = await liveUpdate(daemon.clientEnv, late);
			assert.match(result.output, /exited or stalled before taking over/);
		});
		assert.ok(values.length > 30, `only ${values.length} clients connected during the update`);
		assert.deepEqual(
			values.filter((v) => v !== 'here'),
			[],
			`of ${values.length} clients, these were not answered`,
		);
		assert.equal(pidIn(dir), daemon.process.pid);
		xs.close();
	});

	it('serves on when the successor cannot load the snapshot of the store', async () => {
		const xs = await client(daemon.socket);
		await xs.write('/fail/snapshot', 'before');
		const refusing = fakeSuccessor('refusing.mjs', [
			"if (m.kind === 'snapshot') process.send({ kind: 'not-loaded', reason: 'no room for it' });",
		]);
		const result = await liveUpdate(daemon.clientEnv, refusing);
		assert.notEqual(result.code, 0);
		assert.match(result.output, /could not load the snapshot of the store: no room for it/);
		await xs.write('/fail/snapshot', 'after');
		assert.equal(await xs.readString('/fail/snapshot'), 'after');
		assert.equal(pidIn(dir), daemon.process.pid);
		xs.close();
	});

	it('waits for transactions a foreign successor cannot carry, then refuses without -F', async () => {
		const xs = await client(daemon.socket);
		const tx = await xs.transactionStart();
		await tx.write('/fail/open', 'tx');
		const foreign = script('foreign', 'exit 0');
		const started = Date.now();
		const result = await liveUpdate(daemon.clientEnv, foreign, '-t', '1');
		assert.ok(Date.now() - started >= 1000, 'it waited for the timeout');
		assert.notEqual(result.code, 0);
		assert.match(result.output, /Overlapping transactions/);
		await tx.commit();
		assert.equal(await xs.readString('/fail/open'), 'tx');
		xs.close();
	});
});

describe('live update: clients that come and go while the successor starts', () => {
	let daemon: Daemon;
	let dir: string;
	before(async () => {
		dir = tempDir('lu-churn-');
		daemon = await startTsxenstored({ dir, args: ['-F', join(dir, 'pid')] });
	});
	after(() => daemon.stop());

	/**
	 * tsxenstored as the successor, started only once the test says so: meanwhile the old process
	 * has already handed it the sockets it had at that moment, and goes on serving.
	 */
	function gatedSuccessor(): string {
		return writeExecutable(
			join(dir, 'gated'),
			[
				'#!/bin/sh',
				`for a in "$@"; do [ "$a" = --help ] && exec ${TSXENSTORED} "$@"; done`,
				`touch ${join(dir, 'started')}`,
				`while [ ! -e ${join(dir, 'go')} ]; do sleep 0.05; done`,
				`exec ${TSXENSTORED} "$@"`,
			].join('\n'),
		);
	}

	it('keeps a client that connected after the sockets were handed over, on the number of one that left', async () => {
		const staying = await client(daemon.socket);
		await staying.write('/churn/a', 'one');
		const leaving = await client(daemon.socket);
		await leaving.write('/churn/leaving', 'here');
		const update = liveUpdate(daemon.clientEnv, gatedSuccessor());
		await eventually(() => existsSync(join(dir, 'started')), 'the successor to start');
		// The old process frees the leaving client's descriptor; the next client is given that
		// same number, but the successor only has the leaving client's socket behind it.
		const open = () => readdirSync(`/proc/${daemon.process.pid}/fd`).length;
		const before = open();
		leaving.close();
		await eventually(() => open() < before, 'the old process to close the leaving client');
		const newcomer = await client(daemon.socket);
		await newcomer.write('/churn/b', 'two');
		writeFileSync(join(dir, 'go'), '');
		const result = await update;
		assert.equal(result.code, 0, result.output);
		assert.equal(await newcomer.readString('/churn/a'), 'one');
		await newcomer.write('/churn/b', 'after');
		assert.equal(await staying.readString('/churn/b'), 'after');
		newcomer.close();
		staying.close();
	});
});

describe('live update: `go` behind a socket the successor has not taken yet', () => {
	let daemon: Daemon;
	let dir: string;
	before(async () => {
		dir = tempDir('lu-behind-');
		// The pid file names the successor, for stop() to find it.
		daemon = await startTsxenstored({ dir, args: ['-F', join(dir, 'pid')] });
	});
	after(() => daemon.stop());

	// A client that connects after the sockets went over, while the successor loads the snapshot,
	// has its socket sent at the capture, and `go` then waits in Node's channel behind it: the old
	// process stops reading and polls on until the successor serves, instead of waiting blocked.
	it('hands over a client that connected while the snapshot loaded', async () => {
		const xs = await client(daemon.socket);
		// Enough nodes that writing and loading the snapshot leaves time for a client to connect.
		for (let start = 0; start < 50_000; start += 1000) {
			await Promise.all(Array.from({ length: 1000 }, (_, i) => xs.write(`/big/n${start + i}`, 'v')));
		}
		const snapshot = join(dir, 'root', 'state_dump.snapshot');
		const update = liveUpdate(daemon.clientEnv, TSXENSTORED);
		// Polled more often than `eventually` does: the window is the snapshot's writing and loading.
		for (const deadline = Date.now() + 60_000; !existsSync(snapshot); ) {
			if (Date.now() > deadline) throw new Error(`no snapshot after 60 s:\n${daemon.output()}`);
			await new Promise((r) => setTimeout(r, 1));
		}
		const newcomer = await client(daemon.socket);
		await newcomer.write('/behind/first', 'one');
		const result = await update;
		assert.equal(result.code, 0, result.output);
		assert.match(daemon.output(), /`go` waits behind a socket the successor has not taken yet/);
		assert.equal(await newcomer.readString('/behind/first'), 'one');
		await newcomer.write('/behind/second', 'two');
		assert.equal(await xs.readString('/behind/second'), 'two');
		assert.equal(await xs.readString('/big/n49999'), 'v');
		newcomer.close();
		xs.close();
	});
});
