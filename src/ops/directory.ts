import { canonicalPath } from '../store/path.ts';
import { requireOneArg } from './args.ts';
import { MISSING, type Operation } from './context.ts';

/**
 * DIRECTORY `path\0` → the child names, each NUL-terminated. A list that does not fit in one
 * reply is E2BIG: clients then page through it with DIRECTORY_PART.
 */
export const directory: Operation = ({ store }, session, { payload }, tx) =>
	store.directoryReply(
		session.caller,
		tx,
		canonicalPath(session.paths, requireOneArg(payload, 'DIRECTORY')),
	) ?? MISSING;
