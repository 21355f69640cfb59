import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'tsxs-ipc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

import { bareHandle, INHERITED_FD_BASE, parseInherited, sentAtOnce } from '../../src/liveupdate/ipc.ts';

const ipcModule = pathToFileURL(join(import.meta.dirname, '../../src/liveupdate/ipc.ts')).href;
const transportModule = pathToFileURL(join(import.meta.dirname, '../../src/server/socket-transport.ts')).href;

/**
 * What a successor-to-be makes of the bare handle it was sent (`handle`): a paused socket, or a
 * transport on one that a held connection pauses before it starts (as the daemon does for a client
 * it prepares).
 */
const makers = {
	pausedSocket: `import { pausedSocket } from ${JSON.stringify(ipcModule)};
		const make = (handle) => pausedSocket(handle);`,
	'a paused SocketTransport': `import { pausedSocket } from ${JSON.stringify(ipcModule)};
		import { SocketTransport } from ${JSON.stringify(transportModule)};
		const make = (handle) => {
			const t = new SocketTransport(pausedSocket(handle));
			t.pause();
			t.attach({ data: () => console.log('read'), drain() {}, close() {}, reset() {} });
		};`,
};

/**
 * A client's socket is served here, paused, and given to a successor-to-be that `start` spawns:
 * it makes its socket object, prints `made`, and waits. The client then sends a request, which
 * must still be here once the successor is gone: it read nothing.
 */
async function successorReadsNothing(name: string, start: (served: Socket) => ChildProcess): Promise<void> {
	const path = join(dir, `socket-${name}`);
	const server = createServer({ pauseOnConnect: true });
	const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
	server.listen(path);
	server.unref();
	const peer = connect(path);
	const served = await accepted;
	const successor = start(served);
	const said = successor.stdout!;
	const exited = new Promise((resolve) => successor.once('exit', resolve));
	let output = '';
	said.on('data', (d: Buffer) => {
		output += d.toString();
	});
	await Promise.race([new Promise((resolve) => said.once('data', resolve)), exited]);
	peer.write('request');
	await exited;
	assert.equal(output, 'made\n');
	served.resume();
	const got = await new Promise<string>((resolve) =>
		served.once('data', (d: Buffer) => resolve(d.toString())),
	);
	assert.equal(got, 'request');
	peer.destroy();
	served.destroy();
}

/** Node.js running `script` as a module, with a channel on descriptor 3 and `more` after it. */
function node(script: string, more: number[] = []): ChildProcess {
	return spawn(process.execPath, ['--input-type=module', '-e', script], {
		stdio: ['ignore', 'pipe', 'inherit', 'ipc', ...more],
	});
}

describe('sockets made before the handover', () => {
	for (const [what, make] of Object.entries(makers))
		it(
			`${what} reads nothing: what arrives stays for the process that still serves the client`,
			{
				timeout: 10_000,
			},
			() =>
				successorReadsNothing(what, (served) => {
					// It makes its socket of the handle it is sent.
					const successor = node(`${make}
					process.once('message', (m, handle) => {
						make(handle);
						console.log('made');
						setTimeout(() => process.exit(0), 300);
					});`);
					successor.send('socket', bareHandle(served) as unknown as Socket, { keepOpen: true });
					return successor;
				}),
		);

	it('one inherited at spawn reads nothing either', { timeout: 10_000 }, () =>
		successorReadsNothing('inherited', (served) =>
			node(
				`import { pausedDescriptor } from ${JSON.stringify(ipcModule)};
				pausedDescriptor(${INHERITED_FD_BASE});
				console.log('made');
				setTimeout(() => process.exit(0), 300);`,
				[(bareHandle(served) as { fd: number }).fd],
			),
		),
	);
});

describe('sockets passed at spawn', () => {
	it('are named by their count and which of them listen', () => {
		const passed = parseInherited('3:0,2');
		assert.deepEqual(
			[...passed],
			[
				[INHERITED_FD_BASE, true],
				[INHERITED_FD_BASE + 1, false],
				[INHERITED_FD_BASE + 2, true],
			],
		);
		assert.deepEqual([...parseInherited('0:')], []);
	});

	it('refuse a malformed description', () => {
		for (const bad of ['', '3', '3:x', '-1:', '3:0,', '12345678:']) {
			assert.throws(() => parseInherited(bad), /TSXENSTORED_INHERITED is malformed/, bad);
		}
	});
});

describe('go', () => {
	// The predecessor waits blocked once `go` has left (updater.ts): it must know whether it has.
	it('is with the kernel at once, unless it waits behind a socket not yet acknowledged', {
		timeout: 10_000,
	}, async () => {
		// A successor that stops its event loop for a while once it has said so: it acknowledges
		// nothing meanwhile. Then it prints the kind of every message it receives.
		const successor = node(`
			process.once('message', () => {
				process.send('stopping');
				Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
				process.on('message', (m) => {
					console.log(m.kind);
					if (m.kind === 'go') process.exit(0);
				});
			});`);
		const exited = new Promise((resolve) => successor.once('exit', resolve));
		let output = '';
		successor.stdout!.on('data', (d: Buffer) => {
			output += d.toString();
		});
		const stopping = new Promise((resolve) => successor.once('message', resolve));
		successor.send('stop');
		await stopping;
		// Its channel is not read now, but the kernel takes a small message all the same.
		assert.equal(await sentAtOnce(successor, { kind: 'snapshot', file: 'f', clients: [], guests: [] }), true);
		const server = createServer().listen(join(dir, 'socket-go'));
		successor.send({ kind: 'sent', index: 0, listener: true }, server);
		assert.equal(await sentAtOnce(successor, { kind: 'go' }), false);
		// Held back, not lost: it arrives once the socket before it is acknowledged, in order.
		await exited;
		server.close();
		assert.equal(output, 'snapshot\nsent\ngo\n');
	});
});

describe('the successor', () => {
	// A predecessor that waits blocked exits once the side file is gone, before `serving` is said.
	it('says it serves without failing when its predecessor has gone already', {
		timeout: 10_000,
	}, async () => {
		const successor = node(`import { receiveHandover } from ${JSON.stringify(ipcModule)};
			const handover = await receiveHandover(undefined, {
				warmUp: async () => {},
				load() {},
				prepare() { throw new Error('no clients here'); },
				loadedAll() {},
			});
			const serve = () => {
				handover.serving();
				setTimeout(() => { console.log('serving'); process.exit(0); }, 100);
			};
			if (process.connected) process.once('disconnect', serve);
			else serve();`);
		let output = '';
		successor.stdout!.on('data', (d: Buffer) => {
			output += d.toString();
		});
		const exited = new Promise<number | null>((resolve) => successor.once('exit', resolve));
		await new Promise((resolve) => successor.once('message', resolve));
		successor.send({ kind: 'go' });
		successor.disconnect();
		assert.equal(await exited, 0);
		assert.equal(output, 'serving\n');
	});
});
