/**
 * Shorthands for writing cases: requests by operation name with their wire payloads, and the
 * transcript lines expected of tsxenstored where a case declares a deliberate difference.
 */
import { encodeFrame } from '../../../src/protocol/frame.ts';
import { MessageType, type MessageTypeName } from '../../../src/protocol/message-type.ts';
import { escapeBytes, type PayloadSpec, type RawStep, type RequestStep, type TxRef } from '../transcript.ts';

export interface On {
	c?: number;
	tx?: TxRef;
}

export function req(type: MessageTypeName | number, payload: PayloadSpec, on: On = {}): RequestStep {
	return { type: typeof type === 'number' ? type : MessageType[type], payload, ...on };
}

/** A path in a case: `$` stands for the case's subtree; a function gets the subtree's path. */
export type PathSpec = string | ((base: string) => string);

const at = (path: PathSpec, base: string) => (typeof path === 'function' ? path(base) : path);

/** A request whose payload is the path followed by the given strings, each with its NUL. */
const withPath =
	(type: MessageTypeName, ...rest: string[]) =>
	(path: PathSpec, on?: On): RequestStep =>
		req(type, (base) => `${at(path, base)}\0${rest.map((r) => `${r}\0`).join('')}`, on);

export const read = withPath('READ');
export const mkdir = withPath('MKDIR');
export const rm = withPath('RM');
export const dir = withPath('DIRECTORY');
export const getPerms = withPath('GET_PERMS');
export const write = (path: PathSpec, value: string, on?: On) =>
	req('WRITE', (base) => `${at(path, base)}\0${value}`, on);
export const dirPart = (path: PathSpec, offset: number | string, on?: On) =>
	withPath('DIRECTORY_PART', String(offset))(path, on);
export const setPerms = (path: PathSpec, perms: string[], on?: On) =>
	withPath('SET_PERMS', ...perms)(path, on);
export const watch = (path: PathSpec, token: string, on?: On) => withPath('WATCH', token)(path, on);
export const unwatch = (path: PathSpec, token: string, on?: On) => withPath('UNWATCH', token)(path, on);
export const txStart = (on?: On) => req('TRANSACTION_START', '\0', on);
export const txEnd = (commit: boolean, tx: TxRef, c?: number) =>
	req('TRANSACTION_END', commit ? 'T\0' : 'F\0', { tx, ...(c === undefined ? {} : { c }) });

/** A path of exactly `length` bytes inside the case's subtree. */
export const longPath =
	(length: number, prefix = '') =>
	(base: string) => {
		const head = `${prefix || base}/`;
		return head + 'x'.repeat(length - head.length);
	};

/** Several requests written in one go, as one raw write; their replies are awaited by the sync. */
export function burst(
	c: number,
	frames: Array<[type: MessageTypeName, payload: string]>,
	firstReqId = 1000,
): RawStep {
	return {
		c,
		expect: 'nothing',
		raw: (base) =>
			Buffer.concat(
				frames.map(([t, p], i) =>
					encodeFrame(MessageType[t], firstReqId + i, 0, Buffer.from(p.replaceAll('$', base), 'latin1')),
				),
			),
	};
}

/** `n` children of `parent` with 19-character names: 20 bytes each in a child list. */
export function manyChildren(parent: string, n: number): Array<[MessageTypeName, string]> {
	return Array.from({ length: n }, (_, i) => ['MKDIR', `${parent}/child-${String(i).padStart(13, '0')}\0`]);
}

/** Expected transcript lines, for steps where tsxenstored deliberately differs from 4.17. */
export interface LineOpts {
	c?: number;
	id: number;
	tx?: string;
}
const bytes = (text: string) => escapeBytes(Buffer.from(text, 'latin1'));
export const line = {
	ok: (type: MessageTypeName, o: LineOpts) => line.reply(type, 'OK\0', o),
	error: (name: string, o: LineOpts) => line.reply('ERROR', `${name}\0`, o),
	/** A reply of `type` whose payload is `payload` (raw text: NUL written as \0 in the string). */
	reply: (type: MessageTypeName, payload: string, o: LineOpts) =>
		`c${o.c ?? 0} ${type}#${o.id} tx=${o.tx ?? '0'} ${bytes(payload)}`,
	event: (path: string, token: string, c = 0) => `c${c} WATCH_EVENT#0 tx=0 ${bytes(`${path}\0${token}\0`)}`,
};
