import { XenstoreError } from '../protocol/errors.ts';
import { MessageType } from '../protocol/message-type.ts';
import { splitStrings } from '../protocol/payload.ts';
import type { Call } from './call.ts';
import { argsPayload } from './payload.ts';

/**
 * How often a listing read in parts may start over because the node changed between two parts
 * before we give up; libxenstore retries forever, a bound keeps a busy node from stalling a caller.
 */
export const DIRECTORY_PART_RESTARTS = 64;

/**
 * The children of `path`. DIRECTORY answers E2BIG when the list exceeds one payload; then the list
 * is read with DIRECTORY_PART, as libxenstore does: part after part from growing byte offsets, each
 * reply starting with the node's generation count. When that count changes, the node changed
 * between two parts, so the reading starts over. The last part ends with an empty name (an extra
 * NUL); a daemon without DIRECTORY_PART leaves the caller with the E2BIG.
 */
export async function listDirectory(call: Call, txId: number, path: string): Promise<string[]> {
	const what = `directory ${path}`;
	try {
		return splitStrings(await call(MessageType.DIRECTORY, txId, argsPayload([path], what), what));
	} catch (err) {
		if (!(err instanceof XenstoreError) || err.code !== 'E2BIG') throw err;
	}
	for (let attempt = 0; attempt <= DIRECTORY_PART_RESTARTS; attempt++) {
		const list = await readInParts(call, txId, path);
		if (list) return splitStrings(list);
	}
	throw new XenstoreError('EAGAIN', `${what}: changed during every one of ${DIRECTORY_PART_RESTARTS} reads`);
}

/** The whole child list, or undefined when the generation count changed midway. */
async function readInParts(call: Call, txId: number, path: string): Promise<Buffer | undefined> {
	const parts: Buffer[] = [];
	let offset = 0;
	let generation: string | undefined;
	for (;;) {
		const what = `directory part ${path} at offset ${offset}`;
		let reply: Buffer;
		try {
			reply = await call(MessageType.DIRECTORY_PART, txId, argsPayload([path, offset], what), what);
		} catch (err) {
			if (err instanceof XenstoreError && err.code === 'ENOSYS') {
				throw new XenstoreError('E2BIG', `directory ${path}: too long for one reply, and no DIRECTORY_PART`);
			}
			throw err;
		}
		const nul = reply.indexOf(0);
		if (nul < 0) throw new Error(`${what}: reply has no generation count`);
		const gen = reply.toString('latin1', 0, nul);
		if (generation === undefined) generation = gen;
		else if (gen !== generation) return undefined;
		const chunk = reply.subarray(nul + 1);
		// The list's end is marked by an empty name: a chunk that is empty or ends in two NULs.
		const last = chunk.length <= 1 || (chunk[chunk.length - 1] === 0 && chunk[chunk.length - 2] === 0);
		if (last) {
			parts.push(chunk.subarray(0, Math.max(0, chunk.length - 1)));
			return Buffer.concat(parts);
		}
		parts.push(chunk);
		offset += chunk.length;
	}
}
