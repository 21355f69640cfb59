/**
 * The xenstore ring page (docs/misc/xenstore-ring.txt, xs_wire.h struct xenstore_domain_interface):
 * a 4 KiB page shared with a guest, holding one byte queue each way and a few control words.
 *
 * The queue indices are free-running uint32 counters of bytes ever produced or consumed; the byte
 * with stream index i lives at i mod 1024. All arithmetic on them here is modulo 2^32, so a ring
 * whose counters wrap past 0xFFFFFFFF keeps working.
 */
import { Feature } from '../../protocol/limits.ts';

export const PAGE_SIZE = 4096;
/** Bytes in each of the two queues. A power of two: index masking relies on it. */
export const RING_SIZE = 1024;

/** Byte offsets of the fields inside the page. Every control word is a uint32 in host byte order. */
export const Offset = {
	/** Requests, guest to server. */
	REQ: 0,
	/** Replies and watch events, server to guest. */
	RSP: 1024,
	REQ_CONS: 2048,
	REQ_PROD: 2052,
	RSP_CONS: 2056,
	RSP_PROD: 2060,
	SERVER_FEATURES: 2064,
	CONNECTION: 2068,
	ERROR: 2072,
	/** The guest may leave its event-channel port here for the toolstack; the ring never reads it. */
	EVTCHN_PORT: 2076,
} as const;

/** Server feature bits offered at SERVER_FEATURES; the same bits GET_FEATURE reports. */
export { Feature };

/** Values of the CONNECTION word. Only the guest sets RECONNECT; only the server clears it. */
export const ConnectionState = {
	CONNECTED: 0,
	RECONNECT: 1,
} as const;

/** Values of the ERROR word, written by the server when it stops serving a ring. */
export const RingError = {
	NONE: 0,
	/** The event channel does not work. */
	COMM: 1,
	/** A producer or consumer index the guest left is impossible. */
	RINGIDX: 2,
	/** The guest broke the protocol (a header announced a payload over the limit). */
	PROTO: 3,
} as const;
export type RingErrorCode = (typeof RingError)[keyof typeof RingError];

/** Where the byte with stream index `index` sits inside its queue. */
export function ringOffset(index: number): number {
	return index & (RING_SIZE - 1);
}

/** Bytes between a consumer and a producer index: what is queued, modulo 2^32. */
export function queued(cons: number, prod: number): number {
	return (prod - cons) >>> 0;
}

/** An index moved on by `count` bytes, wrapping at 2^32. */
export function advance(index: number, count: number): number {
	return (index + count) >>> 0;
}

/**
 * Whether a pair of indices read from the page can be true. The guest may write anything there;
 * more than a ring's worth queued means the pair is garbage and the ring must be given up.
 */
export function indexesValid(cons: number, prod: number): boolean {
	return queued(cons, prod) <= RING_SIZE;
}

/**
 * How `length` bytes starting at stream index `start` lie in the queue: the part up to the end of
 * the queue, then the part that wrapped round to its beginning (0 when nothing wrapped).
 * `length` must not exceed RING_SIZE.
 */
export function splitAtRingEnd(start: number, length: number): [first: number, second: number] {
	const first = Math.min(length, RING_SIZE - ringOffset(start));
	return [first, length - first];
}
