import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RingTransport } from '../../../src/server/ring/ring-transport.ts';
import { BufferRingMemory } from './buffer-memory.ts';
import {
	ERROR,
	REQ_CONS,
	REQ_PROD,
	RecordingEvents,
	RSP_CONS,
	RSP_PROD,
	SimGuest,
	TestEventChannel,
} from './sim.ts';

/** One thing that happens on either side, in some order the property chooses. */
type Step =
	| { kind: 'guestWrite'; max: number; ring: boolean }
	| { kind: 'guestRead'; max: number; ring: boolean }
	| { kind: 'serverWrite' }
	| { kind: 'pause' }
	| { kind: 'resume' }
	| { kind: 'signal' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
	fc.record({ kind: fc.constant('guestWrite'), max: fc.integer({ min: 1, max: 1100 }), ring: fc.boolean() }),
	fc.record({ kind: fc.constant('guestRead'), max: fc.integer({ min: 1, max: 1100 }), ring: fc.boolean() }),
	fc.record({ kind: fc.constant('serverWrite') }),
	fc.record({ kind: fc.constant('pause') }),
	fc.record({ kind: fc.constant('resume') }),
	fc.record({ kind: fc.constant('signal') }),
);

/** Starting indices anywhere, and often within a few KiB of the 2^32 wrap. */
const indexArb = fc.oneof(
	fc.integer({ min: 0, max: 0xffffffff }),
	fc.integer({ min: 0xffffe000, max: 0xffffffff }),
);

/**
 * Messages from one byte to several ring-fulls. Each is drawn as a length and a seed and filled
 * with a pattern that changes with every byte, so a lost, repeated or misplaced byte shows, and a
 * failure shrinks in a few steps (shrinking thousands of random bytes one by one takes minutes).
 * Lengths cover the whole range (`size: 'max'`): fast-check's default size would keep them tiny.
 */
const messageArb = fc
	.record({
		length: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 5000 })),
		seed: fc.integer({ min: 0, max: 255 }),
	})
	.map(({ length, seed }) => {
		const message = Buffer.allocUnsafe(length);
		for (let i = 0; i < length; i++) message[i] = (seed + i * 131 + (i >> 8)) & 0xff;
		return message;
	});
const messagesArb = fc.array(messageArb, { maxLength: 12, size: 'max' });

describe('RingTransport, any traffic', () => {
	it('delivers every byte intact and in order both ways, whatever the guest does when', () => {
		fc.assert(
			fc.property(
				messagesArb,
				messagesArb,
				indexArb,
				indexArb,
				fc.array(stepArb, { maxLength: 120, size: 'max' }),
				fc.integer({ min: 1, max: 8192 }),
				(requests, replies, reqStart, rspStart, steps, outputLimit) => {
					const memory = new BufferRingMemory();
					const channel = new TestEventChannel();
					const guest = new SimGuest(memory.page, channel);
					guest.set(REQ_CONS, reqStart);
					guest.set(REQ_PROD, reqStart);
					guest.set(RSP_CONS, rspStart);
					guest.set(RSP_PROD, rspStart);
					const transport = new RingTransport(memory, channel, { peer: 'domain 3', outputLimit });
					const events = new RecordingEvents();
					events.onDrain = () =>
						assert.equal(transport.pendingOutput().length, 0, 'drain with output queued');
					transport.attach(events);

					const toSend = Buffer.concat(requests);
					const toReply = Buffer.concat(replies);
					let sent = 0;
					let nextReply = 0;
					let refusals = 0;
					const got: Buffer[] = [];
					let paused = false;
					const serverWrite = () => {
						if (nextReply < replies.length && !transport.write(replies[nextReply++]!)) refusals++;
					};
					const check = () => {
						assert.deepEqual(events.closes, []);
						assert.equal(guest.get(ERROR), 0);
						assert.ok(guest.requestsWaiting() <= 1024);
						assert.ok(guest.responsesWaiting() <= 1024);
						// Every byte written is in exactly one place: taken, in the ring, or queued.
						const written = replies.slice(0, nextReply).reduce((n, r) => n + r.length, 0);
						const taken = got.reduce((n, b) => n + b.length, 0);
						assert.equal(taken + guest.responsesWaiting() + transport.pendingOutput().length, written);
					};

					for (const step of steps) {
						const deliveredBefore = events.received().length;
						switch (step.kind) {
							case 'guestWrite':
								sent += guest.produce(toSend.subarray(sent), step.max);
								if (step.ring) channel.signal();
								break;
							case 'guestRead':
								got.push(guest.take(step.max));
								if (step.ring) channel.signal();
								break;
							case 'serverWrite':
								serverWrite();
								break;
							case 'pause':
								transport.pause();
								paused = true;
								break;
							case 'resume':
								transport.resume();
								paused = false;
								break;
							case 'signal':
								channel.signal();
								break;
						}
						if (paused)
							assert.equal(events.received().length, deliveredBefore, 'nothing delivered while paused');
						check();
					}

					// Let everything through: the guest writes, reads and rings until both streams are done.
					transport.resume();
					while (nextReply < replies.length) serverWrite();
					for (let round = 0; ; round++) {
						assert.ok(round < 1000, 'traffic stopped moving');
						sent += guest.send(toSend.subarray(sent));
						got.push(guest.receive());
						check();
						const doneIn = sent === toSend.length && guest.requestsWaiting() === 0;
						const doneOut = transport.pendingOutput().length === 0 && guest.responsesWaiting() === 0;
						if (doneIn && doneOut) break;
					}

					assert.deepEqual(events.received(), toSend);
					assert.deepEqual(Buffer.concat(got), toReply);
					if (refusals > 0) assert.ok(events.drains >= 1, 'a refused write is followed by drain');
					assert.ok(events.drains <= refusals, 'drain only after a refusal');
				},
			),
			{ numRuns: 200 },
		);
	});
});
