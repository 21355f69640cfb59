import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connect, DIRECTORY_PART_RESTARTS } from '../../src/client/index.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { splitStrings } from '../../src/protocol/payload.ts';
import { type FakeServer, type Peer, startFakeServer } from './fake-server.ts';

let server: FakeServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

const names = (n: number) =>
	Array.from({ length: n }, (_, i) => `child-number-${String(i).padStart(5, '0')}`);

/**
 * A daemon whose directory listing does not fit one reply: DIRECTORY answers E2BIG and
 * DIRECTORY_PART answers as C xenstored does (whole names up to the payload limit after the
 * generation count, the last part ending in an extra NUL). `generation` gives the count per part.
 */
function bigDirectoryDaemon(children: string[], generation: (part: number) => number) {
	const list = Buffer.from(children.map((c) => `${c}\0`).join(''), 'latin1');
	let part = 0;
	return (p: Peer) => {
		if (p.frame.type === MessageType.DIRECTORY) return p.error('E2BIG');
		if (p.frame.type !== MessageType.DIRECTORY_PART) return p.error('EINVAL');
		const [, offsetText] = splitStrings(p.frame.payload);
		const offset = Number(offsetText);
		const gen = Buffer.from(`${generation(part++)}\0`);
		let end = offset;
		while (end < list.length) {
			const next = list.indexOf(0, end) + 1;
			if (gen.length + next - offset + 1 > 4096) break;
			end = next;
		}
		const last = end === list.length ? Buffer.from([0]) : Buffer.alloc(0);
		p.reply(Buffer.concat([gen, list.subarray(offset, end), last]));
	};
}

describe('directory', () => {
	it('reads a list longer than one payload with DIRECTORY_PART', async () => {
		const children = names(500);
		server = await startFakeServer(bigDirectoryDaemon(children, () => 7));
		const client = await connect({ path: server.path });
		assert.deepEqual(await client.directory('/big'), children);
		const parts = server.received.filter((f) => f.type === MessageType.DIRECTORY_PART);
		assert.ok(parts.length >= 3);
		assert.equal(parts[0]!.payload.toString(), '/big\x000\0');
		client.close();
	});

	it('starts over when the generation count changes between parts', async () => {
		const children = names(300);
		server = await startFakeServer(bigDirectoryDaemon(children, (part) => (part < 1 ? 1 : 2)));
		const client = await connect({ path: server.path });
		assert.deepEqual(await client.directory('/big'), children);
		const offsets = server.received
			.filter((f) => f.type === MessageType.DIRECTORY_PART)
			.map((f) => splitStrings(f.payload)[1]);
		assert.equal(offsets.filter((o) => o === '0').length, 2, 'read from offset 0 twice');
		client.close();
	});

	it('gives up with EAGAIN when the node changes between every two parts', async () => {
		server = await startFakeServer(bigDirectoryDaemon(names(300), (part) => part));
		const client = await connect({ path: server.path });
		await assert.rejects(client.directory('/big'), { code: 'EAGAIN' });
		const starts = server.received.filter(
			(f) => f.type === MessageType.DIRECTORY_PART && splitStrings(f.payload)[1] === '0',
		);
		assert.equal(starts.length, DIRECTORY_PART_RESTARTS + 1);
		client.close();
	});

	it('an empty list read in parts is empty', async () => {
		server = await startFakeServer((p) =>
			p.frame.type === MessageType.DIRECTORY ? p.error('E2BIG') : p.reply('3\0\0'),
		);
		const client = await connect({ path: server.path });
		assert.deepEqual(await client.directory('/x'), []);
		client.close();
	});

	it('without DIRECTORY_PART the E2BIG stands', async () => {
		server = await startFakeServer((p) =>
			p.error(p.frame.type === MessageType.DIRECTORY ? 'E2BIG' : 'ENOSYS'),
		);
		const client = await connect({ path: server.path });
		await assert.rejects(client.directory('/big'), { code: 'E2BIG' });
		client.close();
	});
});
