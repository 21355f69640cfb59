import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'tsxs-ipc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ipcModule = pathToFileURL(join(import.meta.dirname, '../../src/liveupdate/ipc.ts')).href;
const transportModule = pathToFileURL(join(import.meta.dirname, '../../src/server/socket-transport.ts')).href;

/**
 * What a successor-to-be makes for the descriptor: a paused socket, or a transport on one that a
 * held connection pauses before it starts (as the daemon does for a client it prepares).
 */
const makers = {
	pausedSocket: `import { pausedSocket } from ${JSON.stringify(ipcModule)};
		pausedSocket(3);`,
	'a paused SocketTransport': `import { pausedSocket } from ${JSON.stringify(ipcModule)};
		import { SocketTransport } from ${JSON.stringify(transportModule)};
		const t = new SocketTransport(pausedSocket(3));
		t.pause();
		t.attach({ data: () => console.log('read'), drain() {}, close() {}, reset() {} });`,
};

describe('sockets made before the handover', () => {
	for (const [what, make] of Object.entries(makers))
		it(`${what} reads nothing: what arrives stays for the process that still serves the client`, {
			timeout: 10_000,
		}, async () => {
			const path = join(dir, `socket-${what}`);
			const server = createServer({ pauseOnConnect: true });
			const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
			server.listen(path);
			server.unref();
			const peer = connect(path);
			const served = await accepted;
			const fd = (served as unknown as { _handle: { fd: number } })._handle.fd;
			// A successor-to-be: it makes its socket for the descriptor, says so, and waits.
			const successor = spawn(
				process.execPath,
				['--input-type=module', '-e', `${make} console.log('made'); setTimeout(() => process.exit(0), 300);`],
				{ stdio: ['ignore', 'pipe', 'inherit', fd] },
			);
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
		});
});
