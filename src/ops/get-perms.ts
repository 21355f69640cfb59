import { joinStrings } from '../protocol/payload.ts';
import { canonicalPath, canonicalWatchPath } from '../store/path.ts';
import { formatPerms } from '../store/perms.ts';
import { requireOneArg } from './args.ts';
import type { Operation } from './context.ts';

/** GET_PERMS `path\0` → the perm strings, owner first. Special `@` nodes have perms too. */
export const getPerms: Operation = ({ store }, session, { payload }, tx) => {
	const raw = requireOneArg(payload, 'GET_PERMS');
	const path = raw.startsWith('@')
		? canonicalWatchPath(session.paths, raw).path
		: canonicalPath(session.paths, raw);
	return joinStrings(formatPerms(store.getPerms(session.caller, tx, path)));
};
