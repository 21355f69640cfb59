import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { ConnectionClosedError, connect, defaultSocketPath, XenstoreError } from '../../src/client/index.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { answerOk, type FakeServer, type Script, startFakeServer } from './fake-server.ts';

let server: FakeServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function clientFor(script: Script) {
	server = await startFakeServer(script);
	return { client: await connect({ path: server.path }), server };
}

describe('defaultSocketPath', () => {
	it('follows libxenstore: XENSTORED_PATH, then XENSTORED_RUNDIR/socket, then /var/run/xenstored/socket', () => {
		assert.equal(defaultSocketPath({ XENSTORED_PATH: '/x/s', XENSTORED_RUNDIR: '/r' }), '/x/s');
		assert.equal(defaultSocketPath({ XENSTORED_RUNDIR: '/r' }), '/r/socket');
		assert.equal(defaultSocketPath({}), '/var/run/xenstored/socket');
	});

	it('is what connect() uses without a path', async () => {
		server = await startFakeServer(answerOk);
		const saved = process.env.XENSTORED_PATH;
		process.env.XENSTORED_PATH = server.path;
		try {
			const client = await connect();
			await client.mkdir('/a');
			client.close();
		} finally {
			if (saved === undefined) delete process.env.XENSTORED_PATH;
			else process.env.XENSTORED_PATH = saved;
		}
		assert.equal(server.received.length, 1);
	});
});

describe('node operations', () => {
	it('sends each operation with its wire payload and decodes the reply', async () => {
		const { client, server } = await clientFor((p) => {
			if (p.frame.type === MessageType.READ) p.reply(Buffer.from([1, 0, 2]));
			else if (p.frame.type === MessageType.DIRECTORY) p.reply('a\0bb\0');
			else if (p.frame.type === MessageType.GET_PERMS) p.reply('b0\0r5\0n65535\0');
			else p.reply('OK\0');
		});
		assert.deepEqual(await client.read('/v'), Buffer.from([1, 0, 2]));
		await client.write('/v', Buffer.from([0, 9]));
		await client.write('/s', 'é');
		await client.mkdir('/d');
		await client.rm('/d');
		assert.deepEqual(await client.directory('/'), ['a', 'bb']);
		assert.deepEqual(await client.getPerms('/v'), [
			{ domid: 0, access: 'both' },
			{ domid: 5, access: 'read' },
			{ domid: 65535, access: 'none' },
		]);
		await client.setPerms('/v', [
			{ domid: 3, access: 'none' },
			{ domid: 0, access: 'write' },
		]);
		client.close();
		assert.deepEqual(
			server.received.map((f) => [f.type, f.txId, f.payload.toString('latin1')]),
			[
				[MessageType.READ, 0, '/v\0'],
				[MessageType.WRITE, 0, '/v\0\0\x09'],
				[MessageType.WRITE, 0, '/s\0\xc3\xa9'],
				[MessageType.MKDIR, 0, '/d\0'],
				[MessageType.RM, 0, '/d\0'],
				[MessageType.DIRECTORY, 0, '/\0'],
				[MessageType.GET_PERMS, 0, '/v\0'],
				[MessageType.SET_PERMS, 0, '/v\0n3\0w0\0'],
			],
		);
	});

	it('readString decodes UTF-8', async () => {
		const { client } = await clientFor((p) => p.reply(Buffer.from('ünï', 'utf8')));
		assert.equal(await client.readString('/x'), 'ünï');
		client.close();
	});

	it('rejects an ERROR reply with XenstoreError carrying the error name and the request', async () => {
		const { client } = await clientFor((p) => p.error('ENOENT'));
		await assert.rejects(client.read('/missing'), (err: unknown) => {
			assert.ok(err instanceof XenstoreError);
			assert.equal(err.code, 'ENOENT');
			assert.match(err.message, /read \/missing/);
			return true;
		});
		client.close();
	});

	it('refuses arguments that cannot be sent, before sending anything', async () => {
		const { client, server } = await clientFor(answerOk);
		await assert.rejects(client.read('/a\0b'), TypeError);
		await assert.rejects(client.setPerms('/a', []), TypeError);
		await assert.rejects(client.setPerms('/a', [{ domid: 70000, access: 'read' }]), RangeError);
		await assert.rejects(client.release(1.5), RangeError);
		client.close();
		assert.equal(server.received.length, 0);
	});

	it('rejects a malformed permission entry from the daemon', async () => {
		const { client } = await clientFor((p) => p.reply('x0\0'));
		await assert.rejects(client.getPerms('/'), /malformed permission/);
		client.close();
	});
});

describe('pipelining', () => {
	it('matches replies to requests by req_id, whatever their order', async () => {
		const held: Array<() => void> = [];
		const { client, server } = await clientFor((p) => {
			held.push(() => p.reply(`${p.text.slice(0, -1)}-value`));
			if (held.length === 3) for (const h of held.reverse()) h();
		});
		const values = await Promise.all(['/a', '/b', '/c'].map((path) => client.readString(path)));
		assert.deepEqual(values, ['/a-value', '/b-value', '/c-value']);
		const ids = server.received.map((f) => f.reqId);
		assert.equal(new Set(ids).size, 3, 'each request has its own id');
		assert.ok(!ids.includes(0), 'req_id 0 is left to watch events');
		client.close();
	});

	it('request() sends anything and returns the reply unread, ERROR included', async () => {
		const { client, server } = await clientFor((p) => p.error('ENOSYS'));
		const reply = await client.request(20, Buffer.from('junk'), 77);
		assert.equal(reply.type, MessageType.ERROR);
		assert.equal(reply.txId, 77);
		assert.equal(reply.payload.toString(), 'ENOSYS\0');
		assert.equal(server.received[0]!.type, 20);
		client.close();
	});
});

describe('connection loss', () => {
	it('rejects every waiting request with ConnectionClosedError', async () => {
		let count = 0;
		const { client } = await clientFor((p) => {
			if (++count === 2) p.hangUp();
		});
		const results = await Promise.allSettled([client.read('/a'), client.read('/b')]);
		for (const r of results) {
			assert.equal(r.status, 'rejected');
			assert.ok(r.reason instanceof ConnectionClosedError);
		}
		await assert.rejects(client.read('/c'), ConnectionClosedError);
	});

	it('closes on a reply nobody asked for, failing what waits', async () => {
		const { client } = await clientFor((p) => p.send(MessageType.READ, p.frame.reqId + 1000, 0, 'x'));
		await assert.rejects(client.read('/a'), /protocol violation.*request id/);
	});

	it('closes on an oversized reply header', async () => {
		const { client } = await clientFor((p) => p.send(MessageType.READ, p.frame.reqId, 0, Buffer.alloc(5000)));
		await assert.rejects(client.read('/a'), /protocol violation.*4096/);
	});

	it('fails to connect with the socket named in the error', async () => {
		await assert.rejects(
			connect({ path: '/nonexistent/xenstored/socket' }),
			/\/nonexistent\/xenstored\/socket/,
		);
	});
});

describe('domain and daemon operations', () => {
	it('sends the documented payloads and decodes the replies', async () => {
		const { client, server } = await clientFor((p) => {
			switch (p.frame.type) {
				case MessageType.GET_DOMAIN_PATH:
					return p.reply('/local/domain/7\0');
				case MessageType.IS_DOMAIN_INTRODUCED:
					return p.reply('T\0');
				case MessageType.GET_FEATURE:
					return p.reply('15\0');
				case MessageType.GET_QUOTA:
					return p.reply(p.frame.payload.length === 0 ? 'nodes watches transactions\0' : '1000\0');
				case MessageType.CONTROL:
					return p.reply('checked\0');
				default:
					return p.reply('OK\0');
			}
		});
		assert.equal(await client.getDomainPath(7), '/local/domain/7');
		assert.equal(await client.isDomainIntroduced(7), true);
		await client.introduce(7, 4093, 12);
		await client.release(7);
		await client.resume(7);
		await client.setTarget(7, 8);
		await client.resetWatches();
		assert.equal(await client.getFeature(), 15);
		assert.equal(await client.getFeature(7), 15);
		await client.setFeature(7, 4);
		assert.equal(await client.getQuota('nodes'), 1000);
		assert.equal(await client.getQuota('nodes', 7), 1000);
		assert.deepEqual(await client.quotaNames(), ['nodes', 'watches', 'transactions']);
		await client.setQuota('nodes', 5);
		await client.setQuota('nodes', 5, 7);
		assert.equal(await client.control('check'), 'checked');
		await client.control('log', 'on');
		client.close();
		assert.deepEqual(
			server.received.map((f) => [f.type, f.payload.toString('latin1')]),
			[
				[MessageType.GET_DOMAIN_PATH, '7\0'],
				[MessageType.IS_DOMAIN_INTRODUCED, '7\0'],
				[MessageType.INTRODUCE, '7\x004093\x0012\0'],
				[MessageType.RELEASE, '7\0'],
				[MessageType.RESUME, '7\0'],
				[MessageType.SET_TARGET, '7\x008\0'],
				[MessageType.RESET_WATCHES, '\0'],
				[MessageType.GET_FEATURE, ''],
				[MessageType.GET_FEATURE, '7\0'],
				[MessageType.SET_FEATURE, '7\x004\0'],
				[MessageType.GET_QUOTA, 'nodes\0'],
				[MessageType.GET_QUOTA, '7\0nodes\0'],
				[MessageType.GET_QUOTA, ''],
				[MessageType.SET_QUOTA, 'nodes\x005\0'],
				[MessageType.SET_QUOTA, '7\0nodes\x005\0'],
				[MessageType.CONTROL, 'check\0'],
				[MessageType.CONTROL, 'log\0on\0'],
			],
		);
	});
});

after(async () => {
	await server?.close();
});
