/**
 * oxenstored's text dump (written to its database file before a live update), read as the
 * records of a migration stream. The dump is one record per line after a
 * `$xenstored-dump-format` line: `global,<listen fd>`, `evtchn-dev,<fd>,<domexc port>`,
 * `dom,<domid>,<mfn>,<remote port>[,<local port>]`, `socket,<fd>`, then that connection's
 * `watch,<id>,<hex path>,<hex token>` lines (id: the domid, or minus the socket fd), and
 * `store,<hex path>,<hex perms>,<hex value>` for every node, parents first.
 *
 * Mapping: `global` and `evtchn-dev` make GLOBAL_DATA; each `dom` or `socket` line a
 * CONNECTION_DATA numbered from 1 in order (the local port is the event channel, as C xenstored
 * keeps it; mfn and remote port ride along for the JSON form only); `store` lines NODE_DATA, with
 * oxenstored's `/@introduceDomain` and `/@releaseDomain` (it keeps special nodes as children of
 * the root) read as the special nodes `@introduceDomain` and `@releaseDomain`; END at the end.
 */
import type { StreamHeader } from './codec/header.ts';
import { HOST_ENDIAN, NO_TARGET, PERM_LETTERS, type PermLetter } from './constants.ts';
import { type ProblemHandler, problemReporter, StreamError } from './problems.ts';
import type { ByteSource, ReadOptions, StreamItem } from './reader.ts';
import {
	END,
	type GlobalDataRecord,
	idleConnection,
	type MigrationRecord,
	type NodePerm,
} from './records.ts';
import { StreamValidator } from './validator.ts';

export const TEXT_DUMP_HEADER = '$xenstored-dump-format';
/** Longest line accepted: a store line of a 4 KiB value with a long path and perms is far less. */
export const MAX_LINE_LENGTH = 1024 * 1024;

export const TEXT_DUMP_HEADER_AS_STREAM: StreamHeader = { version: 1, endian: HOST_ENDIAN };

export function looksLikeTextDump(buf: Buffer): boolean {
	const n = Math.min(buf.length, TEXT_DUMP_HEADER.length);
	return n > 0 && buf.toString('latin1', 0, n) === TEXT_DUMP_HEADER.slice(0, n);
}

interface Line {
	readonly text: string;
	readonly offset: number;
	readonly number: number;
	readonly size: number;
}

/** Split a byte source into lines (latin1), each bounded in length. */
async function* linesOf(source: ByteSource, options: ReadOptions): AsyncGenerator<Line> {
	let carry = '';
	let carryOffset = 0;
	let number = 0;
	let received = 0;
	for await (const chunk of source as AsyncIterable<Uint8Array>) {
		received += chunk.byteLength;
		options.onProgress?.(received);
		const text = carry + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
		let start = 0;
		for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
			number++;
			yield { text: text.slice(start, nl), offset: carryOffset + start, number, size: nl - start + 1 };
			start = nl + 1;
		}
		carry = text.slice(start);
		carryOffset += start;
		if (carry.length > MAX_LINE_LENGTH) {
			throw new StreamError(
				'record-too-large',
				{ offset: carryOffset, index: number + 1, unit: 'line' },
				`a line is longer than ${MAX_LINE_LENGTH} bytes`,
			);
		}
	}
	if (carry.length > 0) yield { text: carry, offset: carryOffset, number: number + 1, size: carry.length };
}

const INT = /^-?\d{1,20}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

class LineError extends Error {
	readonly code: 'bad-value' | 'unknown-line';
	constructor(code: 'bad-value' | 'unknown-line', message: string) {
		super(message);
		this.code = code;
	}
}

function int(field: string | undefined, what: string, min: number, max: number): number {
	if (field === undefined || !INT.test(field))
		throw new LineError('bad-value', `${what} ${JSON.stringify(field)} is not a number`);
	const n = Number(field);
	if (n < min || n > max) throw new LineError('bad-value', `${what} ${n} is not in ${min}..${max}`);
	return n;
}

function hex(field: string | undefined, what: string): Buffer {
	if (field === undefined || !HEX.test(field))
		throw new LineError('bad-value', `${what} is not hexadecimal bytes`);
	return Buffer.from(field, 'hex');
}

function perms(field: string | undefined): NodePerm[] {
	const text = hex(field, 'perms').toString('latin1');
	const entries = text.split('\0');
	if (entries.length > 0 && entries.at(-1) === '') entries.pop();
	if (entries.length === 0) throw new LineError('bad-value', 'a node has no perms');
	return entries.map((e) => {
		const access = e[0] as PermLetter;
		if (!PERM_LETTERS.includes(access))
			throw new LineError('bad-value', `perm ${JSON.stringify(e)} has no letter n, r, w or b`);
		return { access, domid: int(e.slice(1), `perm ${JSON.stringify(e)} domid`, 0, 0xffff), stale: false };
	});
}

/** A text dump path as a stream path: oxenstored's root children `@…` are the special nodes. */
export function pathFromTextDump(path: string): string {
	return path.startsWith('/@') && !path.includes('/', 1) ? path.slice(1) : path;
}

type PendingGlobal = { record: GlobalDataRecord; line: Line; size: number };

/** GLOBAL_DATA gathers the `global` and `evtchn-dev` lines; it sits at the first of them. */
function merge(
	global: PendingGlobal | undefined,
	line: Line,
	fields: Partial<GlobalDataRecord>,
): PendingGlobal {
	const record: GlobalDataRecord = {
		...(global?.record ?? { type: 'GLOBAL_DATA', socketFd: -1, evtchnFd: -1 }),
		...fields,
	};
	return { record, line: global?.line ?? line, size: (global?.size ?? 0) + line.size };
}

/**
 * Read a text dump as stream items: a header item (as if version 1 in this host's byte order),
 * then the records, END last. Index and offset of an item are those of its line (the `global`
 * line for GLOBAL_DATA). Problems are thrown or handed on as for a binary stream.
 */
export async function* readTextDumpItems(
	source: ByteSource,
	options: ReadOptions = {},
): AsyncGenerator<StreamItem> {
	const report: ProblemHandler = problemReporter(options);
	const validator = new StreamValidator(report);
	let seenHeader = false;
	let global: PendingGlobal | undefined;
	let globalDone = false;
	let seenEvtchn = false;
	let seenGlobalLine = false;
	let connId = 0;
	const rings = new Map<number, number>(); // domid -> conn id
	const sockets = new Map<number, number>(); // fd -> conn id

	const item = (record: MigrationRecord, line: Line, size = line.size): StreamItem | undefined => {
		const at = { offset: line.offset, index: line.number, recordType: record.type, unit: 'line' as const };
		return validator.accept(record, at)
			? { kind: 'record', record, index: line.number, offset: line.offset, size }
			: undefined;
	};

	function* flushGlobal(): Generator<StreamItem> {
		if (globalDone) return;
		globalDone = true;
		if (global) {
			const it = item(global.record, global.line, global.size);
			if (it) yield it;
		}
	}

	let lastLine: Line = { text: '', offset: 0, number: 0, size: 0 };
	for await (const line of linesOf(source, options)) {
		lastLine = line;
		if (!seenHeader) {
			if (line.text !== TEXT_DUMP_HEADER) {
				throw new StreamError('bad-ident', { offset: 0 }, `the first line is not ${TEXT_DUMP_HEADER}`);
			}
			seenHeader = true;
			yield {
				kind: 'header',
				format: 'oxenstored-dump',
				header: TEXT_DUMP_HEADER_AS_STREAM,
				offset: 0,
				size: line.size,
			};
			continue;
		}
		const fields = line.text.split(',');
		const kind = fields[0] ?? '';
		const at = { offset: line.offset, index: line.number, recordType: kind, unit: 'line' as const };
		try {
			switch (kind) {
				case 'global': {
					if (seenGlobalLine || globalDone) throw new StreamError('duplicate', at, 'a second global line');
					seenGlobalLine = true;
					const socketFd = int(fields[1], 'listen fd', -0x80000000, 0x7fffffff);
					global = merge(global, line, { socketFd });
					break;
				}
				case 'evtchn-dev': {
					if (fields.length !== 3) throw new LineError('unknown-line', 'evtchn-dev wants 2 fields');
					if (seenEvtchn || globalDone) throw new StreamError('duplicate', at, 'a second evtchn-dev line');
					seenEvtchn = true;
					const evtchnFd = int(fields[1], 'event-channel fd', -0x80000000, 0x7fffffff);
					const domexcPort = int(fields[2], 'domexc port', 0, 0xffffffff);
					global = merge(global, line, { evtchnFd, domexcPort });
					break;
				}
				case 'dom': {
					if (fields.length !== 4 && fields.length !== 5)
						throw new LineError('unknown-line', 'dom wants 3 or 4 fields');
					yield* flushGlobal();
					const domid = int(fields[1], 'domid', 0, 0xffff);
					if (!/^-?\d{1,20}$/.test(fields[2]!))
						throw new LineError('bad-value', `mfn ${JSON.stringify(fields[2])} is not a number`);
					const mfn = BigInt(fields[2]!);
					const remotePort = int(fields[3], 'remote port', 0, 0xffffffff);
					const localPort = fields[4] === undefined ? undefined : int(fields[4], 'local port', 0, 0xffffffff);
					const record = idleConnection(++connId, {
						kind: 'ring',
						domid,
						target: NO_TARGET,
						evtchn: localPort ?? remotePort,
						mfn,
						remotePort,
					});
					const it = item(record, line);
					if (it) {
						rings.set(domid, record.connId);
						yield it;
					}
					break;
				}
				case 'socket': {
					if (fields.length !== 2) throw new LineError('unknown-line', 'socket wants 1 field');
					yield* flushGlobal();
					const fd = int(fields[1], 'socket fd', -0x80000000, 0x7fffffff);
					const record = idleConnection(++connId, { kind: 'socket', fd });
					const it = item(record, line);
					if (it) {
						sockets.set(fd, record.connId);
						yield it;
					}
					break;
				}
				case 'watch': {
					if (fields.length !== 4) throw new LineError('unknown-line', 'watch wants 3 fields');
					yield* flushGlobal();
					const id = int(fields[1], 'watch owner', -0x80000000, 0xffff);
					const owner = id < 0 ? sockets.get(-id) : rings.get(id);
					const path = hex(fields[2], 'watch path').toString('latin1');
					const token = hex(fields[3], 'watch token').toString('latin1');
					if (owner === undefined) {
						const who = id < 0 ? `socket fd ${-id}` : `domain ${id}`;
						throw new StreamError(
							'unknown-connection',
							at,
							`watch ${JSON.stringify(path)} names ${who}, which has no connection line before it`,
						);
					}
					const it = item({ type: 'WATCH_DATA', connId: owner, path, token }, line);
					if (it) yield it;
					break;
				}
				case 'store': {
					if (fields.length !== 4) throw new LineError('unknown-line', 'store wants 3 fields');
					yield* flushGlobal();
					const path = pathFromTextDump(hex(fields[1], 'path').toString('latin1'));
					const it = item(
						{
							type: 'NODE_DATA',
							connId: 0,
							txId: 0,
							access: 0,
							perms: perms(fields[2]),
							path,
							value: hex(fields[3], 'value'),
						},
						line,
					);
					if (it) yield it;
					break;
				}
				default:
					throw new LineError('unknown-line', `oxenstored writes no ${JSON.stringify(kind)} line`);
			}
		} catch (e) {
			if (e instanceof LineError) report(new StreamError(e.code, at, e.message));
			else if (e instanceof StreamError) report(e);
			else throw e;
		}
	}
	if (!seenHeader) throw new StreamError('bad-ident', { offset: 0 }, 'the input is empty');
	yield* flushGlobal();
	const end: Line = {
		text: '',
		offset: lastLine.offset + lastLine.size,
		number: lastLine.number + 1,
		size: 0,
	};
	const it = item(END, end);
	if (it) yield it;
}
