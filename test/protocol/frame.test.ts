import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeFrame, type Frame, FrameReader, PayloadTooLongError } from '../../src/protocol/frame.ts';
import { HEADER_SIZE } from '../../src/protocol/header.ts';
import { PAYLOAD_MAX } from '../../src/protocol/limits.ts';
import { MessageType } from '../../src/protocol/message-type.ts';

const frameArb = fc.record({
	type: fc.integer({ min: 0, max: 26 }),
	reqId: fc.nat(),
	txId: fc.nat(),
	payload: fc.uint8Array({ maxLength: 300 }),
});

function drain(reader: FrameReader): Frame[] {
	const out: Frame[] = [];
	for (let f = reader.next(); f; f = reader.next()) out.push({ ...f, payload: Buffer.from(f.payload) });
	return out;
}

describe('encodeFrame', () => {
	it('writes the four header fields in host byte order, then the payload', () => {
		const buf = encodeFrame(MessageType.READ, 7, 3, 'a\0');
		assert.equal(buf.length, HEADER_SIZE + 2);
		// xs_wire.h: struct xsd_sockmsg { uint32 type, req_id, tx_id, len } (x86: little-endian)
		assert.deepEqual([...buf.subarray(0, 16)], [2, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0]);
		assert.equal(buf.toString('latin1', 16), 'a\0');
	});
});

describe('FrameReader', () => {
	it('reads several frames delivered in one chunk', () => {
		const reader = new FrameReader();
		reader.push(Buffer.concat([encodeFrame(2, 1, 0, 'x\0'), encodeFrame(1, 2, 0, '/\0')]));
		const frames = drain(reader);
		assert.deepEqual(
			frames.map((f) => [f.type, f.reqId, f.payload.toString()]),
			[
				[2, 1, 'x\0'],
				[1, 2, '/\0'],
			],
		);
		assert.equal(reader.pendingLength, 0);
	});

	it('waits for a header split across reads', () => {
		const reader = new FrameReader();
		const bytes = encodeFrame(11, 9, 0, '/a\0value');
		reader.push(bytes.subarray(0, 5));
		assert.equal(reader.next(), undefined);
		reader.push(bytes.subarray(5, 20));
		assert.equal(reader.next(), undefined);
		assert.equal(reader.unconsumed().length, 20);
		reader.push(bytes.subarray(20));
		const f = reader.next();
		assert.ok(f);
		assert.equal(f.payload.toString(), '/a\0value');
	});

	it('rejects a header announcing more than 4096 payload bytes before the payload arrives', () => {
		const reader = new FrameReader();
		const header = Buffer.alloc(16);
		header.writeUInt32LE(PAYLOAD_MAX + 1, 12);
		reader.push(header);
		assert.throws(() => reader.next(), PayloadTooLongError);
	});

	it('accepts exactly 4096 payload bytes', () => {
		const reader = new FrameReader();
		reader.push(encodeFrame(11, 1, 0, Buffer.alloc(PAYLOAD_MAX, 65)));
		assert.equal(reader.next()?.payload.length, PAYLOAD_MAX);
	});

	it('yields the same frames however the stream is cut into chunks', () => {
		fc.assert(
			fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(400)), (frames, cuts) => {
				const stream = Buffer.concat(
					frames.map((f) => encodeFrame(f.type, f.reqId, f.txId, Buffer.from(f.payload))),
				);
				const reader = new FrameReader();
				const got: Frame[] = [];
				let pos = 0;
				for (const cut of cuts) {
					const end = Math.min(stream.length, pos + cut);
					reader.push(stream.subarray(pos, end));
					got.push(...drain(reader));
					pos = end;
				}
				reader.push(stream.subarray(pos));
				got.push(...drain(reader));
				assert.equal(got.length, frames.length);
				got.forEach((f, i) => {
					const want = frames[i]!;
					assert.deepEqual([f.type, f.reqId, f.txId], [want.type, want.reqId, want.txId]);
					assert.deepEqual([...f.payload], [...want.payload]);
				});
			}),
		);
	});

	it('keeps what it has not returned when the caller reuses one buffer for every read', () => {
		fc.assert(
			fc.property(
				fc.array(frameArb, { maxLength: 20 }),
				fc.array(fc.record({ cut: fc.nat(400), take: fc.nat(3) })),
				(frames, reads) => {
					const stream = Buffer.concat(
						frames.map((f) => encodeFrame(f.type, f.reqId, f.txId, Buffer.from(f.payload))),
					);
					const memory = Buffer.alloc(stream.length + 1);
					const reader = new FrameReader();
					const got: Frame[] = [];
					const take = (n: number) => {
						for (let i = 0; i < n; i++) {
							const f = reader.next();
							if (f === undefined) return;
							got.push({ ...f, payload: Buffer.from(f.payload) });
						}
					};
					let pos = 0;
					const read = (end: number, n: number) => {
						stream.copy(memory, 0, pos, end);
						reader.push(memory.subarray(0, end - pos));
						// A caller that must wait (a paused connection) stops pulling frames early.
						take(n);
						reader.detach();
						memory.fill(0xff);
						pos = end;
					};
					for (const { cut, take: n } of reads) read(Math.min(stream.length, pos + cut), n);
					read(stream.length, 0);
					take(Number.POSITIVE_INFINITY);
					assert.equal(got.length, frames.length);
					got.forEach((f, i) => {
						const want = frames[i]!;
						assert.deepEqual([f.type, f.reqId, f.txId], [want.type, want.reqId, want.txId]);
						assert.deepEqual([...f.payload], [...want.payload]);
					});
				},
			),
		);
	});
});
