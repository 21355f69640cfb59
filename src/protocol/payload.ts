/**
 * Payload syntax helpers. Xenstore payloads are NUL-terminated strings, sometimes followed by
 * binary data. Strings are decoded as latin1 so that every byte survives a round trip unchanged.
 */

const NUL = 0;

/**
 * The NUL-terminated strings at the start of a payload, like C xenstored's get_strings(): bytes
 * after the last NUL are not a string and are ignored.
 */
export function splitStrings(payload: Buffer): string[] {
	const out: string[] = [];
	let start = 0;
	for (;;) {
		const nul = payload.indexOf(NUL, start);
		if (nul < 0) return out;
		out.push(payload.toString('latin1', start, nul));
		start = nul + 1;
	}
}

/** The number of NUL-terminated strings in a payload (xs_count_strings). */
export function countStrings(payload: Buffer): number {
	let n = 0;
	for (let i = payload.indexOf(NUL); i >= 0; i = payload.indexOf(NUL, i + 1)) n++;
	return n;
}

/**
 * The single argument of a one-argument request: the payload must hold exactly one NUL, at its end.
 * Undefined otherwise, which every operation answers with EINVAL.
 */
export function oneArg(payload: Buffer): string | undefined {
	const len = payload.length;
	if (len === 0 || payload[len - 1] !== NUL) return undefined;
	const nul = payload.indexOf(NUL);
	if (nul !== len - 1) return undefined;
	return payload.toString('latin1', 0, nul);
}

/**
 * Split `path\0value` for WRITE: the value is everything after the first NUL and may hold NULs.
 * Undefined when there is no NUL at all.
 */
export function splitPathValue(payload: Buffer): { path: string; value: Buffer } | undefined {
	const nul = payload.indexOf(NUL);
	if (nul < 0) return undefined;
	return { path: payload.toString('latin1', 0, nul), value: payload.subarray(nul + 1) };
}

/** Join strings, each followed by a NUL, into one payload. */
export function joinStrings(parts: readonly string[]): Buffer {
	let len = 0;
	for (const p of parts) len += p.length + 1;
	const out = Buffer.allocUnsafe(len);
	let off = 0;
	for (const p of parts) {
		off += out.write(p, off, 'latin1');
		out[off++] = NUL;
	}
	return out;
}

/** One string followed by a NUL. */
export function stringPayload(s: string): Buffer {
	const out = Buffer.allocUnsafe(s.length + 1);
	out.write(s, 0, 'latin1');
	out[s.length] = NUL;
	return out;
}
