import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Services, Session } from '../../src/ops/context.ts';
import type { XenstoreError } from '../../src/protocol/errors.ts';
import { type Frame, FrameReader } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';
import { dispatch } from '../../src/server/dispatch.ts';
import { Store } from '../../src/store/store.ts';

function request(type: number, payload: string, txId = 0): Frame {
	return { type, reqId: 7, txId, payload: Buffer.from(payload, 'latin1') };
}

function decode(frame: Buffer): { type: number; reqId: number; txId: number; payload: string } {
	const reader = new FrameReader();
	reader.push(frame);
	const f = reader.next()!;
	return { type: f.type, reqId: f.reqId, txId: f.txId, payload: f.payload.toString('latin1') };
}

const session = {
	caller: { domid: 0, privileged: true, target: undefined },
	paths: { home: undefined, pathMax: 0 },
	transactions: new Map(),
} as unknown as Session;

function services(store: Store): Services {
	return { store } as unknown as Services;
}

function run(store: Store, frame: Frame): { reply: ReturnType<typeof decode>; faults: XenstoreError[] } {
	const faults: XenstoreError[] = [];
	const out = dispatch(services(store), session, frame, (e) => faults.push(e));
	assert.ok(Buffer.isBuffer(out), 'a synchronous operation answers at once');
	return { reply: decode(out), faults };
}

describe('dispatch', () => {
	it('answers a request with its type, id and transaction echoed', () => {
		const store = new Store();
		store.write(session.caller, undefined, '/a', 'v');
		const { reply, faults } = run(store, request(MessageType.READ, '/a\0'));
		assert.deepEqual(reply, { type: MessageType.READ, reqId: 7, txId: 0, payload: 'v' });
		assert.deepEqual(faults, []);
	});

	it('answers an error an operation returns (a missing node) as ERROR, which is no fault', () => {
		const { reply, faults } = run(new Store(), request(MessageType.READ, '/missing\0'));
		assert.deepEqual(reply, { type: MessageType.ERROR, reqId: 7, txId: 0, payload: 'ENOENT\0' });
		assert.deepEqual(faults, []);
	});

	it('answers an error an operation throws (a bad path) as ERROR, which is no fault', () => {
		const { reply, faults } = run(new Store(), request(MessageType.READ, '\0'));
		assert.deepEqual(reply.payload, 'EINVAL\0');
		assert.deepEqual(faults, []);
	});

	it('answers an unknown transaction ENOENT and an unknown type ENOSYS', () => {
		assert.equal(run(new Store(), request(MessageType.READ, '/a\0', 99)).reply.payload, 'ENOENT\0');
		assert.equal(run(new Store(), request(999, '')).reply.payload, 'ENOSYS\0');
	});

	it('answers EIO for a fault of the daemon, and reports it with what went wrong', () => {
		const broken = new Store();
		broken.read = () => {
			throw new TypeError('the store broke');
		};
		const { reply, faults } = run(broken, request(MessageType.READ, '/a\0'));
		assert.deepEqual(reply, { type: MessageType.ERROR, reqId: 7, txId: 0, payload: 'EIO\0' });
		assert.equal(faults.length, 1);
		assert.equal(faults[0]!.code, 'EIO');
		assert.match(faults[0]!.message, /the store broke/);
	});
});
