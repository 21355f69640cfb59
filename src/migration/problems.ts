/**
 * Everything a reader can find wrong with a stream, and what a lenient read does about each.
 *
 * - `fatal`: reading cannot go on (the framing is lost, or the stream cannot be trusted whole).
 * - `skip`: the record is dropped, reading goes on at the next record.
 * - `keep`: the record is kept as read (reserved bits ignored, as the format asks of readers).
 *
 * A strict read stops at the first problem of any kind.
 */
export type Disposition = 'fatal' | 'skip' | 'keep';

export const PROBLEMS = {
	'bad-ident': { disposition: 'fatal', summary: 'the stream does not start with "xenstore"' },
	'unsupported-version': { disposition: 'fatal', summary: 'the header names a version other than 1 or 2' },
	'reserved-flags': { disposition: 'keep', summary: 'reserved bits of the header flags are set' },
	'truncated-header': { disposition: 'fatal', summary: 'the stream ends inside its 16-byte header' },
	'truncated-record': { disposition: 'fatal', summary: 'the stream ends inside a record' },
	'record-too-large': { disposition: 'fatal', summary: 'a record is longer than the reader allows' },
	'length-mismatch': {
		disposition: 'skip',
		summary: "a record's length does not fit its own fields",
	},
	'unknown-type': { disposition: 'skip', summary: 'a record type the format does not define' },
	'version-mismatch': {
		disposition: 'keep',
		summary: 'a record or field of version 2 in a version-1 stream',
	},
	'reserved-field': {
		disposition: 'keep',
		summary: 'a padding byte, reserved bit or ignored field is not zero',
	},
	'bad-string': { disposition: 'skip', summary: 'a string is empty, lacks its NUL or holds one inside' },
	'bad-path': { disposition: 'skip', summary: 'a node path is not a well-formed xenstore path' },
	'bad-value': { disposition: 'skip', summary: 'a field holds a value the format does not allow' },
	duplicate: { disposition: 'skip', summary: 'a record repeats a connection, node, watch, or domain' },
	'unknown-parent': {
		disposition: 'keep',
		summary: "a committed node's parent is not yet known (kept: the receiver may hold it)",
	},
	'unknown-connection': {
		disposition: 'skip',
		summary: 'a watch, transaction or node names a connection not yet seen',
	},
	'unknown-transaction': {
		disposition: 'skip',
		summary: 'a node names a transaction not yet seen',
	},
	'missing-end': { disposition: 'fatal', summary: 'the stream stops without an END record' },
	'data-after-end': {
		disposition: 'keep',
		summary: 'bytes follow the END record (a lenient read ignores them)',
	},
	'unknown-line': { disposition: 'skip', summary: 'a line of a text dump that oxenstored does not write' },
} as const satisfies Record<string, { disposition: Disposition; summary: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** Where in a stream a problem is. Records are counted from 0; the header has no index. */
export interface Position {
	/** Byte offset of the problem from the start of the stream. */
	readonly offset: number;
	/** Index of the record (or, in a text dump, of the line) it is in. */
	readonly index?: number;
	/** The record's type name (or the text dump line's kind). */
	readonly recordType?: string;
	/** What `index` counts: records of a binary stream (from 0), or lines of a text dump (from 1). */
	readonly unit?: 'record' | 'line';
}

/** A problem of a stream: what, where, and what a lenient read does about it. */
export class StreamError extends Error {
	readonly code: ProblemCode;
	readonly offset: number;
	readonly index: number | undefined;
	readonly recordType: string | undefined;
	readonly reason: string;

	constructor(code: ProblemCode, position: Position, reason: string) {
		super(`${describePosition(position)}: ${reason}`);
		this.name = 'StreamError';
		this.code = code;
		this.offset = position.offset;
		this.index = position.index;
		this.recordType = position.recordType;
		this.reason = reason;
	}

	get disposition(): Disposition {
		return PROBLEMS[this.code].disposition;
	}
}

export function describePosition(p: Position): string {
	const at = `byte ${p.offset} (0x${p.offset.toString(16)})`;
	if (p.index === undefined) return `${p.recordType ?? 'stream'} at ${at}`;
	return `${p.unit ?? 'record'} ${p.index}${p.recordType ? ` (${p.recordType})` : ''} at ${at}`;
}

/** What a reader does with a problem that need not stop it: throw it (strict), or note it and go on. */
export type ProblemHandler = (problem: StreamError) => void;

/**
 * The policy of one read: strict reads throw every problem; lenient ones, or ones given a handler
 * (to list every problem, as `check` does), pass non-fatal problems on and go by their disposition.
 */
export interface ReadPolicy {
	readonly lenient?: boolean;
	readonly onProblem?: ProblemHandler;
}

export function problemReporter(policy: ReadPolicy): ProblemHandler {
	const goOn = policy.lenient === true || policy.onProblem !== undefined;
	const handler = policy.onProblem;
	return (problem) => {
		if (!goOn || problem.disposition === 'fatal') throw problem;
		handler?.(problem);
	};
}

/** Thrown when a record cannot be written: a field out of its range, or absent from the version. */
export class EncodeError extends Error {
	constructor(recordType: string, reason: string) {
		super(`cannot encode ${recordType}: ${reason}`);
		this.name = 'EncodeError';
	}
}
