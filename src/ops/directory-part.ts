import { canonicalPath } from '../store/path.ts';
import { atoi, requireArgs } from './args.ts';
import type { Operation } from './context.ts';

/**
 * DIRECTORY_PART `path\0offset\0` → `gencnt\0` then the child list from byte `offset`, cut to fit
 * one reply; when the slice reaches the end of the list, one more NUL marks the end (an offset past
 * the end gives just `gencnt\0\0`). Clients restart when the generation count changes.
 */
export const directoryPart: Operation = ({ store }, session, { payload }, tx) => {
	const [rawPath, rawOffset] = requireArgs(payload, 2, 'DIRECTORY_PART');
	const path = canonicalPath(session.paths, rawPath!);
	// C reads the offset with atoi into an unsigned int: a negative one lies past the end.
	const offset = atoi(rawOffset!) >>> 0;
	const part = store.directoryPart(session.caller, tx, path, offset);
	const gen = `${part.generation}\0`;
	const out = Buffer.allocUnsafe(gen.length + part.names.length + (part.complete ? 1 : 0));
	out.write(gen, 0, 'latin1');
	part.names.copy(out, gen.length);
	if (part.complete) out[out.length - 1] = 0;
	return out;
};
