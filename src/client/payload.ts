/**
 * Building request payloads from caller arguments and reading simple replies. Strings are UTF-8;
 * an argument holding a NUL would split into two arguments on the wire, so it is refused here.
 */

const NUL = Buffer.from([0]);

function encodeArg(arg: string | number, what: string): Buffer {
	if (typeof arg === 'number' && !Number.isSafeInteger(arg)) {
		throw new RangeError(`${what}: ${arg} is not an integer`);
	}
	const s = String(arg);
	if (s.includes('\0')) throw new TypeError(`${what}: argument ${JSON.stringify(s)} contains a NUL byte`);
	return Buffer.from(s, 'utf8');
}

/** Each argument followed by a NUL: `a\0b\0`. */
export function argsPayload(args: readonly (string | number)[], what: string): Buffer {
	const parts: Buffer[] = [];
	for (const a of args) parts.push(encodeArg(a, what), NUL);
	return Buffer.concat(parts);
}

/** `path\0value`: the value is raw bytes and may hold NULs. */
export function pathValuePayload(path: string, value: Buffer | string, what: string): Buffer {
	const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
	return Buffer.concat([encodeArg(path, what), NUL, bytes]);
}

/** A one-string reply (`text\0`) as a string; the trailing NUL is optional. */
export function replyString(payload: Buffer): string {
	const end = payload.length > 0 && payload[payload.length - 1] === 0 ? payload.length - 1 : payload.length;
	return payload.toString('utf8', 0, end);
}

/** A reply that must be a decimal number, such as a transaction id or a feature mask. */
export function replyNumber(payload: Buffer, what: string): number {
	const s = replyString(payload);
	if (!/^[0-9]+$/.test(s)) throw new Error(`${what}: daemon replied ${JSON.stringify(s)}, not a number`);
	return Number(s);
}
