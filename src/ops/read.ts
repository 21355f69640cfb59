import { canonicalPath } from '../store/path.ts';
import { requireOneArg } from './args.ts';
import { MISSING, type Operation } from './context.ts';

/** READ `path\0` → the value bytes, without a trailing NUL. */
export const read: Operation = ({ store }, session, { payload }, tx) =>
	store.read(session.caller, tx, canonicalPath(session.paths, requireOneArg(payload, 'READ'))) ?? MISSING;
