import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, FrameReader, PayloadTooLongError } from '../../../src/protocol/frame.ts';
import { Feature } from '../../../src/protocol/limits.ts';
import { MessageType } from '../../../src/protocol/message-type.ts';
import { RingTransport, type RingTransportOptions } from '../../../src/server/ring/ring-transport.ts';
import { BufferRingMemory } from './buffer-memory.ts';
import {
	CONNECTION,
	ERROR,
	REQ_CONS,
	REQ_PROD,
	RecordingEvents,
	RSP_CONS,
	RSP_PROD,
	SERVER_FEATURES,
	SimGuest,
	TestEventChannel,
} from './sim.ts';

function setup(options: Partial<RingTransportOptions> = {}, startIndex?: number) {
	const memory = new BufferRingMemory();
	const channel = new TestEventChannel();
	const guest = new SimGuest(memory.page, channel);
	if (startIndex !== undefined) guest.setIndexes(startIndex);
	const transport = new RingTransport(memory, channel, { peer: 'domain 7', ...options });
	const events = new RecordingEvents();
	return { memory, channel, guest, transport, events };
}

/**
 * What the protocol engine does with a ring, reduced to the part the ring depends on: cut the
 * stream into frames, answer each with `OK:` + its payload, and close with a protocol violation
 * when a header announces too long a payload.
 */
function attachEchoEngine(transport: RingTransport, events: RecordingEvents): FrameReader {
	const reader = new FrameReader();
	events.onData = (chunk) => {
		reader.push(chunk);
		try {
			for (let f = reader.next(); f; f = reader.next()) {
				transport.write(encodeFrame(f.type, f.reqId, f.txId, Buffer.concat([Buffer.from('OK:'), f.payload])));
			}
		} catch (e) {
			if (!(e instanceof PayloadTooLongError)) throw e;
			transport.close(`domain 7: ${e.message}`, 'protocol-violation');
		}
	};
	transport.attach(events);
	return reader;
}

const read = (reqId: number, path: string) => encodeFrame(MessageType.READ, reqId, 0, `${path}\0`);
const okReply = (reqId: number, path: string) => encodeFrame(MessageType.READ, reqId, 0, `OK:${path}\0`);

describe('RingTransport', () => {
	it('carries a request in and its reply out, and rings the guest for each', () => {
		const { guest, channel, transport, events } = setup();
		attachEchoEngine(transport, events);
		const before = channel.notifications;
		const request = read(1, '/local/domain/7/name');
		assert.equal(guest.send(request), request.length);
		assert.deepEqual(events.received(), request);
		assert.equal(guest.requestsWaiting(), 0, 'the request queue is consumed');
		assert.deepEqual(guest.receive(), okReply(1, '/local/domain/7/name'));
		// One notification for freeing request space, one for the reply.
		assert.equal(channel.notifications - before, 2);
		assert.equal(transport.kind, 'ring');
	});

	it('works with indices that wrap past 2^32 during the exchange', () => {
		const { guest, transport, events } = setup({}, 0xfffffff0);
		attachEchoEngine(transport, events);
		const request = read(3, '/a/path/long/enough/to/cross/the/wrap');
		guest.send(request);
		assert.deepEqual(events.received(), request);
		assert.equal(guest.get(REQ_CONS), (0xfffffff0 + request.length) % 2 ** 32);
		assert.ok(guest.get(REQ_CONS) < 0x100, 'the consumer index wrapped to a small number');
		const reply = guest.receive();
		assert.deepEqual(reply, okReply(3, '/a/path/long/enough/to/cross/the/wrap'));
		assert.equal(guest.get(RSP_PROD), (0xfffffff0 + reply.length) % 2 ** 32);
		// And keeps working on the far side of the wrap.
		guest.send(read(4, '/b'));
		assert.deepEqual(guest.receive(), okReply(4, '/b'));
	});

	it('reassembles a request split across the end of the queue', () => {
		const { guest, transport, events } = setup({}, 1000);
		transport.attach(events);
		const request = encodeFrame(MessageType.WRITE, 9, 0, Buffer.alloc(84, 0x61));
		assert.equal(request.length, 100);
		guest.send(request);
		assert.equal(events.chunks.length, 1, 'both halves arrive as one chunk');
		assert.deepEqual(events.received(), request);
	});

	it('delivers several messages queued before one notification', () => {
		const { guest, transport, events } = setup();
		attachEchoEngine(transport, events);
		guest.produce(read(1, '/x'));
		guest.produce(read(2, '/y'));
		guest.produce(read(3, '/z'));
		guest.channel.signal();
		assert.equal(events.chunks.length, 1);
		assert.deepEqual(guest.receive(), Buffer.concat([okReply(1, '/x'), okReply(2, '/y'), okReply(3, '/z')]));
	});

	it('delivers requests the guest queued before the daemon attached', () => {
		const { guest, transport, events } = setup();
		guest.produce(read(1, '/early'));
		attachEchoEngine(transport, events);
		assert.deepEqual(guest.receive(), okReply(1, '/early'));
	});

	it('feeds a reply larger than the free space in pieces as the guest consumes', () => {
		const { guest, transport, events } = setup({}, 0xfffffe00);
		transport.attach(events);
		const reply = Buffer.alloc(4096 + 16);
		for (let i = 0; i < reply.length; i++) reply[i] = (i * 7) % 251;
		assert.equal(transport.write(reply), true);
		assert.equal(guest.responsesWaiting(), 1024, 'the ring is filled');
		assert.equal(transport.pendingOutput().length, reply.length - 1024);
		assert.deepEqual(transport.pendingOutput(), reply.subarray(1024));
		const got: Buffer[] = [];
		while (got.reduce((n, b) => n + b.length, 0) < reply.length) {
			got.push(guest.receive(300));
			assert.ok(guest.responsesWaiting() <= 1024);
		}
		assert.deepEqual(Buffer.concat(got), reply);
		assert.equal(transport.pendingOutput().length, 0);
	});

	it('queues output written before attach and sends it once attached', () => {
		const { guest, transport, events } = setup();
		transport.write(okReply(5, '/restored'));
		assert.equal(guest.responsesWaiting(), 0, 'nothing touches the page before attach');
		assert.deepEqual(transport.pendingOutput(), okReply(5, '/restored'));
		transport.attach(events);
		assert.deepEqual(guest.receive(), okReply(5, '/restored'));
	});

	it('says to stop producing beyond the output limit, and drains when the guest catches up', () => {
		const { guest, transport, events } = setup({ outputLimit: 2048 });
		transport.attach(events);
		const piece = Buffer.alloc(1000, 0x42);
		assert.equal(transport.write(piece), true); // 1000 in the ring
		assert.equal(transport.write(piece), true); // 24 more in the ring, 976 queued
		assert.equal(transport.write(piece), true); // 1976 queued
		assert.equal(transport.write(piece), false); // 2976 queued: over the limit, and kept
		assert.equal(transport.pendingOutput().length, 2976);
		guest.receive(1024);
		guest.receive(1024);
		assert.equal(events.drains, 0, 'not drained while bytes still wait');
		guest.receive(1024);
		assert.equal(transport.pendingOutput().length, 0);
		assert.equal(events.drains, 1);
		guest.receive();
		assert.equal(events.drains, 1, 'drain is owed once per false');
	});

	it('sets error 3 and stops serving when a header announces a payload over 4096 bytes', () => {
		const { guest, channel, memory, transport, events } = setup();
		attachEchoEngine(transport, events);
		const header = encodeFrame(MessageType.WRITE, 1, 0, '');
		header.writeUInt32LE(4097, 12);
		guest.send(header);
		assert.equal(guest.get(ERROR), 3);
		assert.ok(channel.closed, 'event channel unbound');
		assert.ok(memory.closed, 'page unmapped');
		// The guest keeps going; nothing happens any more.
		guest.produce(read(2, '/after'));
		channel.signal();
		assert.equal(guest.requestsWaiting(), read(2, '/after').length);
		assert.equal(transport.write(okReply(2, '/after')), false);
		assert.equal(events.closes.length, 0, 'the engine closed it; no close event is echoed back');
	});

	it('sets error 2 and tells the engine when the request indices are impossible', () => {
		const { guest, transport, events } = setup({}, 0xfffffff0);
		transport.attach(events);
		guest.set(REQ_PROD, (0xfffffff0 + 1025) % 2 ** 32);
		guest.channel.signal();
		assert.equal(guest.get(ERROR), 2);
		assert.equal(events.chunks.length, 0, 'not one byte of the broken ring is delivered');
		assert.equal(events.closes.length, 1);
		assert.match(events.closes[0]!, /domain 7.*request ring/);
		assert.ok(guest.channel.closed);
	});

	it('sets error 2 on impossible response indices, reporting it on the next pass rather than inside write', () => {
		const { guest, transport, events } = setup();
		transport.attach(events);
		guest.set(RSP_CONS, 5000); // consumer ahead of producer 0: 2^32 - 5000 "queued"
		assert.equal(transport.write(okReply(1, '/x')), true);
		assert.equal(events.closes.length, 0, 'write emits no event');
		assert.equal(guest.get(RSP_PROD), 0, 'nothing written into a broken ring');
		guest.channel.signal();
		assert.equal(guest.get(ERROR), 2);
		assert.match(events.closes[0]!, /response ring/);
	});

	it('leaves the error word alone when the error feature was not offered', () => {
		const { guest, transport, events } = setup({ features: Feature.RECONNECTION });
		transport.attach(events);
		guest.set(REQ_PROD, 2000);
		guest.channel.signal();
		assert.equal(guest.get(ERROR), 0);
		assert.equal(events.closes.length, 1);
	});

	it('does not set an error word when the engine closes for its own reasons', () => {
		const { guest, transport, events } = setup();
		transport.attach(events);
		transport.close('domain 7 released');
		assert.equal(guest.get(ERROR), 0);
		assert.ok(guest.channel.closed);
	});

	it('resets the ring when the guest asks to reconnect', () => {
		const { guest, channel, transport, events } = setup({}, 0x12345678);
		attachEchoEngine(transport, events);
		// Leave state on both sides: a half-sent request, and replies the guest does not read.
		for (let i = 0; i < 60; i++) guest.send(read(i, '/some/longer/path/to/fill/the/ring'));
		assert.ok(transport.pendingOutput().length > 0);
		guest.produce(read(99, '/half').subarray(0, 10));
		guest.set(CONNECTION, 1);
		const before = channel.notifications;
		channel.signal();
		assert.equal(events.resets, 1, 'the engine is told to drop watches, transactions and partial input');
		assert.equal(guest.get(CONNECTION), 0);
		assert.ok(channel.notifications > before, 'the guest is rung');
		for (const at of [REQ_CONS, REQ_PROD, RSP_CONS, RSP_PROD]) assert.equal(guest.get(at), 0);
		assert.equal(transport.pendingOutput().length, 0);
		// A fresh stream works (the echo engine's reader still holds the 10 stale bytes, which a
		// real engine drops on reset; this one is replaced).
		events.chunks.length = 0;
		const fresh = new FrameReader();
		events.onData = (chunk) => {
			fresh.push(chunk);
			for (let f = fresh.next(); f; f = fresh.next()) transport.write(okReply(f.reqId, '/fresh'));
		};
		guest.send(read(1, '/fresh'));
		assert.deepEqual(guest.receive(), okReply(1, '/fresh'));
	});

	it('ignores a reconnection request when reconnection was not offered', () => {
		const { guest, transport, events } = setup({ features: Feature.ERROR });
		attachEchoEngine(transport, events);
		guest.set(CONNECTION, 1);
		guest.send(read(1, '/x'));
		assert.equal(events.resets, 0);
		assert.equal(guest.get(CONNECTION), 1);
		assert.deepEqual(guest.receive(), okReply(1, '/x'));
	});

	it('answers a reconnection already requested when it attaches', () => {
		const { guest, transport, events } = setup();
		guest.setIndexes(77);
		guest.set(CONNECTION, 1);
		transport.attach(events);
		assert.equal(guest.get(CONNECTION), 0);
		assert.equal(guest.get(REQ_PROD), 0);
		assert.equal(events.resets, 1);
	});

	it('starts a newly introduced domain from empty queues, connected, whatever the page held', () => {
		const { guest, transport, events } = setup({ startEmpty: true, features: Feature.ERROR });
		guest.set(REQ_CONS, 0xdead);
		guest.set(REQ_PROD, 0xbeef); // garbage: would be a bad index
		guest.set(RSP_CONS, 5);
		guest.set(RSP_PROD, 9);
		guest.set(CONNECTION, 1); // set by a toolstack to make the guest wait for the daemon
		const before = guest.channel.notifications;
		attachEchoEngine(transport, events);
		for (const at of [REQ_CONS, REQ_PROD, RSP_CONS, RSP_PROD]) assert.equal(guest.get(at), 0);
		assert.equal(guest.get(CONNECTION), 0, 'cleared even without the reconnection feature');
		assert.equal(guest.get(ERROR), 0);
		assert.ok(guest.channel.notifications > before);
		assert.equal(events.resets, 0, 'a new connection has nothing to reset');
		guest.send(read(1, '/first'));
		assert.deepEqual(guest.receive(), okReply(1, '/first'));
	});

	it('owes no drain after a reconnection emptied the queue, other than the one promised', () => {
		const { guest, transport, events } = setup({ outputLimit: 100 });
		transport.attach(events);
		assert.equal(transport.write(Buffer.alloc(2000)), false);
		guest.set(CONNECTION, 1);
		guest.channel.signal();
		assert.equal(events.drains, 1, 'the engine may produce again: nothing is queued');
	});

	it('advertises its features at byte 2064 on attach, adding to bits already offered', () => {
		const { memory, guest, transport, events } = setup({
			features: Feature.RECONNECTION | Feature.ERROR | Feature.WATCHDEPTH | Feature.DOMID_ANY,
		});
		guest.set(SERVER_FEATURES, 0x100); // left by a predecessor daemon
		assert.equal(guest.get(SERVER_FEATURES), 0x100);
		transport.attach(events);
		assert.equal(memory.page.readUInt32LE(2064), 0x10f);
		assert.equal(guest.get(SERVER_FEATURES), 0x10f);
	});

	it('advertises reconnection and the error word by default', () => {
		const { guest, transport, events } = setup();
		transport.attach(events);
		assert.equal(guest.get(SERVER_FEATURES), Feature.RECONNECTION | Feature.ERROR);
	});

	it('stops taking requests while paused and takes them again on resume', () => {
		const { guest, transport, events } = setup();
		attachEchoEngine(transport, events);
		transport.pause();
		const big = Buffer.concat(Array.from({ length: 40 }, (_, i) => read(i, '/quite/a/long/path/name')));
		const sent = guest.send(big);
		assert.equal(sent, 1024, 'the guest can only fill the ring');
		assert.equal(events.chunks.length, 0);
		assert.equal(guest.requestsWaiting(), 1024);
		transport.resume();
		assert.equal(guest.requestsWaiting(), 0);
		assert.deepEqual(events.received(), big.subarray(0, 1024));
	});

	it('pauses in the middle of a stream when the engine asks, from inside data', () => {
		const { guest, transport, events } = setup();
		transport.attach(events);
		events.onData = () => transport.pause();
		guest.send(Buffer.alloc(10, 1));
		guest.send(Buffer.alloc(10, 2));
		assert.equal(events.chunks.length, 1);
		assert.equal(guest.requestsWaiting(), 10);
		events.onData = undefined;
		transport.resume();
		assert.deepEqual(events.received(), Buffer.concat([Buffer.alloc(10, 1), Buffer.alloc(10, 2)]));
	});

	it('never nests deliveries when the guest answers notifications at once', () => {
		const { guest, channel, transport, events } = setup();
		attachEchoEngine(transport, events);
		// A guest that, on each notification, reads replies and sends the next request at once.
		let next = 0;
		const replies: Buffer[] = [];
		channel.onGuestNotified = () => {
			replies.push(guest.take());
			if (next < 50) guest.send(read(next++, '/reentrant'));
		};
		guest.send(read(next++, '/reentrant'));
		replies.push(guest.take());
		const expected = Buffer.concat(Array.from({ length: 50 }, (_, i) => okReply(i, '/reentrant')));
		assert.deepEqual(Buffer.concat(replies), expected);
	});

	it('puts a barrier between reading indices and data, and between data and publishing an index', () => {
		const { memory, guest, transport, events } = setup();
		attachEchoEngine(transport, events);
		memory.log = [];
		guest.send(read(1, '/ordered'));
		const log = memory.log;
		// Consume: r32 REQ_CONS, r32 REQ_PROD, barrier, read data, barrier, w32 REQ_CONS.
		const readData = log.findIndex((e) => e.startsWith('read '));
		assert.deepEqual(log.slice(readData - 3, readData + 3), [
			'r32 2048',
			'r32 2052',
			'barrier',
			log[readData],
			'barrier',
			'w32 2048',
		]);
		// Reply: r32 RSP_CONS, r32 RSP_PROD, barrier, write data, barrier, w32 RSP_PROD.
		const writeData = log.findIndex((e) => e.startsWith('write '));
		assert.deepEqual(log.slice(writeData - 3, writeData + 3), [
			'r32 2056',
			'r32 2060',
			'barrier',
			log[writeData],
			'barrier',
			'w32 2060',
		]);
	});

	it('refuses a second attach', () => {
		const { transport, events } = setup();
		transport.attach(events);
		assert.throws(() => transport.attach(events), /domain 7: attached twice/);
	});
});
