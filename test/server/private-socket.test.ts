import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listenPrivately } from '../../src/server/private-socket.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsxs-private-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('listenPrivately', () => {
	it('makes the socket 0600 as it is bound, before anything else runs, and leaves the umask as it was', async () => {
		const path = join(dir, 'socket');
		const server = createServer();
		const umask = process.umask();
		const listening = new Promise<void>((resolve) => listenPrivately(server, path, resolve));
		try {
			// Synchronously after the call: no chance yet for a chmod in a callback.
			assert.equal(statSync(path).mode & 0o777, 0o600);
			assert.equal(process.umask(), umask);
			await listening;
		} finally {
			server.close();
		}
	});
});
