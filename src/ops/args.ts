import { XenstoreError } from '../protocol/errors.ts';
import { countStrings, oneArg, splitStrings } from '../protocol/payload.ts';

/** The one argument of a request, or EINVAL (payload must be exactly `arg\0`). */
export function requireOneArg(payload: Buffer, what: string): string {
	const arg = oneArg(payload);
	if (arg === undefined) throw new XenstoreError('EINVAL', `${what} takes exactly one argument`);
	return arg;
}

/** Exactly `n` NUL-terminated arguments (bytes after the last NUL are ignored, as in C). */
export function requireArgs(payload: Buffer, n: number, what: string): string[] {
	const args = splitStrings(payload);
	if (args.length !== n)
		throw new XenstoreError('EINVAL', `${what} takes ${n} arguments, got ${args.length}`);
	return args;
}

export { countStrings, splitStrings };

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/**
 * A domid the way current C xenstored reads one (strtoul, then range check): leading blanks and a
 * sign are allowed, trailing characters or a value over 65535 are EINVAL, an empty string is 0.
 */
export function parseDomid(s: string): number {
	let i = 0;
	while (i < s.length && isSpace(s.charCodeAt(i))) i++;
	let negative = false;
	if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
	let value = 0;
	let digits = 0;
	while (i < s.length) {
		const d = s.charCodeAt(i) - 48;
		if (d < 0 || d > 9) break;
		value = Math.min(value * 10 + d, 2 ** 53);
		digits++;
		i++;
	}
	if (i < s.length) throw new XenstoreError('EINVAL', `invalid domid "${s}"`);
	if (digits > 0 && negative && value !== 0) throw new XenstoreError('EINVAL', `invalid domid "${s}"`);
	if (value > 65535) throw new XenstoreError('EINVAL', `domid ${s} out of range`);
	return value;
}

/** C's atoi: leading blanks, optional sign, digits; anything else stops it; no digits is 0. */
export function atoi(s: string): number {
	let i = 0;
	while (i < s.length && isSpace(s.charCodeAt(i))) i++;
	let sign = 1;
	if (s[i] === '+' || s[i] === '-') sign = s[i++] === '-' ? -1 : 1;
	let value = 0;
	while (i < s.length) {
		const d = s.charCodeAt(i) - 48;
		if (d < 0 || d > 9) break;
		value = value * 10 + d;
		if (value > 2 ** 31) break;
		i++;
	}
	return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, sign * value));
}
