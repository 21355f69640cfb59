import { XenstoreError } from '../protocol/errors.ts';
import { PAYLOAD_MAX } from '../protocol/limits.ts';
import { joinStrings } from '../protocol/payload.ts';
import { canonicalPath } from '../store/path.ts';
import { requireOneArg } from './args.ts';
import type { Operation } from './context.ts';

/**
 * DIRECTORY `path\0` → the child names, each NUL-terminated. A list that does not fit in one
 * reply is E2BIG: clients then page through it with DIRECTORY_PART.
 */
export const directory: Operation = ({ store }, session, { payload, tx }) => {
	const path = canonicalPath(session.paths, requireOneArg(payload, 'DIRECTORY'));
	const size = store.directorySize(session.caller, tx, path);
	if (size > PAYLOAD_MAX) throw new XenstoreError('E2BIG', `children of ${path} take ${size} bytes`);
	return joinStrings(store.directory(session.caller, tx, path));
};
