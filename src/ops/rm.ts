import { canonicalPath } from '../store/path.ts';
import { requireOneArg } from './args.ts';
import { OK, type Operation } from './context.ts';

/** RM `path\0`: remove the subtree. A missing node is fine, a missing parent is ENOENT. */
export const rm: Operation = ({ store }, session, { payload }, tx) => {
	store.rm(session.caller, tx, canonicalPath(session.paths, requireOneArg(payload, 'RM')));
	return OK;
};
