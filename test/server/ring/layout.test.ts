import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
	advance,
	ConnectionState,
	Feature,
	indexesValid,
	Offset,
	queued,
	RING_SIZE,
	RingError,
	ringOffset,
	splitAtRingEnd,
} from '../../../src/server/ring/layout.ts';

describe('ring layout', () => {
	it('places the fields where xenstore-ring.txt and xs_wire.h put them', () => {
		assert.deepEqual(Offset, {
			REQ: 0,
			RSP: 1024,
			REQ_CONS: 2048,
			REQ_PROD: 2052,
			RSP_CONS: 2056,
			RSP_PROD: 2060,
			SERVER_FEATURES: 2064,
			CONNECTION: 2068,
			ERROR: 2072,
			EVTCHN_PORT: 2076,
		});
		assert.equal(RING_SIZE, 1024);
	});

	it('numbers features, connection states and errors as the ring document does', () => {
		assert.deepEqual(Feature, { RECONNECTION: 1, ERROR: 2, WATCHDEPTH: 4, DOMID_ANY: 8 });
		assert.deepEqual(ConnectionState, { CONNECTED: 0, RECONNECT: 1 });
		assert.deepEqual(RingError, { NONE: 0, COMM: 1, RINGIDX: 2, PROTO: 3 });
	});

	it('counts queued bytes across the 2^32 wrap', () => {
		assert.equal(queued(0xfffffff0, 0x00000010), 0x20);
		assert.equal(queued(0xffffffff, 0xffffffff), 0);
		assert.equal(queued(0xfffffc00, 0), 1024);
		assert.ok(indexesValid(0xfffffc00, 0));
		assert.ok(!indexesValid(0xfffffbff, 0), '1025 bytes queued is impossible');
		// A producer behind its consumer reads as almost 2^32 queued bytes: impossible too.
		assert.ok(!indexesValid(5, 4));
	});

	it('advances indices modulo 2^32 and masks them into the queue', () => {
		assert.equal(advance(0xfffffff0, 0x20), 0x10);
		assert.equal(advance(0xffffffff, 1), 0);
		assert.equal(ringOffset(0xfffffff0), 1008);
		assert.equal(ringOffset(0x10), 16);
	});

	it('splits a span at the end of the queue', () => {
		assert.deepEqual(splitAtRingEnd(1000, 100), [24, 76]);
		assert.deepEqual(splitAtRingEnd(0xfffffff0, 32), [16, 16]);
		assert.deepEqual(splitAtRingEnd(0, 1024), [1024, 0]);
		assert.deepEqual(splitAtRingEnd(512, 0), [0, 0]);
	});

	it('agrees with plain arithmetic for any indices', () => {
		const u32 = fc.integer({ min: 0, max: 0xffffffff });
		fc.assert(
			fc.property(u32, fc.integer({ min: 0, max: RING_SIZE }), (start, length) => {
				const end = advance(start, length);
				assert.equal(queued(start, end), length);
				assert.ok(indexesValid(start, end));
				assert.equal(end, (start + length) % 2 ** 32);
				const [first, second] = splitAtRingEnd(start, length);
				assert.equal(first + second, length);
				assert.ok(ringOffset(start) + first <= RING_SIZE);
				if (second > 0) assert.equal(ringOffset(start) + first, RING_SIZE);
			}),
		);
	});
});
