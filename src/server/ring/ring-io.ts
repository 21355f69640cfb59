/**
 * Copying between a queue of the ring page and local buffers, across the end of the queue.
 * Callers pass lengths already checked against the indices, at most RING_SIZE.
 */
import { ringOffset, splitAtRingEnd } from './layout.ts';
import type { RingMemory } from './memory.ts';

/** Copy `length` bytes from the queue at page offset `queueBase`, stream index `start`. */
export function readFromRing(memory: RingMemory, queueBase: number, start: number, length: number): Buffer {
	const out = Buffer.allocUnsafe(length);
	const [first, second] = splitAtRingEnd(start, length);
	memory.read(queueBase + ringOffset(start), first, out, 0);
	if (second > 0) memory.read(queueBase, second, out, first);
	return out;
}

/** Copy `data` into the queue at page offset `queueBase`, from stream index `start` on. */
export function writeToRing(memory: RingMemory, queueBase: number, start: number, data: Buffer): void {
	const [first, second] = splitAtRingEnd(start, data.length);
	memory.write(queueBase + ringOffset(start), data.subarray(0, first));
	if (second > 0) memory.write(queueBase, data.subarray(first));
}
